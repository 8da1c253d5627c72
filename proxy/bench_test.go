package proxy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// BenchmarkForward measures one small GET through the proxy to a
// kept-alive backend on 127.0.0.1, end to end (client request parsed,
// routed, forwarded, response relayed).
func BenchmarkForward(b *testing.B) {
	t := &testing.T{}
	be := startBackend(t, ok("hello world"))
	defer be.ln.Close()
	url := "http://" + be.addr() + "/back/"
	rt, dir := setup(b, "/pp/", url, "")
	p := New(zerolog.Nop())
	defer p.Close()
	raw := "GET /pp/index.html?x=1 HTTP/1.1\r\nHost: front.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
	b.ReportAllocs()
	for b.Loop() {
		cr, err := http1.ReadRequest(bufio.NewReader(strings.NewReader(raw)), http1.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		m := rt.Match(&RouteRequest{URI: "/pp/index.html", RawURI: cr.Target}, PhaseTranslate)
		rec := &recorder{}
		if st, err := p.Serve(rec, &Request{Client: cr, Router: rt, URI: "/pp/index.html", Args: "x=1", HasArgs: true,
			ClientIP: "127.0.0.1", ServerName: "proxy.test", Dir: dir}, m); err != nil || st != 200 {
			b.Fatal(st, err)
		}
	}
}

// BenchmarkMatch measures routing over a table of 20 prefix routes.
func BenchmarkMatch(b *testing.B) {
	s := &directives.Server{}
	for _, p := range strings.Fields("/a/ /b/ /c/ /d/ /e/ /f/ /g/ /h/ /i/ /j/ /k/ /l/ /m/ /n/ /o/ /p/ /q/ /r/ /s/ /api/") {
		s.Proxy.Routes = append(s.Proxy.Routes, prefix(p, "http://backend"+p))
	}
	rt := NewRouter(s, s)
	in := &RouteRequest{URI: "/api/v1/users", RawURI: "/api/v1/users"}
	b.ReportAllocs()
	for b.Loop() {
		rt.Match(in, PhaseTranslate)
	}
}
