package tunnel

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// genericTunnel copies with a goroutine per direction, for connections
// the event loops cannot watch (TLS, or any other net.Conn).
type genericTunnel struct {
	m               *Manager
	client, backend net.Conn
	idle            time.Duration
	noHalf          bool
	last            atomic.Int64 // unix nanoseconds of the last byte moved
	c2b, b2c        atomic.Int64
	start           time.Time
	once            sync.Once
	reason          Reason
	done            func(Stats)
	wg              sync.WaitGroup
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (m *Manager) startGeneric(client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt Options, done func(Stats)) {
	g := &genericTunnel{m: m, client: client, backend: backend, idle: opt.IdleTimeout, noHalf: opt.NoHalfClose, start: time.Now(), done: done}
	g.last.Store(time.Now().UnixNano())
	m.mu.Lock()
	m.generic[g] = struct{}{}
	m.mu.Unlock()
	g.wg.Add(2)
	if opt.HoldClientBuf && len(clientBuf) > 0 {
		client = &heldReader{Conn: client, held: clientBuf}
		clientBuf = nil
	}
	go g.pump(client, backend, clientBuf, &g.c2b)
	go g.pump(backend, client, backendBuf, &g.b2c)
	go func() {
		g.wg.Wait()
		g.end(Closed)
	}()
}

// pump copies src to dst until src ends, then half-closes dst.
func (g *genericTunnel) pump(src, dst net.Conn, pre []byte, count *atomic.Int64) {
	defer g.wg.Done()
	if len(pre) > 0 {
		n, err := dst.Write(pre)
		count.Add(int64(n))
		if err != nil {
			g.end(Error)
			return
		}
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		if g.idle > 0 {
			src.SetReadDeadline(time.Unix(0, g.last.Load()).Add(g.idle))
		}
		n, err := src.Read(buf)
		if n > 0 {
			g.last.Store(time.Now().UnixNano())
			if _, werr := dst.Write(buf[:n]); werr != nil {
				g.end(Error)
				return
			}
			count.Add(int64(n))
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if time.Since(time.Unix(0, g.last.Load())) < g.idle {
				continue // the other direction was active
			}
			g.end(Idle)
			return
		}
		if err == io.EOF {
			if g.noHalf {
				g.end(Closed)
				return
			}
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			} else {
				g.end(Closed)
			}
			return
		}
		g.end(Error)
		return
	}
}

// end closes both sides once and reports.
func (g *genericTunnel) end(r Reason) {
	g.once.Do(func() {
		g.reason = r
		g.client.Close()
		g.backend.Close()
		g.m.mu.Lock()
		delete(g.m.generic, g)
		g.m.mu.Unlock()
		go func() {
			g.wg.Wait()
			g.done(Stats{ClientToBackend: g.c2b.Load(), BackendToClient: g.b2c.Load(), Duration: time.Since(g.start), Reason: g.reason})
		}()
	})
}

// heldReader delivers held bytes together with the first bytes read
// from the connection after them (Options.HoldClientBuf).
type heldReader struct {
	net.Conn
	held    []byte
	waited  bool
	heldErr error
}

func (h *heldReader) Read(p []byte) (int, error) {
	if !h.waited {
		h.waited = true
		tmp := make([]byte, len(p))
		n, err := h.Conn.Read(tmp)
		h.held = append(h.held, tmp[:n]...)
		h.heldErr = err
	}
	if len(h.held) > 0 {
		n := copy(p, h.held)
		h.held = h.held[n:]
		return n, nil
	}
	if h.heldErr != nil {
		err := h.heldErr
		h.heldErr = nil
		return 0, err
	}
	return h.Conn.Read(p)
}
