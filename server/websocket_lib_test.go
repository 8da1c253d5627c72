package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// These tests put an independent WebSocket implementation on both ends
// of the proxy (github.com/coder/websocket for the client and for the
// backend server), so that the tunnel is checked against a codec that
// is not the project's own: every frame kind, a 16 MiB message,
// permessage-deflate negotiated end to end, and closes from either side.

// startLibBackend serves WebSocket echo with coder/websocket on
// 127.0.0.1; it accepts permessage-deflate when the client offers it.
func startLibBackend(t *testing.T, handler func(c *websocket.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover})
		if err != nil {
			return
		}
		c.SetReadLimit(32 << 20)
		handler(c)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// libEcho answers every message with itself until the peer closes.
func libEcho(c *websocket.Conn) {
	ctx := context.Background()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

func libDial(t *testing.T, port int, path string, mode websocket.CompressionMode) (*websocket.Conn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws://127.0.0.1:"+strconv.Itoa(port)+path, &websocket.DialOptions{CompressionMode: mode})
	if err != nil {
		t.Fatalf("dial %s through the proxy: %v", path, err)
	}
	c.SetReadLimit(32 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c, resp
}

func TestWebSocketLibraryThroughProxy(t *testing.T) {
	be := startLibBackend(t, libEcho)
	for _, route := range []string{
		"ProxyPass /ws/ ws://" + be + "/ws/\n",
		"ProxyPass /ws/ http://" + be + "/ws/ upgrade=websocket\n",
	} {
		for _, mode := range []websocket.CompressionMode{websocket.CompressionDisabled, websocket.CompressionContextTakeover} {
			name := strings.Fields(route)[2][:4] + "/compression=" + strconv.Itoa(int(mode))
			t.Run(name, func(t *testing.T) {
				ts := startServer(t, tunnelPreamble+route, 1, nil, nil)
				c, resp := libDial(t, ts.ports[0], "/ws/echo", mode)
				ext := resp.Header.Get("Sec-WebSocket-Extensions")
				if deflate := strings.Contains(ext, "permessage-deflate"); deflate != (mode != websocket.CompressionDisabled) {
					t.Fatalf("Sec-WebSocket-Extensions through the proxy: %q (compression mode %d)", ext, mode)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				big := make([]byte, 16<<20)
				rand.Read(big[:1<<20]) // partly random, partly zeros: compressible and not
				msgs := []struct {
					typ  websocket.MessageType
					data []byte
				}{
					{websocket.MessageText, []byte("hello")},
					{websocket.MessageText, nil},
					{websocket.MessageBinary, []byte{0, 1, 2, 0xff}},
					{websocket.MessageText, bytes.Repeat([]byte("compress me "), 10000)},
					{websocket.MessageBinary, big},
				}
				for _, m := range msgs {
					if err := c.Write(ctx, m.typ, m.data); err != nil {
						t.Fatalf("write %d bytes: %v", len(m.data), err)
					}
					typ, got, err := c.Read(ctx)
					if err != nil {
						t.Fatalf("read the echo of %d bytes: %v", len(m.data), err)
					}
					if typ != m.typ || !bytes.Equal(got, m.data) {
						t.Fatalf("echo of a %d-byte message differs (type %v, %d bytes)", len(m.data), typ, len(got))
					}
				}
				// A fragmented message: the library writes it in frames.
				w, err := c.Writer(ctx, websocket.MessageText)
				if err != nil {
					t.Fatal(err)
				}
				for _, part := range []string{"frag-", "ment-", "ed"} {
					w.Write([]byte(part))
				}
				w.Close()
				if _, got, err := c.Read(ctx); err != nil || string(got) != "frag-ment-ed" {
					t.Fatalf("fragmented message: %q, %v", got, err)
				}
				// Ping and pong: the backend's library answers the ping.
				go c.CloseRead(context.Background()) // keep reading control frames
				if err := c.Ping(ctx); err != nil {
					t.Fatalf("ping through the proxy: %v", err)
				}
				if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
					t.Fatalf("close handshake through the proxy: %v", err)
				}
				waitTunnels(t, ts.Server, 0, 5*time.Second)
			})
		}
	}
}

func TestWebSocketLibraryBackendCloses(t *testing.T) {
	be := startLibBackend(t, func(c *websocket.Conn) {
		ctx := context.Background()
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		c.Write(ctx, typ, msg)
		c.Close(websocket.StatusGoingAway, "backend leaving")
	})
	ts := startServer(t, tunnelPreamble+"ProxyPass /ws/ ws://"+be+"/ws/\n", 1, nil, nil)
	c, _ := libDial(t, ts.ports[0], "/ws/x", websocket.CompressionDisabled)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("last")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "last" {
		t.Fatalf("echo before the backend's close: %q, %v", got, err)
	}
	_, _, err := c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "backend leaving" {
		t.Fatalf("the backend's close frame did not reach the client intact: %v", err)
	}
	waitTunnels(t, ts.Server, 0, 5*time.Second)
}
