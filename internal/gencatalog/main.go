// Command gencatalog writes Portico's directive catalogue,
// directives/catalog/directives.tsv and directives/catalog/modules.tsv,
// from a Debian apache2 installation, and cross-checks it against the
// httpd 2.4 source and the output of apache2 -L.
//
// The data comes from the compiled modules themselves: gencatalog reads the
// exported module structure of /usr/sbin/apache2 (the built-in modules) and
// of every .so in /usr/lib/apache2/modules, and from each module's command
// table the directive name, req_override, cmd_how and help text. That is
// exactly what the installed httpd uses, including modules that Debian
// ships without a .load file and the MPMs that cannot be loaded together.
// The source tree is used only to spell each override mask as the source
// writes it and to report where source and binary disagree; apache2 -L
// confirms names, module source names, help texts and allowed contexts.
//
// Rerun it from the module root after Debian updates apache2 (x86-64
// only). all-modules.conf is a configuration that loads every module of
// /etc/apache2/mods-available with one MPM, dependencies first, as the
// test TestCatalogMatchesApache in package directives builds it:
//
//	git -C /path/to/httpd.git archive refs/heads/2.4.x | (mkdir -p /tmp/httpd && tar x -C /tmp/httpd)
//	apache2 -f /path/to/all-modules.conf -L > /tmp/L.txt
//	go run ./internal/gencatalog -src /tmp/httpd -L /tmp/L.txt -out directives/catalog
//	go test ./directives -run Catalog
//
// It prints every disagreement it finds on standard error. Neither the
// build nor the tests need it.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// cmdHow is httpd's enum cmd_how, in declaration order
// (include/http_config.h); scanSource checks it against the source.
var cmdHow = []string{
	"RAW_ARGS", "TAKE1", "TAKE2", "ITERATE", "ITERATE2", "FLAG", "NO_ARGS",
	"TAKE12", "TAKE3", "TAKE23", "TAKE123", "TAKE13", "TAKE_ARGV",
}

func main() {
	bin := flag.String("bin", "/usr/sbin/apache2", "the apache2 executable (built-in modules)")
	modDir := flag.String("modules", "/usr/lib/apache2/modules", "directory of the shared modules")
	src := flag.String("src", "", "httpd 2.4.x source tree (required)")
	lfile := flag.String("L", "", "output of apache2 -L to cross-check against (optional)")
	out := flag.String("out", "directives/catalog", "output directory")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gencatalog: ")
	if *src == "" {
		log.Fatal("-src is required")
	}

	mods, err := readModules(*bin, *modDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := checkCmdHow(*src); err != nil {
		log.Fatal(err)
	}
	scanned, err := scanSource(*src)
	if err != nil {
		log.Fatal(err)
	}
	rows, problems := buildRows(mods, scanned, sourcePaths(*src))
	if *lfile != "" {
		problems = append(problems, checkShowDirectives(*lfile, mods)...)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if err := writeTSV(filepath.Join(*out, "directives.tsv"), rows); err != nil {
		log.Fatal(err)
	}
	if err := writeModules(filepath.Join(*out, "modules.tsv"), mods); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%d modules, %d directives, %d notes\n", len(mods), len(rows), len(problems))
}

// module is a binModule plus whether it is compiled into the executable.
type module struct {
	binModule
	Builtin bool
}

func readModules(bin, dir string) ([]module, error) {
	sos, err := filepath.Glob(filepath.Join(dir, "*.so"))
	if err != nil {
		return nil, err
	}
	var mods []module
	seen := map[string]string{}
	for i, file := range append([]string{bin}, sos...) {
		img, err := openImage(file)
		if err != nil {
			return nil, err
		}
		ms, err := img.modules(file)
		img.Close()
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return nil, fmt.Errorf("%s: no httpd module found", file)
		}
		for _, m := range ms {
			if prev, dup := seen[m.ID]; dup {
				return nil, fmt.Errorf("module %s is in both %s and %s", m.ID, prev, file)
			}
			seen[m.ID] = file
			mods = append(mods, module{m, i == 0})
		}
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].ID < mods[j].ID })
	return mods, nil
}

// checkCmdHow makes sure cmdHow matches the enum in the source.
func checkCmdHow(src string) error {
	data, err := os.ReadFile(filepath.Join(src, "include", "http_config.h"))
	if err != nil {
		return err
	}
	_, code := splitLines(string(data))
	toks := tokenize(code)
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].text == "enum" && toks[i+1].text == "cmd_how" && toks[i+2].text == "{" {
			args, _ := collectArgs(toks, i+2)
			if len(args) != len(cmdHow) {
				return fmt.Errorf("enum cmd_how has %d members, want %d", len(args), len(cmdHow))
			}
			for k, a := range args {
				if len(a) != 1 || a[0].text != cmdHow[k] {
					return fmt.Errorf("enum cmd_how member %d is %v, want %s", k, a, cmdHow[k])
				}
			}
			return nil
		}
	}
	return fmt.Errorf("enum cmd_how not found in include/http_config.h")
}

// sourcePaths maps a file's base name to its paths in the source tree.
func sourcePaths(root string) map[string][]string {
	paths := map[string][]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".c") {
			rel, _ := filepath.Rel(root, p)
			paths[d.Name()] = append(paths[d.Name()], rel)
		}
		return nil
	})
	return paths
}

type row struct {
	name, module, source, args, override, help string
}

// buildRows turns the binary command tables into catalogue rows, compares
// them with the source and returns the disagreements.
func buildRows(mods []module, scanned map[string][]srcCommand, paths map[string][]string) ([]row, []string) {
	var rows []row
	var notes []string
	for _, m := range mods {
		seen := map[string]bool{}
		for _, c := range m.Commands {
			where := fmt.Sprintf("%s (%s)", c.Name, m.ID)
			if seen[strings.ToLower(c.Name)] {
				log.Fatalf("%s: defined twice in its module", where)
			}
			seen[strings.ToLower(c.Name)] = true
			if c.HelpNull {
				log.Fatalf("%s: NULL help text cannot be represented in the catalogue", where)
			}
			if int(c.ArgsHow) >= len(cmdHow) {
				log.Fatalf("%s: unknown cmd_how %d", where, c.ArgsHow)
			}
			r := row{c.Name, m.ID, m.Source, cmdHow[c.ArgsHow], overrideString(c.Override), c.Help}
			s, note := matchSource(m, c, scanned[c.Name], paths[m.Source])
			if note != "" {
				notes = append(notes, where+": "+note)
			}
			if s != nil {
				// Keep the source's spelling; masks are plain ORs of names,
				// so parentheses can go.
				if v, err := maskValue(s.Mask); err == nil && v == c.Override {
					r.override = strings.NewReplacer("(", "", ")", "").Replace(s.Mask)
				}
			}
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].module != rows[j].module {
			return rows[i].module < rows[j].module
		}
		a, b := strings.ToLower(rows[i].name), strings.ToLower(rows[j].name)
		if a != b {
			return a < b
		}
		return rows[i].name < rows[j].name
	})
	return rows, notes
}

// matchSource picks the source entry that describes c: one from the
// module's own file or directory if possible, and equal in kind, mask and
// help if possible. The note describes any disagreement.
func matchSource(m module, c binCommand, cands []srcCommand, modPaths []string) (*srcCommand, string) {
	if len(cands) == 0 {
		return nil, "not found in the source"
	}
	rank := func(s srcCommand) int {
		for _, p := range modPaths {
			if s.File == p {
				return 0
			}
			if filepath.Dir(s.File) == filepath.Dir(p) {
				return 1
			}
		}
		return 2
	}
	best, bestScore := -1, -1
	for i, s := range cands {
		score := 3 - rank(s)
		if sameKind(s.Kind, cmdHow[c.ArgsHow]) {
			score += 8
		}
		if v, err := maskValue(s.Mask); err == nil && v == c.Override {
			score += 8
		}
		if s.HelpOK && s.Help == c.Help {
			score += 4
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	s := &cands[best]
	var diffs []string
	if !sameKind(s.Kind, cmdHow[c.ArgsHow]) {
		diffs = append(diffs, fmt.Sprintf("kind: source %s, binary %s", s.Kind, cmdHow[c.ArgsHow]))
	} else if s.Kind != cmdHow[c.ArgsHow] {
		diffs = append(diffs, fmt.Sprintf("source says AP_INIT_%s, which httpd 2.4 compiles to %s", s.Kind, cmdHow[c.ArgsHow]))
	}
	if v, err := maskValue(s.Mask); err != nil || v != c.Override {
		diffs = append(diffs, fmt.Sprintf("mask: source %s, binary %s", s.Mask, overrideString(c.Override)))
	}
	if !s.HelpOK {
		diffs = append(diffs, "help in source is not a string literal")
	} else if s.Help != c.Help {
		diffs = append(diffs, fmt.Sprintf("help: source %q, binary %q", s.Help, c.Help))
	}
	if len(diffs) == 0 {
		return s, ""
	}
	return s, fmt.Sprintf("[%s] %s", s.File, strings.Join(diffs, "; "))
}

// sameKind reports whether an AP_INIT_ suffix produces the cmd_how name
// how; httpd 2.4's AP_INIT_NO_ARGS expands to RAW_ARGS.
func sameKind(initKind, how string) bool {
	return initKind == how || initKind == "NO_ARGS" && how == "RAW_ARGS"
}

// overrideBits are the req_override names of include/http_config.h.
var overrideBits = []struct {
	name string
	bit  uint32
}{
	{"OR_LIMIT", 1}, {"OR_OPTIONS", 2}, {"OR_FILEINFO", 4}, {"OR_AUTHCFG", 8},
	{"OR_INDEXES", 16}, {"OR_UNSET", 32}, {"ACCESS_CONF", 64}, {"RSRC_CONF", 128},
	{"EXEC_ON_READ", 256}, {"NONFATAL_OVERRIDE", 512}, {"NONFATAL_UNKNOWN", 1024},
	{"PROXY_CONF", 2048},
}

const orAll = 31

// maskValue evaluates a mask expression such as "(RSRC_CONF|ACCESS_CONF)".
func maskValue(expr string) (uint32, error) {
	var v uint32
	for _, part := range strings.Split(strings.NewReplacer("(", "", ")", "").Replace(expr), "|") {
		switch part {
		case "OR_ALL":
			v |= orAll
			continue
		case "OR_NONE", "0":
			continue
		}
		found := false
		for _, b := range overrideBits {
			if b.name == part {
				v |= b.bit
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown override %q in %q", part, expr)
		}
	}
	return v, nil
}

// overrideString spells a mask the way Override.String in package
// directives does.
func overrideString(o uint32) string {
	if o == 0 {
		return "OR_NONE"
	}
	var parts []string
	if o&orAll == orAll {
		parts = append(parts, "OR_ALL")
		o &^= orAll
	}
	for _, b := range overrideBits {
		if o&b.bit != 0 {
			parts = append(parts, b.name)
			o &^= b.bit
		}
	}
	if o != 0 {
		log.Fatalf("unknown override bits %#x", o)
	}
	return strings.Join(parts, "|")
}

// escapeField makes a value safe for a TSV cell.
func escapeField(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func writeTSV(file string, rows []row) error {
	var b strings.Builder
	b.WriteString("name\tmodule\tsource\targs\toverride\thelp\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", escapeField(r.name), r.module, r.source,
			r.args, r.override, escapeField(r.help))
	}
	return writeFile(file, b.String())
}

func writeModules(file string, mods []module) error {
	var b strings.Builder
	b.WriteString("module\tsource\tso\tbuiltin\n")
	for _, m := range mods {
		so, builtin := m.File, "yes"
		if !m.Builtin {
			builtin = "no"
		} else {
			so = ""
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", m.ID, m.Source, so, builtin)
	}
	return writeFile(file, b.String())
}

func writeFile(file, content string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
