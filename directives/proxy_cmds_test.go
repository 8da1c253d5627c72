package directives

import (
	"strings"
	"testing"
	"time"
)

const proxyMods = mpm +
	"LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n" +
	"LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so\n" +
	"LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so\n" +
	"LoadModule proxy_balancer_module /usr/lib/apache2/modules/mod_proxy_balancer.so\n" +
	"LoadModule lbmethod_byrequests_module /usr/lib/apache2/modules/mod_lbmethod_byrequests.so\n"

func loadProxy(t *testing.T, conf string) *Config {
	t.Helper()
	cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": proxyMods + conf}, nil)
	if err := diags.Err(); err != nil {
		t.Fatalf("load: %v", err)
	}
	return cfg
}

func TestProxyPassRoutes(t *testing.T) {
	cfg := loadProxy(t, `ProxyTimeout 7
ProxyPass /app/ http://Backend.example:80/app/ timeout=3 keepalive=On
ProxyPass /app/static !
ProxyPassMatch "^/img/(.*)\.png$" "http://img.example/p/$1" nocanon
ProxyPass /ws ws://127.0.0.1:8080/ws upgrade=websocket
ProxyPass /again http://backend.example/app/x retry=5
<Location /loc>
    ProxyPass http://127.0.0.1:9000/loc noquery
    ProxyPassReverse http://127.0.0.1:9000/loc
</Location>
`)
	routes := cfg.Main.Proxy.Routes
	if len(routes) != 5 {
		t.Fatalf("got %d server routes, want 5", len(routes))
	}
	r := routes[0]
	if r.Path != "/app/" || r.URL != "http://Backend.example:80/app/" || r.Worker == nil {
		t.Fatalf("route 0: %+v", r)
	}
	w := r.Worker
	if w.Name != "http://backend.example/app/" || w.Port != 80 || w.Timeout.Val != 3*time.Second || !w.KeepAlive.Val {
		t.Errorf("worker 0: name %q port %d timeout %v keepalive %v", w.Name, w.Port, w.Timeout.Val, w.KeepAlive.Val)
	}
	if !routes[1].Exclude || routes[1].Worker != nil {
		t.Errorf("route 1 should be an exclusion: %+v", routes[1])
	}
	if routes[2].Regex == nil || !routes[2].NoCanon || !routes[2].Worker.Match {
		t.Errorf("route 2 should be a regex route on a match worker: %+v", routes[2])
	}
	if got := routes[3].Worker.Upgrade.Val; got != "websocket" {
		t.Errorf("upgrade = %q", got)
	}
	// The fifth route's URL falls under the first worker: it shares it
	// and its retry= is ignored, as httpd does (AH01146).
	if !routes[4].Shared || routes[4].Worker != w || len(routes[4].Ignored) != 1 || w.Retry.Set {
		t.Errorf("route 4 should share worker 0 and ignore retry=: %+v", routes[4])
	}
	var loc *Section
	for _, s := range cfg.Main.Sections {
		if s.Kind == SectionLocation && s.Arg == "/loc" {
			loc = s
		}
	}
	if loc == nil || loc.Dir.Proxy.Route == nil {
		t.Fatal("no <Location /loc> route")
	}
	if lr := loc.Dir.Proxy.Route; lr.Path != "/loc" || !lr.NoQuery || lr.Section != loc {
		t.Errorf("location route: %+v", lr)
	}
	if rv := loc.Dir.Proxy.Reverse; len(rv) != 1 || rv[0].To != "/loc" || rv[0].From != "http://127.0.0.1:9000/loc" {
		t.Errorf("location reverse map: %+v", rv)
	}
	if cfg.Main.Proxy.Timeout.Val != 7*time.Second || w.Timeout.Val != 3*time.Second {
		t.Errorf("ProxyTimeout %v", cfg.Main.Proxy.Timeout.Val)
	}
}

func TestProxySectionsAndBalancers(t *testing.T) {
	cfg := loadProxy(t, `<Proxy balancer://Pool>
    BalancerMember http://127.0.0.1:8001 route=a
    BalancerMember http://127.0.0.1:8002 route=b loadfactor=2
    ProxySet lbmethod=byrequests stickysession=SID
</Proxy>
<Proxy http://127.0.0.1:8003/ connectiontimeout=2>
    ProxySet timeout=9
</Proxy>
ProxyPass /pool/ balancer://pool/
ProxyErrorOverride On 502 404
ProxyVia Full
`)
	ps := cfg.Main.Proxy
	if len(ps.Balancers) != 1 {
		t.Fatalf("balancers: %d", len(ps.Balancers))
	}
	b := ps.Balancers[0]
	if b.Name != "balancer://pool" || len(b.Members) != 2 || b.StickySession.Val != "SID" || b.VPath != "/pool/" {
		t.Errorf("balancer: name %q members %d sticky %q vpath %q", b.Name, len(b.Members), b.StickySession.Val, b.VPath)
	}
	if b.Members[1].LBFactor.Val != 200 || b.Members[1].Route.Val != "b" {
		t.Errorf("member 2: lbfactor %d route %q", b.Members[1].LBFactor.Val, b.Members[1].Route.Val)
	}
	if ps.Routes[0].Balancer != b {
		t.Errorf("ProxyPass to balancer:// did not link the balancer")
	}
	var w *Worker
	for _, x := range ps.Workers {
		if x.Name == "http://127.0.0.1:8003/" {
			w = x
		}
	}
	if w == nil || w.ConnectionTimeout.Val != 2*time.Second || w.Timeout.Val != 9*time.Second || w.Section == nil {
		t.Fatalf("<Proxy url> worker: %+v", w)
	}
	if got := cfg.Main.Dir.Proxy.ErrorOverrideCodes; len(got) != 2 || got[0] != 404 || got[1] != 502 {
		t.Errorf("error override codes %v", got)
	}
	if ps.Via.Val != ViaFull {
		t.Errorf("via %v", ps.Via.Val)
	}
}

func TestProxyCmdErrors(t *testing.T) {
	tests := []struct{ conf, err string }{
		{"ProxyPass /a\n", "ProxyPass|ProxyPassMatch needs a path when not defined in a location"},
		{"ProxyPass /a http://x/ bogus=1\n", "ProxyPass unknown Worker parameter"},
		{"ProxyPassMatch ~ /a http://x/\n", "ProxyPassMatch invalid syntax ('~' usage)."},
		{"ProxyPass /a http://x/ mapping=odd\n", "unknown mapping"},
		{"ProxySet http://nowhere/ timeout=1\n", "ProxySet can not find 'http://nowhere/' Worker."},
		{"ProxySet balancer://none lbmethod=byrequests\n", "ProxySet can not find 'balancer://none' Balancer."},
		{"ProxyErrorOverride 404\n", "ProxyErrorOverride first parameter must be one of: off | on"},
		{"ProxyErrorOverride On 302\n", "ProxyErrorOverride: status codes to intercept must be valid HTTP Status Codes >=400 && <600"},
		{"ProxyRemote * http:/x\n", "ProxyRemote: Bad syntax for a remote proxy server"},
		{"ProxyRemote * http://x:99999\n", "ProxyRemote: Bad syntax for a remote proxy server (bad port number)"},
		{"ProxyDomain example.com\n", "ProxyDomain: domain name must start with a dot."},
		{"<Proxy /local/* k=v>\n</Proxy>\n", "<Proxy> arguments are not supported for wildchar url."},
		{"<Location /x>\nProxyPassReverse /x http://b/\n</Location>\n", "ProxyPassReverse can not have a path when defined in a location"},
	}
	for _, tc := range tests {
		_, diags, _ := loadTree(t, map[string]string{"httpd.conf": proxyMods + tc.conf}, nil)
		err := diags.Err()
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: got %v, want an error containing %q", tc.conf, err, tc.err)
		}
	}
}
