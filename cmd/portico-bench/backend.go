package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// The benchmark's backend: as lean as the load tool, so that on a small
// machine the proxy, not the backend, is what a run measures. It answers
// every HTTP request with a small fixed response on a kept-alive
// connection, and a WebSocket handshake (Upgrade: websocket with a
// Sec-WebSocket-Key) with 101 and then, by path:
//
//	/ws/echo            echoes every frame (ping answered with pong)
//	/ws/down?size=N     sends binary messages of N bytes (default 1 MiB) until the peer goes
//	/ws/up              reads messages and acknowledges each final frame with a 2-byte "ok"

// smallBody is the answer to every plain HTTP request.
const smallBody = "hello, world\n"

var smallResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
	strconv.Itoa(len(smallBody)) + "\r\n\r\n" + smallBody)

// Backend timeouts: a connection idle this long between requests or
// frames is closed (the idle-tunnel test stays well below it), and a write
// stuck this long fails.
const (
	backendIdle  = 3 * time.Minute
	backendWrite = 30 * time.Second
)

// downSize is the default message size of /ws/down.
const downSize = 1 << 20

// backend serves on a listener until Close.
type backend struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startBackend listens on addr (127.0.0.1 only) and serves in the
// background.
func startBackend(addr string) (*backend, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &backend{ln: ln, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

func (b *backend) Addr() string { return b.ln.Addr().String() }

// Close stops accepting, closes every connection and waits for their
// goroutines.
func (b *backend) Close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *backend) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		b.mu.Lock()
		b.conns[c] = struct{}{}
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			serveConn(c)
			c.Close()
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
		}()
	}
}

// serveConn answers requests on one connection until it closes, fails
// or becomes a WebSocket.
func serveConn(c net.Conn) {
	br := bufio.NewReaderSize(c, 4<<10)
	bw := bufio.NewWriterSize(c, 4<<10)
	for {
		c.SetReadDeadline(time.Now().Add(backendIdle))
		h, err := readHead(br, false)
		if err != nil {
			return
		}
		if h.upgrade && h.wsKey != "" {
			target := requestTarget(h.first)
			fmt.Fprintf(bw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", wsframe.AcceptKey(h.wsKey))
			c.SetWriteDeadline(time.Now().Add(backendWrite))
			if bw.Flush() != nil {
				return
			}
			c.SetWriteDeadline(time.Time{})
			path, query, _ := bytes.Cut(target, []byte("?"))
			switch string(path) {
			case "/ws/down":
				wsDown(c, br, query)
			case "/ws/up":
				wsUp(c, br)
			default:
				wsEcho(c, br)
			}
			return
		}
		if _, err := discardBody(br, h); err != nil {
			return
		}
		bw.Write(smallResponse)
		if h.close || br.Buffered() == 0 {
			c.SetWriteDeadline(time.Now().Add(backendWrite))
			if bw.Flush() != nil || h.close {
				return
			}
		}
	}
}

// requestTarget returns the target of a request line.
func requestTarget(line []byte) []byte {
	f := bytes.Fields(line)
	if len(f) < 2 {
		return nil
	}
	return f[1]
}

// wsEcho sends every frame back unmasked, a ping as a pong, until a close
// frame (echoed) or the end of the connection.
func wsEcho(c net.Conn, br *bufio.Reader) {
	var payload, out []byte
	for {
		c.SetReadDeadline(time.Now().Add(backendIdle))
		fh, err := wsframe.ReadHeader(br)
		if err != nil {
			return
		}
		if int64(cap(payload)) < fh.Length {
			payload = make([]byte, fh.Length)
		}
		payload = payload[:fh.Length]
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		if fh.Masked {
			maskBytes(payload, fh.MaskKey)
		}
		op := fh.Opcode
		switch op {
		case wsframe.OpPong:
			continue
		case wsframe.OpPing:
			op = wsframe.OpPong
		}
		// Fragments keep their FIN bit and opcode.
		out = appendFrame(out[:0], op, payload, false, [4]byte{})
		if !fh.Fin {
			out[0] &^= 0x80
		}
		c.SetWriteDeadline(time.Now().Add(backendWrite))
		if _, err := c.Write(out); err != nil || fh.Opcode == wsframe.OpClose {
			return
		}
	}
}

// wsDown sends binary messages until a write fails: the peer closed, or a
// write stalled for backendWrite.
func wsDown(c net.Conn, br *bufio.Reader, query []byte) {
	size := downSize
	if v, ok := bytes.CutPrefix(query, []byte("size=")); ok {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 || n > maxFrame {
			return
		}
		size = n
	}
	msg := appendFrame(nil, wsframe.OpBinary, make([]byte, size), false, [4]byte{})
	// Notice the peer's close frame or EOF while writing.
	go func() {
		io.Copy(io.Discard, br)
		c.Close()
	}()
	for {
		c.SetWriteDeadline(time.Now().Add(backendWrite))
		if _, err := c.Write(msg); err != nil {
			return
		}
	}
}

// wsUp reads messages and answers each final data frame with a binary
// "ok", so that the sender counts only what arrived.
func wsUp(c net.Conn, br *bufio.Reader) {
	ack := appendFrame(nil, wsframe.OpBinary, []byte("ok"), false, [4]byte{})
	buf := make([]byte, 256<<10)
	for {
		c.SetReadDeadline(time.Now().Add(backendIdle))
		fh, err := wsframe.ReadHeader(br)
		if err != nil {
			return
		}
		for left := fh.Length; left > 0; {
			n := int64(len(buf))
			if left < n {
				n = left
			}
			m, err := br.Read(buf[:n])
			if err != nil {
				return
			}
			left -= int64(m)
		}
		if fh.Opcode == wsframe.OpClose {
			c.Write(appendFrame(nil, wsframe.OpClose, nil, false, [4]byte{}))
			return
		}
		if fh.Fin && fh.Opcode != wsframe.OpPing && fh.Opcode != wsframe.OpPong {
			c.SetWriteDeadline(time.Now().Add(backendWrite))
			if _, err := c.Write(ack); err != nil {
				return
			}
		}
	}
}
