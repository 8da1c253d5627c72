package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/rewrite"
)

// fuzzConf serves two name-based virtual hosts on one address: the
// first (the default) has a DocumentRoot with an ErrorDocument, a
// ProxyPass and rewrite rules that pass through or proxy; the second
// proxies everything. $B is the recording backend.
const fuzzConf = `LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
TypesConfig $D/mime.types
ServerName main.test
Listen 127.0.0.1:$P1
Timeout 3
KeepAliveTimeout 3
<VirtualHost 127.0.0.1:$P1>
  ServerName default.test
  DocumentRoot $D/docs
  ErrorDocument 404 /errors/404.html
  RewriteEngine On
  RewriteRule ^/old/(.*)$ /app/$1 [PT]
  RewriteRule ^/rp/(.*)$ http://$B/rp/$1 [P]
  RewriteRule ^/gone$ - [G]
  ProxyPass /app/ http://$B/app/
  ProxyPass /enc/ http://$B/enc/ nocanon
  ProxyPass /ping/ http://$B/ping/ ping=1
  ProxyPass /once/ http://$B/once/ disablereuse=On
</VirtualHost>
<VirtualHost 127.0.0.1:$P1>
  ServerName other.test
  ProxyPass / http://$B/other/
</VirtualHost>
`

// fuzzTag is the request field the server's RequestHeaders hook sets
// on every proxied request: the number of the client connection, so
// that each backend request is charged to the connection it came from
// (a request that reaches the backend after its connection was checked
// is not charged to a later one).
const fuzzTag = "X-Portico-Fuzz-Client"

// recorded is one request as the recording backend read it.
type recorded struct {
	method, target string
	header         http1.Headers
	body           []byte
	complete       bool   // the body ended as its framing said
	problem        string // framing the backend must never see
}

// recorder is a strict HTTP/1.1 backend on 127.0.0.1: it reads each
// request with internal/http1 and keeps it, grouped by the fuzzTag
// value; whatever it cannot read as a request is a problem.
type recorder struct {
	ln       net.Listener
	mu       sync.Mutex
	byClient map[string][]recorded
	problems []string // requests without a tag, unreadable bytes
	busy     int      // connections in the middle of a request
	wg       sync.WaitGroup
}

func startRecorder(tb testing.TB) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &recorder{ln: ln, byClient: map[string][]recorded{}}
	conns := map[net.Conn]bool{}
	var cmu sync.Mutex
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			conns[c] = true
			cmu.Unlock()
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.serve(c)
				cmu.Lock()
				delete(conns, c)
				cmu.Unlock()
				c.Close()
			}()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for c := range conns {
			c.Close()
		}
		cmu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *recorder) addr() string { return r.ln.Addr().String() }

func (r *recorder) setBusy(d int) {
	r.mu.Lock()
	r.busy += d
	r.mu.Unlock()
}

// serve reads requests from one proxy connection and answers each with
// a response shaped by its path: "/chunk" chunked, "/eof" an HTTP/1.0
// body ended by the close, "/nocontent" 204, "/early" a 103 first;
// otherwise 200 with Content-Length. The body names the request line.
func (r *recorder) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := br.Peek(1); err != nil {
			return
		}
		r.setBusy(1)
		keep := r.exchange(c, br)
		r.setBusy(-1)
		if !keep {
			return
		}
	}
}

func (r *recorder) exchange(c net.Conn, br *bufio.Reader) bool {
	req, err := http1.ReadRequest(br, http1.Limits{Line: 1 << 16, FieldSize: 1 << 16, Fields: -1})
	if err != nil {
		rest, _ := br.Peek(br.Buffered())
		r.problem(fmt.Sprintf("the proxy sent bytes that are not a request: %v (then %q)", err, rest))
		return false
	}
	rec := recorded{method: req.Method, target: req.Target, header: req.Header}
	if req.Header.Has("Content-Length") && req.Header.Has("Transfer-Encoding") {
		rec.problem = "both Content-Length and Transfer-Encoding"
	}
	if req.Major == 1 && req.Minor == 1 && strings.EqualFold(req.Header.Get("Expect"), "100-continue") &&
		(req.ContentLength > 0 || req.Chunked) {
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	rec.body, err = io.ReadAll(req.Body)
	rec.complete = err == nil
	tag := req.Header.Get(fuzzTag)
	r.mu.Lock()
	if tag == "" {
		r.problems = append(r.problems, fmt.Sprintf("a request without the %s field: %s %s %v", fuzzTag, req.Method, req.Target, req.Header))
	} else {
		r.byClient[tag] = append(r.byClient[tag], rec)
	}
	r.mu.Unlock()
	if !rec.complete {
		return false
	}
	line := req.Method + " " + req.Target + " " + req.Proto
	body := "recorder: " + line + "\n"
	path, _, _ := strings.Cut(req.Target, "?")
	var w bytes.Buffer
	keep := !req.Close
	switch {
	case strings.Contains(path, "/nocontent"):
		w.WriteString("HTTP/1.1 204 No Content\r\n\r\n")
	case strings.Contains(path, "/eof"):
		w.WriteString("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
		if req.Method != "HEAD" {
			w.WriteString(body)
		}
		keep = false
	case strings.Contains(path, "/chunk"):
		w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
		if req.Method != "HEAD" {
			fmt.Fprintf(&w, "%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		}
	default:
		if strings.Contains(path, "/early") {
			w.WriteString("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
		}
		fmt.Fprintf(&w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
		if req.Method != "HEAD" {
			w.WriteString(body)
		}
	}
	if _, err := c.Write(w.Bytes()); err != nil {
		return false
	}
	return keep
}

func (r *recorder) problem(s string) {
	r.mu.Lock()
	r.problems = append(r.problems, s)
	r.mu.Unlock()
}

// take returns what the backend got for client connection n, and the
// problems seen since the last call, and forgets what it got for
// connections up to n. It waits first until no backend connection is in
// the middle of a request.
func (r *recorder) take(n int64) ([]recorded, []string) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		r.mu.Lock()
		if r.busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.problems = append(r.problems, fmt.Sprintf("%d backend connections still in the middle of a request after 2s", r.busy))
			break
		}
		r.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	defer r.mu.Unlock()
	got, probs := r.byClient[strconv.FormatInt(n, 10)], r.problems
	for k := range r.byClient {
		if m, _ := strconv.ParseInt(k, 10, 64); m <= n {
			delete(r.byClient, k)
		}
	}
	r.problems = nil
	return got, probs
}

// fuzzServer is a Server on 127.0.0.1 with mod_rewrite's hooks, the
// recording backend, and the strict limits its first virtual host reads
// requests with.
type fuzzServer struct {
	srv    *Server
	port   int
	be     *recorder
	limits http1.Limits
	seq    atomic.Int64
	conns  sync.Map // client port → connection number
}

func startFuzzServer(tb testing.TB) *fuzzServer {
	be := startRecorder(tb)
	dir := tb.TempDir()
	files := map[string]string{
		"mime.types":             "text/plain txt\ntext/html html\n",
		"docs/index.html":        "<h1>index</h1>\n",
		"docs/a.txt":             "hello\n",
		"docs/errors/404.html":   "<p>custom not found</p>\n",
		"docs/sub/..hidden.txt":  "dots\n",
		"docs/sub/b.txt":         "b\n",
		"docs/space name.txt":    "space\n",
		"docs/withidx/index.txt": "no index\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	conf := strings.NewReplacer("$D", dir, "$P1", strconv.Itoa(port), "$B", be.addr()).Replace(fuzzConf)
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir})
	if err := diags.Err(); err != nil {
		tb.Fatalf("config: %v", err)
	}
	srv, err := New(cfg, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := rewrite.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv.Hooks.Rewrite = func(x *Exchange) bool { return fuzzRewriteServer(eng, x) }
	srv.Hooks.DirRewrite = func(x *Exchange, filename string) bool { return fuzzRewriteDir(eng, x, filename) }
	fs := &fuzzServer{srv: srv, port: port, be: be, limits: srv.gen.Load().vhosts[0].limits}
	srv.Hooks.RequestHeaders = func(x *Exchange, h *http1.Headers) {
		if n, ok := fs.conns.Load(x.Remote.Port()); ok {
			h.Set(fuzzTag, strconv.FormatInt(n.(int64), 10))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		srv.ServeListeners(ctx, []net.Listener{ln})
		close(done)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tb.Error("server did not stop")
		}
	})
	return fs
}

// fuzzRewriteServer and fuzzRewriteDir connect mod_rewrite to the
// server as the portico command does.
func fuzzRewriteServer(eng *rewrite.Engine, x *Exchange) bool {
	if x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Server(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target})
	if res.End {
		x.EndRewrite()
	}
	switch res.Kind {
	case rewrite.Unchanged:
		return false
	case rewrite.Local:
		x.SetArgs(res.Args, res.HasArgs)
		if !fuzzRewriteDir(eng, x, res.Filename) {
			x.ServeFile(res.Filename)
		}
		return true
	case rewrite.PassThrough:
		x.SetURI(res.URI, res.Args, res.HasArgs)
		return false
	case rewrite.Proxy:
		x.SetArgs(res.Args, res.HasArgs)
		if !fuzzRewriteDir(eng, x, "proxy:"+res.ProxyURL) {
			x.ProxyTo(res.ProxyURL, res.NoCanon)
		}
		return true
	}
	return fuzzRewriteAnswer(x, &res)
}

func fuzzRewriteDir(eng *rewrite.Engine, x *Exchange, filename string) bool {
	if x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Dir(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target, Filename: filename})
	if res.End {
		x.EndRewrite()
	}
	switch res.Kind {
	case rewrite.Unchanged:
		return false
	case rewrite.InternalRedirect:
		x.InternalRedirect(res.URI, res.Args, res.HasArgs)
		return true
	case rewrite.Proxy:
		x.SetArgs(res.Args, res.HasArgs)
		x.ProxyTo(res.ProxyURL, res.NoCanon)
		return true
	}
	return fuzzRewriteAnswer(x, &res)
}

func fuzzRewriteAnswer(x *Exchange, res *rewrite.Result) bool {
	for _, c := range res.Cookies {
		x.AddErrorHeader("Set-Cookie", c)
	}
	if res.Kind == rewrite.Redirect {
		x.ErrorLocation(res.Status, res.Location)
	} else {
		x.Error(res.Status)
	}
	return true
}

// clientRequest is one request as a strict reader finds it in the bytes
// a client sent.
type clientRequest struct {
	method   string
	major    int
	body     []byte
	complete bool // the body was read whole
	bad      bool // the head is not a request httpd accepts: the server answers an error and closes
}

// strictRead splits what a client sent into the requests httpd's
// reading implies: each head as internal/http1 reads it, then its body
// by its framing. It stops after a bad request, a body cut short, or a
// request after which the connection must close.
func strictRead(raw []byte, lim http1.Limits) []clientRequest {
	br := bufio.NewReader(bytes.NewReader(raw))
	var out []clientRequest
	for {
		if _, err := br.Peek(1); err != nil {
			return out
		}
		req, err := http1.ReadRequest(br, lim)
		if err != nil {
			var se *http1.StatusError
			if errors.As(err, &se) {
				out = append(out, clientRequest{method: "GET", major: 1, bad: true})
			}
			return out
		}
		body, err := io.ReadAll(req.Body)
		out = append(out, clientRequest{method: req.Method, major: req.Major, body: body, complete: err == nil})
		if err != nil || req.Close {
			return out
		}
	}
}

// maxFuzzInput bounds what one fuzz input sends: beyond some 64 KiB the
// input sits in socket buffers the server may never read, and the
// exchange would wait for the deadline.
const maxFuzzInput = 64 << 10

// serveOnce sends raw as one client connection (then half-closes) and
// returns every byte the server sent back, and the connection's number.
func (fs *fuzzServer) serveOnce(raw []byte) ([]byte, int64, error) {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(fs.port))
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	port := uint16(c.LocalAddr().(*net.TCPAddr).Port)
	n := fs.seq.Add(1)
	fs.conns.Store(port, n)
	defer fs.conns.Delete(port)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// Write and read at once: the server answers pipelined requests
	// while the rest is still arriving.
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(raw)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	<-werr
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		return got, n, fmt.Errorf("reading the answer: %w (got %q)", err, clip(got))
	}
	return got, n, nil
}

// isReset reports a connection reset: the server may close with bytes
// of the client's still unread.
func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// checkResponses reads what the client got as HTTP/1.x responses to the
// requests reqs, in order: each must have a status line and fields
// internal/http1 reads and a body complete by its framing, except the
// answer to an HTTP/0.9 request, which is a bare body. There are never
// more final responses than requests.
func checkResponses(got []byte, reqs []clientRequest) error {
	br := bufio.NewReader(bytes.NewReader(got))
	n := 0
	for {
		if _, err := br.Peek(1); err != nil {
			return nil
		}
		if n >= len(reqs) {
			return fmt.Errorf("response %d answers no request (%d requests): %q", n+1, len(reqs), clip(got))
		}
		rq := reqs[n]
		if rq.major == 0 {
			// HTTP/0.9: the body alone, then the close.
			rest, _ := io.ReadAll(br)
			if bytes.HasPrefix(rest, []byte("HTTP/")) {
				return fmt.Errorf("an HTTP/0.9 request got a status line: %q", clip(rest))
			}
			return nil
		}
		resp, err := http1.ReadResponse(br, rq.method, http1.Limits{})
		if err != nil {
			return fmt.Errorf("response %d: %v in %q", n+1, err, clip(got))
		}
		if resp.Major != 1 {
			return fmt.Errorf("response %d is %s, not HTTP/1.x: %q", n+1, resp.Proto, clip(got))
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return fmt.Errorf("response %d body: %v in %q", n+1, err, clip(got))
		}
		if resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
			continue
		}
		n++
	}
}

// checkBackend matches what the backend got, in order, with the client
// requests: each backend request must be one client request with the
// same method and the same body (a body cut short only from a client
// body cut short), at most one backend request per client request, none
// with both Content-Length and Transfer-Encoding.
func checkBackend(got []recorded, reqs []clientRequest) error {
	j := 0
	for i, b := range got {
		if b.problem != "" {
			return fmt.Errorf("backend request %d (%s %s): %s", i+1, b.method, b.target, b.problem)
		}
		matched := false
		for ; j < len(reqs); j++ {
			c := reqs[j]
			if c.bad || c.method != b.method {
				continue
			}
			if b.complete && c.complete && bytes.Equal(b.body, c.body) ||
				!b.complete && !c.complete && bytes.HasPrefix(c.body, b.body) {
				matched = true
				j++
				break
			}
		}
		if !matched {
			return fmt.Errorf("backend request %d (%s %s, %d body bytes %q, complete %v) is none of the client's requests %s",
				i+1, b.method, b.target, len(b.body), clip(b.body), b.complete, describe(reqs))
		}
	}
	return nil
}

func describe(reqs []clientRequest) string {
	var parts []string
	for _, r := range reqs {
		switch {
		case r.bad:
			parts = append(parts, "(bad)")
		default:
			parts = append(parts, fmt.Sprintf("%s HTTP/%d body %q complete %v", r.method, r.major, clip(r.body), r.complete))
		}
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// alive checks that the server still answers a plain proxied request,
// and that the answer is the backend's to exactly that request: a
// backend connection left with stray bytes in the pool would give
// another.
func (fs *fuzzServer) alive() error {
	raw := "GET /app/alive HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n"
	got, n, err := fs.serveOnce([]byte(raw))
	if err != nil {
		return fmt.Errorf("plain request afterwards: %v", err)
	}
	fs.be.take(n)
	resp, err := http1.ReadResponse(bufio.NewReader(bytes.NewReader(got)), "GET", http1.Limits{})
	if err != nil {
		return fmt.Errorf("plain request afterwards: %v in %q", err, clip(got))
	}
	body, _ := io.ReadAll(resp.Body)
	if want := "recorder: GET /app/alive HTTP/1.1\n"; resp.Status != 200 || string(body) != want {
		return fmt.Errorf("plain request afterwards: %d %q; want 200 %q", resp.Status, body, want)
	}
	return nil
}

// FuzzServe feeds each input as the bytes of one client connection to a
// server with virtual hosts, ProxyPass, rewrite rules, static files and
// an ErrorDocument, and checks that nothing breaks: every answer is
// HTTP/1.x (or HTTP/0.9 where the request was), the backend receives
// only requests a strict reading of the client's bytes implies, with
// their bodies, and the server still answers afterwards. The seeds
// under testdata/fuzz/FuzzServe are classic request smuggling and
// parsing attacks.
func FuzzServe(f *testing.F) {
	fs := startFuzzServer(f)
	f.Add([]byte("GET /app/x HTTP/1.1\r\nHost: default.test\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxFuzzInput {
			t.Skip("input larger than the socket buffers")
		}
		reqs := strictRead(raw, fs.limits)
		start := time.Now()
		got, n, err := fs.serveOnce(raw)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			// Nothing here waits for a client or a backend: the client
			// half-closed and the backend answers at once.
			t.Errorf("the exchange took %v", d)
		}
		backendGot, problems := fs.be.take(n)
		for _, p := range problems {
			t.Errorf("backend: %s", p)
		}
		if err := checkResponses(got, reqs); err != nil {
			t.Error(err)
		}
		if err := checkBackend(backendGot, reqs); err != nil {
			t.Error(err)
		}
		if err := fs.alive(); err != nil {
			t.Error(err)
		}
	})
}

// TestFuzzOracle checks that FuzzServe's checks catch what they are
// for: a request smuggled to the backend, a body crossing into the
// next request, both framings at once, responses that answer nothing,
// are not HTTP or are cut short.
func TestFuzzOracle(t *testing.T) {
	clte := []byte("POST /app/x HTTP/1.1\r\nHost: a\r\nContent-Length: 36\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /app/smuggled HTTP/1.1\r\n\r\n")
	reqs := strictRead(clte, http1.Limits{})
	if len(reqs) != 1 || reqs[0].method != "POST" || len(reqs[0].body) != 0 || !reqs[0].complete {
		t.Fatalf("strictRead(CL.TE): %s; want one POST with an empty body (chunked wins, then the connection closes)", describe(reqs))
	}
	post := recorded{method: "POST", target: "/app/x", complete: true}
	backend := []struct {
		name string
		got  []recorded
		ok   bool
	}{
		{"as read", []recorded{post}, true},
		{"nothing", nil, true},
		{"smuggled second request", []recorded{post, {method: "GET", target: "/app/smuggled", complete: true}}, false},
		{"body by Content-Length", []recorded{{method: "POST", target: "/app/x", body: []byte("0\r\n\r\nGET /app/smuggled HTTP/1.1\r\n\r\n"), complete: true}}, false},
		{"both framings", []recorded{{method: "POST", target: "/app/x", complete: true, problem: "both Content-Length and Transfer-Encoding"}}, false},
		{"other method", []recorded{{method: "PUT", target: "/app/x", complete: true}}, false},
		{"cut short", []recorded{{method: "POST", target: "/app/x", complete: false}}, false},
	}
	for _, tt := range backend {
		if err := checkBackend(tt.got, reqs); (err == nil) != tt.ok {
			t.Errorf("checkBackend, %s: %v; want ok %v", tt.name, err, tt.ok)
		}
	}

	one := strictRead([]byte("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"), http1.Limits{})
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
	responses := []struct {
		name string
		reqs []clientRequest
		got  string
		ok   bool
	}{
		{"one answer", one, ok, true},
		{"interim first", one, "HTTP/1.1 100 Continue\r\n\r\n" + ok, true},
		{"no answer", one, "", true},
		{"two answers", one, ok + ok, false},
		{"not HTTP", one, "hello", false},
		{"body cut short", one, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", false},
		{"HTTP/0.9 body", strictRead([]byte("GET /a\r\n"), http1.Limits{}), "hello", true},
		{"HTTP/0.9 with a head", strictRead([]byte("GET /a\r\n"), http1.Limits{}), ok, false},
	}
	for _, tt := range responses {
		if err := checkResponses([]byte(tt.got), tt.reqs); (err == nil) != tt.ok {
			t.Errorf("checkResponses, %s: %v; want ok %v", tt.name, err, tt.ok)
		}
	}
}
