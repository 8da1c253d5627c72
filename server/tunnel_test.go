package server

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat/backend"
	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// tunnelPreamble loads the modules a proxying configuration needs.
const tunnelPreamble = `LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so
Listen 127.0.0.1:$P1
ServerName localhost
`

var soak = flag.Duration("soak", 0, "run TestTunnelSoak for this long (e.g. 30s); 0 runs a short version")

// startEcho starts the compat test backend (WebSocket frame echo, raw
// echo for other protocols) on 127.0.0.1.
func startEcho(t *testing.T) *backend.Backend {
	t.Helper()
	b, err := backend.Start("backend", "127.0.0.1:0", func(backend.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

// wsClient is a WebSocket client connection through the proxy.
type wsClient struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// dialWS opens a connection to port and upgrades path with the given
// Upgrade value ("websocket" sends a WebSocket handshake).
func dialWS(t testing.TB, port int, path, upgrade string) *wsClient {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: " + upgrade + "\r\nConnection: Upgrade\r\n"
	if upgrade == "websocket" {
		req += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	r, err := readResponse(br, true)
	if err != nil {
		t.Fatalf("reading the 101: %v", err)
	}
	if r.status != 101 {
		t.Fatalf("upgrade %s: got status %d (%q); want 101", path, r.status, r.head)
	}
	if upgrade == "websocket" {
		if got, want := r.header("Sec-WebSocket-Accept"), wsframe.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != want {
			t.Fatalf("Sec-WebSocket-Accept: got %q; want %q", got, want)
		}
	}
	return &wsClient{t: t, c: c, br: br}
}

func (w *wsClient) send(f wsframe.Frame) {
	w.t.Helper()
	f.Masked, f.MaskKey = true, [4]byte{1, 2, 3, 4}
	if err := wsframe.Write(w.c, f); err != nil {
		w.t.Fatalf("sending a %s frame: %v", wsframe.OpcodeName(f.Opcode), err)
	}
}

func (w *wsClient) recv() wsframe.Frame {
	w.t.Helper()
	f, err := wsframe.Read(w.br)
	if err != nil {
		w.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

// roundTrip sends f and checks that the echo has the same kind and
// payload (a ping comes back as a pong).
func (w *wsClient) roundTrip(f wsframe.Frame) {
	w.t.Helper()
	w.send(f)
	got := w.recv()
	want := f.Opcode
	if want == wsframe.OpPing {
		want = wsframe.OpPong
	}
	if got.Opcode != want || got.Fin != f.Fin || !bytes.Equal(got.Payload, f.Payload) {
		w.t.Fatalf("echo of %s (fin %v, %d bytes): got %s (fin %v, %d bytes)", wsframe.OpcodeName(f.Opcode), f.Fin, len(f.Payload),
			wsframe.OpcodeName(got.Opcode), got.Fin, len(got.Payload))
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestTunnelWebSocketFrames(t *testing.T) {
	be := startEcho(t)
	ts := startServer(t, tunnelPreamble+"ProxyPass /ws/ ws://"+be.Addr()+"/ws/\n", 1, nil, nil)
	w := dialWS(t, ts.ports[0], "/ws/chat", "websocket")
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte("hello")})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpText})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpBinary, Payload: pattern(300)})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpBinary, Payload: pattern(70000)})
	// A fragmented message with a ping between its fragments.
	w.roundTrip(wsframe.Frame{Fin: false, Opcode: wsframe.OpText, Payload: []byte("one-")})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpPing, Payload: []byte("between")})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpContinuation, Payload: []byte("two")})
	// An unsolicited pong is passed on (the backend answers nothing).
	w.send(wsframe.Frame{Fin: true, Opcode: wsframe.OpPong, Payload: []byte("p")})
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte("after pong")})
	// Compressed frames (RSV1) pass untouched.
	w.send(wsframe.Frame{Fin: true, RSV: 4, Opcode: wsframe.OpText, Payload: []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}})
	if f := w.recv(); !bytes.Equal(f.Payload, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) {
		t.Errorf("RSV1 frame payload: got %x", f.Payload)
	}
	// A 16 MiB message.
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpBinary, Payload: pattern(16 << 20)})
	if n := ts.Tunnels(); n != 1 {
		t.Errorf("live tunnels: got %d; want 1", n)
	}
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpClose, Payload: []byte{0x03, 0xe8}})
	if _, err := w.br.ReadByte(); err != io.EOF {
		t.Errorf("after the close handshake: got %v; want the connection closed (EOF)", err)
	}
	// The backend's FIN reached the client; the tunnel ends when the
	// client closes too.
	w.c.Close()
	waitTunnels(t, ts.Server, 0, 3*time.Second)
}

// waitTunnels waits until the server has n live tunnels.
func waitTunnels(t *testing.T, s *Server, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for s.Tunnels() != n {
		if time.Now().After(deadline) {
			t.Fatalf("live tunnels: got %d after %v; want %d", s.Tunnels(), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTunnelIdleTimeoutReapsSilentClient(t *testing.T) {
	be := startEcho(t)
	// A client that vanished without a FIN looks, to the proxy, like one
	// that says nothing: the idle timeout must end its tunnel.
	ts := startServer(t, tunnelPreamble+"Timeout 30\n"+
		"<IfModule portico_module>\nPorticoTunnelIdleTimeout 1\n</IfModule>\n"+
		"ProxyPass /ws/ ws://"+be.Addr()+"/ws/\n", 1, nil, nil)
	w := dialWS(t, ts.ports[0], "/ws/chat", "websocket")
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte("then silence")})
	start := time.Now()
	waitTunnels(t, ts.Server, 0, 4*time.Second)
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("the tunnel ended after %v; want about 1s of idleness", d)
	}
	w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := w.br.ReadByte(); err == nil {
		t.Errorf("the client connection is still open after the idle timeout")
	}
}

func TestTunnelHalfClose(t *testing.T) {
	be := startEcho(t)
	ts := startServer(t, tunnelPreamble+"ProxyPass /up/ http://"+be.Addr()+"/up/ upgrade=foo\n", 1, nil, nil)
	w := dialWS(t, ts.ports[0], "/up/x", "foo")
	io.WriteString(w.c, "last words")
	if err := w.c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(w.br)
	if err != nil {
		t.Fatalf("reading after the half-close: %v", err)
	}
	if string(got) != "last words" {
		t.Errorf("after the client's FIN: got %q; want the echo %q, then the end", got, "last words")
	}
	waitTunnels(t, ts.Server, 0, 3*time.Second)
}

func TestTunnelShutdownWaitsForGracefulTimeout(t *testing.T) {
	be := startEcho(t)
	ts := startServer(t, tunnelPreamble+"GracefulShutdownTimeout 1\nProxyPass /ws/ ws://"+be.Addr()+"/ws/\n", 1, nil, nil)
	w := dialWS(t, ts.ports[0], "/ws/chat", "websocket")
	ts.cancel()
	time.Sleep(300 * time.Millisecond)
	// Not accepting any more, but the tunnel still carries frames.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(ts.ports[0]), time.Second); err == nil {
		c.Close()
		t.Errorf("the server still accepts connections after the shutdown began")
	}
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte("still here")})
	select {
	case <-ts.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not stop after GracefulShutdownTimeout")
	}
	w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := w.br.ReadByte(); err == nil {
		t.Errorf("the tunnel is still open after GracefulShutdownTimeout")
	}
	ts.done <- nil // for the cleanup
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestTunnelSoak opens many WebSocket connections through the proxy,
// sends random traffic on them, closes them (some cleanly, some
// abruptly), and checks that goroutines and descriptors come back to
// where they were. go test -run TestTunnelSoak -soak 30s runs it for
// longer with 2,000 connections.
func TestTunnelSoak(t *testing.T) {
	conns, dur := 100, 2*time.Second
	if *soak > 0 {
		conns, dur = 2000, *soak
	}
	be := startEcho(t)
	ts := startServer(t, tunnelPreamble+"ProxyPass /ws/ ws://"+be.Addr()+"/ws/\n", 1, nil, nil)
	// Warm up: the tunnel engine's event loops are made once.
	w := dialWS(t, ts.ports[0], "/ws/warm", "websocket")
	w.roundTrip(wsframe.Frame{Fin: true, Opcode: wsframe.OpClose})
	w.c.Close()
	waitTunnels(t, ts.Server, 0, 3*time.Second)
	runtime.GC()
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	var wg sync.WaitGroup
	errs := make(chan error, conns)
	stop := time.Now().Add(dur)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := soakOne(ts.ports[0], i, stop); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitTunnels(t, ts.Server, 0, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		g, fd := runtime.NumGoroutine(), openFDs(t)
		if g <= baseG+2 && fd <= baseFD {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d connections: %d goroutines (was %d), %d fds (was %d)", conns, g, baseG, fd, baseFD)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// soakOne runs one client of the soak: random frames until stop, then a
// close handshake or an abrupt close.
func soakOne(port, i int, stop time.Time) error {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(stop.Add(30 * time.Second))
	fmt.Fprintf(c, "GET /ws/soak%d HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", i)
	br := bufio.NewReader(c)
	r, err := readResponse(br, true)
	if err != nil || r.status != 101 {
		return fmt.Errorf("client %d: handshake failed: %v %v", i, r, err)
	}
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	for time.Now().Before(stop) {
		p := make([]byte, rng.IntN(4096))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		op := []byte{wsframe.OpText, wsframe.OpBinary, wsframe.OpPing}[rng.IntN(3)]
		if op == wsframe.OpPing && len(p) > 125 {
			p = p[:125]
		}
		if err := wsframe.Write(c, wsframe.Frame{Fin: true, Opcode: op, Masked: true, MaskKey: [4]byte{9, 8, 7, 6}, Payload: p}); err != nil {
			return fmt.Errorf("client %d: %v", i, err)
		}
		f, err := wsframe.Read(br)
		if err != nil {
			return fmt.Errorf("client %d: %v", i, err)
		}
		if !bytes.Equal(f.Payload, p) {
			return fmt.Errorf("client %d: echo of %d bytes differs", i, len(p))
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
	}
	if i%2 == 0 {
		wsframe.Write(c, wsframe.Frame{Fin: true, Opcode: wsframe.OpClose, Masked: true})
		if _, err := wsframe.Read(br); err != nil && !strings.Contains(err.Error(), "EOF") {
			return fmt.Errorf("client %d: close: %v", i, err)
		}
	}
	return nil
}
