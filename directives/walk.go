package directives

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// Load reads a configuration as httpd does and builds its Config. The
// Config is nil when the diagnostics hold an error.
func Load(opts Options) (*Config, Diagnostics) {
	cfg, diags := load(opts)
	if diags.Err() != nil {
		return nil, diags
	}
	return cfg, diags
}

// LoadForLint is Load that always returns the Config built so far, for
// tools that report on a configuration with errors.
func LoadForLint(opts Options) (*Config, Diagnostics) { return load(opts) }

func load(opts Options) (*Config, Diagnostics) {
	l := &loader{
		opts:   opts,
		getenv: opts.Getenv,
		vars:   map[string]string{},
		loaded: map[string]*LoadedModule{},
	}
	if l.getenv == nil {
		l.getenv = os.LookupEnv
	}
	l.serverRoot = opts.ServerRoot
	if l.serverRoot == "" {
		l.serverRoot = DefaultServerRoot
	}
	if !filepath.IsAbs(l.serverRoot) {
		if abs, err := filepath.Abs(l.serverRoot); err == nil {
			l.serverRoot = abs
		}
	}
	l.serverRoot = filepath.Clean(l.serverRoot)
	main := newServer(parser.Pos{})
	l.cfg = &Config{ServerRoot: l.serverRoot, Main: main, Defines: map[string]string{}}
	for _, m := range Modules() {
		if m.Builtin {
			lm := &LoadedModule{ID: m.ID, Source: m.Source, Implemented: moduleImplemented(m.ID)}
			l.loaded[m.ID] = lm
			l.cfg.Modules = append(l.cfg.Modules, *lm)
		}
	}
	// Portico's own directives are always there, as a built-in module
	// that -M does not list (httpd has no such module).
	l.loaded[PorticoModule] = &LoadedModule{ID: PorticoModule, Source: "portico", Implemented: true}
	for _, d := range opts.Defines {
		l.define(d, "", false)
	}

	var items []*item
	items = append(items, l.readCommandLine(opts.Before, "-C")...)
	file := opts.File
	if file == "" {
		file = DefaultConfigFile
	}
	file = l.serverRootRelative(file)
	l.cfg.File = file
	fileItems, msg := l.readFile(file, nil)
	if msg != "" {
		// httpd prints this one without a position.
		l.readError(parser.Pos{}, 0, nil, msg)
	}
	items = append(items, fileItems...)
	items = append(items, l.readCommandLine(opts.After, "-c")...)

	for _, name := range l.defines {
		l.cfg.Defines[name] = l.vars[name]
	}
	l.cfg.DefineOrder = append([]string(nil), l.defines...)
	if !l.readErr {
		// httpd's ap_check_mpm, between reading and walking.
		switch l.mpmsLoaded() {
		case 0:
			l.diag(Diagnostic{Severity: Error, Phase: StartupPhase, Code: "AH00534", Msg: "Configuration error: No MPM loaded."})
		case 1:
		default:
			l.diag(Diagnostic{Severity: Error, Phase: StartupPhase, Code: "AH00534", Msg: "Configuration error: More than one MPM loaded."})
		}
	}
	w := &walker{l: l, cfg: l.cfg}
	w.walk(items, &walkCtx{server: main, dir: main.Dir, override: (RsrcConf | OrAll) &^ (OrAuthCfg | OrLimit)})
	w.finish()
	return l.cfg, l.diags
}

// mpmsLoaded counts the multi-processing modules loaded; httpd refuses to
// start with none, or with more than one.
func (l *loader) mpmsLoaded() int {
	n := 0
	for id := range l.loaded {
		if strings.HasPrefix(id, "mpm_") {
			n++
		}
	}
	return n
}

// readCommandLine reads -C/-c directives as a file of their own.
func (l *loader) readCommandLine(lines []string, flag string) []*item {
	if len(lines) == 0 {
		return nil
	}
	f, err := parser.Parse(flag+" directives", []byte(strings.Join(lines, "\n")+"\n"))
	if err != nil {
		l.readError(parser.Pos{}, 0, nil, err.Error())
		return nil
	}
	return l.readNodes(f.Nodes, nil)
}

// Forbid lists where a directive may not stand, for Cmd.CheckContext
// (httpd's NOT_IN_* flags).
type Forbid uint16

// Context restrictions, as httpd's ap_check_cmd_context takes them.
const (
	NotInVirtualHost Forbid = 1 << iota
	NotInLimit
	NotInDirectory
	NotInLocation
	NotInFiles
	NotInHtaccess
	NotInProxy
	NotInDirLocFile = NotInDirectory | NotInLocation | NotInFiles
	NotInDirContext = NotInLimit | NotInDirLocFile | NotInProxy
	GlobalOnly      = NotInVirtualHost | NotInDirContext
)

// walkCtx is where the walk stands: httpd's cmd_parms.
type walkCtx struct {
	server   *Server
	dir      *DirConf
	section  *Section
	parents  []*item // enclosing sections, innermost last
	override Override
	limited  bool
	path     bool // inside a directory context (cmd->path set)
}

type walker struct {
	l   *loader
	cfg *Config
}

// Cmd is one directive being built: its arguments, split as httpd splits
// them for the directive's kind, and where it stands.
type Cmd struct {
	Spec *Spec
	// Name is the directive's name as written.
	Name string
	// Pos is the position of the name.
	Pos parser.Pos
	// Args are the words: up to three for the TAKE kinds (absent ones
	// are left out), all of them for TAKE_ARGV, the current word for
	// ITERATE, the first and the current word for ITERATE2, and the
	// word as written for FLAG. RAW_ARGS directives read Raw.
	Args []string
	// On is the value of a FLAG directive.
	On bool
	// Raw is the argument text after ${VAR} substitution.
	Raw string

	w    *walker
	ctx  *walkCtx
	item *item
}

// Server is the server (main or virtual host) the directive is in.
func (c *Cmd) Server() *Server { return c.ctx.server }

// Dir is the per-directory configuration the directive sets: its
// section's, or the server level's outside any section.
func (c *Cmd) Dir() *DirConf { return c.ctx.dir }

// Section is the innermost section around the directive, nil at server
// or virtual-host level.
func (c *Cmd) Section() *Section { return c.ctx.section }

// Config is the configuration being built.
func (c *Cmd) Config() *Config { return c.w.cfg }

// InDirContext reports whether the directive is inside a <Directory>,
// <Location>, <Files>, <Proxy> or <If> section (httpd's cmd->path set).
func (c *Cmd) InDirContext() bool { return c.ctx.path }

// ModuleLoaded reports whether the module (identifier) is in force.
func (c *Cmd) ModuleLoaded(id string) bool { return c.w.l.moduleLoaded(id) }

// Line is the line httpd reports for the directive.
func (c *Cmd) Line() int { return c.item.line }

// Warn records a warning about the directive, as httpd logs it (code
// like "AH01146", module like "proxy").
func (c *Cmd) Warn(code, module, format string, args ...any) {
	c.w.l.diag(Diagnostic{Pos: c.Pos, Line: c.item.line, Severity: Warning, Phase: WalkPhase,
		Code: code, Module: module, Chain: c.item.chain, Msg: fmt.Sprintf(format, args...)})
}

// Note records a note (a lint finding that is not a problem).
func (c *Cmd) Note(code, format string, args ...any) {
	c.w.l.diag(Diagnostic{Pos: c.Pos, Line: c.item.line, Severity: Note, Phase: WalkPhase,
		Code: code, Chain: c.item.chain, Msg: fmt.Sprintf(format, args...)})
}

// CheckContext is httpd's ap_check_cmd_context: an error in httpd's
// words when the directive stands where it is forbidden.
func (c *Cmd) CheckContext(forbidden Forbid) error {
	name := c.Spec.Name
	gt := ""
	if strings.HasPrefix(name, "<") && !strings.HasSuffix(name, ">") {
		gt = ">"
	}
	if forbidden&NotInVirtualHost != 0 && c.ctx.server.Virtual {
		return errors.New(name + gt + " cannot occur within <VirtualHost> section")
	}
	if forbidden&NotInDirContext != 0 && c.ctx.limited {
		return errors.New(name + gt + " cannot occur within <Limit> or <LimitExcept> section")
	}
	if forbidden&NotInDirLocFile == NotInDirLocFile {
		if c.ctx.path {
			return errors.New(name + gt + " cannot occur within directory context")
		}
		if c.Spec.Override&ExecOnRead != 0 {
			return nil
		}
	}
	find := func(names ...string) string {
		for i := len(c.ctx.parents) - 1; i >= 0; i-- {
			for _, n := range names {
				if strings.EqualFold(c.ctx.parents[i].name, n) {
					return "<" + n
				}
			}
		}
		return ""
	}
	var found string
	if forbidden&NotInDirectory != 0 {
		found = find("Directory", "DirectoryMatch")
	}
	if found == "" && forbidden&NotInLocation != 0 {
		found = find("Location", "LocationMatch")
	}
	if found == "" && forbidden&NotInFiles != 0 {
		found = find("Files", "FilesMatch", "If", "ElseIf", "Else")
	}
	if found == "" && forbidden&NotInProxy != 0 {
		found = find("Proxy", "ProxyMatch")
	}
	if found != "" {
		return errors.New(name + gt + " cannot occur within " + found + "> section")
	}
	return nil
}

// SectionArg returns the argument text of a section directive without
// its closing '>', with httpd's errors for a missing '>' or argument.
func (c *Cmd) SectionArg() (string, error) {
	end := strings.LastIndexByte(c.Raw, '>')
	if end < 0 {
		return "", errors.New(c.Spec.Name + "> directive missing closing '>'")
	}
	arg := c.Raw[:end]
	if arg == "" {
		return "", errors.New(c.Spec.Name + "> directive requires additional arguments")
	}
	return arg, nil
}

// WalkBody builds the directives inside a section. With sec set, they go
// into a new directory context (sec.Dir), as <Directory>, <Location> and
// the other per-directory sections do; with server set (a
// <VirtualHost>), into that server. override is what the body may hold.
func (c *Cmd) WalkBody(sec *Section, server *Server, override Override) {
	ctx := *c.ctx
	ctx.parents = append(append([]*item(nil), c.ctx.parents...), c.item)
	ctx.override = override
	if server != nil {
		ctx.server = server
		ctx.dir = server.Dir
		ctx.section = nil
	}
	if sec != nil {
		if sec.Dir == nil {
			sec.Dir = newDirConf()
		}
		sec.Parent = c.ctx.section
		ctx.section = sec
		ctx.dir = sec.Dir
		ctx.path = true
	}
	c.w.walk(c.item.body, &ctx)
}

// WalkLimited builds the body of <Limit>/<LimitExcept>: the same context,
// marked as limited.
func (c *Cmd) WalkLimited() {
	ctx := *c.ctx
	ctx.parents = append(append([]*item(nil), c.ctx.parents...), c.item)
	ctx.limited = true
	c.w.walk(c.item.body, &ctx)
}

func (w *walker) walk(items []*item, ctx *walkCtx) {
	for _, it := range items {
		w.walkOne(it, ctx)
	}
}

func (w *walker) walkError(it *item, msg string) {
	w.l.diag(Diagnostic{Pos: it.pos, Line: it.line, Severity: Error, Phase: WalkPhase, Msg: msg, Chain: it.chain})
}

func (w *walker) walkOne(it *item, ctx *walkCtx) {
	lookup := it.name
	if it.section {
		lookup = "<" + it.name
	}
	spec := w.l.spec(lookup)
	if spec == nil {
		w.walkError(it, fmt.Sprintf("Invalid command '%s', perhaps misspelled or defined by a module not included in the server configuration", lookup))
		return
	}
	if ctx.override&spec.Override == 0 {
		if len(ctx.parents) > 0 {
			w.walkError(it, fmt.Sprintf("%s not allowed in <%s> context", spec.Name, parentName(ctx.parents[len(ctx.parents)-1])))
		} else {
			w.walkError(it, spec.Name+" not allowed here")
		}
		return
	}
	c := &Cmd{Spec: spec, Name: lookup, Pos: it.pos, Raw: it.args, w: w, ctx: ctx, item: it}
	if spec.Args == RawArgs {
		w.invoke(c)
		return
	}
	words, msg := splitArgs(spec, it.args)
	if msg != "" {
		w.walkError(it, msg)
		return
	}
	switch spec.Args {
	case Iterate:
		for _, word := range words {
			c.Args = []string{word}
			if !w.invoke(c) {
				return
			}
		}
	case Iterate2:
		for _, word := range words[1:] {
			c.Args = []string{words[0], word}
			if !w.invoke(c) {
				return
			}
		}
	case Flag:
		c.Args = words
		c.On = !strings.EqualFold(words[0], "off")
		w.invoke(c)
	default:
		c.Args = words
		w.invoke(c)
	}
}

func parentName(it *item) string {
	if s := Specs("<" + it.name); len(s) > 0 {
		return s[0].Name[1:]
	}
	return it.name
}

// invoke runs the directive's builder, or records it as ignored.
func (w *walker) invoke(c *Cmd) bool {
	if c.Spec.Build == nil {
		w.ignore(c)
		return true
	}
	if err := c.Spec.Build(c); err != nil {
		w.walkError(c.item, err.Error())
		return false
	}
	return true
}

// ignore records a directive Portico accepts without acting on it. The
// body of an ignored section is still checked, as httpd would walk it.
func (w *walker) ignore(c *Cmd) {
	w.cfg.noteIgnored(c.Spec, c.Pos)
	if c.item.section {
		c.WalkBody(&Section{Kind: SectionKind(c.item.name), Pos: c.Pos}, nil, OrAll|AccessConf)
	}
}

func (cfg *Config) noteIgnored(spec *Spec, pos parser.Pos) {
	for i := range cfg.Ignored {
		if cfg.Ignored[i].Name == spec.Name && cfg.Ignored[i].Module == spec.Module {
			cfg.Ignored[i].Count++
			return
		}
	}
	cfg.Ignored = append(cfg.Ignored, IgnoredDirective{Name: spec.Name, Module: spec.Module, Pos: pos, Count: 1})
}

// splitArgs splits argument text for a directive's kind, with httpd's
// errors for the wrong number of arguments.
func splitArgs(spec *Spec, args string) ([]string, string) {
	help := ""
	if spec.Help != "" {
		help = ", " + spec.Help
	}
	name := spec.Name
	take := func(max int) ([]string, string) {
		var words []string
		rest := args
		for len(words) < max && rest != "" {
			var w string
			w, rest = parser.GetWord(rest)
			words = append(words, w)
		}
		return words, rest
	}
	switch spec.Args {
	case RawArgs:
		return nil, ""
	case TakeArgv:
		var words []string
		rest := args
		for len(words) < 64 {
			var w string
			w, rest = parser.GetWord(rest)
			if w == "" && rest == "" {
				break
			}
			words = append(words, w)
			if rest == "" {
				break
			}
		}
		return words, ""
	case NoArgs:
		if args != "" {
			return nil, name + " takes no arguments"
		}
		return nil, ""
	case Take1:
		ws, rest := take(1)
		if len(ws) < 1 || ws[0] == "" || rest != "" {
			return nil, name + " takes one argument" + help
		}
		return ws, ""
	case Take2:
		ws, rest := take(2)
		if len(ws) < 2 || ws[0] == "" || ws[1] == "" || rest != "" {
			return nil, name + " takes two arguments" + help
		}
		return ws, ""
	case Take12:
		ws, rest := take(2)
		if len(ws) < 1 || ws[0] == "" || rest != "" {
			return nil, name + " takes 1-2 arguments" + help
		}
		return trimEmpty(ws), ""
	case Take3:
		ws, rest := take(3)
		if len(ws) < 3 || ws[0] == "" || ws[1] == "" || ws[2] == "" || rest != "" {
			return nil, name + " takes three arguments" + help
		}
		return ws, ""
	case Take23:
		ws, rest := take(3)
		if len(ws) < 2 || ws[0] == "" || ws[1] == "" || rest != "" {
			return nil, name + " takes two or three arguments" + help
		}
		return ws, ""
	case Take123:
		ws, rest := take(3)
		if len(ws) < 1 || ws[0] == "" || rest != "" {
			return nil, name + " takes one, two or three arguments" + help
		}
		return ws, ""
	case Take13:
		ws, rest := take(3)
		if len(ws) < 1 || ws[0] == "" || (len(ws) == 2 && ws[1] != "") || rest != "" {
			return nil, name + " takes one or three arguments" + help
		}
		return ws, ""
	case Iterate:
		ws := parser.Words(args)
		if len(ws) == 0 || ws[0] == "" {
			return nil, name + " requires at least one argument" + help
		}
		return stopAtEmpty(ws), ""
	case Iterate2:
		first, rest := parser.GetWord(args)
		if first == "" || rest == "" {
			return nil, name + " requires at least two arguments" + help
		}
		return append([]string{first}, stopAtEmpty(parser.Words(rest))...), ""
	case Flag:
		w, _ := parser.GetWord(args)
		if w == "" || (!strings.EqualFold(w, "on") && !strings.EqualFold(w, "off")) {
			return nil, name + " must be On or Off"
		}
		return []string{w}, ""
	}
	return nil, name + " is improperly configured internally (server bug)"
}

// trimEmpty drops a trailing empty word (TAKE12's absent second word).
func trimEmpty(ws []string) []string {
	if len(ws) == 2 && ws[1] == "" {
		return ws[:1]
	}
	return ws
}

// stopAtEmpty cuts the list at the first empty word: httpd's ITERATE
// loops stop there.
func stopAtEmpty(ws []string) []string {
	for i, w := range ws {
		if w == "" {
			return ws[:i]
		}
	}
	return ws
}

// compileRegex compiles a pattern from the configuration.
func compileRegex(pattern string, icase bool) (*pcre.Regexp, error) {
	var f pcre.Flags
	if icase {
		f |= pcre.IgnoreCase
	}
	return pcre.Compile(pattern, f)
}

func newServer(pos parser.Pos) *Server {
	return &Server{Pos: pos, Dir: newDirConf()}
}

func newDirConf() *DirConf { return &DirConf{} }

// finish runs what httpd does after the walk.
func (w *walker) finish() {
	if w.cfg.Main.ServerName == "" {
		w.cfg.DefaultServerName = fallbackServerName()
	}
}

// fallbackServerName is what httpd uses when no ServerName is set: the
// host name if it resolves to a fully qualified name, else its address.
func fallbackServerName() string {
	host, err := os.Hostname()
	if err != nil {
		return "127.0.0.1"
	}
	addrs, err := net.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		return "127.0.0.1"
	}
	if names, err := net.LookupAddr(addrs[0]); err == nil && len(names) > 0 {
		if n := strings.TrimSuffix(names[0], "."); strings.Contains(n, ".") {
			return n
		}
	}
	return addrs[0]
}
