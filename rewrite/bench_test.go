package rewrite

import (
	"testing"
)

// benchRules is a typical set: a canonical-host redirect, a WebSocket
// [P], a static-asset pass, a map look-up and a catch-all [P].
const benchRules = `RewriteEngine on
RewriteMap low int:tolower
RewriteCond %{HTTP_HOST} ^www\.(.+)$ [NC]
RewriteRule ^/(.*)$ http://%1/$1 [R=301,L]
RewriteCond %{HTTP:Upgrade} websocket [NC]
RewriteCond %{HTTP:Connection} upgrade [NC]
RewriteRule ^/ws/(.*)$ ws://backend.test:9080/$1 [P,L]
RewriteRule ^/static/ - [L]
RewriteRule ^/user/([A-Za-z]+)$ /users/${low:$1} [PT]
RewriteRule ^/api/(.*)$ http://backend.test:9080/v2/$1 [P,QSA,L]
`

// BenchmarkServerPass measures one server pass over five rules for a
// request that reaches the last one; allocations are reported.
func BenchmarkServerPass(b *testing.B) {
	cfg, _ := loadConf(b, benchRules, nil)
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	req := newReq("/api/orders/42", map[string]string{"Host": "shop.test", "Connection": "keep-alive"})
	st := DirConfig(cfg.Main, cfg.Main, nil)
	in := &Input{URI: "/api/orders/42", Args: "page=2", HasArgs: true, Unparsed: "/api/orders/42?page=2"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := e.Server(cfg.Main, &st, req, in)
		if res.Kind != Proxy {
			b.Fatalf("got %v; want proxy", res.Kind)
		}
	}
}

// BenchmarkServerPassNoMatch is a request no rule touches.
func BenchmarkServerPassNoMatch(b *testing.B) {
	cfg, _ := loadConf(b, benchRules, nil)
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	req := newReq("/index.html", map[string]string{"Host": "shop.test"})
	st := DirConfig(cfg.Main, cfg.Main, nil)
	in := &Input{URI: "/index.html", Unparsed: "/index.html"}
	b.ReportAllocs()
	for b.Loop() {
		if res := e.Server(cfg.Main, &st, req, in); res.Kind != Unchanged {
			b.Fatalf("got %v; want unchanged", res.Kind)
		}
	}
}
