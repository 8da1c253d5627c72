package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/compat/backend"
	"github.com/portico-proxy/portico/internal/http1"
)

// leakConf proxies /ok/ to a backend that behaves and /bad/ to the same
// backend with a one-second timeout and a small ResponseFieldSize, so
// that the compat backend's commands can misbehave in every way: close
// without answer, garbage, sleep past the timeout, a header too large,
// a body shorter than its Content-Length, 101 unasked.
const leakConf = tunnelPreamble + `Timeout 5
ProxyPass /ok/ http://$B/ok/
ProxyPass /bad/ http://$B/bad/ timeout=1 responsefieldsize=1024
`

// leakEnv is a server and a compat backend started for a leak test,
// stopped by stop.
type leakEnv struct {
	srv    *Server
	port   int
	be     *backend.Backend
	seen   atomic.Int64 // requests the backend received
	cancel context.CancelFunc
	done   chan struct{}
}

// startLeakEnv starts the compat backend and a server proxying to it
// with conf ($B is the backend, $P1 the server's port), without
// t.Cleanup: each test stops them itself before counting.
func startLeakEnv(t *testing.T, conf string) *leakEnv {
	t.Helper()
	e := &leakEnv{done: make(chan struct{})}
	var err error
	e.be, err = backend.Start("backend", "127.0.0.1:0", func(ev backend.Event) {
		if ev.Request != nil {
			e.seen.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.port = ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	conf = strings.NewReplacer("$B", e.be.Addr(), "$P1", strconv.Itoa(e.port)).Replace(conf)
	file := dir + "/httpd.conf"
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir})
	if err := diags.Err(); err != nil {
		t.Fatalf("config: %v", err)
	}
	e.srv, err = New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		e.srv.ServeListeners(ctx, []net.Listener{ln})
		close(e.done)
	}()
	return e
}

// stop shuts the server down gracefully, waits for Serve to return, and
// stops the backend.
func (e *leakEnv) stop(t *testing.T) {
	t.Helper()
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after the shutdown")
	}
	e.be.Stop()
}

// idle waits until the server has no client connection left.
func (e *leakEnv) idle(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		e.srv.mu.Lock()
		n := len(e.srv.conns)
		e.srv.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d client connections still open %v after the last client left", n, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// baseline notes the goroutines and open descriptors now; the function
// it returns waits until both are back (within 10 seconds) and fails
// with the goroutines' stacks otherwise.
func baseline(t *testing.T) func() {
	t.Helper()
	runtime.GC()
	g0, fd0 := runtime.NumGoroutine(), openFDs(t)
	return func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			g, fd := runtime.NumGoroutine(), openFDs(t)
			if g <= g0 && fd <= fd0 {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Fatalf("%d goroutines (was %d), %d open descriptors (was %d); goroutines:\n%s", g, g0, fd, fd0, buf)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// warmUp runs one of each exchange against a server that is then
// stopped, so that what the process makes once and keeps (pools of
// buffers, the resolver) is in place before a baseline is taken.
func warmUp(t *testing.T) {
	t.Helper()
	e := startLeakEnv(t, leakConf)
	c := &leakClient{port: e.port}
	for _, k := range leakKinds {
		c.do(k, false)
	}
	c.close()
	e.stop(t)
}

// leakKind is one kind of request of the load and what the client must
// get for it: want 0 accepts any answer or a close, as long as it comes
// within the client's deadline.
type leakKind struct {
	name   string
	method string
	path   string
	body   int // request body bytes (Content-Length), -1 chunked
	want   int
	length int // body length of a 200 from a backend that behaves
}

var leakKinds = []leakKind{
	{"ok", "GET", "/ok/x", 0, 200, len("backend: GET /ok/x HTTP/1.1\n")},
	{"chunked", "GET", "/ok/_/chunked", 0, 200, len("backend: GET /ok/_/chunked HTTP/1.1\n")},
	{"big", "GET", "/ok/_/big/300000", 0, 200, 300000},
	{"echo", "POST", "/ok/_/echo", 20000, 200, 20000},
	{"echo chunked", "POST", "/ok/_/echo", -1, 200, 3 * 4096},
	{"status", "GET", "/ok/_/status/503", 0, 503, -1},
	{"interim", "GET", "/ok/_/interim/2", 0, 200, -1},
	{"HEAD", "HEAD", "/ok/x", 0, 200, -1},
	{"close without answer", "GET", "/bad/_/close", 0, 0, -1},
	{"garbage", "GET", "/bad/_/garbage", 0, 0, -1},
	{"huge header", "GET", "/bad/_/status/200?h=X-Big:" + strings.Repeat("b", 2000), 0, 502, -1},
	{"short body", "GET", "/bad/_/raw?r=" + rawParam("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"), 0, 0, -1},
	{"101 unasked", "GET", "/bad/_/101", 0, 0, -1},
	{"sleep past timeout", "GET", "/bad/_/sleep/1500ms", 0, 502, -1}, // as apache2 answers (testdata/compat/worker_timeout)
}

// leakClient sends requests on one connection while the server keeps
// it open, and opens another when it closes.
type leakClient struct {
	port int
	c    net.Conn
	br   *bufio.Reader
}

func (lc *leakClient) close() {
	if lc.c != nil {
		lc.c.Close()
		lc.c = nil
	}
}

// do sends one request of kind k (with Connection: close when fresh is
// set) and reads the answer. It returns an error when the answer is
// not what k wants or does not come in time.
func (lc *leakClient) do(k leakKind, fresh bool) error {
	if lc.c == nil {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(lc.port))
		if err != nil {
			return err
		}
		lc.c, lc.br = c, bufio.NewReader(c)
	}
	lc.c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: localhost\r\n", k.method, k.path)
	if fresh {
		b.WriteString("Connection: close\r\n")
	}
	switch {
	case k.body > 0:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", k.body, strings.Repeat("p", k.body))
	case k.body < 0:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for range 3 {
			fmt.Fprintf(&b, "1000\r\n%s\r\n", strings.Repeat("c", 4096))
		}
		b.WriteString("0\r\n\r\n")
	default:
		b.WriteString("\r\n")
	}
	if _, err := io.WriteString(lc.c, b.String()); err != nil {
		lc.close()
		return k.check(0, -1, err)
	}
	var resp *http1.Response
	var err error
	for {
		resp, err = http1.ReadResponse(lc.br, k.method, http1.Limits{})
		if err != nil || resp.Status >= 200 {
			break
		}
	}
	if err != nil {
		lc.close()
		return k.check(0, -1, err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.Close || fresh || resp.Status == 101 {
		lc.close()
	}
	return k.check(resp.Status, n, err)
}

// check compares what came back with what k wants. err is how reading
// ended; a timeout is always wrong.
func (k leakKind) check(status int, n int64, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: no answer: %v", k.name, err)
	}
	if k.want == 0 {
		return nil
	}
	if err != nil || status != k.want {
		return fmt.Errorf("%s: got status %d (%v); want %d", k.name, status, err, k.want)
	}
	if k.length >= 0 && n != int64(k.length) {
		return fmt.Errorf("%s: got %d body bytes; want %d", k.name, n, k.length)
	}
	return nil
}

// TestLeakProxyLoad sends 2,000 requests through the proxy from eight
// clients, on kept-alive and on new connections, to a backend that
// behaves and to one that misbehaves in every way the compat backend
// can; afterwards no client connection is left open, and once the
// server and the backend have stopped, goroutines and descriptors are
// back where they were.
func TestLeakProxyLoad(t *testing.T) {
	warmUp(t)
	check := baseline(t)
	e := startLeakEnv(t, leakConf)
	const clients, perClient = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := &leakClient{port: e.port}
			defer lc.close()
			for j := range perClient {
				n := i*perClient + j
				// The slow kind once in a hundred; the others in turn.
				k := leakKinds[n%(len(leakKinds)-1)]
				if n%100 == 99 {
					k = leakKinds[len(leakKinds)-1]
				}
				if err := lc.do(k, n%3 == 0); err != nil {
					errs <- fmt.Errorf("request %d: %w", n, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.seen.Load(); got < clients*perClient*9/10 {
		t.Errorf("the backend saw %d requests; want about %d", got, clients*perClient)
	}
	e.idle(t, 5*time.Second)
	e.stop(t)
	check()
}

// TestLeakVanishingClients: clients that go away in the middle of their
// request (a body half sent, a head half sent) or while the backend is
// still streaming or thinking (closed, or reset) leave nothing behind.
func TestLeakVanishingClients(t *testing.T) {
	warmUp(t)
	check := baseline(t)
	e := startLeakEnv(t, leakConf)
	dial := func() (*net.TCPConn, error) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(e.port))
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c.(*net.TCPConn), nil
	}
	vanish := []struct {
		name string
		run  func(c *net.TCPConn) error
	}{
		{"body half sent", func(c *net.TCPConn) error {
			_, err := io.WriteString(c, "POST /ok/_/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("h", 30000))
			return err
		}},
		{"chunked body half sent", func(c *net.TCPConn) error {
			_, err := io.WriteString(c, "POST /ok/_/echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n"+strings.Repeat("h", 20000))
			return err
		}},
		{"head half sent", func(c *net.TCPConn) error {
			_, err := io.WriteString(c, "GET /ok/x HTTP/1.1\r\nHost: localhost\r\nX-Half: ")
			return err
		}},
		{"reset while the backend streams", func(c *net.TCPConn) error {
			if _, err := io.WriteString(c, "GET /ok/_/big/30000000 HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
				return err
			}
			_, err := io.ReadFull(c, make([]byte, 64<<10))
			return err
		}},
		{"reset while the backend streams chunks", func(c *net.TCPConn) error {
			if _, err := io.WriteString(c, "GET /ok/_/chunked/big/30000000 HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
				return err
			}
			_, err := io.ReadFull(c, make([]byte, 64<<10))
			return err
		}},
		{"gone while the backend thinks", func(c *net.TCPConn) error {
			_, err := io.WriteString(c, "GET /ok/_/sleep/300ms HTTP/1.1\r\nHost: localhost\r\n\r\n")
			return err
		}},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for round := range 40 {
		for _, v := range vanish {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := dial()
				if err != nil {
					errs <- err
					return
				}
				if err := v.run(c); err != nil {
					errs <- fmt.Errorf("%s: %v", v.name, err)
				}
				// Half the clients reset the connection, the others
				// close it.
				if round%2 == 0 {
					c.SetLinger(0)
				}
				c.Close()
			}()
		}
		if round%8 == 7 {
			wg.Wait()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.idle(t, 5*time.Second)
	// The server still answers.
	lc := &leakClient{port: e.port}
	if err := lc.do(leakKinds[0], true); err != nil {
		t.Error(err)
	}
	lc.close()
	e.stop(t)
	check()
}

// TestLeakGracefulShutdown: requests in flight when the shutdown begins
// complete whole, and then nothing is left: the pooled backend
// connections are closed with the rest.
func TestLeakGracefulShutdown(t *testing.T) {
	warmUp(t)
	check := baseline(t)
	e := startLeakEnv(t, leakConf)
	// Connections kept alive in the pool before the shutdown.
	lc := &leakClient{port: e.port}
	for range 5 {
		if err := lc.do(leakKinds[0], false); err != nil {
			t.Fatal(err)
		}
	}
	lc.close()
	const inFlight = 20
	before := e.seen.Load()
	kinds := []leakKind{
		{"slow", "GET", "/ok/_/sleep/700ms", 0, 200, len("backend: GET /ok/_/sleep/700ms HTTP/1.1\n")},
		{"slow big", "GET", "/ok/_/sleep/500ms/big/2000000", 0, 200, 2000000},
	}
	var wg sync.WaitGroup
	errs := make(chan error, inFlight)
	for i := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := &leakClient{port: e.port}
			defer lc.close()
			if err := lc.do(kinds[i%2], false); err != nil {
				errs <- err
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.seen.Load() < before+inFlight {
		if time.Now().After(deadline) {
			t.Fatalf("the backend saw %d of the %d requests", e.seen.Load()-before, inFlight)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.stop(t)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check()
}

// TestLeakShutdownTimeoutCutsBackendWait: with GracefulShutdownTimeout
// 1, a request still waiting for its backend is cut off after a second:
// Serve returns without waiting for the backend, and the connections of
// both sides are closed.
func TestLeakShutdownTimeoutCutsBackendWait(t *testing.T) {
	warmUp(t)
	check := baseline(t)
	e := startLeakEnv(t, leakConf+"GracefulShutdownTimeout 1\n")
	before := e.seen.Load()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := &leakClient{port: e.port}
			defer lc.close()
			lc.do(leakKind{"slow", "GET", "/ok/_/sleep/4s", 0, 0, -1}, false)
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.seen.Load() < before+4 {
		if time.Now().After(deadline) {
			t.Fatalf("the backend saw %d of the 4 requests", e.seen.Load()-before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return 5s into a shutdown with GracefulShutdownTimeout 1")
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 2500*time.Millisecond {
		t.Errorf("Serve returned %v into the shutdown; want about 1s", d)
	}
	wg.Wait()
	e.be.Stop()
	check()
}

// rawParam escapes s for the compat backend's r= parameter, which
// decodes %XX and nothing else ("+" stays "+").
func rawParam(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
