package proxy

import (
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// Router holds one server's ProxyPass and ProxyPassMatch table and the
// workers its backend URLs are looked up in, built once from the
// configuration and read concurrently by every request.
type Router struct {
	// routes is httpd's merged alias list: the main server's routes,
	// then the virtual host's own, in config order.
	routes []*directives.Route
	// workers is the merged worker list FindWorker searches.
	workers []*directives.Worker
	// hasEncoded is true when some route has mapping=encoded (httpd's
	// map_encoded_one); allEncoded when every route has (map_encoded_all).
	hasEncoded, allEncoded bool
	// balancers is the merged balancer list (ProxyPassReverse to a
	// balancer:// URL maps its members' URLs).
	balancers []*directives.Balancer
	// srv holds the server-level settings in force.
	srv routerServer
	// tls holds the SSLProxy* settings for https:// and wss:// (tls.go).
	tls *tlsRoutes
}

// routerServer is the server-level mod_proxy configuration of the
// router's server: its own value, else the main server's, else httpd's
// default.
type routerServer struct {
	via          directives.ViaMode
	maxForwards  int64
	timeout      time.Duration // ProxyTimeout; 0 when unset
	ioBufferSize int
}

// balancer returns the balancer a balancer:// URL names, or nil.
func (rt *Router) balancer(url string) *directives.Balancer {
	rest := url[len("balancer://"):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	key := "balancer://" + strings.ToLower(rest)
	for _, b := range rt.balancers {
		if b.Name == key {
			return b
		}
	}
	return nil
}

// NewRouter builds the router of server srv; main is the main server and
// srv either main itself or one of its virtual hosts. Routes are merged
// as httpd's merge_proxy_config does: the main server's first, whatever
// ProxyPassInherit says; workers are inherited unless both
// ProxyPassInherit and BalancerInherit are Off.
func NewRouter(main, srv *directives.Server) *Router {
	rt := &Router{tls: newTLSRoutes(main, srv)}
	if srv == nil || srv == main {
		rt.routes = append(rt.routes, main.Proxy.Routes...)
		rt.workers = append(rt.workers, main.Proxy.Workers...)
		rt.balancers = append(rt.balancers, main.Proxy.Balancers...)
		srv = main
	} else {
		rt.routes = append(append(rt.routes, main.Proxy.Routes...), srv.Proxy.Routes...)
		inherit := srv.Proxy.BalancerInherit.Get(main.Proxy.BalancerInherit.Get(true))
		ppinherit := srv.Proxy.PassInherit.Get(main.Proxy.PassInherit.Get(true))
		if inherit || ppinherit {
			rt.workers = append(rt.workers, main.Proxy.Workers...)
			rt.balancers = append(rt.balancers, main.Proxy.Balancers...)
		}
		rt.workers = append(rt.workers, srv.Proxy.Workers...)
		rt.balancers = append(rt.balancers, srv.Proxy.Balancers...)
	}
	mp, sp := &main.Proxy, &srv.Proxy
	rt.srv.via = sp.Via.Get(mp.Via.Get(directives.ViaOff))
	rt.srv.maxForwards = sp.MaxForwards.Get(mp.MaxForwards.Get(-1))
	rt.srv.timeout = sp.Timeout.Get(mp.Timeout.Get(0))
	rt.srv.ioBufferSize = sp.IOBufferSize.Get(mp.IOBufferSize.Get(8192))
	rt.allEncoded = len(rt.routes) > 0
	for _, r := range rt.routes {
		if r.Mapping == "encoded" {
			rt.hasEncoded = true
		} else {
			rt.allEncoded = false
		}
	}
	return rt
}

// Routes returns the merged route table in the order it is tried.
func (rt *Router) Routes() []*directives.Route { return rt.routes }

// Phase says at which point of the request the table is consulted.
type Phase uint8

const (
	// PhaseTranslate is httpd's translate_name: the URI is decoded and
	// normalised; routes without mapping=encoded are tried.
	PhaseTranslate Phase = iota
	// PhasePreTranslate is httpd's pre_translate_name: the URI is still
	// %-encoded; only mapping=encoded routes are tried.
	PhasePreTranslate
)

// RouteRequest is what routing reads of a request.
type RouteRequest struct {
	// URI is httpd's r->uri: the path, decoded and normalised for
	// PhaseTranslate, still encoded for PhasePreTranslate; no query.
	URI string
	// RawURI is r->unparsed_uri: the request-target as received, with
	// its query string (used by nocanon routes).
	RawURI string
	// Location is the one-argument ProxyPass of the merged <Location>
	// sections (the last matching section's), nil when none.
	Location *directives.Route
	// InterpolateEnv is the merged ProxyPassInterpolateEnv.
	InterpolateEnv bool
	// Env looks up a request environment variable (r->subprocess_env);
	// nil means none is set.
	Env func(name string) (string, bool)
	// SkipWebSocket makes routes to ws:// and wss:// URLs pass the
	// request on to the next route, as mod_proxy_wstunnel does for a
	// request without Upgrade under ProxyWebsocketFallbackToProxyHttp
	// Off.
	SkipWebSocket bool
}

func (in *RouteRequest) env(name string) (string, bool) {
	if in.Env == nil {
		return "", false
	}
	return in.Env(name)
}

// Outcome says how routing ended.
type Outcome uint8

// Routing outcomes.
const (
	// NoMatch: no route matched; the request is not proxied.
	NoMatch Outcome = iota
	// Proxied: a route matched; Match.URL is the backend URL.
	Proxied
	// Excluded: a "!" route matched; the request is not proxied and no
	// later route was tried.
	Excluded
	// Declined: the request is never proxied (no-proxy set, "*", or a
	// URI not starting with '/').
	Declined
)

var outcomeNames = [...]string{"no match", "proxied", "excluded", "declined"}

func (o Outcome) String() string { return outcomeNames[o] }

// Match is the result of routing one request.
type Match struct {
	Outcome Outcome
	// Route is the route that decided (Proxied or Excluded).
	Route *directives.Route
	// Index is Route's position in Router.Routes, or -1 for the
	// <Location> route.
	Index int
	// URL is the backend URL before canonicalisation (httpd's
	// r->filename without "proxy:").
	URL string
	// NoCanon is true when the raw request-target was used (nocanon in
	// force; httpd's note proxy-nocanon).
	NoCanon bool
	// NoCanonDropped is true when a nocanon route matched only the
	// decoded URI, so nocanon was ignored (httpd's AH01136 warning).
	NoCanonDropped bool
	// Encoded is true for mapping=encoded (note proxy-noencode).
	Encoded bool
	// NoQuery is the noquery keyword (note proxy-noquery).
	NoQuery bool
}

// Step is one route tried, for tracing.
type Step struct {
	Route *directives.Route
	Index int // -1 for the <Location> route
	// Pattern is the path or pattern compared, after interpolation.
	Pattern string
	// Matched is true when the route's path or pattern matched.
	Matched bool
	// Skipped is true when the route belongs to the other phase.
	Skipped bool
}

// Match routes a request as httpd's proxy_trans does: the merged
// <Location> route first, then the server's table in order; the first
// route that matches decides, and a "!" route stops the search. It
// allocates nothing when no prefix route matches.
func (rt *Router) Match(in *RouteRequest, phase Phase) Match {
	return rt.match(in, phase, nil)
}

// Trace is Match that also reports every route it tried, in order.
func (rt *Router) Trace(in *RouteRequest, phase Phase) (Match, []Step) {
	var steps []Step
	m := rt.match(in, phase, &steps)
	return m, steps
}

func (rt *Router) match(in *RouteRequest, phase Phase, steps *[]Step) Match {
	if phase == PhasePreTranslate && !rt.hasEncoded && (in.Location == nil || in.Location.Mapping != "encoded") {
		return Match{Outcome: NoMatch, Index: -1}
	}
	if in.RawURI == "*" || !strings.HasPrefix(in.URI, "/") {
		return Match{Outcome: Declined, Index: -1}
	}
	if _, ok := in.env("no-proxy"); ok {
		return Match{Outcome: Declined, Index: -1}
	}
	if loc := in.Location; loc != nil {
		if m, done := transMatch(in, loc, -1, phase, steps); done {
			return m
		}
	}
	for i, r := range rt.routes {
		if m, done := transMatch(in, r, i, phase, steps); done {
			return m
		}
	}
	return Match{Outcome: NoMatch, Index: -1}
}

// transMatch is httpd's ap_proxy_trans_match for one route; done is false
// when the route does not apply.
func transMatch(in *RouteRequest, r *directives.Route, idx int, phase Phase, steps *[]Step) (Match, bool) {
	encoded := r.Mapping == "encoded"
	if encoded != (phase == PhasePreTranslate) {
		if steps != nil {
			*steps = append(*steps, Step{Route: r, Index: idx, Pattern: r.Path, Skipped: true})
		}
		return Match{}, false
	}
	fake, real := r.Path, r.URL
	if in.InterpolateEnv && r.Interpolate {
		fake, real = interpolate(in, fake), interpolate(in, real)
	}
	nocanon := r.NoCanon
	useURI := in.URI
	if nocanon {
		useURI = in.RawURI
	}
	var found string
	matched, mismatch := false, false
	exclude := r.Exclude || real == "!"
	if r.Regex != nil {
		m := r.Regex.FindStringMatch(in.URI)
		matched = m != nil
		if matched && !exclude {
			groups := m.Groups
			if nocanon {
				if m1 := r.Regex.FindStringMatch(in.RawURI); m1 != nil {
					groups = m1.Groups
				} else {
					mismatch = true
					useURI = in.URI
				}
			}
			found = regsub(real, groups)
			if found == real {
				found = real + useURI
			}
		}
	} else {
		// mapping=servlet's normalisation (alias_match_servlet) is not
		// applied yet: such routes match as plain prefixes.
		n := aliasMatch(in.URI, fake)
		matched = n != 0
		if matched && !exclude {
			if nocanon && n != aliasMatch(in.RawURI, fake) {
				mismatch = true
				useURI = in.URI
			}
			found = real + useURI[n:]
		}
	}
	if steps != nil {
		*steps = append(*steps, Step{Route: r, Index: idx, Pattern: fake, Matched: matched})
	}
	if !matched {
		return Match{}, false
	}
	if exclude {
		return Match{Outcome: Excluded, Route: r, Index: idx}, true
	}
	if webSocketOnly(in, found) {
		return Match{}, false
	}
	return Match{
		Outcome:        Proxied,
		Route:          r,
		Index:          idx,
		URL:            found,
		NoCanon:        nocanon && !mismatch,
		NoCanonDropped: mismatch,
		Encoded:        encoded,
		NoQuery:        r.NoQuery,
	}, true
}

// aliasMatch is httpd's alias_match: the number of bytes of uri that the
// prefix alias covers, 0 when it does not match. A run of '/' in alias
// matches a run of one or more '/' in uri; the match must end at a
// segment boundary unless alias ends in '/'.
func aliasMatch(uri, alias string) int {
	a, u := 0, 0
	for a < len(alias) && u < len(uri) {
		if alias[a] == '/' {
			if uri[u] != '/' {
				return 0
			}
			for a < len(alias) && alias[a] == '/' {
				a++
			}
			for u < len(uri) && uri[u] == '/' {
				u++
			}
			continue
		}
		if uri[u] != alias[a] {
			return 0
		}
		u++
		a++
	}
	if u == len(uri) && a != len(alias) {
		return 0
	}
	if a == 0 {
		// An empty alias matches nothing useful; httpd reads before
		// its start here, which a configuration cannot produce.
		return 0
	}
	if alias[a-1] != '/' && u < len(uri) && uri[u] != '/' {
		return 0
	}
	return u
}

// regsub is httpd's ap_pregsub: $0…$9 in tmpl become the groups (empty
// when a group did not match or does not exist), "\x" becomes x.
func regsub(tmpl string, groups []string) string {
	if strings.IndexByte(tmpl, '$') < 0 && strings.IndexByte(tmpl, '\\') < 0 {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 32)
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '$' && i+1 < len(tmpl) && tmpl[i+1] >= '0' && tmpl[i+1] <= '9' {
			n := int(tmpl[i+1] - '0')
			i++
			if n < len(groups) {
				b.WriteString(groups[n])
			}
			continue
		}
		if c == '\\' && i+1 < len(tmpl) {
			i++
			c = tmpl[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// interpolate is httpd's ap_proxy_interpolate: each "${VAR}" becomes the
// request environment's value, or nothing when unset; an unterminated
// "${" is kept as written.
func interpolate(in *RouteRequest, s string) string {
	start := strings.Index(s, "${")
	if start < 0 {
		return s
	}
	var b strings.Builder
	for {
		end := strings.IndexByte(s[start+2:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		end += start + 2
		b.WriteString(s[:start])
		if v, ok := in.env(s[start+2 : end]); ok {
			b.WriteString(v)
		}
		s = s[end+1:]
		start = strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
	}
}
