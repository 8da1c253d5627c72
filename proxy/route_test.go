package proxy

import (
	"testing"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/pcre"
)

func prefix(path, url string, kw ...string) *directives.Route {
	r := &directives.Route{Directive: "ProxyPass", Path: path, URL: url, RawURL: url, Exclude: url == "!"}
	for _, k := range kw {
		switch k {
		case "nocanon":
			r.NoCanon = true
		case "interpolate":
			r.Interpolate = true
		case "noquery":
			r.NoQuery = true
		case "encoded":
			r.Mapping = "encoded"
		}
	}
	return r
}

func regex(t *testing.T, pat, url string, kw ...string) *directives.Route {
	t.Helper()
	re, err := pcre.Compile(pat, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := prefix(pat, url, kw...)
	r.Directive = "ProxyPassMatch"
	r.Regex = re
	return r
}

func TestAliasMatch(t *testing.T) {
	tests := []struct {
		uri, alias string
		want       int
	}{
		{"/foo", "/foo", 4},
		{"/foo/bar", "/foo", 4},
		{"/foobar", "/foo", 0},
		{"/pp", "/pp/", 0},
		{"/pp/", "/pp/", 4},
		{"/pp/x", "/pp/", 4},
		{"//pp///x", "/pp/", 7},
		{"/a//b/c", "/a/b", 5},
		{"/a/bc", "/a/b", 0},
		{"/", "/examples", 0},
		{"/anything", "/", 1},
		{"/", "/", 1},
		{"/x", "/x/", 0},
		{"/a/b", "//a", 2},
	}
	for _, tt := range tests {
		if got := aliasMatch(tt.uri, tt.alias); got != tt.want {
			t.Errorf("aliasMatch(%q, %q) = %d; want %d", tt.uri, tt.alias, got, tt.want)
		}
	}
}

func TestRouterMatch(t *testing.T) {
	mainSrv := &directives.Server{}
	mainSrv.Proxy.Routes = []*directives.Route{
		prefix("/main-only/", "http://127.0.0.1:19090/main/"),
		prefix("/pp/skip", "!"),
		prefix("/pp/", "http://b/back/"),
		prefix("/pp", "http://b/short"),
		prefix("/mis/", "http://127.0.0.1:19090"),
		prefix("/mis2", "http://h/x/"),
		prefix("/nc/", "http://h/raw/", "nocanon"),
		regex(t, `\.gif$`, "http://127.0.0.1:19090"),
		regex(t, `^/img/(\w+)/(.*)$`, "http://h/$2/$1\\$x"),
		prefix("/enc/", "http://h/e/", "encoded"),
	}
	vhost := &directives.Server{Virtual: true}
	vhost.Proxy.Routes = []*directives.Route{
		prefix("/main-only/", "http://127.0.0.1:19091/vhostwins/"),
		prefix("/v/", "http://v/"),
	}
	rt := NewRouter(mainSrv, vhost)
	loc := prefix("/pp/skip/loc", "http://loc/")

	tests := []struct {
		name     string
		uri, raw string
		loc      *directives.Route
		phase    Phase
		outcome  Outcome
		url      string
		index    int
		nocanon  bool
	}{
		{name: "main server first", uri: "/main-only/x", outcome: Proxied, url: "http://127.0.0.1:19090/main/x", index: 0},
		{name: "vhost own", uri: "/v/a", outcome: Proxied, url: "http://v/a", index: 11},
		{name: "exclusion stops", uri: "/pp/skip/more", outcome: Excluded, index: 1},
		{name: "location beats exclusion", uri: "/pp/skip/loc/z", loc: loc, outcome: Proxied, url: "http://loc//z", index: -1},
		{name: "trailing slash rule does not take bare path", uri: "/pp", outcome: Proxied, url: "http://b/short", index: 3},
		{name: "slash runs", uri: "//pp//a", outcome: Proxied, url: "http://b/back/a", index: 2},
		{name: "blind concatenation", uri: "/mis/abc", outcome: Proxied, url: "http://127.0.0.1:19090abc", index: 4},
		{name: "double slash kept", uri: "/mis2/abc", outcome: Proxied, url: "http://h/x//abc", index: 5},
		{name: "no match", uri: "/other", outcome: NoMatch, index: -1},
		{name: "segment boundary", uri: "/ppx", outcome: NoMatch, index: -1},
		{name: "nocanon uses raw target", uri: "/nc/a/b", raw: "/nc/a/../b?q=%20", outcome: Proxied, url: "http://h/raw/a/../b?q=%20", index: 6, nocanon: true},
		{name: "nocanon dropped when decoding changed the prefix", uri: "/nc/a", raw: "/n%63/a", outcome: Proxied, url: "http://h/raw/a", index: 6},
		{name: "regex without $N appends the URI", uri: "/dir/pic.gif", outcome: Proxied, url: "http://127.0.0.1:19090/dir/pic.gif", index: 7},
		{name: "regex substitution and escape", uri: "/img/big/a/b", outcome: Proxied, url: "http://h/a/b/big$x", index: 8},
		{name: "encoded route skipped after decoding", uri: "/enc/a", outcome: NoMatch, index: -1},
		{name: "encoded route in pre-translate", uri: "/enc/a%2Fb", phase: PhasePreTranslate, outcome: Proxied, url: "http://h/e/a%2Fb", index: 9},
		{name: "asterisk declined", uri: "*", raw: "*", outcome: Declined, index: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if raw == "" {
				raw = tt.uri
			}
			in := &RouteRequest{URI: tt.uri, RawURI: raw, Location: tt.loc}
			m := rt.Match(in, tt.phase)
			if m.Outcome != tt.outcome || m.URL != tt.url || m.Index != tt.index || m.NoCanon != tt.nocanon {
				t.Errorf("got outcome %v url %q index %d nocanon %v; want %v %q %d %v", m.Outcome, m.URL, m.Index, m.NoCanon, tt.outcome, tt.url, tt.index, tt.nocanon)
			}
		})
	}
}

func TestRouterNoProxyEnv(t *testing.T) {
	s := &directives.Server{}
	s.Proxy.Routes = []*directives.Route{prefix("/", "http://b/")}
	rt := NewRouter(s, s)
	env := func(n string) (string, bool) { return "1", n == "no-proxy" }
	if m := rt.Match(&RouteRequest{URI: "/x", RawURI: "/x", Env: env}, PhaseTranslate); m.Outcome != Declined {
		t.Errorf("got %v; want declined with no-proxy set", m.Outcome)
	}
}

func TestRouterInterpolate(t *testing.T) {
	s := &directives.Server{}
	s.Proxy.Routes = []*directives.Route{prefix("/${P}/", "http://${H}/x/", "interpolate")}
	rt := NewRouter(s, s)
	env := func(n string) (string, bool) {
		switch n {
		case "P":
			return "app", true
		case "H":
			return "backend:8080", true
		}
		return "", false
	}
	in := &RouteRequest{URI: "/app/z", RawURI: "/app/z", Env: env, InterpolateEnv: true}
	if m := rt.Match(in, PhaseTranslate); m.URL != "http://backend:8080/x/z" {
		t.Errorf("with ProxyPassInterpolateEnv On got %q; want %q", m.URL, "http://backend:8080/x/z")
	}
	in.InterpolateEnv = false
	if m := rt.Match(in, PhaseTranslate); m.Outcome != NoMatch {
		t.Errorf("with ProxyPassInterpolateEnv Off got %v; want no match (the path stays ${P})", m.Outcome)
	}
}

func TestRouterTrace(t *testing.T) {
	s := &directives.Server{}
	s.Proxy.Routes = []*directives.Route{prefix("/a/", "http://a/"), prefix("/b/", "http://b/"), prefix("/c/", "http://c/")}
	rt := NewRouter(s, s)
	m, steps := rt.Trace(&RouteRequest{URI: "/b/x", RawURI: "/b/x"}, PhaseTranslate)
	if m.Index != 1 || len(steps) != 2 || steps[0].Matched || !steps[1].Matched {
		t.Fatalf("got index %d steps %+v; want index 1 after one miss", m.Index, steps)
	}
}

func TestRegsub(t *testing.T) {
	groups := []string{"/all", "one", ""}
	tests := []struct{ tmpl, want string }{
		{"http://h/$1", "http://h/one"},
		{"http://h/$2$3$9", "http://h/"},
		{"http://h/$0", "http://h//all"},
		{`http://h/\$1`, "http://h/$1"},
		{"http://h/$", "http://h/$"},
		{`http://h/a\`, `http://h/a\`},
	}
	for _, tt := range tests {
		if got := regsub(tt.tmpl, groups); got != tt.want {
			t.Errorf("regsub(%q) = %q; want %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestMatchMissAllocs(t *testing.T) {
	s := &directives.Server{}
	for _, p := range []string{"/a/", "/b/", "/c/", "/d", "/e/f/"} {
		s.Proxy.Routes = append(s.Proxy.Routes, prefix(p, "http://b"+p))
	}
	rt := NewRouter(s, s)
	in := &RouteRequest{URI: "/zzz/yyy", RawURI: "/zzz/yyy"}
	n := testing.AllocsPerRun(100, func() { rt.Match(in, PhaseTranslate) })
	if n != 0 {
		t.Errorf("a miss allocated %v times; want 0", n)
	}
}
