package directives

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestCatalogStructure(t *testing.T) {
	entries := Catalog()
	if len(entries) < 700 {
		t.Fatalf("catalogue has %d entries, want the whole Debian module set (over 700)", len(entries))
	}
	seen := map[string]bool{}
	for i, e := range entries {
		key := e.Module + " " + strings.ToLower(e.Name)
		if seen[key] {
			t.Errorf("%s defined twice by %s", e.Name, e.Module)
		}
		seen[key] = true
		m, ok := LookupModule(e.Module)
		if !ok || m.ID != e.Module {
			t.Errorf("%s: module %q is not in modules.tsv", e.Name, e.Module)
		} else if m.Source != e.Source {
			t.Errorf("%s: source %q, module %s has %q", e.Name, e.Source, e.Module, m.Source)
		}
		if e.Args.String() == fmt.Sprintf("ArgKind(%d)", e.Args) {
			t.Errorf("%s: invalid argument kind %d", e.Name, e.Args)
		}
		if back, err := ParseOverride(e.Override.String()); err != nil || back != e.Override {
			t.Errorf("%s: override %v does not round-trip: %v %v", e.Name, e.Override, back, err)
		}
		if e.Help == "" {
			t.Errorf("%s (%s): empty help text", e.Name, e.Module)
		}
		if i > 0 && !catalogLess(entries[i-1], e) {
			t.Errorf("not sorted by module then name: %s/%s before %s/%s",
				entries[i-1].Module, entries[i-1].Name, e.Module, e.Name)
		}
	}
	mods := Modules()
	for i, m := range mods {
		if i > 0 && mods[i-1].ID >= m.ID {
			t.Errorf("modules not sorted: %s before %s", mods[i-1].ID, m.ID)
		}
		if m.SO != "" {
			if got, ok := ModuleBySO(m.SO); !ok || got != m {
				t.Errorf("ModuleBySO(%q) = %+v, %v", m.SO, got, ok)
			}
		}
		if got, ok := LookupModule(m.Source); !ok || got != m {
			t.Errorf("LookupModule(%q) = %+v, %v", m.Source, got, ok)
		}
	}
}

func catalogLess(a, b CatalogEntry) bool {
	if a.Module != b.Module {
		return a.Module < b.Module
	}
	la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name)
	if la != lb {
		return la < lb
	}
	return a.Name < b.Name
}

func TestCatalogAnchors(t *testing.T) {
	tests := []struct {
		name, module, source, args, override, help string
	}{
		{"ProxyPass", "proxy_module", "mod_proxy.c", "RAW_ARGS", "RSRC_CONF|ACCESS_CONF", "a virtual path and a URL"},
		{"ServerName", "core_module", "core.c", "TAKE1", "RSRC_CONF", "The hostname and port of the server"},
		{"Include", "core_module", "core.c", "TAKE1", "RSRC_CONF|ACCESS_CONF|EXEC_ON_READ", ""},
		{"<IfModule", "core_module", "core.c", "RAW_ARGS", "EXEC_ON_READ|OR_ALL", "Container for directives based on existence of specified modules"},
		{"<Location", "core_module", "core.c", "RAW_ARGS", "RSRC_CONF", ""},
		{"ProxyWebsocketFallbackToProxyHttp", "proxy_wstunnel_module", "mod_proxy_wstunnel.c", "FLAG", "RSRC_CONF|ACCESS_CONF", ""},
		{"RewriteRule", "rewrite_module", "mod_rewrite.c", "RAW_ARGS", "OR_FILEINFO", ""},
		{"Header", "headers_module", "mod_headers.c", "RAW_ARGS", "OR_FILEINFO", ""},
		{"BalancerMember", "proxy_module", "mod_proxy.c", "RAW_ARGS", "RSRC_CONF|ACCESS_CONF", ""},
		{"KeepAliveTimeout", "http_module", "http_core.c", "TAKE1", "RSRC_CONF", ""},
		{"LoadModule", "so_module", "mod_so.c", "TAKE2", "RSRC_CONF|EXEC_ON_READ", ""},
		{"SSLRequireSSL", "ssl_module", "mod_ssl.c", "RAW_ARGS", "OR_AUTHCFG", ""}, // AP_INIT_NO_ARGS
		{"Listen", "mpm_event_module", "event.c", "TAKE_ARGV", "RSRC_CONF", ""},
	}
	for _, tt := range tests {
		var e CatalogEntry
		found := false
		for _, c := range LookupCatalogAll(tt.name) {
			if c.Module == tt.module {
				e, found = c, true
			}
		}
		if !found {
			t.Errorf("%s: not in %s", tt.name, tt.module)
			continue
		}
		want, err := ParseOverride(tt.override)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != tt.name || e.Source != tt.source || e.Args.String() != tt.args || e.Override != want {
			t.Errorf("%s = %s %s %s %v, want %s %s %s %s", tt.name, e.Name, e.Source, e.Args, e.Override,
				tt.name, tt.source, tt.args, want)
		}
		if tt.help != "" && e.Help != tt.help {
			t.Errorf("%s help = %q, want %q", tt.name, e.Help, tt.help)
		}
	}
	for _, absent := range []string{"ProxyWebsocketIdleTimeout", "ProxyWebsocketAsync", "NoSuchDirective", ""} {
		if e, ok := LookupCatalog(absent); ok {
			t.Errorf("LookupCatalog(%q) found %+v; httpd 2.4 has no such directive", absent, e)
		}
	}
	if e, _ := LookupCatalog("AuthLDAPURL"); !strings.Contains(e.Help, "compliant\nURL of the form") {
		t.Errorf("AuthLDAPURL help lost its newlines: %q", e.Help)
	}
}

func TestCatalogLookups(t *testing.T) {
	if e, ok := LookupCatalog("proxypass"); !ok || e.Name != "ProxyPass" {
		t.Errorf("LookupCatalog is not case-insensitive: %+v %v", e, ok)
	}
	if e, ok := LookupCatalog("<ifmodule"); !ok || e.Name != "<IfModule" {
		t.Errorf("LookupCatalog(<ifmodule) = %+v %v", e, ok)
	}
	if n := len(LookupCatalogAll("Listen")); n != 3 {
		t.Errorf("Listen is defined by %d modules, want the three MPMs", n)
	}
	loaded := []string{"core_module", "mpm_worker_module", "heartmonitor_module", "lbmethod_heartbeat_module"}
	if e, ok := LookupCatalogIn("heartbeatstorage", loaded); !ok || e.Module != "lbmethod_heartbeat_module" {
		t.Errorf("LookupCatalogIn(HeartbeatStorage) = %s, want the module loaded last", e.Module)
	}
	if e, ok := LookupCatalogIn("HeartbeatStorage", loaded[:3]); !ok || e.Module != "heartmonitor_module" {
		t.Errorf("LookupCatalogIn(HeartbeatStorage) = %s, want heartmonitor_module", e.Module)
	}
	if e, ok := LookupCatalogIn("MaxRequestWorkers", loaded); !ok || e.Module != "mpm_worker_module" {
		t.Errorf("LookupCatalogIn(MaxRequestWorkers) = %s, want mpm_worker_module", e.Module)
	}
	if _, ok := LookupCatalogIn("ProxyPass", loaded); ok {
		t.Error("LookupCatalogIn found ProxyPass without proxy_module loaded")
	}

	modTests := []struct {
		key, id, source, so string
		builtin             bool
	}{
		{"proxy_module", "proxy_module", "mod_proxy.c", "mod_proxy.so", false},
		{"mod_proxy.c", "proxy_module", "mod_proxy.c", "mod_proxy.so", false},
		{"core.c", "core_module", "core.c", "", true},
		{"http_module", "http_module", "http_core.c", "", true},
		{"so_module", "so_module", "mod_so.c", "", true},
		{"event.c", "mpm_event_module", "event.c", "mod_mpm_event.so", false},
		{"prefork.c", "mpm_prefork_module", "prefork.c", "mod_mpm_prefork.so", false},
		{"mpm_worker_module", "mpm_worker_module", "worker.c", "mod_mpm_worker.so", false},
		{"ldap_module", "ldap_module", "util_ldap.c", "mod_ldap.so", false},
		{"ssl_module", "ssl_module", "mod_ssl.c", "mod_ssl.so", false},
		{"log_config_module", "log_config_module", "mod_log_config.c", "", true},
	}
	for _, tt := range modTests {
		m, ok := LookupModule(tt.key)
		want := ModuleInfo{tt.id, tt.source, tt.so, tt.builtin}
		if !ok || m != want {
			t.Errorf("LookupModule(%q) = %+v %v, want %+v", tt.key, m, ok, want)
		}
	}
	for _, bad := range []string{"Mod_Proxy.c", "proxy", "mod_proxy", "portico_module", ""} {
		if m, ok := LookupModule(bad); ok {
			t.Errorf("LookupModule(%q) = %+v", bad, m)
		}
	}
	if m, ok := ModuleBySO("/usr/lib/apache2/modules/mod_proxy_wstunnel.so"); !ok || m.ID != "proxy_wstunnel_module" {
		t.Errorf("ModuleBySO(path) = %+v %v", m, ok)
	}
	for _, bad := range []string{"", "mod_proxy.c", "mod_nope.so"} {
		if m, ok := ModuleBySO(bad); ok {
			t.Errorf("ModuleBySO(%q) = %+v", bad, m)
		}
	}
}

func TestParseCatalogErrors(t *testing.T) {
	const mods = modulesHeader + "\ncore_module\tcore.c\t\tyes\nproxy_module\tmod_proxy.c\tmod_proxy.so\tno\n"
	const dirs = directivesHeader + "\n"
	if _, err := parseCatalog(mods, dirs+"ProxyPass\tproxy_module\tmod_proxy.c\tRAW_ARGS\tRSRC_CONF|ACCESS_CONF\ta\\tb\\\\c\\nd\n"); err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	tests := []struct{ name, mods, dirs, want string }{
		{"modules header", "module\tsource\n", dirs, "header"},
		{"directives header", mods, "name\tmodule\n", "header"},
		{"empty", "", dirs, "header"},
		{"fields", mods, dirs + "X\tcore_module\tcore.c\tTAKE1\tRSRC_CONF\n", "5 fields, want 6"},
		{"builtin", modulesHeader + "\ncore_module\tcore.c\t\tmaybe\n", dirs, "yes or no"},
		{"so of builtin", modulesHeader + "\ncore_module\tcore.c\tcore.so\tyes\n", dirs, ".so file"},
		{"dup module", mods + "proxy_module\tmod_proxy2.c\tmod_proxy2.so\tno\n", dirs, "twice"},
		{"dup source", mods + "proxy2_module\tmod_proxy.c\tmod_proxy2.so\tno\n", dirs, "twice"},
		{"unknown module", mods, dirs + "X\tfoo_module\tfoo.c\tTAKE1\tRSRC_CONF\th\n", "unknown module"},
		{"module by source", mods, dirs + "X\tcore.c\tcore.c\tTAKE1\tRSRC_CONF\th\n", "unknown module"},
		{"source mismatch", mods, dirs + "X\tcore_module\thttp_core.c\tTAKE1\tRSRC_CONF\th\n", "source"},
		{"args", mods, dirs + "X\tcore_module\tcore.c\tTAKE4\tRSRC_CONF\th\n", "argument kind"},
		{"override", mods, dirs + "X\tcore_module\tcore.c\tTAKE1\tSRV_CONF\th\n", "override"},
		{"escape", mods, dirs + "X\tcore_module\tcore.c\tTAKE1\tRSRC_CONF\ta\\x\n", "escape"},
		{"dup directive", mods, dirs + "X\tcore_module\tcore.c\tTAKE1\tRSRC_CONF\th\nx\tcore_module\tcore.c\tTAKE1\tRSRC_CONF\th\n", "twice"},
	}
	for _, tt := range tests {
		_, err := parseCatalog(tt.mods, tt.dirs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

// Debian's layout of the apache2 package.
const (
	debianModsAvailable = "/etc/apache2/mods-available"
	debianModuleDir     = "/usr/lib/apache2/modules"
)

// TestCatalogMatchesApache compares the catalogue with what the installed
// apache2 prints for -L (directive, module source, help, allowed context),
// -M and -l, loading every module Debian ships: all of them together with
// mpm_event, then each other MPM alone.
func TestCatalogMatchesApache(t *testing.T) {
	bin := findApache(t)
	loads := debianLoadOrder(t)
	var mpms []string
	var common []string
	for _, l := range loads {
		if strings.HasPrefix(l.name, "mpm_") {
			mpms = append(mpms, l.line)
			continue
		}
		common = append(common, l.line)
	}
	if len(mpms) == 0 {
		t.Fatalf("no mpm_*.load in %s", debianModsAvailable)
	}
	mainMPM := 0
	for i, l := range mpms {
		if strings.Contains(l, "mpm_event_module") {
			mainMPM = i
		}
	}
	// Shared modules Debian ships without a .load file.
	sos, _ := filepath.Glob(filepath.Join(debianModuleDir, "*.so"))
	for _, so := range sos {
		if slices.ContainsFunc(loads, func(l loadLine) bool { return l.so == filepath.Base(so) }) {
			continue
		}
		m, ok := ModuleBySO(filepath.Base(so))
		if !ok {
			t.Errorf("%s is not in modules.tsv", so)
			continue
		}
		common = append(common, fmt.Sprintf("LoadModule %s %s", m.ID, so))
	}

	dir := t.TempDir()
	type key struct{ source, name string }
	listed := map[key]bool{}
	confs := [][]string{append([]string{mpms[mainMPM]}, common...)}
	for i, l := range mpms {
		if i != mainMPM {
			confs = append(confs, []string{l})
		}
	}
	for i, lines := range confs {
		conf := writeTestConf(t, dir, i, lines)
		out := runApache(t, bin, "-f", conf, "-L")
		shown, err := parseDashL(out)
		if err != nil {
			t.Fatalf("%s -L: %v", bin, err)
		}
		for _, s := range shown {
			if listed[key{s.source, s.name}] {
				continue // the built-in modules appear in every run
			}
			listed[key{s.source, s.name}] = true
			e, ok := lookupBySource(s.name, s.source)
			if !ok {
				t.Errorf("-L lists %s (%s), which is not in the catalogue", s.name, s.source)
				continue
			}
			if e.Help != s.help {
				t.Errorf("%s (%s): apache2 -L help %q, catalogue %q", s.name, s.source, s.help, e.Help)
			}
			if want := dashLContext(e.Override); s.context != want {
				t.Errorf("%s (%s): apache2 -L context %q, catalogue override %v gives %q",
					s.name, s.source, s.context, e.Override, want)
			}
		}
	}
	for _, e := range Catalog() {
		if !listed[key{e.Source, e.Name}] {
			t.Errorf("catalogue has %s (%s), which apache2 -L did not list", e.Name, e.Source)
		}
	}

	// -M: module identifiers, and which are compiled in.
	out := runApache(t, bin, "-f", writeTestConf(t, dir, 0, confs[0]), "-M")
	loadedRE := regexp.MustCompile(`^ (\w+) \((static|shared)\)$`)
	seenMod := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		m := loadedRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		seenMod[m[1]] = true
		info, ok := LookupModule(m[1])
		if !ok || info.ID != m[1] {
			t.Errorf("apache2 -M lists %s, which is not in modules.tsv", m[1])
		} else if info.Builtin != (m[2] == "static") {
			t.Errorf("%s: apache2 -M says %s, modules.tsv builtin=%v", m[1], m[2], info.Builtin)
		}
	}
	otherMPMs := map[string]bool{}
	for _, c := range confs[1:] {
		otherMPMs[strings.Fields(c[0])[1]] = true
	}
	for _, m := range Modules() {
		if !seenMod[m.ID] && !otherMPMs[m.ID] {
			t.Errorf("modules.tsv has %s, which apache2 -M did not list", m.ID)
		}
	}
	var compiled, builtin []string
	for _, line := range strings.Split(runApache(t, bin, "-l"), "\n") {
		if s := strings.TrimSpace(line); strings.HasSuffix(s, ".c") {
			compiled = append(compiled, s)
		}
	}
	for _, m := range Modules() {
		if m.Builtin {
			builtin = append(builtin, m.Source)
		}
	}
	sort.Strings(compiled)
	sort.Strings(builtin)
	if !slices.Equal(compiled, builtin) {
		t.Errorf("apache2 -l compiles in %v, modules.tsv has built in %v", compiled, builtin)
	}
}

func findApache(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("apache2")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/apache2"); serr == nil {
			bin, err = "/usr/sbin/apache2", nil
		}
	}
	if err != nil {
		if os.Getenv("PORTICO_NO_APACHE") == "1" {
			t.Skip("apache2 is not installed and PORTICO_NO_APACHE=1")
		}
		t.Fatal("apache2 is not installed; the catalogue is checked against it: " +
			"run `apt-get install apache2`, or set PORTICO_NO_APACHE=1 to skip this test")
	}
	for _, d := range []string{debianModsAvailable, debianModuleDir} {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("%s found but %v: this test needs Debian's apache2 package", bin, err)
		}
	}
	return bin
}

// loadLine is one module of Debian's mods-available.
type loadLine struct {
	name    string   // base name of the .load file, e.g. "proxy_http"
	line    string   // its LoadModule line
	so      string   // base name of the .so it loads
	depends []string // names from its "# Depends:" comment
}

// debianLoadOrder reads mods-available/*.load and orders them so that
// every module comes after the modules it depends on.
func debianLoadOrder(t *testing.T) []loadLine {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(debianModsAvailable, "*.load"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .load files in %s: %v", debianModsAvailable, err)
	}
	byName := map[string]loadLine{}
	var names []string
	for _, f := range files {
		l := loadLine{name: strings.TrimSuffix(filepath.Base(f), ".load")}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, "# Depends:"); ok {
				l.depends = append(l.depends, strings.Fields(rest)...)
			}
			if f := strings.Fields(line); len(f) == 3 && strings.EqualFold(f[0], "LoadModule") {
				l.line, l.so = line, filepath.Base(f[2])
			}
		}
		fh.Close()
		if l.line == "" {
			t.Fatalf("%s has no LoadModule line", f)
		}
		byName[l.name] = l
		names = append(names, l.name)
	}
	var order []loadLine
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, from string)
	visit = func(name, from string) {
		l, ok := byName[name]
		switch {
		case !ok:
			t.Fatalf("%s depends on %s, which has no .load file", from, name)
		case state[name] == 1:
			t.Fatalf("dependency cycle through %s", name)
		case state[name] == 2:
			return
		}
		state[name] = 1
		for _, d := range l.depends {
			visit(d, name)
		}
		state[name] = 2
		order = append(order, l)
	}
	for _, n := range names {
		visit(n, n)
	}
	return order
}

// writeTestConf writes a configuration that only loads modules; nothing
// in it listens or writes outside dir.
func writeTestConf(t *testing.T, dir string, n int, loads []string) string {
	t.Helper()
	conf := filepath.Join(dir, fmt.Sprintf("modules%d.conf", n))
	text := fmt.Sprintf("ServerRoot /etc/apache2\nServerName 127.0.0.1\nDefaultRuntimeDir %s\n"+
		"PidFile %s\nErrorLog %s\n%s\n", dir, filepath.Join(dir, "httpd.pid"),
		filepath.Join(dir, "error.log"), strings.Join(loads, "\n"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func runApache(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("%s %s: %s", bin, strings.Join(args, " "), msg)
	}
	return string(out)
}

func lookupBySource(name, source string) (CatalogEntry, bool) {
	for _, e := range LookupCatalogAll(name) {
		if e.Source == source && e.Name == name {
			return e, true
		}
	}
	return CatalogEntry{}, false
}

type dashLEntry struct{ name, source, help, context string }

var dashLHead = regexp.MustCompile(`^(\S+) \(([\w.-]+\.c)\)$`)

// parseDashL reads apache2 -L: "Name (source.c)", a tab and the help
// (whose own newlines continue on unindented lines), then a tab and the
// context sentence, continued by a tab and "when AllowOverride ...".
func parseDashL(out string) ([]dashLEntry, error) {
	var list []dashLEntry
	var cur *dashLEntry
	inContext := false
	for n, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		body, indented := strings.CutPrefix(line, "\t")
		switch {
		case !indented && dashLHead.MatchString(line):
			m := dashLHead.FindStringSubmatch(line)
			list = append(list, dashLEntry{name: m[1], source: m[2]})
			cur, inContext = &list[len(list)-1], false
		case cur == nil:
			return nil, fmt.Errorf("line %d: %q before any directive", n+1, line)
		case indented && strings.HasPrefix(body, "Allowed in *.conf "):
			cur.context, inContext = body, true
		case indented && inContext:
			cur.context += "\n" + body
		case indented && cur.help == "":
			cur.help = body
		case !indented && !inContext && cur.help != "":
			cur.help += "\n" + line
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n+1, line)
		}
	}
	for i := range list {
		// Printed when the module keeps no per-directory configuration;
		// that is not part of the mask.
		list[i].context = strings.Replace(list[i].context, " [no per-dir config]", "", 1)
	}
	return list, nil
}

// dashLContext is the sentence apache2 -L prints for a mask (without the
// leading tab and the per-dir note).
func dashLContext(o Override) string {
	var b strings.Builder
	b.WriteString("Allowed in *.conf ")
	switch {
	case o&(OrOptions|OrFileInfo|OrIndexes) != 0 || o&RsrcConf != 0 && o&(AccessConf|OrAuthCfg|OrLimit) != 0:
		b.WriteString("anywhere")
	case o&RsrcConf != 0:
		b.WriteString("only outside <Directory>, <Files>, <Location>, or <If>")
	default:
		b.WriteString("only inside <Directory>, <Files>, <Location>, or <If>")
	}
	if o&OrAll != 0 {
		b.WriteString(" and in .htaccess\nwhen AllowOverride")
		if o&OrAll == OrAll {
			b.WriteString(" isn't None")
		} else {
			var names []string
			for _, x := range []struct {
				bit  Override
				name string
			}{{OrAuthCfg, "AuthConfig"}, {OrLimit, "Limit"}, {OrOptions, "Options"}, {OrFileInfo, "FileInfo"}, {OrIndexes, "Indexes"}} {
				if o&x.bit != 0 {
					names = append(names, x.name)
				}
			}
			b.WriteString(" includes " + strings.Join(names, " or "))
		}
	}
	return b.String()
}
