package directives

import (
	"fmt"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// RouteEntry is one rule that can send a request of a server to a
// backend, as `portico -S` and lint list them.
type RouteEntry struct {
	// Stage is when httpd tries the rule:
	//   - "rewrite": a server-context RewriteRule with [P], run by
	//     mod_rewrite before mod_proxy looks at its routes;
	//   - "location": the one-argument ProxyPass of a <Location> (tried
	//     next, by the last matching section only);
	//   - "server": the server-level ProxyPass and ProxyPassMatch list;
	//   - "rewrite-dir": a RewriteRule with [P] in a <Location> or
	//     <Directory>, run in the fixup phase, after the routing.
	Stage string
	// Route is the ProxyPass or ProxyPassMatch; nil for a RewriteRule.
	Route *Route
	// Rule is the RewriteRule with [P]; nil for a ProxyPass.
	Rule *RewriteRule
	// Section is the section of a per-directory RewriteRule.
	Section *Section
	// Inherited is true for a main-server rule listed in a virtual
	// host: httpd puts the main server's routes ahead of the virtual
	// host's own (and its RewriteRules only with RewriteOptions
	// Inherit).
	Inherited bool
}

// Pos is the position of the rule.
func (e RouteEntry) Pos() parser.Pos {
	if e.Rule != nil {
		return e.Rule.Pos
	}
	return e.Route.Pos
}

// Describe spells the rule as written, for `portico -S`.
func (e RouteEntry) Describe() string {
	if e.Rule == nil {
		return e.Route.Describe()
	}
	r := e.Rule
	var b strings.Builder
	if e.Section != nil {
		fmt.Fprintf(&b, "<%s %s> ", e.Section.Kind, e.Section.Arg)
	}
	for _, c := range r.Conds {
		fmt.Fprintf(&b, "RewriteCond %s %s", quoteIfNeeded(c.Input), quoteIfNeeded(c.Written))
		if f := c.Flags.String(); f != "" {
			fmt.Fprintf(&b, " [%s]", f)
		}
		b.WriteString("; ")
	}
	pattern := r.Pattern
	if r.Negate {
		pattern = "!" + pattern
	}
	fmt.Fprintf(&b, "RewriteRule %s %s [%s]", quoteIfNeeded(pattern), quoteIfNeeded(r.Substitution), r.Flags.Raw)
	return b.String()
}

// Target says where the rule sends a request.
func (e RouteEntry) Target() string {
	if e.Rule == nil {
		return e.Route.Target()
	}
	return "proxy to the substituted URL " + e.Rule.Substitution
}

// RouteTable lists the proxy routes of a server in the order httpd's
// proxy_trans tries them: the <Location>/<LocationMatch> one-argument
// ProxyPass rules (the last matching section's is the one tried), then
// the main server's ProxyPass rules, then the virtual host's own.
func (cfg *Config) RouteTable(s *Server) []RouteEntry {
	var out []RouteEntry
	servers := []*Server{s}
	if s != cfg.Main {
		servers = []*Server{cfg.Main, s}
	}
	out = append(out, serverRewriteProxies(cfg, s)...)
	for _, srv := range servers {
		for _, sec := range srv.Sections {
			if r := sec.Dir.Proxy.Route; r != nil && (sec.Kind == SectionLocation || sec.Kind == SectionLocationMatch) {
				out = append(out, RouteEntry{Stage: "location", Route: r, Inherited: srv != s})
			}
		}
	}
	for _, srv := range servers {
		for _, r := range srv.Proxy.Routes {
			out = append(out, RouteEntry{Stage: "server", Route: r, Inherited: srv != s})
		}
	}
	for _, srv := range servers {
		for _, sec := range srv.Sections {
			if rw := sec.Dir.Rewrite; rw != nil && rw.Engine.Get(srv.Dir.Rewrite != nil && srv.Dir.Rewrite.Engine.Val) {
				for _, r := range rw.Rules {
					if r.Flags.Bits&RuleProxy != 0 {
						out = append(out, RouteEntry{Stage: "rewrite-dir", Rule: r, Section: sec, Inherited: srv != s})
					}
				}
			}
		}
	}
	return out
}

// serverRewriteProxies lists the server-context RewriteRules with [P] of
// s that run: s's own when its RewriteEngine is on, with the main
// server's before or after them under RewriteOptions InheritBefore or
// Inherit.
func serverRewriteProxies(cfg *Config, s *Server) []RouteEntry {
	proxies := func(rw *RewriteConf, inherited bool) []RouteEntry {
		var out []RouteEntry
		if rw == nil {
			return nil
		}
		for _, r := range rw.Rules {
			if r.Flags.Bits&RuleProxy != 0 {
				out = append(out, RouteEntry{Stage: "rewrite", Rule: r, Inherited: inherited})
			}
		}
		return out
	}
	rw := s.Rewrite
	if rw == nil || !rw.Engine.Val {
		return nil
	}
	own := proxies(rw, false)
	if s == cfg.Main {
		return own
	}
	opts := rw.Options.Val
	if cfg.Main.Rewrite != nil {
		opts |= cfg.Main.Rewrite.Options.Val & (RewriteInheritDown | RewriteInheritDownBefore)
	}
	if opts&RewriteIgnoreInherit != 0 && rw.Options.Val&(RewriteInherit|RewriteInheritBefore) == 0 {
		return own
	}
	switch {
	case opts&(RewriteInheritBefore|RewriteInheritDownBefore) != 0:
		return append(proxies(cfg.Main.Rewrite, true), own...)
	case opts&(RewriteInherit|RewriteInheritDown) != 0:
		return append(own, proxies(cfg.Main.Rewrite, true)...)
	}
	return own
}

// Describe spells the rule as a line of `portico -S`: directive, path,
// target and keywords.
func (r *Route) Describe() string {
	var b strings.Builder
	name := r.Directive
	if r.Section != nil {
		name = fmt.Sprintf("<%s %s> %s", r.Section.Kind, r.Section.Arg, r.Directive)
	}
	b.WriteString(name)
	if r.Section == nil {
		b.WriteString(" " + quoteIfNeeded(r.Path))
	}
	b.WriteString(" " + quoteIfNeeded(r.RawURL))
	for _, kw := range []struct {
		on   bool
		name string
	}{{r.NoCanon, "nocanon"}, {r.Interpolate, "interpolate"}, {r.NoQuery, "noquery"}} {
		if kw.on {
			b.WriteString(" " + kw.name)
		}
	}
	if r.Mapping != "" {
		b.WriteString(" mapping=" + r.Mapping)
	}
	for _, p := range r.Params {
		b.WriteString(" " + p.Key + "=" + p.Value)
	}
	return b.String()
}

// Target says where the rule sends a request: the backend kind and, for
// a worker, what it upgrades.
func (r *Route) Target() string {
	switch {
	case r.Exclude:
		return "not proxied"
	case r.Balancer != nil:
		return fmt.Sprintf("balancer %s (%d members)", r.Balancer.Name, len(r.Balancer.Members))
	case r.Worker != nil:
		w := r.Worker
		s := "worker " + w.Name
		if up := w.Upgrade.Val; up != "" {
			s += " upgrade=" + up
		}
		if r.Shared {
			s += " (shared)"
		}
		return s
	}
	return ""
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
