package server

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/http1"
)

const keepAliveConf = `
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName main.test
Listen 127.0.0.1:$P1
DocumentRoot $D/docs
MaxKeepAliveRequests 2
KeepAliveTimeout 7
`

// TestKeepAlive: with MaxKeepAliveRequests 2 httpd serves three
// requests on a connection, the third with Connection: close; HTTP/1.0
// clients asking for keep-alive get Keep-Alive with the requests left.
// Both observed on apache2 2.4.71 with this configuration.
func TestKeepAlive(t *testing.T) {
	ts := startServer(t, keepAliveConf, 1, map[string]string{"docs/nf.html": "custom not found\n"}, nil)
	p := ts.ports[0]
	r11 := strings.Repeat("GET /nf.html HTTP/1.1\r\nHost: a\r\n\r\n", 4)
	rs := exchange(t, p, r11)
	if len(rs) != 3 {
		t.Fatalf("HTTP/1.1: %d responses; want 3", len(rs))
	}
	for i, want := range []string{"", "", "close"} {
		if got := rs[i].header("Connection"); got != want {
			t.Errorf("HTTP/1.1 response %d: Connection %q; want %q", i+1, got, want)
		}
	}
	r10 := strings.Repeat("GET /nf.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 3) + "GET /nf.html HTTP/1.0\r\n\r\n"
	rs = exchange(t, p, r10)
	if len(rs) != 3 {
		t.Fatalf("HTTP/1.0: %d responses; want 3", len(rs))
	}
	wants := []struct{ ka, conn string }{
		{"timeout=7, max=2", "Keep-Alive"},
		{"timeout=7, max=1", "Keep-Alive"},
		{"", "close"},
	}
	for i, w := range wants {
		if rs[i].header("Keep-Alive") != w.ka || rs[i].header("Connection") != w.conn {
			t.Errorf("HTTP/1.0 response %d: Keep-Alive %q Connection %q; want %q %q", i+1,
				rs[i].header("Keep-Alive"), rs[i].header("Connection"), w.ka, w.conn)
		}
	}
	// A 400 closes the connection: the request after it is not read.
	rs = exchange(t, p, "GET /nf.html HTTP/1.1\r\nHost: a..b\r\n\r\nGET /nf.html HTTP/1.1\r\nHost: a\r\n\r\n")
	if len(rs) != 1 || rs[0].status != 400 || rs[0].header("Connection") != "close" {
		t.Errorf("after a 400: %d responses; want one 400 with Connection: close", len(rs))
	}
}

// TestKeepAliveTimeout: an idle kept-alive connection is closed after
// KeepAliveTimeout.
func TestKeepAliveTimeout(t *testing.T) {
	conf := strings.Replace(keepAliveConf, "KeepAliveTimeout 7", "KeepAliveTimeout 150ms", 1)
	ts := startServer(t, conf, 1, map[string]string{"docs/nf.html": "x"}, nil)
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ts.ports[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /nf.html HTTP/1.1\r\nHost: a\r\n\r\n")
	br := bufio.NewReader(c)
	if _, err := readResponse(br, false); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v; want EOF", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v; want about 150ms", d)
	}
}

// TestGracefulShutdown: when the context ends, the listener closes at
// once, idle connections close, and a request in flight completes.
func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	ts := startServer(t, keepAliveConf, 1, map[string]string{"docs/nf.html": "x"}, func(s *Server) {
		s.Hooks.Rewrite = func(x *Exchange) bool {
			if x.URI != "/slow" {
				return false
			}
			close(entered)
			<-release
			x.WriteResponse(200, "", http1.Headers{{Name: "Content-Type", Value: "text/plain"}}, strings.NewReader("done"), 4)
			return true
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(ts.ports[0])
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /nf.html HTTP/1.1\r\nHost: a\r\n\r\n")
	idleBR := bufio.NewReader(idle)
	if _, err := readResponse(idleBR, false); err != nil {
		t.Fatal(err)
	}

	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	ts.cancel()

	// The idle connection is closed and new connections are refused.
	idle.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := idleBR.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v; want EOF", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-ts.done:
		t.Fatal("Serve returned with a request in flight")
	case <-time.After(100 * time.Millisecond):
	}

	close(release)
	busy.SetReadDeadline(time.Now().Add(3 * time.Second))
	r, err := readResponse(bufio.NewReader(busy), false)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	if r.status != 200 || r.body != "done" || r.header("Connection") != "close" {
		t.Errorf("in-flight request: %d %q Connection %q; want 200 \"done\" close", r.status, r.body, r.header("Connection"))
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		ts.done <- nil // for the cleanup
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after the last request")
	}
}

// TestGracefulShutdownTimeout: requests still running after
// GracefulShutdownTimeout are cut off.
func TestGracefulShutdownTimeout(t *testing.T) {
	conf := keepAliveConf + "GracefulShutdownTimeout 1\n"
	entered := make(chan struct{})
	block := make(chan struct{})
	defer close(block)
	ts := startServer(t, conf, 1, map[string]string{"docs/": ""}, func(s *Server) {
		s.Hooks.Rewrite = func(x *Exchange) bool {
			close(entered)
			<-block
			return true
		}
	})
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ts.ports[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	start := time.Now()
	ts.cancel()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read: %v; want EOF once the timeout passed", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 4*time.Second {
		t.Errorf("connection closed after %v; want about 1s", d)
	}
}
