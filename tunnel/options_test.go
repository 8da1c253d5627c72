package tunnel

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// eachEngine runs f with the epoll engine (raw TCP) and with the
// generic copier.
func eachEngine(t *testing.T, f func(t *testing.T, wrap func(net.Conn) net.Conn)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { f(t, e.wrap) })
	}
}

func TestNoHalfCloseEndsBothSides(t *testing.T) {
	eachEngine(t, func(t *testing.T, wrap func(net.Conn) net.Conn) {
		m := NewManager()
		defer shutdownNow(m)
		client, backend, stats := setup(t, m, wrap, nil, nil, Options{NoHalfClose: true})
		io.WriteString(client, "ab")
		if got := string(readN(t, backend, 2)); got != "ab" {
			t.Fatalf("backend got %q; want %q", got, "ab")
		}
		client.(*net.TCPConn).CloseWrite()
		backend.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := backend.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("backend after the client's FIN: got %v; want EOF", err)
		}
		// The other direction is closed too: the client reads EOF
		// although the backend never finished sending.
		client.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := client.Read(make([]byte, 1)); err == nil {
			t.Errorf("client can still read after the tunnel ended")
		}
		if s := waitStats(t, stats); s.Reason != Closed {
			t.Errorf("reason: got %q; want %q", s.Reason, Closed)
		}
	})
}

func TestHoldClientBufUntilClientSends(t *testing.T) {
	eachEngine(t, func(t *testing.T, wrap func(net.Conn) net.Conn) {
		m := NewManager()
		defer shutdownNow(m)
		client, backend, _ := setup(t, m, wrap, []byte("held-"), nil, Options{HoldClientBuf: true})
		backend.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _ := backend.Read(make([]byte, 16)); n != 0 {
			t.Fatalf("the held bytes went out before the client sent anything (%d bytes)", n)
		}
		io.WriteString(client, "next")
		backend.SetReadDeadline(time.Now().Add(3 * time.Second))
		if got := string(readN(t, backend, 9)); got != "held-next" {
			t.Errorf("backend got %q; want %q", got, "held-next")
		}
	})
}

// shutdownNow closes a Manager's tunnels at once.
func shutdownNow(m *Manager) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.Shutdown(ctx)
}
