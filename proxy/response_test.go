package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

func TestForwardResponse(t *testing.T) {
	reply := func(req *http1.Request, _ []byte) string {
		switch req.Target {
		case "/back/hop":
			return "HTTP/1.1 200 Fine\r\nConnection: X-Gone\r\nX-Gone: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: x\r\nTE: t\r\nTrailer: T\r\nUpgrade: foo\r\nX-Normal: 1\r\nContent-Length: 2\r\n\r\nok"
		case "/back/redirect":
			return "HTTP/1.1 302 Found\r\nLocation: http://" + req.Header.Get("Host") + "/back/target?x=1\r\nContent-Location: /back/c\r\nSet-Cookie: s=1; Path=/back/sub; Domain=backend.internal\r\nContent-Length: 0\r\n\r\n"
		case "/back/date":
			return "HTTP/1.1 200 OK\r\nDate: Sunday, 06-Nov-94 08:49:37 GMT\r\nExpires: Sun Nov  6 08:49:37 1994\r\nServer: backend/1.0\r\nContent-Length: 0\r\n\r\n"
		case "/back/chunked":
			return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
		case "/back/missing":
			return "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nbackend!!"
		case "/back/auth":
			return "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=x\r\nContent-Length: 4\r\n\r\nnope"
		case "/back/unavail":
			return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
		}
		return "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"
	}
	be := startBackend(t, reply)
	url := "http://" + be.addr() + "/back/"
	rt, dir := setup(t, "/pp/", url, "", "ProxyVia On",
		"ProxyPassReverse /pp/ "+url,
		"ProxyPassReverseCookiePath /back /front",
		"ProxyPassReverseCookieDomain backend.internal public.example")
	p := newProxy(t)

	t.Run("hop-by-hop", func(t *testing.T) {
		rec, st, err := do(t, p, rt, dir, "GET /pp/hop HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil || st != 200 {
			t.Fatalf("Serve = %d, %v", st, err)
		}
		if got := names(rec.head.Header); got != "X-Normal,Content-Length,Via" {
			t.Errorf("response fields %s; want X-Normal,Content-Length,Via", got)
		}
		if rec.head.Reason != "Fine" || rec.head.Header.Get("Via") != "1.1 proxy.test" || rec.head.ContentLength != 2 {
			t.Errorf("got reason %q via %q length %d", rec.head.Reason, rec.head.Header.Get("Via"), rec.head.ContentLength)
		}
	})
	t.Run("reverse maps", func(t *testing.T) {
		rec, _, err := do(t, p, rt, dir, "GET /pp/redirect HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		h := rec.head.Header
		if got, want := h.Get("Location"), "http://proxy.test/pp/target?x=1"; got != want {
			t.Errorf("Location %q; want %q", got, want)
		}
		if got := h.Get("Content-Location"); got != "/back/c" {
			t.Errorf("Content-Location %q; want it unchanged (the rule is an absolute URL)", got)
		}
		if got, want := h.Get("Set-Cookie"), "s=1; Path=/front; Domain=public.example"; got != want {
			t.Errorf("Set-Cookie %q; want %q", got, want)
		}
		if got, want := names(h), "Location,Content-Location,Content-Length,Set-Cookie,Via"; got != want {
			t.Errorf("response fields %s; want %s (cookies after the others, as httpd re-adds them)", got, want)
		}
	})
	t.Run("dates and server kept", func(t *testing.T) {
		rec, _, err := do(t, p, rt, dir, "GET /pp/date HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		h := rec.head.Header
		want := "Sun, 06 Nov 1994 08:49:37 GMT"
		if h.Get("Date") != want || h.Get("Expires") != want || h.Get("Server") != "backend/1.0" {
			t.Errorf("Date %q Expires %q Server %q; want %q twice and backend/1.0", h.Get("Date"), h.Get("Expires"), h.Get("Server"), want)
		}
	})
	t.Run("chunked body decoded, length unknown", func(t *testing.T) {
		rec, _, err := do(t, p, rt, dir, "GET /pp/chunked HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		if rec.body.String() != "abcde" || rec.head.ContentLength != -1 || rec.head.Header.Has("Transfer-Encoding") {
			t.Errorf("body %q length %d fields %s", rec.body.String(), rec.head.ContentLength, names(rec.head.Header))
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		rec, st, err := do(t, p, rt, dir, "HEAD /pp/hop HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil || st != 200 || rec.body.Len() != 0 {
			t.Errorf("HEAD: %d %v body %q", st, err, rec.body.String())
		}
	})

	over := &directives.ProxyDir{ErrorOverride: directives.Opt[bool]{Val: true, Set: true}, ErrorOverrideCodes: []int{401, 404}}
	t.Run("error override listed code", func(t *testing.T) {
		rec, st, err := do(t, p, rt, over, "GET /pp/missing HTTP/1.1\r\nHost: a.test\r\n\r\n")
		var e *Error
		if !errors.As(err, &e) || !e.Override || st != 404 || rec.head != nil {
			t.Fatalf("got %d %v head %v; want an override error 404 and nothing written", st, err, rec.head)
		}
	})
	t.Run("error override keeps WWW-Authenticate", func(t *testing.T) {
		_, _, err := do(t, p, rt, over, "GET /pp/auth HTTP/1.1\r\nHost: a.test\r\n\r\n")
		var e *Error
		if !errors.As(err, &e) || e.Header.Get("WWW-Authenticate") != "Basic realm=x" {
			t.Fatalf("got %v; want override keeping WWW-Authenticate", err)
		}
	})
	t.Run("error override passes other codes", func(t *testing.T) {
		rec, st, err := do(t, p, rt, over, "GET /pp/unavail HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if err != nil || st != 503 || rec.body.String() != "busy" {
			t.Fatalf("got %d %v %q; want the backend's 503", st, err, rec.body.String())
		}
	})
}

func TestCookieMap(t *testing.T) {
	f := &forward{rq: &Request{Dir: &directives.ProxyDir{
		CookiePaths:   []directives.ReverseMap{{From: "/back", To: "/front"}},
		CookieDomains: []directives.ReverseMap{{From: "backend.internal", To: "public.example"}},
	}}}
	tests := []struct{ in, want string }{
		{"a=1; Path=/back/sub; Domain=backend.internal", "a=1; Path=/front; Domain=public.example"},
		{"a=1; domain=BACKEND.internal.example; path=/other", "a=1; domain=public.example; path=/other"},
		{"path=/back; x=y", "path=/front; x=y"}, // httpd's scan starts at the cookie's own name=value
		{"a=1;Path=/Back", "a=1;Path=/Back"},    // paths compare with case
		// Only the last path= and domain= count, as observed on httpd.
		{"path=/back; Path=/back", "path=/back; Path=/front"},
		{"a=1; Path=/back; Path=/other", "a=1; Path=/back; Path=/other"},
		{"a=1; Path=/other; Path=/back", "a=1; Path=/other; Path=/front"},
		{"a=1; Domain=backend.internal; Path=/back; Domain=x.org", "a=1; Domain=backend.internal; Path=/front; Domain=x.org"},
		{"a=1; Domain=backend.internal; Path=/back", "a=1; Domain=public.example; Path=/front"},
		{"a=1; Path=/x; Domain=x.org", "a=1; Path=/x; Domain=x.org"},
	}
	for _, tt := range tests {
		if got := f.cookieMap(tt.in); got != tt.want {
			t.Errorf("cookieMap(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestReverseMapPathRule(t *testing.T) {
	f := &forward{rq: &Request{BaseURL: "https://pub.example", Dir: &directives.ProxyDir{
		Reverse: []directives.ReverseMap{{From: "/internal/", To: "/pub/"}},
	}}, rt: &Router{}}
	if got, want := f.reverseMap("http://any.host:81/internal/x"), "https://pub.example/pub/x"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got := f.reverseMap("http://h/other"); got != "http://h/other" {
		t.Errorf("unmatched value changed to %q", got)
	}
}

// serveOnce starts a raw backend that handles each connection with fn.
func serveRaw(t *testing.T, fn func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); fn(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func readHead(c net.Conn) *bufio.Reader {
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			return br
		}
	}
}

func TestForwardErrors(t *testing.T) {
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().String()
		ln.Close()
		return a
	}()
	tests := []struct {
		name       string
		addr       string
		host       string // URL host instead of addr
		timeout    time.Duration
		status     int
		proxyError bool
		notes      string
		body       string
	}{
		{name: "refused", addr: refused, status: 503},
		{name: "dns failure", host: "nonexistent.invalid", status: 500, proxyError: true, notes: "DNS lookup failure for: nonexistent.invalid"},
		{name: "read timeout is 502", timeout: time.Second, status: 502, proxyError: true, notes: "Error reading from remote server",
			addr: serveRaw(t, func(c net.Conn) { readHead(c); time.Sleep(2 * time.Second) })},
		{name: "early close", status: 502, proxyError: true, notes: "Error reading from remote server",
			addr: serveRaw(t, func(c net.Conn) { readHead(c) })},
		{name: "corrupt status line", status: 502, proxyError: true, notes: "Corrupt status line returned by remote server: HTTP/2.0 200 OK",
			addr: serveRaw(t, func(c net.Conn) { readHead(c); io.WriteString(c, "HTTP/2.0 200 OK\r\n\r\n") })},
		{name: "bad header", status: 502,
			addr: serveRaw(t, func(c net.Conn) { readHead(c); io.WriteString(c, "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n") })},
		{name: "http/0.9 garbage", status: 200, body: "garbagemore",
			addr: serveRaw(t, func(c net.Conn) { readHead(c); io.WriteString(c, "garbage\nmore") })},
		{name: "unexpected 101", status: 502, proxyError: true, notes: "Unexpected Upgrade: websocket (expecting n/a)",
			addr: serveRaw(t, func(c net.Conn) {
				readHead(c)
				io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			})},
		{name: "too many interim responses", status: 502, proxyError: true, notes: "Too many (10) interim responses from origin server",
			addr: serveRaw(t, func(c net.Conn) {
				readHead(c)
				io.WriteString(c, strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 12))
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostport := tt.addr
			if tt.host != "" {
				hostport = tt.host + ":80"
			}
			url := "http://" + hostport + "/"
			params := ""
			if tt.timeout > 0 {
				params = "timeout=" + strconv.Itoa(int(tt.timeout/time.Millisecond)) + "ms"
			}
			rt, _ := setup(t, "/e/", url, params)
			rec, st, err := do(t, newProxy(t), rt, nil, "GET /e/x HTTP/1.1\r\nHost: a\r\n\r\n")
			if st != tt.status {
				t.Fatalf("status %d (%v); want %d", st, err, tt.status)
			}
			if tt.body != "" {
				if err != nil || rec.body.String() != tt.body {
					t.Fatalf("got %v body %q; want %q", err, rec.body.String(), tt.body)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v; want *Error", err)
			}
			if e.ProxyError != tt.proxyError || !strings.Contains(e.Notes, tt.notes) {
				t.Errorf("ProxyError %v notes %q; want %v containing %q", e.ProxyError, e.Notes, tt.proxyError, tt.notes)
			}
			if rec.head != nil {
				t.Errorf("a response head was written before the error")
			}
		})
	}
}

func TestForwardMaxForwardsZero(t *testing.T) {
	rt, _ := setup(t, "/e/", "http://127.0.0.1:9/", "")
	p := newProxy(t)
	_, st, err := do(t, p, rt, nil, "GET /e/x HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\n\r\n")
	var e *Error
	if st != 400 || !errors.As(err, &e) || !strings.Contains(e.Notes, "Max-Forwards has reached zero - proxy loop?") {
		t.Errorf("got %d %v; want 400 Proxy Error", st, err)
	}
	if _, _, err := do(t, p, rt, nil, "OPTIONS /e/x HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\n\r\n"); err != ErrLocal {
		t.Errorf("OPTIONS got %v; want ErrLocal", err)
	}
	_, st, _ = do(t, p, rt, nil, "GET /e/x HTTP/1.1\r\nHost: a\r\nMax-Forwards: x1\r\n\r\n")
	if st != 400 {
		t.Errorf("unparsable Max-Forwards got %d; want 400", st)
	}
}
