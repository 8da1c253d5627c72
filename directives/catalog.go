package directives

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

// The catalogue of every directive of every module that Debian's apache2
// 2.4 package ships, read from the compiled modules by
// internal/gencatalog. It is what Portico needs to accept exactly the
// directives httpd accepts and to word its errors the same way.
//
//go:embed catalog/*.tsv
var catalogFS embed.FS

// CatalogEntry describes one directive as one httpd module defines it.
type CatalogEntry struct {
	// Name is the directive as httpd spells it; a section keeps its
	// opening bracket, e.g. "<Location" or "<IfModule".
	Name string
	// Module is the identifier of the defining module, as LoadModule and
	// "apache2 -M" name it, e.g. "proxy_module" or "core_module".
	Module string
	// Source is the module's source file name, e.g. "mod_proxy.c",
	// "core.c" or "event.c", as "apache2 -L" prints it.
	Source string
	// Args is how httpd splits the arguments (cmd_how). Directives that
	// httpd declares with AP_INIT_NO_ARGS are RawArgs here, because that
	// is what httpd 2.4 compiles them to: it accepts them with arguments.
	Args ArgKind
	// Override is the req_override mask: where the directive may appear.
	Override Override
	// Help is httpd's help text for the directive, byte for byte. httpd
	// appends it to argument errors, e.g. "ServerName takes one argument,
	// The hostname and port of the server".
	Help string
}

// ModuleInfo describes one module that Debian's apache2 ships.
type ModuleInfo struct {
	// ID is the module identifier, e.g. "proxy_module".
	ID string
	// Source is the module's source file name, e.g. "mod_proxy.c": the
	// name <IfModule mod_proxy.c> compares against.
	Source string
	// SO is the base name of Debian's shared object, e.g. "mod_proxy.so";
	// it is empty for a module compiled into the apache2 executable.
	SO string
	// Builtin reports whether the module is compiled into Debian's apache2
	// executable (listed by "apache2 -l") and so needs no LoadModule.
	Builtin bool
}

// catalog is the parsed, indexed content of the embedded files.
type catalog struct {
	entries  []CatalogEntry
	byName   map[string][]int // lower-case name -> indexes into entries
	modules  []ModuleInfo
	byModKey map[string]int // ID or source -> index into modules
	bySO     map[string]int // shared object name -> index into modules
}

var theCatalog = mustLoadCatalog()

func mustLoadCatalog() *catalog {
	mods, err := catalogFS.ReadFile("catalog/modules.tsv")
	if err != nil {
		panic("directives: embedded catalogue: " + err.Error())
	}
	dirs, err := catalogFS.ReadFile("catalog/directives.tsv")
	if err != nil {
		panic("directives: embedded catalogue: " + err.Error())
	}
	c, err := parseCatalog(string(mods), string(dirs))
	if err != nil {
		panic("directives: malformed embedded catalogue: " + err.Error())
	}
	return c
}

// Catalog returns every catalogue entry, in file order: by module, then
// by name. A name that several modules define appears once per module.
// The slice is a copy and may be modified.
func Catalog() []CatalogEntry {
	return slices.Clone(theCatalog.entries)
}

// LookupCatalog finds a directive by name, ignoring case as httpd does.
// If several modules define the name (the three MPMs share their listener
// and process directives, mod_cgi and mod_cgid their ScriptLog
// directives, mod_heartmonitor and mod_lbmethod_heartbeat
// HeartbeatStorage), it returns the first in catalogue order; use
// LookupCatalogIn to choose among loaded modules, or LookupCatalogAll.
func LookupCatalog(name string) (CatalogEntry, bool) {
	idx := theCatalog.byName[strings.ToLower(name)]
	if len(idx) == 0 {
		return CatalogEntry{}, false
	}
	return theCatalog.entries[idx[0]], true
}

// LookupCatalogAll returns the entries of every module that defines name
// (ignoring case), in catalogue order, or nil.
func LookupCatalogAll(name string) []CatalogEntry {
	idx := theCatalog.byName[strings.ToLower(name)]
	if len(idx) == 0 {
		return nil
	}
	out := make([]CatalogEntry, len(idx))
	for i, j := range idx {
		out[i] = theCatalog.entries[j]
	}
	return out
}

// LookupCatalogIn finds the entry httpd would use for name (ignoring case)
// given the loaded modules. loaded lists module identifiers in the order
// httpd added them: built-in modules first, then one per LoadModule line.
// httpd consults the most recently added module first, so when several
// loaded modules define name, the one latest in loaded wins. It reports
// false if no loaded module defines name.
func LookupCatalogIn(name string, loaded []string) (CatalogEntry, bool) {
	idx := theCatalog.byName[strings.ToLower(name)]
	for i := len(loaded) - 1; i >= 0; i-- {
		for _, j := range idx {
			if theCatalog.entries[j].Module == loaded[i] {
				return theCatalog.entries[j], true
			}
		}
	}
	return CatalogEntry{}, false
}

// Modules returns every module Debian's apache2 ships, built-in or shared,
// sorted by identifier. The slice is a copy and may be modified.
func Modules() []ModuleInfo {
	return slices.Clone(theCatalog.modules)
}

// LookupModule finds a module by identifier ("proxy_module") or by source
// file name ("mod_proxy.c"), the two spellings <IfModule> accepts. Like
// httpd, it compares case-sensitively.
func LookupModule(idOrSource string) (ModuleInfo, bool) {
	i, ok := theCatalog.byModKey[idOrSource]
	if !ok {
		return ModuleInfo{}, false
	}
	return theCatalog.modules[i], true
}

// ModuleBySO finds a shared module by the base name of its file, e.g.
// "mod_proxy.so"; a path is reduced to its base name first.
func ModuleBySO(file string) (ModuleInfo, bool) {
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		file = file[i+1:]
	}
	i, ok := theCatalog.bySO[file]
	if !ok {
		return ModuleInfo{}, false
	}
	return theCatalog.modules[i], true
}

const (
	modulesHeader    = "module\tsource\tso\tbuiltin"
	directivesHeader = "name\tmodule\tsource\targs\toverride\thelp"
)

// parseCatalog parses and cross-checks the two catalogue files.
func parseCatalog(modules, directives string) (*catalog, error) {
	c := &catalog{byName: map[string][]int{}, byModKey: map[string]int{}, bySO: map[string]int{}}
	if err := c.parseModules(modules); err != nil {
		return nil, fmt.Errorf("modules.tsv: %w", err)
	}
	if err := c.parseDirectives(directives); err != nil {
		return nil, fmt.Errorf("directives.tsv: %w", err)
	}
	return c, nil
}

// tsvRows splits a TSV file into rows of exactly n fields after checking
// its header line.
func tsvRows(text, header string) ([][]string, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != header {
		return nil, fmt.Errorf("line 1: header is %q, want %q", lines[0], header)
	}
	n := strings.Count(header, "\t") + 1
	rows := make([][]string, 0, len(lines)-1)
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != n {
			return nil, fmt.Errorf("line %d: %d fields, want %d", i+2, len(f), n)
		}
		rows = append(rows, f)
	}
	return rows, nil
}

func (c *catalog) parseModules(text string) error {
	rows, err := tsvRows(text, modulesHeader)
	if err != nil {
		return err
	}
	for i, f := range rows {
		line := i + 2
		m := ModuleInfo{ID: f[0], Source: f[1], SO: f[2]}
		switch f[3] {
		case "yes":
			m.Builtin = true
		case "no":
		default:
			return fmt.Errorf("line %d: builtin is %q, want yes or no", line, f[3])
		}
		switch {
		case !strings.HasSuffix(m.ID, "_module"):
			return fmt.Errorf("line %d: module identifier %q does not end in _module", line, m.ID)
		case !strings.HasSuffix(m.Source, ".c"):
			return fmt.Errorf("line %d: source %q does not end in .c", line, m.Source)
		case m.Builtin != (m.SO == ""):
			return fmt.Errorf("line %d: %s: a module has a .so file exactly when it is not built in", line, m.ID)
		case m.SO != "" && (!strings.HasSuffix(m.SO, ".so") || strings.Contains(m.SO, "/")):
			return fmt.Errorf("line %d: %q is not a .so base name", line, m.SO)
		}
		for _, key := range []string{m.ID, m.Source} {
			if _, dup := c.byModKey[key]; dup {
				return fmt.Errorf("line %d: %s is listed twice", line, key)
			}
			c.byModKey[key] = len(c.modules)
		}
		if m.SO != "" {
			if _, dup := c.bySO[m.SO]; dup {
				return fmt.Errorf("line %d: %s is listed twice", line, m.SO)
			}
			c.bySO[m.SO] = len(c.modules)
		}
		c.modules = append(c.modules, m)
	}
	return nil
}

func (c *catalog) parseDirectives(text string) error {
	rows, err := tsvRows(text, directivesHeader)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, f := range rows {
		line := i + 2
		e := CatalogEntry{Name: f[0], Module: f[1], Source: f[2]}
		if e.Name == "" || strings.ContainsAny(e.Name, " \\") {
			return fmt.Errorf("line %d: bad directive name %q", line, e.Name)
		}
		mi, ok := c.byModKey[e.Module]
		if !ok || c.modules[mi].ID != e.Module {
			return fmt.Errorf("line %d: %s: unknown module %q", line, e.Name, e.Module)
		}
		if c.modules[mi].Source != e.Source {
			return fmt.Errorf("line %d: %s: source %q, but %s is %q", line, e.Name, e.Source, e.Module, c.modules[mi].Source)
		}
		if e.Args, err = ParseArgKind(f[3]); err != nil {
			return fmt.Errorf("line %d: %s: %w", line, e.Name, err)
		}
		if e.Override, err = ParseOverride(f[4]); err != nil {
			return fmt.Errorf("line %d: %s: %w", line, e.Name, err)
		}
		if e.Help, err = unescapeTSV(f[5]); err != nil {
			return fmt.Errorf("line %d: %s: help: %w", line, e.Name, err)
		}
		key := e.Module + "\x00" + strings.ToLower(e.Name)
		if seen[key] {
			return fmt.Errorf("line %d: %s is listed twice for %s", line, e.Name, e.Module)
		}
		seen[key] = true
		lower := strings.ToLower(e.Name)
		c.byName[lower] = append(c.byName[lower], len(c.entries))
		c.entries = append(c.entries, e)
	}
	return nil
}

// unescapeTSV undoes the escaping of a TSV field: \\, \t, \n and \r.
func unescapeTSV(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("trailing backslash")
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return b.String(), nil
}
