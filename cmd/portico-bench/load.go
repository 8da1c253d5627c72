package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// opTimeout bounds every single operation of the load tool: a dial, a
// request and its response, a handshake, an echo.
const opTimeout = 5 * time.Second

// window is a measurement interval. Load runs from its creation (the
// warm-up) to end; only operations that start at or after start and
// finish before end are counted.
type window struct {
	start, end time.Time
}

func newWindow(warmup, dur time.Duration) window {
	s := time.Now().Add(warmup)
	return window{start: s, end: s.Add(dur)}
}

func (w window) seconds() float64 { return w.end.Sub(w.start).Seconds() }

// loadResult is what a load run counts inside its window.
type loadResult struct {
	ops    uint64 // requests or messages completed
	errs   uint64 // failed operations and connections
	bad    uint64 // responses other than 200
	lat    hist
	first  string // the first error, for the report
	maxOps bool   // the run stopped at its count bound
}

func (r *loadResult) merge(o *loadResult) {
	r.ops += o.ops
	r.errs += o.errs
	r.bad += o.bad
	r.lat.merge(&o.lat)
	if r.first == "" {
		r.first = o.first
	}
	r.maxOps = r.maxOps || o.maxOps
}

func (r *loadResult) fail(err error, in bool) {
	if in {
		r.errs++
	}
	if r.first == "" {
		r.first = err.Error()
	}
}

// runWorkers runs n copies of work until they return and merges their
// results.
func runWorkers(n int, work func(i int, r *loadResult)) loadResult {
	res := make([]loadResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(i, &res[i])
		}()
	}
	wg.Wait()
	var total loadResult
	for i := range res {
		total.merge(&res[i])
	}
	return total
}

// pause waits d, or less when ctx ends first.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// httpLoad sends small GETs on conns kept-alive connections, one request
// in flight on each, from now until w.end, at most maxOps in all.
func httpLoad(ctx context.Context, addr string, conns int, w window, maxOps uint64) loadResult {
	req := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: portico-bench\r\nAccept: */*\r\n\r\n")
	var total atomic.Uint64
	return runWorkers(conns, func(_ int, r *loadResult) {
		for ctx.Err() == nil && time.Now().Before(w.end) {
			c, err := net.DialTimeout("tcp", addr, opTimeout)
			if err != nil {
				r.fail(err, !time.Now().Before(w.start))
				pause(ctx, 50*time.Millisecond)
				continue
			}
			br := bufio.NewReaderSize(c, 16<<10)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(w.end) {
					break
				}
				if total.Add(1) > maxOps {
					r.maxOps = true
					c.Close()
					return
				}
				in := !t0.Before(w.start)
				c.SetDeadline(t0.Add(opTimeout))
				if _, err := c.Write(req); err != nil {
					r.fail(err, in)
					break
				}
				h, err := readHead(br, true)
				if err == nil {
					_, err = discardBody(br, h)
				}
				t1 := time.Now()
				if err != nil {
					r.fail(fmt.Errorf("response: %w", err), in && t1.Before(w.end))
					break
				}
				if in && t1.Before(w.end) {
					r.ops++
					r.lat.record(t1.Sub(t0))
					if h.status != 200 {
						r.bad++
						if r.first == "" {
							r.first = fmt.Sprintf("status %d", h.status)
						}
					}
				}
				if h.close {
					break
				}
			}
			c.Close()
		}
	})
}

// wsConn is a client WebSocket connection.
type wsConn struct {
	c   net.Conn
	br  *bufio.Reader
	key [4]byte // mask key of every frame it sends
}

// wsDial opens a WebSocket to path through addr and checks the 101.
func wsDial(addr, path string, bufSize int) (*wsConn, error) {
	c, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		return nil, err
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	c.SetDeadline(time.Now().Add(opTimeout))
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	br := bufio.NewReaderSize(c, bufSize)
	h, err := readHead(br, true)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	if h.status != 101 {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: %q, want 101", h.first)
	}
	if h.wsAccept != wsframe.AcceptKey(key) {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: Sec-WebSocket-Accept %q, want %q", h.wsAccept, wsframe.AcceptKey(key))
	}
	c.SetDeadline(time.Time{})
	ws := &wsConn{c: c, br: br}
	rand.Read(ws.key[:])
	return ws, nil
}

// echo sends frame (want, masked by appendFrame with ws.key) and waits
// for its echo, which it checks against want; buf holds at least
// len(want) bytes.
func (ws *wsConn) echo(frame, want, buf []byte) error {
	n := len(want)
	ws.c.SetDeadline(time.Now().Add(opTimeout))
	if _, err := ws.c.Write(frame); err != nil {
		return err
	}
	fh, err := wsframe.ReadHeader(ws.br)
	if err != nil {
		return fmt.Errorf("echo: %w", unexpectedEOF(err))
	}
	if fh.Opcode != wsframe.OpBinary || fh.Masked || fh.Length != int64(n) || !fh.Fin {
		return fmt.Errorf("echo: got frame op=%d len=%d masked=%v fin=%v; want a final binary frame of %d bytes", fh.Opcode, fh.Length, fh.Masked, fh.Fin, n)
	}
	if _, err := io.ReadFull(ws.br, buf[:n]); err != nil {
		return fmt.Errorf("echo: %w", unexpectedEOF(err))
	}
	if !bytes.Equal(buf[:n], want) {
		return errors.New("echo: payload differs from what was sent")
	}
	return nil
}

// echoPayload is the payload of an echo message of n bytes.
func echoPayload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// wsEchoLoad keeps one echo message in flight on each of conns
// WebSockets until w.end.
func wsEchoLoad(ctx context.Context, addr string, conns, size int, w window, maxOps uint64) loadResult {
	payload := echoPayload(size)
	var total atomic.Uint64
	return runWorkers(conns, func(_ int, r *loadResult) {
		buf := make([]byte, size)
		for ctx.Err() == nil && time.Now().Before(w.end) {
			ws, err := wsDial(addr, "/ws/echo", 4<<10)
			if err != nil {
				r.fail(err, !time.Now().Before(w.start))
				pause(ctx, 50*time.Millisecond)
				continue
			}
			frame := appendFrame(nil, wsframe.OpBinary, payload, true, ws.key)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(w.end) {
					break
				}
				if total.Add(1) > maxOps {
					r.maxOps = true
					ws.c.Close()
					return
				}
				err := ws.echo(frame, payload, buf)
				t1 := time.Now()
				in := !t0.Before(w.start) && t1.Before(w.end)
				if err != nil {
					r.fail(err, in)
					break
				}
				if in {
					r.ops++
					r.lat.record(t1.Sub(t0))
				}
			}
			ws.c.Close()
		}
	})
}

// streamResult is a one-connection stream measurement.
type streamResult struct {
	bytes int64 // payload bytes delivered inside the window
	msgs  int64
	err   error
}

// streamDown reads size-byte messages the backend sends on one WebSocket
// until w.end and counts the payload bytes that arrive inside the window.
func streamDown(ctx context.Context, addr string, size int, w window) streamResult {
	var res streamResult
	ws, err := wsDial(addr, fmt.Sprintf("/ws/down?size=%d", size), 64<<10)
	if err != nil {
		res.err = err
		return res
	}
	defer ws.c.Close()
	stop := context.AfterFunc(ctx, func() { ws.c.Close() })
	defer stop()
	buf := make([]byte, 1<<20)
	for {
		ws.c.SetReadDeadline(time.Now().Add(opTimeout))
		fh, err := wsframe.ReadHeader(ws.br)
		if err != nil {
			res.err = err
			return res
		}
		if fh.Opcode != wsframe.OpBinary || fh.Length != int64(size) {
			res.err = fmt.Errorf("stream: got frame op=%d len=%d; want binary of %d bytes", fh.Opcode, fh.Length, size)
			return res
		}
		for left := fh.Length; left > 0; {
			n := int64(len(buf))
			if left < n {
				n = left
			}
			m, err := ws.br.Read(buf[:n])
			if err != nil {
				res.err = unexpectedEOF(err)
				return res
			}
			left -= int64(m)
			now := time.Now()
			if !now.Before(w.end) {
				return res
			}
			if !now.Before(w.start) {
				res.bytes += int64(m)
			}
		}
		if !time.Now().Before(w.start) {
			res.msgs++
		}
	}
}

// streamUp sends size-byte messages on one WebSocket, at most inflight
// unacknowledged, until w.end, and counts the payload of the messages
// acknowledged inside the window.
func streamUp(ctx context.Context, addr string, size, inflight int, w window) streamResult {
	var res streamResult
	ws, err := wsDial(addr, "/ws/up", 4<<10)
	if err != nil {
		res.err = err
		return res
	}
	defer ws.c.Close()
	stop := context.AfterFunc(ctx, func() { ws.c.Close() })
	defer stop()
	frame := appendFrame(nil, wsframe.OpBinary, make([]byte, size), true, ws.key)
	credit := make(chan struct{}, inflight)
	for range inflight {
		credit <- struct{}{}
	}
	done := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-done:
				werr <- nil
				return
			case <-credit:
			}
			ws.c.SetWriteDeadline(time.Now().Add(opTimeout))
			if _, err := ws.c.Write(frame); err != nil {
				werr <- err
				return
			}
		}
	}()
	defer func() {
		close(done)
		ws.c.Close()
		<-werr
	}()
	for {
		ws.c.SetReadDeadline(time.Now().Add(opTimeout))
		fh, err := wsframe.ReadHeader(ws.br)
		if err == nil && (fh.Opcode != wsframe.OpBinary || fh.Length != 2) {
			err = fmt.Errorf("stream: got frame op=%d len=%d; want a 2-byte acknowledgement", fh.Opcode, fh.Length)
		}
		if err == nil {
			_, err = ws.br.Discard(2)
		}
		if err != nil {
			res.err = unexpectedEOF(err)
			return res
		}
		now := time.Now()
		if !now.Before(w.end) {
			return res
		}
		if !now.Before(w.start) {
			res.bytes += int64(size)
			res.msgs++
		}
		credit <- struct{}{}
	}
}
