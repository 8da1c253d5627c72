package main

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

func startTestBackend(t *testing.T) *backend {
	t.Helper()
	b, err := startBackend("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestStartBackendRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "[::1]:0"} {
		if b, err := startBackend(addr); err == nil {
			b.Close()
			t.Errorf("startBackend(%q) succeeded; want a refusal", addr)
		}
	}
}

func TestSanityAgainstBackend(t *testing.T) {
	b := startTestBackend(t)
	if err := sanityOnce(b.Addr(), 64); err != nil {
		t.Fatal(err)
	}
	// Something that is not the backend fails it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	if err := sanityOnce(ln.Addr().String(), 64); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("sanity against a 503 server: %v; want an error naming the 503", err)
	}
}

func TestHTTPLoad(t *testing.T) {
	b := startTestBackend(t)
	w := newWindow(100*time.Millisecond, 300*time.Millisecond)
	r := httpLoad(context.Background(), b.Addr(), 4, w, 1<<30)
	if r.ops == 0 || r.errs != 0 || r.bad != 0 {
		t.Fatalf("ops=%d errs=%d bad=%d first=%q; want requests and no errors", r.ops, r.errs, r.bad, r.first)
	}
	if r.lat.n != r.ops || r.lat.quantile(0.5) <= 0 || r.lat.quantile(0.99) < r.lat.quantile(0.5) {
		t.Errorf("latency: n=%d p50=%v p99=%v", r.lat.n, r.lat.quantile(0.5), r.lat.quantile(0.99))
	}
	if time.Now().Before(w.end) {
		t.Error("httpLoad returned before its window ended")
	}
}

func TestHTTPLoadCountBound(t *testing.T) {
	b := startTestBackend(t)
	start := time.Now()
	r := httpLoad(context.Background(), b.Addr(), 3, newWindow(0, time.Minute), 100)
	if !r.maxOps || r.ops > 100 {
		t.Errorf("maxOps=%v ops=%d; want the run stopped at 100", r.maxOps, r.ops)
	}
	if time.Since(start) > 20*time.Second {
		t.Error("the count bound did not end the run")
	}
}

func TestHTTPLoadCountsRefusedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := httpLoad(context.Background(), addr, 2, newWindow(0, 200*time.Millisecond), 1<<30)
	if r.ops != 0 || r.errs == 0 || r.first == "" {
		t.Errorf("ops=%d errs=%d first=%q; want only errors", r.ops, r.errs, r.first)
	}
}

func TestWSEchoLoad(t *testing.T) {
	b := startTestBackend(t)
	r := wsEchoLoad(context.Background(), b.Addr(), 4, 200, newWindow(50*time.Millisecond, 300*time.Millisecond), 1<<30)
	if r.ops == 0 || r.errs != 0 {
		t.Fatalf("ops=%d errs=%d first=%q; want messages and no errors", r.ops, r.errs, r.first)
	}
}

func TestWSEchoLargeAndPing(t *testing.T) {
	b := startTestBackend(t)
	ws, err := wsDial(b.Addr(), "/ws/echo", 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.c.Close()
	payload := echoPayload(300 << 10)
	if err := ws.echo(appendFrame(nil, wsframe.OpBinary, payload, true, ws.key), payload, make([]byte, len(payload))); err != nil {
		t.Fatal(err)
	}
	ws.c.Write(appendFrame(nil, wsframe.OpPing, []byte("p"), true, ws.key))
	fh, err := wsframe.ReadHeader(ws.br)
	if err != nil || fh.Opcode != wsframe.OpPong || fh.Length != 1 {
		t.Fatalf("ping answered with %+v, %v; want a 1-byte pong", fh, err)
	}
}

func TestStreams(t *testing.T) {
	b := startTestBackend(t)
	ctx := context.Background()
	w := newWindow(50*time.Millisecond, 300*time.Millisecond)
	d := streamDown(ctx, b.Addr(), 64<<10, w)
	if d.err != nil || d.bytes == 0 || d.msgs == 0 {
		t.Errorf("down: %+v; want bytes and no error", d)
	}
	w = newWindow(50*time.Millisecond, 300*time.Millisecond)
	u := streamUp(ctx, b.Addr(), 64<<10, 4, w)
	if u.err != nil || u.bytes != u.msgs*(64<<10) || u.msgs == 0 {
		t.Errorf("up: %+v; want whole acknowledged messages and no error", u)
	}
	// A bad size is refused by closing.
	ws, err := wsDial(b.Addr(), "/ws/down?size=0", 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.c.Close()
	ws.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := wsframe.ReadHeader(ws.br); err == nil {
		t.Error("/ws/down?size=0 sent a frame; want the connection closed")
	}
}

func TestWSDialRefusesNon101(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\n\r\n"))
			c.Close()
		}
	}()
	if _, err := wsDial(ln.Addr().String(), "/", 256); err == nil || !strings.Contains(err.Error(), "Sec-WebSocket-Accept") {
		t.Errorf("got %v; want an error about Sec-WebSocket-Accept", err)
	}
}

func TestIdleTunnels(t *testing.T) {
	b := startTestBackend(t)
	measure := func() (usage, error) { return treeUsage(os.Getpid()) }
	r, err := idleTunnels(context.Background(), b.Addr(), 100, 10*time.Millisecond, measure)
	if err != nil {
		t.Fatal(err)
	}
	if r.opened != 100 || r.verified != 100 || r.errors() != 0 || r.before <= 0 || r.after <= 0 {
		t.Errorf("%+v; want 100 opened and verified", r)
	}
	b.mu.Lock()
	open := len(b.conns)
	b.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for open > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		b.mu.Lock()
		open = len(b.conns)
		b.mu.Unlock()
	}
	if open != 0 {
		t.Errorf("%d connections still open at the backend; want idleTunnels to close them all", open)
	}
}

func TestIdleTunnelsCountsFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := idleTunnels(context.Background(), addr, 10, 0, func() (usage, error) { return treeUsage(os.Getpid()) })
	if err != nil {
		t.Fatal(err)
	}
	if r.opened != 0 || r.errors() != 10 || r.first == "" || r.perTunnel() != 0 {
		t.Errorf("%+v; want 10 failures reported", r)
	}
}
