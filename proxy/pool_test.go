package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

func TestConnectionReuse(t *testing.T) {
	tests := []struct {
		name      string
		conf      string // the ProxyPass line; $B is the backend
		env       string
		pause     time.Duration // between requests
		wantConns int
		wantConn  string
	}{
		{name: "kept alive", conf: "ProxyPass /r/ http://$B/", wantConns: 1, wantConn: "Keep-Alive"},
		{name: "disablereuse", conf: "ProxyPass /r/ http://$B/ disablereuse=On", wantConns: 3, wantConn: "close"},
		{name: "enablereuse off", conf: "ProxyPass /r/ http://$B/ enablereuse=Off", wantConns: 3, wantConn: "close"},
		{name: "address not reusable", conf: "ProxyPassMatch ^/r/(.*)$ http://$B/$1", wantConns: 3, wantConn: "close"},
		{name: "ttl expired", conf: "ProxyPass /r/ http://$B/ ttl=1", pause: 1100 * time.Millisecond, wantConns: 3, wantConn: "Keep-Alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := startBackend(t, ok("x"))
			rt, _ := proxyConf(t, strings.ReplaceAll(tt.conf, "$B", be.addr()))
			p := newProxy(t)
			for i := 0; i < 3; i++ {
				if _, st, err := do(t, p, rt, nil, "GET /r/ HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil || st != 200 {
					t.Fatalf("request %d: %d %v", i, st, err)
				}
				time.Sleep(2*time.Millisecond + tt.pause)
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
	// ProxyPass ~ with "$1" in the URL makes no worker of its own: the
	// request goes through httpd's generic reverse worker.
	rt, _ := proxyConf(t, "ProxyPassMatch ^/g/(.*)$ "+url+"$1\nProxyPass /other/ http://127.0.0.1:9/")
	if w := directives.FindWorker(rt.workers, url, false, false); w != nil {
		t.Fatalf("the config made a worker %s for %s", w.Name, url)
	}
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
	rt, _ := setup(t, "/s/", "http://"+addr+"/", "")
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
	rt, dir := setup(t, "/b/", "http://"+be.addr()+"/", "")
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
			if st, err := p.Serve(rec, &Request{Client: cr, Router: rt, URI: "/b/", Dir: dir, Env: env, ServerName: "p"}, m); err != nil || st != 200 {
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
	rt, _ := setup(t, "/c/", "http://"+addr+"/", "")
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

// flushSpy records, at each Flush, how many idle connections the proxy's
// pools hold.
type flushSpy struct {
	recorder
	p    *Proxy
	idle []int
}

func (s *flushSpy) Flush() error {
	n := 0
	s.p.mu.Lock()
	for _, pl := range s.p.pools {
		pl.mu.Lock()
		n += len(pl.idle)
		pl.mu.Unlock()
	}
	s.p.mu.Unlock()
	s.idle = append(s.idle, n)
	return s.recorder.Flush()
}

func TestConnectionReleasedBeforeLastFlush(t *testing.T) {
	// httpd hands the backend connection back before the end of the
	// response reaches the client, so a client that sends its next
	// request on another connection at once finds it idle.
	be := startBackend(t, ok("hello"))
	rt, dir := setup(t, "/r/", "http://"+be.addr()+"/", "")
	p := newProxy(t)
	cr := clientReq(t, "GET /r/x HTTP/1.1\r\nHost: a\r\n\r\n")
	m := rt.Match(&RouteRequest{URI: "/r/x", RawURI: cr.Target}, PhaseTranslate)
	spy := &flushSpy{p: p}
	if st, err := p.Serve(spy, &Request{Client: cr, Router: rt, URI: "/r/x", Dir: dir, ServerName: "p"}, m); err != nil || st != 200 {
		t.Fatalf("%d %v", st, err)
	}
	if len(spy.idle) == 0 || spy.idle[len(spy.idle)-1] != 1 {
		t.Errorf("idle connections at each flush %v; want 1 at the last", spy.idle)
	}
}

func TestErrorOverrideClosesBackend(t *testing.T) {
	// An overridden status ends httpd's exchange with an error, and the
	// backend connection is then closed, not reused.
	be := startBackend(t, func(req *http1.Request, _ []byte) string {
		if req.Target == "/fail" {
			return "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail"
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	})
	rt, dir := setup(t, "/", "http://"+be.addr()+"/", "", "ProxyErrorOverride On")
	p := newProxy(t)
	_, st, err := do(t, p, rt, dir, "GET /fail HTTP/1.1\r\nHost: a\r\n\r\n")
	var e *Error
	if st != 500 || !errors.As(err, &e) || !e.Override {
		t.Fatalf("got %d %v; want an overridden 500", st, err)
	}
	if _, st, err := do(t, p, rt, dir, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"); st != 200 || err != nil {
		t.Fatalf("got %d %v; want 200", st, err)
	}
	if reqs := be.requests(); reqs[1].conn != 2 {
		t.Errorf("the request after an override went on connection %d; want 2", reqs[1].conn)
	}
}

func TestMaxOneReusesIdleConnection(t *testing.T) {
	// max=1: the one connection, idle after the first request, serves
	// the next; a request never waits for a slot an idle connection
	// holds.
	be := startBackend(t, ok("x"))
	rt, dir := setup(t, "/m/", "http://"+be.addr()+"/", "max=1")
	p := newProxy(t)
	for i := 0; i < 3; i++ {
		done := make(chan error, 1)
		go func() {
			_, _, err := do(t, p, rt, dir, "GET /m/ HTTP/1.1\r\nHost: a\r\n\r\n")
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("request %d waits for a connection slot", i)
		}
	}
	if reqs := be.requests(); reqs[2].conn != 1 {
		t.Errorf("3 requests used %d connections; want 1", reqs[2].conn)
	}
}

func TestMaxBoundsConcurrentConnections(t *testing.T) {
	// max=2 with 6 concurrent slow requests: never more than 2 backend
	// connections at once.
	var mu sync.Mutex
	open, most := 0, 0
	addr := serveRaw(t, func(c net.Conn) {
		mu.Lock()
		open++
		most = max(most, open)
		mu.Unlock()
		defer func() { mu.Lock(); open--; mu.Unlock() }()
		br := bufio.NewReader(c)
		for {
			if _, err := http1.ReadRequest(br, http1.Limits{}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
		}
	})
	rt, dir := setup(t, "/m/", "http://"+addr+"/", "max=2")
	p := newProxy(t)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, st, err := do(t, p, rt, dir, "GET /m/ HTTP/1.1\r\nHost: a\r\n\r\n"); st != 200 || err != nil {
				t.Errorf("got %d %v", st, err)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if most > 2 {
		t.Errorf("%d backend connections at once; want at most 2", most)
	}
}
