package directives

import (
	"fmt"
	"strings"
)

// Lint returns Portico's own findings about a configuration: what httpd
// accepts silently but a user migrating should know.
func Lint(cfg *Config) Diagnostics {
	if cfg == nil {
		return nil
	}
	var out Diagnostics
	for _, ig := range cfg.Ignored {
		times := ""
		if ig.Count > 1 {
			times = fmt.Sprintf(" (%d times)", ig.Count)
		}
		out = append(out, Diagnostic{Pos: ig.Pos, Severity: Note, Phase: CheckPhase, Code: "ignored",
			Msg: fmt.Sprintf("%s (%s) is accepted and has no effect in Portico%s", ig.Name, ig.Module, times)})
	}
	servers := append([]*Server{cfg.Main}, cfg.VirtualHosts...)
	for _, s := range servers {
		out = append(out, lintRoutes(cfg, s)...)
		out = append(out, lintRewrite(cfg, s)...)
		for _, b := range s.Proxy.Balancers {
			if len(b.Members) == 0 {
				out = append(out, Diagnostic{Pos: b.Pos, Severity: Warning, Phase: CheckPhase, Code: "empty-balancer",
					Msg: fmt.Sprintf("balancer %s has no BalancerMember: every request routed to it fails with 503", b.Name)})
			}
		}
	}
	return out
}

// lintRoutes reports on one server's own ProxyPass rules; rules it
// inherits are reported with the server that wrote them.
func lintRoutes(cfg *Config, s *Server) Diagnostics {
	var out Diagnostics
	add := func(r *Route, sev Severity, code, format string, args ...any) {
		out = append(out, Diagnostic{Pos: r.Pos, Severity: sev, Phase: CheckPhase, Code: code, Msg: fmt.Sprintf(format, args...)})
	}
	table := cfg.RouteTable(s)
	for i, e := range table {
		if e.Inherited || e.Rule != nil {
			continue
		}
		r := e.Route
		if e.Stage == "server" {
			for _, prev := range table[:i] {
				earlier := prev.Route
				if earlier == nil {
					continue
				}
				if prev.Stage != "server" || earlier == nil || !shadows(earlier, r) {
					continue
				}
				where := fmt.Sprintf("line %d", earlier.Pos.Line)
				if prev.Inherited {
					where = fmt.Sprintf("%s:%d, in the main server, whose routes come first", earlier.Pos.File, earlier.Pos.Line)
				}
				d := Diagnostic{Pos: r.Pos, Severity: Warning, Phase: CheckPhase, Code: "shadowed-route", Related: earlier.Pos,
					Msg: fmt.Sprintf("%s %s is never used: the earlier %s %s (%s) matches every path it matches, and httpd takes the first match",
						r.Directive, r.Path, earlier.Directive, earlier.Path, where)}
				if r.Exclude {
					d.Msg += "; put exclusions (!) before the broader ProxyPass"
				}
				out = append(out, d)
				break
			}
		}
		if r.Exclude {
			continue
		}
		if r.Regex != nil && cannotMatchPath(r.Path) {
			add(r, Warning, "regex-cannot-match", "%s pattern %q can never match: the path it is matched against always starts with '/'", r.Directive, r.Path)
		}
		if r.Regex == nil && r.Section == nil {
			pathSlash := strings.HasSuffix(r.Path, "/")
			urlSlash := strings.HasSuffix(urlPath(r.URL), "/")
			switch {
			case !pathSlash && urlSlash:
				add(r, Warning, "trailing-slash", "ProxyPass %s has no trailing slash but %s has one: %s/x goes to %s/x (a double slash); write both with a slash or both without",
					r.Path, r.URL, r.Path, r.URL)
			case pathSlash && !urlSlash && urlPath(r.URL) != "":
				add(r, Warning, "trailing-slash", "ProxyPass %s ends with a slash but %s does not: %sx goes to %sx (segments run together) and %s itself is not matched; write both with a slash or both without",
					r.Path, r.URL, r.Path, r.URL, strings.TrimSuffix(r.Path, "/"))
			}
		}
		scheme := routeScheme(r)
		switch scheme {
		case "ws", "wss":
			if !cfg.moduleLoaded("proxy_wstunnel_module") && !cfg.moduleLoaded("proxy_http_module") {
				add(r, Error, "no-scheme-handler", "%s routes to %s://, but neither mod_proxy_wstunnel nor mod_proxy_http is loaded: httpd answers 500", r.Directive, scheme)
			} else if !cfg.moduleLoaded("proxy_wstunnel_module") {
				add(r, Note, "ws-without-wstunnel", "%s routes to %s:// without mod_proxy_wstunnel: mod_proxy_http tunnels the upgrade (httpd 2.4.47 and later)", r.Directive, scheme)
			}
		case "http", "https":
			if !cfg.moduleLoaded("proxy_http_module") {
				add(r, Error, "no-scheme-handler", "%s routes to %s://, but mod_proxy_http is not loaded: httpd answers 500", r.Directive, scheme)
			}
		}
		if r.Worker != nil && r.Worker.Upgrade.Set {
			switch up := r.Worker.Upgrade.Val; {
			case up == "*":
				add(r, Warning, "upgrade-any", "upgrade=ANY lets a client switch this route to any protocol it names in Upgrade (h2c included), not only WebSocket")
			case strings.EqualFold(up, "NONE"):
				add(r, Note, "upgrade-none", "upgrade=NONE only means \"send no Upgrade header\" on mod_proxy_wstunnel's own path (ProxyWebsocketFallbackToProxyHttp Off); through mod_proxy_http, the default, NONE is the name of a protocol no client asks for, so no upgrade is tunnelled on this route")
			}
		}
		if r.Shared && len(r.Ignored) > 0 {
			add(r, Warning, "ignored-params", "the parameters of this %s are ignored: its URL falls under the worker %s defined at line %d, whose parameters apply",
				r.Directive, r.Worker.Name, r.Worker.Pos.Line)
		}
	}
	return out
}

// shadows reports whether the earlier server-level route matches every
// path the later prefix route matches.
func shadows(earlier, later *Route) bool {
	if earlier.Regex != nil || later.Regex != nil {
		return false
	}
	return prefixCovers(earlier.Path, later.Path)
}

// prefixCovers reports whether every path matching the prefix b also
// matches the prefix a, as httpd's alias_match compares them: runs of
// '/' count as one, and a prefix not ending in '/' matches only whole
// segments ("/app" matches "/app" and "/app/x", not "/apple").
func prefixCovers(a, b string) bool {
	na, nb := collapseSlashes(a), collapseSlashes(b)
	if !strings.HasPrefix(nb, na) {
		return false
	}
	return strings.HasSuffix(na, "/") || len(nb) == len(na) || nb[len(na)] == '/'
}

func collapseSlashes(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && i > 0 && s[i-1] == '/' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cannotMatchPath reports whether an anchored pattern demands a first
// character other than '/', which no request path has.
func cannotMatchPath(p string) bool {
	if !strings.HasPrefix(p, "^") || len(p) < 2 {
		return false
	}
	c := p[1]
	if strings.IndexByte(`/\.[(|?*+{^$`, c) >= 0 {
		return false
	}
	return true
}

// urlPath is the path of an absolute URL ("" when it has none).
func urlPath(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[j:]
	}
	return ""
}

// routeScheme is the lower-cased scheme of a route's URL; for a balancer,
// that of its first member.
func routeScheme(r *Route) string {
	u := r.URL
	if r.Balancer != nil && len(r.Balancer.Members) > 0 {
		u = r.Balancer.Members[0].URL
	}
	if i := strings.Index(u, "://"); i > 0 {
		return strings.ToLower(u[:i])
	}
	return ""
}

// moduleLoaded reports whether the module is in force in the finished
// configuration.
func (cfg *Config) moduleLoaded(id string) bool {
	for _, m := range cfg.Modules {
		if m.ID == id {
			return true
		}
	}
	return false
}

// lintRewrite reports on the RewriteRules and RewriteConds of a server
// and its sections.
func lintRewrite(cfg *Config, s *Server) Diagnostics {
	var out Diagnostics
	confs := []*RewriteConf{s.Rewrite}
	for _, sec := range s.Sections {
		confs = append(confs, sec.Dir.Rewrite)
	}
	for _, rw := range confs {
		if rw == nil {
			continue
		}
		for _, r := range rw.Rules {
			if r.Flags.Bits&RuleProxy != 0 && !cfg.moduleLoaded("proxy_module") {
				out = append(out, Diagnostic{Pos: r.Pos, Severity: Warning, Phase: CheckPhase, Code: "proxy-flag-without-mod-proxy",
					Msg: "RewriteRule with [P] while mod_proxy is not loaded: httpd answers every request it matches with 403 (AH00669)"})
			}
			for _, c := range r.Conds {
				if d, ok := lintUpgradeCond(c); ok {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// lintUpgradeCond spots a condition on the Connection header that only
// an exact "Upgrade" satisfies: browsers send a token list (Firefox's
// "keep-alive, Upgrade"), so the WebSocket split it guards never happens
// for them.
func lintUpgradeCond(c *RewriteCond) (Diagnostic, bool) {
	if !strings.EqualFold(strings.TrimSpace(c.Input), "%{HTTP:Connection}") || c.Negate {
		return Diagnostic{}, false
	}
	exact := false
	switch c.Kind {
	case CondStrEQ:
		exact = strings.EqualFold(c.Pattern, "upgrade")
	case CondRegex:
		p := strings.ToLower(c.Pattern)
		exact = strings.HasPrefix(p, "^") && strings.HasSuffix(p, "$") && strings.Contains(p, "upgrade")
	}
	if !exact {
		return Diagnostic{}, false
	}
	return Diagnostic{Pos: c.Pos, Severity: Warning, Phase: CheckPhase, Code: "connection-exact-match",
		Msg: fmt.Sprintf("RewriteCond %%{HTTP:Connection} %s only matches a Connection header that is exactly \"Upgrade\"; Firefox sends \"keep-alive, Upgrade\", so its WebSocket requests miss this rule: match the token instead (RewriteCond %%{HTTP:Connection} upgrade [NC])", c.Written)}, true
}
