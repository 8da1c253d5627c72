package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// recorder is a ResponseWriter that keeps what the client would get.
type recorder struct {
	interim []*http1.Response
	head    *http1.Response
	body    bytes.Buffer
	flushes int
}

func (r *recorder) WriteInterim(resp *http1.Response) error {
	r.interim = append(r.interim, resp)
	return nil
}
func (r *recorder) WriteHeader(resp *http1.Response) error { r.head = resp; return nil }
func (r *recorder) Write(p []byte) (int, error)            { return r.body.Write(p) }
func (r *recorder) Flush() error                           { r.flushes++; return nil }
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not hijackable")
}

// seen is one request a test backend received.
type seen struct {
	head *http1.Request
	body []byte
	conn int // which connection it came on
}

// backend is a TCP server on 127.0.0.1 that records requests and answers
// each with reply.
type backend struct {
	ln    net.Listener
	mu    sync.Mutex
	reqs  []seen
	conns int
	reply func(req *http1.Request, body []byte) string
	wg    sync.WaitGroup
}

func startBackend(t *testing.T, reply func(req *http1.Request, body []byte) string) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln, reply: reply}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns++
			id := b.conns
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					req, err := http1.ReadRequest(br, http1.Limits{})
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					b.mu.Lock()
					b.reqs = append(b.reqs, seen{req, body, id})
					b.mu.Unlock()
					out := b.reply(req, body)
					if out == "" {
						return
					}
					if _, err := io.WriteString(c, out); err != nil {
						return
					}
					if req.Close || strings.Contains(out, "Connection: close") {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

func (b *backend) requests() []seen {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seen(nil), b.reqs...)
}

func ok(body string) func(*http1.Request, []byte) string {
	return func(*http1.Request, []byte) string {
		return "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nX-Normal: 1\r\n\r\n" + body
	}
}

// clientReq reads a client request from raw text.
func clientReq(t *testing.T, raw string) *http1.Request {
	t.Helper()
	r, err := http1.ReadRequest(bufio.NewReader(strings.NewReader(raw)), http1.Limits{})
	if err != nil {
		t.Fatalf("reading %q: %v", raw, err)
	}
	return r
}

// do routes and serves one request.
func do(t *testing.T, p *Proxy, rt *Router, dir *directives.ProxyDir, raw string) (*recorder, int, error) {
	t.Helper()
	cr := clientReq(t, raw)
	rawPath, query, hasQ := strings.Cut(cr.Target, "?")
	path, err := neturl.PathUnescape(rawPath)
	if err != nil {
		t.Fatal(err)
	}
	m := rt.Match(&RouteRequest{URI: path, RawURI: cr.Target}, PhaseTranslate)
	if m.Outcome != Proxied {
		t.Fatalf("%s %s not routed: %v", cr.Method, cr.Target, m.Outcome)
	}
	rec := &recorder{}
	st, err := p.Serve(rec, &Request{
		Client: cr, Router: rt, URI: path, Args: query, HasArgs: hasQ,
		ClientIP: "127.0.0.9", ServerName: "proxy.test", BaseURL: "http://proxy.test",
		Dir: dir, Timeout: 5 * time.Second,
	}, m)
	return rec, st, err
}

func newProxy(t *testing.T) *Proxy {
	p := New(zerolog.New(zerolog.NewTestWriter(t)))
	t.Cleanup(p.Close)
	return p
}

func names(h http1.Headers) string {
	var b strings.Builder
	for i, f := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Name)
	}
	return b.String()
}

func TestForwardRequestHead(t *testing.T) {
	be := startBackend(t, ok("hello"))
	url := "http://" + be.addr() + "/back/"
	tests := []struct {
		name   string
		params string // on the ProxyPass line
		conf   string // lines after it
		raw    string
		target string
		want   map[string]string // header → value ("" = absent)
		order  string
	}{
		{
			name:   "defaults",
			raw:    "GET /pp/a%20b?q=1 HTTP/1.1\r\nHost: front.test\r\nUser-Agent: t\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
			target: "/back/a%20b?q=1",
			want: map[string]string{
				"Host": be.addr(), "X-Forwarded-For": "10.0.0.1, 127.0.0.9", "X-Forwarded-Host": "front.test",
				"X-Forwarded-Server": "proxy.test", "Connection": "Keep-Alive", "Via": "", "Max-Forwards": "", "Content-Length": "",
			},
			order: "Host,User-Agent,X-Forwarded-For,X-Forwarded-Host,X-Forwarded-Server,Connection",
		},
		{
			name: "hop-by-hop removed",
			raw: "GET /pp/h HTTP/1.1\r\nHost: a\r\nConnection: X-Foo, keep-alive\r\nX-Foo: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\n" +
				"Proxy-Connection: x\r\nTrailer: X\r\nUpgrade: h2c\r\nX-Keep: y\r\n\r\n",
			target: "/back/h",
			want:   map[string]string{"X-Foo": "", "Keep-Alive": "", "TE": "", "Proxy-Connection": "", "Trailer": "", "Upgrade": "", "X-Keep": "y", "Connection": "Keep-Alive"},
		},
		{
			name:   "preserve host",
			conf:   "ProxyPreserveHost On",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: Front.Test:8080\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Host": "Front.Test:8080"},
		},
		{
			name:   "no added headers",
			conf:   "ProxyAddHeaders Off",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: a\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"X-Forwarded-For": "", "X-Forwarded-Host": "", "X-Forwarded-Server": ""},
		},
		{
			name:   "via full and max-forwards",
			conf:   "ProxyVia Full",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: a\r\nVia: 1.0 upstream\r\nMax-Forwards: 5\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Via": "1.0 upstream, 1.1 proxy.test (Apache/2.4.71)", "Max-Forwards": "4"},
		},
		{
			name:   "via block",
			conf:   "ProxyVia Block",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: a\r\nVia: 1.0 upstream\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Via": ""},
		},
		{
			name:   "ProxyMaxForwards",
			conf:   "ProxyMaxForwards 10",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: a\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Max-Forwards": "10"},
		},
		{
			name:   "disablereuse closes",
			params: "disablereuse=On",
			raw:    "GET /pp/ HTTP/1.1\r\nHost: a\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Connection": "close"},
		},
		{
			name:   "small chunked body sent with Content-Length",
			raw:    "POST /pp/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			target: "/back/",
			want:   map[string]string{"Content-Length": "5", "Transfer-Encoding": ""},
		},
		{
			name:   "Expect dropped when Proxy100Continue Off",
			conf:   "Proxy100Continue Off",
			raw:    "POST /pp/ HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
			target: "/back/",
			want:   map[string]string{"Expect": "", "Content-Length": "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, dir := setup(t, "/pp/", url, tt.params, tt.conf)
			before := len(be.requests())
			rec, st, err := do(t, newProxy(t), rt, dir, tt.raw)
			if err != nil || st != 200 {
				t.Fatalf("Serve = %d, %v; want 200", st, err)
			}
			if rec.body.String() != "hello" {
				t.Errorf("client body %q; want %q", rec.body.String(), "hello")
			}
			reqs := be.requests()
			if len(reqs) != before+1 {
				t.Fatalf("backend got %d requests; want 1", len(reqs)-before)
			}
			got := reqs[len(reqs)-1].head
			if got.Target != tt.target || got.Proto != "HTTP/1.1" {
				t.Errorf("request line %s %s; want %s HTTP/1.1", got.Target, got.Proto, tt.target)
			}
			for k, v := range tt.want {
				if gv := got.Header.Get(k); gv != v || (v == "" && got.Header.Has(k)) {
					t.Errorf("%s: got %q; want %q", k, gv, v)
				}
			}
			if tt.order != "" && names(got.Header) != tt.order {
				t.Errorf("header order %s; want %s", names(got.Header), tt.order)
			}
		})
	}
}
