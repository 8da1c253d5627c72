package proxy

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// conn is one connection to a backend.
type conn struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	p  *pool
	// requests counts the requests sent on the connection (httpd's
	// origin->keepalives + 1): a failure on a reused connection may be
	// a keep-alive race rather than a broken backend.
	requests int
	idleAt   time.Time
	// sni is the server name a TLS connection was opened with (tls.go);
	// a request for another name does not reuse it.
	sni string
}

// pool holds a worker's idle connections (httpd's per-worker reslist).
// Connections are reused only when the worker allows it; max bounds the
// open connections when set, and ttl ends idle ones.
//
// A slot is held by each connection in use, not by idle ones: a request
// takes a slot, then reuses an idle connection or, when there is none,
// opens one. Connections are opened only when none is idle, so the open
// ones never outnumber max.
type pool struct {
	reuse   bool
	ttl     time.Duration
	slots   chan struct{} // nil when unbounded
	acquire time.Duration // wait for a slot; 0 waits without limit
	bufSize int

	mu   sync.Mutex
	idle []*conn
}

func newPool(w *directives.Worker) *pool {
	p := &pool{bufSize: 8192}
	if w == nil {
		return p // the generic reverse worker: never reused
	}
	p.reuse = w.Reuse()
	if w.TTL.Set {
		p.ttl = w.TTL.Val
	}
	if w.Max.Set && w.Max.Val > 0 {
		p.slots = make(chan struct{}, w.Max.Val)
	}
	if w.Acquire.Set {
		p.acquire = w.Acquire.Val
	}
	if w.IOBufferSize.Val > 0 {
		p.bufSize = w.IOBufferSize.Val
	}
	return p
}

// errAcquire is a timed-out wait for a free connection slot.
var errAcquire = errors.New("proxy: no free connection within acquire time")

// take waits for a slot for a connection in use.
func (p *pool) take(ctx context.Context) error {
	if p.slots == nil {
		return nil
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	var timeout <-chan time.Time
	if p.acquire > 0 {
		t := time.NewTimer(p.acquire)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-timeout:
		return errAcquire
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pool) give() {
	if p.slots != nil {
		<-p.slots
	}
}

// get returns an idle connection that is still usable, or nil. Stale
// ones (closed by the backend, holding unread data, past ttl) are closed.
func (p *pool) get(now time.Time) *conn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if (p.ttl > 0 && now.Sub(c.idleAt) > p.ttl) || c.br.Buffered() > 0 || !connAlive(rawConn(c.nc)) {
			c.nc.Close()
			continue
		}
		return c
	}
}

// put makes c idle for the next request and frees its slot, or closes
// it when the pool does not reuse connections.
func (p *pool) put(c *conn, now time.Time) {
	if !p.reuse {
		p.release(c)
		return
	}
	c.idleAt = now
	c.nc.SetDeadline(time.Time{})
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
	p.give()
}

// release closes c and frees its slot.
func (p *pool) release(c *conn) {
	c.nc.Close()
	p.give()
}

// closeIdle closes every idle connection.
func (p *pool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}

// dialError classifies a failed attempt to reach a backend.
type dialError struct {
	dns  bool // the name did not resolve
	host string
	err  error
}

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dialer opens backend connections.
type dialer struct {
	resolver *net.Resolver
}

// dial resolves host and connects to each of its addresses in turn, as
// ap_proxy_connect_backend does, within connectTimeout per address.
func (d *dialer) dial(ctx context.Context, network, uds, host string, port int, connectTimeout time.Duration, keepAlive bool) (net.Conn, error) {
	nd := net.Dialer{Timeout: connectTimeout}
	if keepAlive {
		nd.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
	} else {
		nd.KeepAlive = -1
	}
	if uds != "" {
		nc, err := nd.DialContext(ctx, "unix", uds)
		if err != nil {
			return nil, &dialError{host: host, err: err}
		}
		return nc, nil
	}
	var addrs []net.IPAddr
	if ip := net.ParseIP(host); ip != nil {
		addrs = []net.IPAddr{{IP: ip}}
	} else {
		r := d.resolver
		if r == nil {
			r = net.DefaultResolver
		}
		lctx, cancel := context.WithTimeout(ctx, connectTimeout)
		var err error
		addrs, err = r.LookupIPAddr(lctx, host)
		cancel()
		if err != nil || len(addrs) == 0 {
			if err == nil {
				err = errors.New("no address")
			}
			return nil, &dialError{dns: true, host: host, err: err}
		}
	}
	var last error
	ps := strconv.Itoa(port)
	for _, a := range addrs {
		nc, err := nd.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), ps))
		if err == nil {
			return nc, nil
		}
		last = err
	}
	return nil, &dialError{host: host, err: last}
}
