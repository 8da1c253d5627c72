package tunnel

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ch
	if a == nil {
		t.Fatal("accept failed")
	}
	return d, a
}

// setup builds client app ⇄ proxy ⇄ backend app and starts a tunnel in
// the middle; it returns the two application ends and a channel with
// the tunnel's Stats.
func setup(t testing.TB, m *Manager, wrap func(net.Conn) net.Conn, cbuf, bbuf []byte, opt Options) (client, backend net.Conn, stats chan Stats) {
	t.Helper()
	client, proxyC := pair(t)
	proxyB, backend := pair(t)
	if wrap != nil {
		proxyC, proxyB = wrap(proxyC), wrap(proxyB)
	}
	stats = make(chan Stats, 1)
	if err := m.Start(proxyC, cbuf, proxyB, bbuf, opt, func(s Stats) { stats <- s }); err != nil {
		t.Fatal(err)
	}
	return client, backend, stats
}

// plainConn hides the TCP type so the generic copier is used.
type plainConn struct{ net.Conn }

func (p plainConn) CloseWrite() error { return p.Conn.(*net.TCPConn).CloseWrite() }

var engines = []struct {
	name string
	wrap func(net.Conn) net.Conn
}{
	{"raw", nil},
	{"generic", func(c net.Conn) net.Conn { return plainConn{c} }},
}

func readN(t testing.TB, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func waitStats(t testing.TB, ch chan Stats) Stats {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("tunnel did not end")
	}
	return Stats{}
}

func TestBufferedBytesFirstAndHalfClose(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			m := NewManager()
			defer m.Shutdown(context.Background())
			client, backend, stats := setup(t, m, e.wrap, []byte("early-client "), []byte("early-backend "), Options{})
			defer client.Close()
			defer backend.Close()
			client.Write([]byte("hello"))
			if got := string(readN(t, backend, len("early-client hello"))); got != "early-client hello" {
				t.Fatalf("backend got %q", got)
			}
			backend.Write([]byte("world"))
			if got := string(readN(t, client, len("early-backend world"))); got != "early-backend world" {
				t.Fatalf("client got %q", got)
			}
			// The client half-closes: the backend sees EOF, and can
			// still answer.
			client.(*net.TCPConn).CloseWrite()
			backend.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := backend.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("backend after client FIN: n=%d err=%v", n, err)
			}
			backend.Write([]byte("after-fin"))
			if got := string(readN(t, client, 9)); got != "after-fin" {
				t.Fatalf("client got %q after its FIN", got)
			}
			if m.Len() != 1 {
				t.Fatalf("live tunnels %d, want 1 while one direction flows", m.Len())
			}
			backend.Close()
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("client after backend close: n=%d err=%v", n, err)
			}
			s := waitStats(t, stats)
			if s.ClientToBackend != int64(len("early-client hello")) || s.BackendToClient != int64(len("early-backend world")+9) {
				t.Errorf("stats %+v", s)
			}
			if s.Reason != Closed && s.Reason != Error {
				t.Errorf("reason %q", s.Reason)
			}
		})
	}
}

func TestLargeTransferBothWays(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			m := NewManager()
			defer m.Shutdown(context.Background())
			client, backend, stats := setup(t, m, e.wrap, nil, nil, Options{})
			const size = 16 << 20
			up := make([]byte, size)
			down := make([]byte, size)
			rand.Read(up)
			rand.Read(down)
			var wg sync.WaitGroup
			var gotUp, gotDown [32]byte
			wg.Add(4)
			go func() { defer wg.Done(); client.Write(up); client.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); backend.Write(down); backend.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); b, _ := io.ReadAll(backend); gotUp = sha256.Sum256(b) }()
			go func() { defer wg.Done(); b, _ := io.ReadAll(client); gotDown = sha256.Sum256(b) }()
			wg.Wait()
			if gotUp != sha256.Sum256(up) || gotDown != sha256.Sum256(down) {
				t.Fatal("data corrupted in the tunnel")
			}
			s := waitStats(t, stats)
			if s.ClientToBackend != size || s.BackendToClient != size || s.Reason != Closed {
				t.Errorf("stats %+v", s)
			}
			client.Close()
			backend.Close()
		})
	}
}

func TestSlowReaderBackpressure(t *testing.T) {
	m := NewManager()
	defer m.Shutdown(context.Background())
	client, backend, _ := setup(t, m, nil, nil, nil, Options{})
	defer client.Close()
	defer backend.Close()
	// The backend does not read: the client's writes must eventually
	// block instead of piling up in the proxy.
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	written := 0
	client.SetWriteDeadline(time.Now().Add(2 * time.Second))
	for written < 256<<20 {
		n, err := client.Write(chunk)
		written += n
		if err != nil {
			break
		}
	}
	if written >= 256<<20 {
		t.Fatal("256 MiB went into the tunnel without the backend reading: no backpressure")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > 200<<20 {
		t.Errorf("heap in use %d MiB with a stalled reader", ms.HeapInuse>>20)
	}
}

func TestIdleTimeoutClosesBothSides(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			m := NewManager()
			defer m.Shutdown(context.Background())
			client, backend, stats := setup(t, m, e.wrap, nil, nil, Options{IdleTimeout: 1500 * time.Millisecond})
			defer client.Close()
			defer backend.Close()
			// Traffic in one direction keeps the tunnel alive.
			for i := 0; i < 3; i++ {
				time.Sleep(700 * time.Millisecond)
				backend.Write([]byte("k"))
				readN(t, client, 1)
			}
			start := time.Now()
			s := waitStats(t, stats)
			if s.Reason != Idle {
				t.Fatalf("reason %q, want idle", s.Reason)
			}
			if waited := time.Since(start); waited > 4*time.Second {
				t.Errorf("idle close took %v", waited)
			}
			for _, c := range []net.Conn{client, backend} {
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Read(make([]byte, 1)); err == nil {
					t.Error("side still open after idle timeout")
				}
			}
		})
	}
}

func TestShutdownWaitsThenCloses(t *testing.T) {
	m := NewManager()
	client, backend, stats := setup(t, m, nil, nil, nil, Options{})
	defer client.Close()
	defer backend.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown reported no forced close")
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Error("Shutdown did not wait for the live tunnel")
	}
	if s := waitStats(t, stats); s.Reason != Shutdown {
		t.Errorf("reason %q", s.Reason)
	}
	if err := m.Start(client, nil, backend, nil, Options{}, nil); err != ErrClosed {
		t.Errorf("Start after Shutdown: %v", err)
	}
}

func TestResetEndsTunnel(t *testing.T) {
	m := NewManager()
	defer m.Shutdown(context.Background())
	client, backend, stats := setup(t, m, nil, nil, nil, Options{})
	defer backend.Close()
	client.(*net.TCPConn).SetLinger(0)
	client.Close() // RST
	s := waitStats(t, stats)
	if s.Reason != Error && s.Reason != Closed {
		t.Errorf("reason %q", s.Reason)
	}
	backend.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := backend.Read(make([]byte, 1)); err == nil {
		t.Error("backend still open after the client reset")
	}
}

func fdCount(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestNoLeaks(t *testing.T) {
	m := NewManager()
	runtime.GC()
	fds0, g0 := fdCount(t), runtime.NumGoroutine()
	for round := 0; round < 3; round++ {
		var conns []net.Conn
		var chans []chan Stats
		for i := 0; i < 200; i++ {
			c, b, s := setup(t, m, engines[i%2].wrap, nil, nil, Options{})
			conns = append(conns, c, b)
			chans = append(chans, s)
		}
		for i := 0; i < len(conns); i += 2 {
			conns[i].Write([]byte("ping"))
			readN(t, conns[i+1], 4)
			conns[i].Close()
			conns[i+1].Close()
		}
		for _, ch := range chans {
			waitStats(t, ch)
		}
	}
	if m.Len() != 0 {
		t.Fatalf("%d tunnels still live", m.Len())
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if fdCount(t) <= fds0 && runtime.NumGoroutine() <= g0+2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fds, g := fdCount(t), runtime.NumGoroutine(); fds > fds0 || g > g0+2 {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Fatalf("leak: fds %d → %d, goroutines %d → %d\n%s", fds0, fds, g0, g, firstLines(string(buf[:n]), 40))
	}
	m.Shutdown(context.Background())
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
