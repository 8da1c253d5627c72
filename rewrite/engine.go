package rewrite

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/expr"
)

// Request is what the engine reads of the request being rewritten. The
// server implements it.
type Request interface {
	// Var returns one of httpd's request, connection or server
	// variables by its upper-case name: REQUEST_URI (r->uri),
	// REQUEST_METHOD, THE_REQUEST, SERVER_PROTOCOL, REQUEST_SCHEME,
	// HTTPS ("on"/"off"), SERVER_NAME (as ap_get_server_name_for_url
	// gives it), SERVER_PORT, SERVER_ADDR, SERVER_ADMIN,
	// SERVER_SOFTWARE, REMOTE_ADDR, REMOTE_PORT, REMOTE_HOST,
	// REMOTE_USER, REMOTE_IDENT, AUTH_TYPE, CONN_REMOTE_ADDR, IPV6,
	// DOCUMENT_ROOT, CONTEXT_PREFIX, CONTEXT_DOCUMENT_ROOT, PATH_INFO.
	// It returns "" for a variable that is unset or unknown.
	Var(name string) string
	// Header returns a request header field (case-insensitive name);
	// several fields of one name come joined with ", ".
	Header(name string) (string, bool)
	// Env returns a request environment variable (r->subprocess_env).
	Env(name string) (string, bool)
}

// Engine evaluates one configuration's rewrite rules. It is safe for
// concurrent use.
type Engine struct {
	servers map[*directives.Server]*serverConf
	// conds holds each expr condition parsed.
	exprs map[*directives.RewriteCond]*expr.Expr
	// proxy is true when mod_proxy is loaded ([P] needs it).
	proxy bool
	// maps caches the text maps by file.
	maps *mapCache
	// active is true when some rewrite directive was written.
	active bool
}

// serverConf is one server's merged mod_rewrite server configuration
// (config_server_merge) and what URL construction needs of it.
type serverConf struct {
	srv   *directives.Server
	rules []*directives.RewriteRule
	maps  map[string]*directives.RewriteMap
	opts  directives.RewriteOption
	// names and port for ap_matches_request_vhost.
	name    string
	port    int
	aliases []string
	addrs   []directives.VHostAddr
	// limitReqLine is LimitRequestLine (rules that grow the URI past
	// twice that stop with 500).
	limitReqLine int
}

// New compiles the rewrite configuration of cfg: every server's rules
// (with the main server's merged in as RewriteOptions Inherit or
// InheritBefore ask), their expr conditions, and its maps. A map of a
// kind Portico does not run (prg, dbm, dbd, fastdbd) is an error.
func New(cfg *directives.Config) (*Engine, error) {
	e := &Engine{
		servers: map[*directives.Server]*serverConf{},
		exprs:   map[*directives.RewriteCond]*expr.Expr{},
		maps:    newMapCache(),
	}
	for _, m := range cfg.Modules {
		if m.ID == "proxy_module" {
			e.proxy = true
		}
	}
	if cfg.Main == nil {
		return e, nil
	}
	main := e.addServer(cfg, cfg.Main, nil)
	e.active = cfg.Main.Rewrite != nil || cfg.Main.Dir != nil && cfg.Main.Dir.Rewrite != nil
	for _, vh := range cfg.VirtualHosts {
		e.addServer(cfg, vh, main)
		if vh.Rewrite != nil || vh.Dir != nil && vh.Dir.Rewrite != nil {
			e.active = true
		}
	}
	for _, sc := range e.servers {
		for _, m := range sc.maps {
			if err := checkMap(m); err != nil {
				return nil, err
			}
		}
		for _, r := range sc.rules {
			if err := e.compileConds(r); err != nil {
				return nil, err
			}
		}
	}
	var secs func([]*directives.Section) error
	secs = func(ss []*directives.Section) error {
		for _, s := range ss {
			if s.Dir != nil && s.Dir.Rewrite != nil {
				e.active = true
				for _, r := range s.Dir.Rewrite.Rules {
					if err := e.compileConds(r); err != nil {
						return err
					}
				}
			}
			if err := secs(s.Nested); err != nil {
				return err
			}
		}
		return nil
	}
	for _, srv := range append([]*directives.Server{cfg.Main}, cfg.VirtualHosts...) {
		if err := secs(srv.Sections); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *Engine) compileConds(r *directives.RewriteRule) error {
	for _, c := range r.Conds {
		if c.Kind != directives.CondExpr {
			continue
		}
		if _, ok := e.exprs[c]; ok {
			continue
		}
		x, err := expr.Parse(c.Pattern)
		if err != nil {
			return fmt.Errorf("%s:%d: RewriteCond: cannot compile expression \"%s\" %v", c.Pos.File, c.Pos.Line, c.Pattern, err)
		}
		e.exprs[c] = x
	}
	return nil
}

// checkMap refuses the map kinds Portico does not evaluate.
func checkMap(m *directives.RewriteMap) error {
	switch m.Type {
	case directives.MapTxt, directives.MapRnd, directives.MapInt:
		return nil
	}
	return fmt.Errorf("%s:%d: RewriteMap %s: %s maps are not run by Portico (only txt, rnd and int maps are)", m.Pos.File, m.Pos.Line, m.Name, m.Type)
}

// addServer merges srv's configuration over main's (nil for the main
// server itself) as config_server_merge does.
func (e *Engine) addServer(cfg *directives.Config, srv *directives.Server, main *serverConf) *serverConf {
	sc := &serverConf{srv: srv, aliases: srv.ServerAlias, addrs: srv.Addrs, limitReqLine: srv.LimitRequestLine.Get(8190)}
	sc.name, sc.port = splitNamePort(srv.ServerName)
	own := srv.Rewrite
	if own == nil {
		own = &directives.RewriteConf{}
	}
	if main == nil {
		sc.name = cfg.Name(srv)
		sc.rules = own.Rules
		sc.maps = own.Maps
		sc.opts = own.Options.Val
		e.servers[srv] = sc
		return sc
	}
	if srv.ServerName == "" {
		sc.port = main.port
		sc.name = cfg.Name(srv)
	}
	if !srv.LimitRequestLine.Set {
		sc.limitReqLine = main.limitReqLine
	}
	sc.opts = main.opts
	if own.Options.Set {
		sc.opts = own.Options.Val
	}
	switch {
	case sc.opts&directives.RewriteInherit != 0 ||
		main.opts&directives.RewriteInheritDown != 0 && sc.opts&directives.RewriteIgnoreInherit == 0:
		sc.rules = concatRules(own.Rules, main.rules)
		sc.maps = overlayMaps(main.maps, own.Maps)
	case sc.opts&directives.RewriteInheritBefore != 0 ||
		main.opts&directives.RewriteInheritDownBefore != 0 && sc.opts&directives.RewriteIgnoreInherit == 0:
		sc.rules = concatRules(main.rules, own.Rules)
		// apr_hash_overlay(base, overrides): the main server's maps win.
		sc.maps = overlayMaps(own.Maps, main.maps)
	default:
		sc.rules = own.Rules
		sc.maps = own.Maps
	}
	e.servers[srv] = sc
	return sc
}

func concatRules(a, b []*directives.RewriteRule) []*directives.RewriteRule {
	out := make([]*directives.RewriteRule, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// overlayMaps returns base's maps with over's replacing those of the
// same name.
func overlayMaps(base, over map[string]*directives.RewriteMap) map[string]*directives.RewriteMap {
	out := make(map[string]*directives.RewriteMap, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// splitNamePort splits a ServerName "[scheme://]host[:port]".
func splitNamePort(name string) (string, int) {
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[i+3:]
	}
	if strings.HasSuffix(name, "]") {
		return name, 0
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		p, _ := strconv.Atoi(name[i+1:])
		return name[:i], p
	}
	return name, 0
}

// Rules returns the server rules in force for srv (its own, with the
// main server's merged in when RewriteOptions asks), in the order they
// are tried.
func (e *Engine) Rules(srv *directives.Server) []*directives.RewriteRule {
	if sc := e.servers[srv]; sc != nil {
		return sc.rules
	}
	return nil
}

// matchesVHost is ap_matches_request_vhost: host:port names the server
// itself (a <VirtualHost> address written as that name, or, on the
// ServerName's port, its ServerName or a ServerAlias).
func (sc *serverConf) matchesVHost(host string, port int) bool {
	for _, a := range sc.addrs {
		ap, _ := strconv.Atoi(a.Port)
		if (a.Port == "" || a.Port == "*" || ap == port) && strings.EqualFold(host, a.Host) {
			return true
		}
	}
	if port != sc.port {
		return false
	}
	if strings.EqualFold(host, sc.name) {
		return true
	}
	for _, a := range sc.aliases {
		if strings.ContainsAny(a, "*?") {
			if wildMatchFold(a, host) {
				return true
			}
		} else if strings.EqualFold(host, a) {
			return true
		}
	}
	return false
}

// wildMatchFold is ap_strcasecmp_match: '*' matches any run, '?' any
// one character, case-insensitively.
func wildMatchFold(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildMatchFold(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildMatchFold(pat[1:], s[1:])
	}
	return s != "" && lower(s[0]) == lower(pat[0]) && wildMatchFold(pat[1:], s[1:])
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Active reports whether any server or section of the configuration
// has mod_rewrite directives; when not, no pass needs to run.
func (e *Engine) Active() bool { return e.active }
