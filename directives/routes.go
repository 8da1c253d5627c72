package directives

import (
	"fmt"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// RouteEntry is one rule that can send a request of a server to a
// backend, as `portico -S` and lint list them.
type RouteEntry struct {
	// Stage is when httpd tries the rule: "location" for the one-argument
	// ProxyPass of a <Location> (tried first, by the last matching
	// section), "server" for the server-level ProxyPass and
	// ProxyPassMatch list.
	Stage string
	// Route is the ProxyPass or ProxyPassMatch.
	Route *Route
	// Inherited is true for a main-server route listed in a virtual
	// host: httpd puts the main server's routes ahead of the virtual
	// host's own.
	Inherited bool
}

// Pos is the position of the rule.
func (e RouteEntry) Pos() parser.Pos { return e.Route.Pos }

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
	return out
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
