package directives

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/portico-proxy/portico/parser"
)

// HTTPDVersion is the httpd release whose behaviour Portico reproduces; it
// is the version <IfVersion> compares against.
const HTTPDVersion = "2.4.71"

var httpdVersion = [3]int{2, 4, 71}

// DefaultServerRoot is httpd's compiled-in ServerRoot on Debian.
const DefaultServerRoot = "/etc/apache2"

// DefaultConfigFile is the configuration file read when -f is not given,
// relative to ServerRoot.
const DefaultConfigFile = "apache2.conf"

const (
	maxIncludeDepth = 128 // AP_MAX_INCLUDE_DEPTH
	maxDirDepth     = 128 // AP_MAX_FNMATCH_DIR_DEPTH
)

// Options says what to read and how, as httpd's command line does.
type Options struct {
	// File is the main configuration file (-f); relative to ServerRoot
	// when not absolute. Empty means DefaultConfigFile.
	File string
	// ServerRoot is the initial ServerRoot (-d); empty means
	// DefaultServerRoot.
	ServerRoot string
	// Defines are the parameters of -D.
	Defines []string
	// Before are directives given with -C, read before the file.
	Before []string
	// After are directives given with -c, read after the file.
	After []string
	// Getenv looks up environment variables for ${VAR}; nil means
	// os.LookupEnv.
	Getenv func(string) (string, bool)
}

// item is a directive of the tree httpd builds while reading: the
// conditional sections and Includes are already resolved away.
type item struct {
	name    string // as written (after ${VAR} substitution), without '<'
	args    string // after substitution; for sections, up to and with the '>'
	pos     parser.Pos
	line    int          // httpd's line number
	chain   []parser.Pos // Include directives that led here
	section bool
	body    []*item
}

// loader reads files into the item tree, executing what httpd executes
// while reading (EXEC_ON_READ directives).
type loader struct {
	opts       Options
	cfg        *Config
	diags      Diagnostics
	getenv     func(string) (string, bool)
	serverRoot string
	defines    []string          // names, in order (ap_server_config_defines)
	vars       map[string]string // Define NAME value
	loaded     map[string]*LoadedModule
	depth      int
	readErr    bool
}

func (l *loader) diag(d Diagnostic) {
	if d.Severity == Error && d.Phase == ReadPhase {
		l.readErr = true
	}
	l.diags = append(l.diags, d)
}

func (l *loader) readError(pos parser.Pos, line int, chain []parser.Pos, msg string) {
	l.diag(Diagnostic{Pos: pos, Line: line, Severity: Error, Phase: ReadPhase, Msg: msg, Chain: chain})
}

func (l *loader) defined(name string) bool {
	for _, d := range l.defines {
		if d == name {
			return true
		}
	}
	return false
}

func (l *loader) define(name, value string, hasValue bool) {
	if !l.defined(name) {
		l.defines = append(l.defines, name)
	}
	if hasValue {
		l.vars[name] = value
	}
}

func (l *loader) undefine(name string) {
	for i, d := range l.defines {
		if d == name {
			// httpd moves the last name into the freed slot.
			last := len(l.defines) - 1
			l.defines[i] = l.defines[last]
			l.defines = l.defines[:last]
			break
		}
	}
	delete(l.vars, name)
}

// resolveEnv substitutes ${NAME} in a logical line as ap_resolve_env
// does: from Define first, then the environment; an unknown name stays
// as written, with warning AH00111 unless it contains ':'.
func (l *loader) resolveEnv(s string, pos parser.Pos, line int, chain []parser.Pos) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			break
		}
		name := s[i+2 : i+2+j]
		b.WriteString(s[:i])
		if v, ok := l.vars[name]; ok {
			b.WriteString(v)
		} else if v, ok := l.getenv(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+3+j])
			if !strings.Contains(name, ":") {
				l.diag(Diagnostic{Pos: pos, Line: line, Severity: Warning, Phase: ReadPhase,
					Code: "AH00111", Module: "core", Chain: chain,
					Msg: fmt.Sprintf("Config variable ${%s} is not defined", name)})
			}
		}
		s = s[i+3+j:]
	}
	b.WriteString(s)
	return b.String()
}

// serverRootRelative resolves a path against ServerRoot.
func (l *loader) serverRootRelative(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(l.serverRoot, p)
}

// readFile parses one file and reads its nodes. It returns httpd's
// message when the file cannot be opened.
func (l *loader) readFile(name string, chain []parser.Pos) ([]*item, string) {
	fi, err := os.Stat(name)
	if err == nil && !fi.Mode().IsRegular() && name != "/dev/null" {
		return nil, fmt.Sprintf("Access to file %s denied by server: not a regular file", name)
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Sprintf("Could not open configuration file %s: %s", name, errnoText(err))
	}
	f, err := parser.Parse(name, src)
	if err != nil {
		return nil, err.Error()
	}
	return l.readNodes(f.Nodes, chain), ""
}

// errnoText spells an I/O error as APR's %pm does (strerror).
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "No such file or directory"
	}
	return err.Error()
}

// readNodes reads parsed nodes in order, substituting ${VAR} and executing
// the directives httpd executes while reading.
func (l *loader) readNodes(nodes []parser.Node, chain []parser.Pos) []*item {
	var out []*item
	suppress := map[parser.Pos]bool{}
	for i := 0; i < len(nodes); i++ {
		switch n := nodes[i].(type) {
		case *parser.BadNode:
			if n.Related.IsValid() && suppress[n.Related] {
				continue
			}
			if isUnclosed(n) {
				i += l.unclosed(nodes[i:], chain) - 1
				continue
			}
			l.readError(n.Pos, n.Pos.Line, chain, l.respell(n))
		case *parser.Directive:
			out = append(out, l.readDirective(n, nil, chain, suppress)...)
		case *parser.Section:
			out = append(out, l.readDirective(&n.Directive, n, chain, suppress)...)
		}
	}
	return out
}

// isUnclosed reports whether n is the parser's "<X> was not closed.".
func isUnclosed(n *parser.BadNode) bool {
	return n.Section != "" && strings.HasSuffix(n.Msg, "> was not closed.")
}

// unclosed reports the sections a file leaves open, which the parser puts
// at the head of nodes, innermost first, one BadNode each, and returns how
// many nodes it used. httpd makes one error of them, at the line of the
// outermost: each "FILE:LINE: <X> was not closed." on a line of its own.
func (l *loader) unclosed(nodes []parser.Node, chain []parser.Pos) int {
	var msg strings.Builder
	var last *parser.BadNode
	n := 0
	for _, node := range nodes {
		b, ok := node.(*parser.BadNode)
		if !ok || !isUnclosed(b) {
			break
		}
		if msg.Len() > 0 {
			msg.WriteByte('\n')
		}
		fmt.Fprintf(&msg, "%s:%d: %s", b.Pos.File, b.Pos.Line, l.respell(b))
		last = b
		n++
	}
	l.readError(last.Pos, last.Pos.Line, chain, msg.String())
	return n
}

// respell returns the message of a structural error with the open
// section's name spelled as httpd spells it: as its module registered it
// when the section is a known directive ("<Location>" for a "<location"
// left open), as written otherwise.
func (l *loader) respell(b *parser.BadNode) string {
	if b.Section == "" {
		return b.Msg
	}
	spec := l.spec("<" + b.Section)
	if spec == nil {
		return b.Msg
	}
	return strings.Replace(b.Msg, b.Section+">", spec.Name[1:]+">", 1)
}

func (l *loader) readDirective(d *parser.Directive, sec *parser.Section, chain []parser.Pos, suppress map[parser.Pos]bool) []*item {
	raw := l.resolveEnv(d.Raw, d.Pos, d.EndLine, chain)
	name, args := parser.SplitDirective(raw)
	if sec != nil {
		name = strings.TrimPrefix(name, "<")
	}
	it := &item{name: name, args: args, pos: d.Pos, line: d.EndLine, chain: chain, section: sec != nil}
	lookup := name
	if sec != nil {
		lookup = "<" + name
	}
	if spec := l.spec(lookup); spec != nil && spec.Override&ExecOnRead != 0 {
		return l.execOnRead(spec, it, sec, suppress)
	}
	if sec != nil {
		it.body = l.readNodes(sec.Body, chain)
	}
	return []*item{it}
}

// spec finds the definition of a directive among the loaded modules.
func (l *loader) spec(name string) *Spec {
	for _, s := range Specs(name) {
		if l.moduleLoaded(s.Module) {
			return s
		}
	}
	return nil
}

func (l *loader) moduleLoaded(id string) bool {
	_, ok := l.loaded[id]
	return ok
}

// execOnRead runs a directive flagged EXEC_ON_READ and returns the items
// it puts in its place (an Include's files, a true section's body).
func (l *loader) execOnRead(spec *Spec, it *item, sec *parser.Section, suppress map[parser.Pos]bool) []*item {
	fail := func(msg string) []*item {
		l.readError(it.pos, it.line, it.chain, msg)
		return nil
	}
	words, errMsg := splitArgs(spec, it.args)
	if errMsg != "" {
		return fail(errMsg)
	}
	switch strings.ToLower(spec.Name) {
	case "include", "includeoptional":
		return l.include(it, words[0], strings.EqualFold(spec.Name, "IncludeOptional"))
	case "define":
		if strings.Contains(words[0], ":") {
			return fail("Variable name must not contain ':'")
		}
		l.define(words[0], valueAt(words, 1), len(words) > 1)
	case "undefine":
		if strings.Contains(words[0], ":") {
			return fail("Variable name must not contain ':'")
		}
		l.undefine(words[0])
	case "serverroot":
		p := words[0]
		if !filepath.IsAbs(p) {
			wd, _ := os.Getwd()
			p = filepath.Join(wd, p)
		}
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			return fail("ServerRoot must be a valid directory")
		}
		l.serverRoot = filepath.Clean(p)
		l.cfg.ServerRoot = l.serverRoot
	case "loadmodule":
		if msg := l.loadModule(words[0], words[1], it); msg != "" {
			return fail(msg)
		}
	case "defaultruntimedir":
		dir := l.serverRootRelative(words[0])
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fail("DefaultRuntimeDir must be a valid directory, absolute or relative to ServerRoot")
		}
		l.cfg.Global.DefaultRuntimeDir = dir
	case "loadfile":
		// Libraries for modules; nothing for Portico to load.
	case "<ifmodule", "<ifdefine", "<iffile", "<ifdirective", "<ifsection", "<ifversion":
		return l.conditional(spec, it, sec, words, suppress)
	default:
		if sec != nil {
			// An EXEC_ON_READ section Portico has no meaning for
			// (<Macro>, mod_lua's hooks …): its body is kept out.
			l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Warning, Phase: ReadPhase,
				Code: "unsupported", Chain: it.chain,
				Msg: fmt.Sprintf("<%s> is not supported by Portico; its content is ignored", it.name)})
			return nil
		}
		l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Warning, Phase: ReadPhase,
			Code: "unsupported", Chain: it.chain,
			Msg: fmt.Sprintf("%s is not supported by Portico and has no effect", spec.Name)})
	}
	return nil
}

func valueAt(words []string, i int) string {
	if i < len(words) {
		return words[i]
	}
	return ""
}

// conditional decides an <IfX> section and reads its body when it holds.
func (l *loader) conditional(spec *Spec, it *item, sec *parser.Section, words []string, suppress map[parser.Pos]bool) []*item {
	fail := func(msg string) []*item {
		l.readError(it.pos, it.line, it.chain, msg)
		return nil
	}
	cond, msg := l.evalCondition(spec, it.args)
	if msg != "" {
		return fail(msg)
	}
	if sec == nil {
		return nil
	}
	if cond {
		return l.readNodes(sec.Body, it.chain)
	}
	// A false branch is skipped unread; httpd still checks that its
	// sections nest, and reports trouble at the line of the <IfX>.
	if !sec.End.IsValid() {
		suppress[sec.Pos] = true
		return fail(fmt.Sprintf("Expected </%s> before end of configuration", spec.Name[1:]))
	}
	if bad := firstBadNode(sec.Body); bad != nil {
		return fail(bad.Msg)
	}
	return nil
}

func firstBadNode(nodes []parser.Node) *parser.BadNode {
	for _, n := range nodes {
		switch n := n.(type) {
		case *parser.BadNode:
			return n
		case *parser.Section:
			if b := firstBadNode(n.Body); b != nil {
				return b
			}
		}
	}
	return nil
}

// evalCondition tests an <IfX> argument. args is the raw section
// argument text, with its closing '>'.
func (l *loader) evalCondition(spec *Spec, args string) (bool, string) {
	name := spec.Name
	if strings.EqualFold(name, "<IfVersion") {
		return l.ifVersion(spec, args)
	}
	end := strings.LastIndexByte(args, '>')
	if end < 0 {
		return false, name + "> directive missing closing '>'"
	}
	arg := args[:end]
	not := strings.HasPrefix(arg, "!")
	if not {
		arg = arg[1:]
	}
	word, _ := parser.GetWord(arg)
	if word == "" {
		return false, name + "> directive requires additional arguments"
	}
	var result bool
	switch strings.ToLower(name) {
	case "<ifmodule":
		result = l.moduleBySourceOrID(word)
	case "<ifdefine":
		result = l.defined(word)
	case "<iffile":
		_, err := os.Stat(l.serverRootRelative(word))
		result = err == nil
	case "<ifdirective":
		result = l.spec(word) != nil
	case "<ifsection":
		result = l.spec("<"+word) != nil
	}
	return result != not, ""
}

// moduleBySourceOrID is httpd's find_module: a loaded module whose source
// name ("mod_proxy.c") or identifier ("proxy_module") is exactly name.
func (l *loader) moduleBySourceOrID(name string) bool {
	for _, m := range l.loaded {
		if m.Source == name || m.ID == name {
			return true
		}
	}
	return false
}

// ifVersion evaluates <IfVersion [[!]op] version>.
func (l *loader) ifVersion(spec *Spec, args string) (bool, string) {
	words, msg := splitArgs(spec, args)
	if msg != "" {
		return false, msg
	}
	arg1, arg2, arg3 := words[0], valueAt(words, 1), valueAt(words, 2)
	has3 := len(words) > 2
	if len(words) == 1 {
		arg2, arg1 = arg1, "="
	}
	if !has3 && arg2 == ">" {
		arg3, has3, arg2, arg1 = ">", true, arg1, "="
	}
	closing := has3 && arg3 == ">"
	if arg2 == "" || (!closing && !strings.HasSuffix(arg2, ">")) {
		return false, spec.Name + "> directive missing closing '>'"
	}
	ver := arg2
	if !closing {
		ver = arg2[:len(arg2)-1]
	}
	p := arg1
	reverse := false
	if strings.HasPrefix(p, "!") {
		reverse = true
		if len(p) > 1 {
			p = p[1:]
		}
	}
	c, rest := p[0], p[1:]
	if !(rest == "" || (rest == "=" && c != '~')) {
		return false, "unrecognized operator '" + arg1 + "'"
	}
	var match bool
	switch c {
	case '=', '~':
		if c == '=' && !strings.HasPrefix(ver, "/") {
			cmp, ok := compareVersion(ver)
			if !ok {
				return false, versionError
			}
			match = cmp == 0
			break
		}
		if c == '=' {
			if len(ver) < 2 || !strings.HasSuffix(ver, "/") {
				return false, "Missing delimiting / of regular expression."
			}
			ver = ver[1 : len(ver)-1]
		}
		re, err := compileRegex(ver, false)
		if err != nil {
			return false, "Unable to compile regular expression"
		}
		match = re.MatchString(HTTPDVersion)
	case '<', '>':
		cmp, ok := compareVersion(ver)
		if !ok {
			return false, versionError
		}
		if c == '<' {
			match = cmp == -1 || (rest != "" && cmp == 0)
		} else {
			match = cmp == 1 || (rest != "" && cmp == 0)
		}
	default:
		return false, "unrecognized operator '" + arg1 + "'"
	}
	return match != reverse, ""
}

const versionError = "Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers."

// compareVersion compares Portico's httpd version with v
// ("major[.minor[.patch]]"): 1 if ours is newer, -1 if older, 0 if equal.
func compareVersion(v string) (int, bool) {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, false
	}
	parts := strings.SplitN(v, ".", 4)
	if len(parts) > 3 {
		return 0, false
	}
	var got [3]int
	for i, p := range parts {
		if p == "" && i < len(parts)-1 {
			return 0, false
		}
		n := 0
		for _, r := range p {
			if r < '0' || r > '9' {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		got[i] = n
	}
	for i := range 3 {
		if httpdVersion[i] > got[i] {
			return 1, true
		}
		if httpdVersion[i] < got[i] {
			return -1, true
		}
	}
	return 0, true
}

// include reads the files an Include names, in httpd's order.
func (l *loader) include(it *item, name string, optional bool) []*item {
	l.depth++
	defer func() { l.depth-- }()
	if l.depth > maxIncludeDepth {
		l.readError(it.pos, it.line, it.chain, fmt.Sprintf("Exceeded maximum include depth of %d, There appears to be a recursion.", maxIncludeDepth))
		return nil
	}
	path := l.serverRootRelative(name)
	if strings.HasSuffix(name, "/") && path != "/" {
		path += "/"
	}
	w := &includeWalk{l: l, optional: optional, chain: append(append([]parser.Pos(nil), it.chain...), parser.Pos{File: it.pos.File, Line: it.line})}
	var msg string
	if !hasWildcard(path) {
		msg = w.noMatch(path)
	} else {
		msg = w.match("/", strings.TrimPrefix(path, "/"))
	}
	if msg != "" {
		l.readError(it.pos, it.line, it.chain, msg)
	}
	return w.items
}

type includeWalk struct {
	l        *loader
	optional bool
	chain    []parser.Pos
	items    []*item
	depth    int
}

const includePrefix = "Include/IncludeOptional: "

// noMatch includes a path without wildcards: a file, or a directory
// with everything in it, recursively, sorted.
func (w *includeWalk) noMatch(path string) string {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		w.depth++
		if w.depth > maxDirDepth {
			return fmt.Sprintf("%sDirectory '%s' exceeds the maximum include directory nesting level of %d. You have probably a recursion somewhere.", includePrefix, path, maxDirDepth)
		}
		names, err := readDirNames(path)
		if err != nil {
			return fmt.Sprintf("%sCould not open directory %s: %s", includePrefix, path, errnoText(err))
		}
		for _, n := range names {
			if msg := w.noMatch(joinPath(path, n)); msg != "" {
				return msg
			}
		}
		w.depth--
		return ""
	} else if w.optional && err != nil {
		return ""
	}
	items, msg := w.l.readFile(path, w.chain)
	w.items = append(w.items, items...)
	return msg
}

// match walks a wildcard path one segment at a time, as ap_dir_fnmatch.
func (w *includeWalk) match(dir, rest string) string {
	seg, after, more := strings.Cut(rest, "/")
	if !hasWildcard(seg) {
		p := joinPath(dir, seg)
		if !more {
			return w.noMatch(p)
		}
		return w.match(p, after)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if w.optional && errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		return fmt.Sprintf("%sCould not open directory %s: %s", includePrefix, dir, errnoText(err))
	}
	var cands []string
	for _, e := range entries {
		if !fnmatch(seg, e.Name()) {
			continue
		}
		if more && !e.IsDir() {
			continue
		}
		cands = append(cands, e.Name())
	}
	sort.Strings(cands)
	if len(cands) == 0 {
		if !w.optional {
			return fmt.Sprintf("%sNo matches for the wildcard '%s' in '%s', failing", includePrefix, seg, dir)
		}
		return ""
	}
	for _, c := range cands {
		var msg string
		if !more {
			msg = w.noMatch(joinPath(dir, c))
		} else {
			msg = w.match(joinPath(dir, c), after)
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// loadModule records a LoadModule. Portico never loads the shared
// object: the identifier names one of the modules it knows.
func (l *loader) loadModule(id, path string, it *item) string {
	if _, ok := l.loaded[id]; ok {
		l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Warning, Phase: ReadPhase, Code: "AH01574",
			Module: "so", Chain: it.chain, Msg: fmt.Sprintf("module %s is already loaded, skipping", id)})
		return ""
	}
	info, ok := LookupModule(id)
	if ok && info.Builtin {
		return "module " + id + " is built-in and can't be loaded"
	}
	m := &LoadedModule{ID: id, Path: l.serverRootRelative(path), Pos: it.pos}
	if !ok {
		l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Warning, Phase: ReadPhase, Code: "unknown-module",
			Chain: it.chain, Msg: fmt.Sprintf("module %s is not known to Portico: its directives are unknown and <IfModule %s> is false", id, id)})
		return ""
	}
	m.Source = info.Source
	m.Implemented = moduleImplemented(id)
	if !m.Implemented {
		l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Note, Phase: ReadPhase, Code: "ignored-module",
			Chain: it.chain, Msg: fmt.Sprintf("module %s has no function in Portico: its directives are accepted and ignored", id)})
	}
	l.loaded[id] = m
	l.cfg.Modules = append(l.cfg.Modules, *m)
	return ""
}
