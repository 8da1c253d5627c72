package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

func TestConnectionReuse(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(s *directives.Server, w *directives.Worker)
		env       string
		wantConns int
		wantConn  string
	}{
		{name: "kept alive", wantConns: 1, wantConn: "Keep-Alive"},
		{name: "disablereuse", edit: func(_ *directives.Server, w *directives.Worker) { w.DisableReuse.Val = true }, wantConns: 3, wantConn: "close"},
		{name: "address not reusable", edit: func(_ *directives.Server, w *directives.Worker) { w.AddressReusable = false }, wantConns: 3, wantConn: "close"},
		{name: "ttl expired", edit: func(s *directives.Server, w *directives.Worker) { w.TTL.Put(time.Nanosecond, s.Pos) }, wantConns: 3, wantConn: "Keep-Alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := startBackend(t, ok("x"))
			rt, _ := setup(t, "/r/", "http://"+be.addr()+"/", tt.edit)
			p := newProxy(t)
			for i := 0; i < 3; i++ {
				if _, st, err := do(t, p, rt, nil, "GET /r/ HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil || st != 200 {
					t.Fatalf("request %d: %d %v", i, st, err)
				}
				time.Sleep(time.Millisecond)
			}
			reqs := be.requests()
			if reqs[2].conn != tt.wantConns {
				t.Errorf("3 requests used %d connections; want %d", reqs[2].conn, tt.wantConns)
			}
			if got := reqs[0].head.Header.Get("Connection"); got != tt.wantConn {
				t.Errorf("Connection %q; want %q", got, tt.wantConn)
			}
		})
	}
}

func TestGenericWorkerNoReuse(t *testing.T) {
	be := startBackend(t, ok("x"))
	url := "http://" + be.addr() + "/"
	s := &directives.Server{ServerName: "proxy.test"}
	s.Proxy.Routes = []*directives.Route{{Directive: "ProxyPass", Path: "/g/", URL: url}}
	rt := NewRouter(s, s)
	p := newProxy(t)
	for i := 0; i < 2; i++ {
		if _, st, err := do(t, p, rt, nil, "GET /g/ HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil || st != 200 {
			t.Fatalf("%d %v", st, err)
		}
	}
	reqs := be.requests()
	if reqs[1].conn != 2 || reqs[0].head.Header.Get("Connection") != "close" {
		t.Errorf("generic worker: %d connections, Connection %q; want 2 and close", reqs[1].conn, reqs[0].head.Header.Get("Connection"))
	}
}

func TestStaleConnectionNotReused(t *testing.T) {
	// The backend closes the connection right after a reply that
	// allowed keep-alive: the next request must go on a new connection,
	// not fail on the dead one.
	addr := serveRaw(t, func(c net.Conn) {
		readHead(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
	})
	rt, _ := setup(t, "/s/", "http://"+addr+"/", nil)
	p := newProxy(t)
	for i := 0; i < 2; i++ {
		if _, st, err := do(t, p, rt, nil, "GET /s/ HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil || st != 200 {
			t.Fatalf("request %d: %d %v", i, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRequestBodies(t *testing.T) {
	echo := func(req *http1.Request, body []byte) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	}
	be := startBackend(t, echo)
	rt, _ := setup(t, "/b/", "http://"+be.addr()+"/", nil)
	p := newProxy(t)
	big := strings.Repeat("0123456789abcdef", 2000) // 32000 bytes
	chunk := func(s string) string {
		var b strings.Builder
		for len(s) > 0 {
			n := min(len(s), 1000)
			b.WriteString(strings.ToUpper(string("0123456789abcdef"[n>>8&15])) + string("0123456789abcdef"[n>>4&15]) + string("0123456789abcdef"[n&15]) + "\r\n" + s[:n] + "\r\n")
			s = s[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	tests := []struct {
		name     string
		raw      string
		env      string
		wantCL   string
		wantTE   bool
		wantBody string
	}{
		{name: "large chunked streams chunked", raw: "POST /b/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(big), wantTE: true, wantBody: big},
		{name: "large content-length streams", raw: "PUT /b/ HTTP/1.1\r\nHost: a\r\nContent-Length: 32000\r\n\r\n" + big, wantCL: "32000", wantBody: big},
		{name: "empty content-length kept", raw: "POST /b/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", wantCL: "0"},
		{name: "no body no length", raw: "GET /b/ HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "sendcl spools chunked", raw: "POST /b/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(big), env: "proxy-sendcl", wantCL: "32000", wantBody: big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := clientReq(t, tt.raw)
			m := rt.Match(&RouteRequest{URI: "/b/", RawURI: "/b/"}, PhaseTranslate)
			env := func(n string) (string, bool) { return "1", tt.env != "" && n == tt.env }
			rec := &recorder{}
			if st, err := p.Serve(rec, &Request{Client: cr, Router: rt, URI: "/b/", Dir: &directives.ProxyDir{}, Env: env, ServerName: "p"}, m); err != nil || st != 200 {
				t.Fatalf("%d %v", st, err)
			}
			reqs := be.requests()
			got := reqs[len(reqs)-1]
			if cl := got.head.Header.Get("Content-Length"); cl != tt.wantCL || got.head.Chunked != tt.wantTE {
				t.Errorf("Content-Length %q chunked %v; want %q %v", cl, got.head.Chunked, tt.wantCL, tt.wantTE)
			}
			if !bytes.Equal(got.body, []byte(tt.wantBody)) {
				t.Errorf("backend body of %d bytes; want %d", len(got.body), len(tt.wantBody))
			}
		})
	}
}

func TestExpectContinue(t *testing.T) {
	// The backend answers 100 before reading the body: the client gets
	// the backend's 100, and the body follows.
	var gotExpect string
	addr := serveRaw(t, func(c net.Conn) {
		br := readHeadInto(c, &gotExpect)
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		body := make([]byte, 5)
		io.ReadFull(br, body)
		io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\n"+string(body))
	})
	rt, _ := setup(t, "/c/", "http://"+addr+"/", nil)
	rec, st, err := do(t, newProxy(t), rt, nil, "POST /c/ HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
	if err != nil || st != 201 || rec.body.String() != "hello" {
		t.Fatalf("got %d %v %q", st, err, rec.body.String())
	}
	if len(rec.interim) != 1 || rec.interim[0].Status != 100 {
		t.Errorf("interim responses %v; want the backend's 100", rec.interim)
	}
	if !strings.EqualFold(gotExpect, "100-continue") {
		t.Errorf("backend Expect %q; want 100-continue forwarded", gotExpect)
	}
}

func readHeadInto(c net.Conn, expect *string) *bufio.Reader {
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			return br
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Expect") {
			*expect = strings.TrimSpace(v)
		}
	}
}
