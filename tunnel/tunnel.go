// Package tunnel carries the bytes of an upgraded connection (WebSocket or
// any other protocol a 101 Switching Protocols starts) between the client
// and the backend, as httpd's ap_proxy_tunnel_run does: both directions at
// once, a FIN on one side passed on while the other direction keeps
// flowing, bytes already read by the HTTP layer delivered first, and an
// idle timeout that closes both sides.
//
// A Manager owns the live tunnels, apart from any routing state, so a
// configuration reload can replace the routes without touching them, and
// a shutdown can wait for them or close them.
//
// On Linux, plain TCP and Unix connections are handed to a few event
// loops that watch the sockets with epoll: an idle tunnel has no
// goroutine, no buffer and no pipe, only a small record, so tens of
// thousands of idle tunnels cost little memory. Connections that need
// user-space processing (TLS) are copied by a goroutine per direction.
package tunnel

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune one tunnel.
type Options struct {
	// IdleTimeout closes both sides after this long without a byte in
	// either direction; 0 means never.
	IdleTimeout time.Duration
	// KeepAlive is the TCP keep-alive period set on both legs, so dead
	// peers are found; 0 means 15 seconds, a negative value leaves the
	// sockets as they are.
	KeepAlive time.Duration
	// NoHalfClose ends the whole tunnel as soon as either side finishes
	// sending (after what it sent is delivered), as mod_proxy_wstunnel's
	// own path does; by default a FIN is passed on and the other
	// direction keeps flowing.
	NoHalfClose bool
	// HoldClientBuf keeps clientBuf until the client sends again (or
	// finishes) and then delivers it first, as mod_proxy_wstunnel's own
	// path does: it looks at what the HTTP layer buffered only when the
	// client socket becomes readable.
	HoldClientBuf bool
}

// Reason says why a tunnel ended.
type Reason string

// Why tunnels end.
const (
	Closed   Reason = "closed"   // both sides finished sending
	Idle     Reason = "idle"     // IdleTimeout passed without traffic
	Error    Reason = "error"    // a read or write failed (reset, broken pipe)
	Shutdown Reason = "shutdown" // the Manager closed it
)

// Stats describe a finished tunnel.
type Stats struct {
	// ClientToBackend and BackendToClient count the bytes delivered,
	// buffered bytes included.
	ClientToBackend, BackendToClient int64
	Duration                         time.Duration
	Reason                           Reason
}

// ErrClosed is returned by Start once Shutdown has begun.
var ErrClosed = errors.New("tunnel: manager is shut down")

// Manager runs tunnels. The zero value is not usable; call NewManager.
type Manager struct {
	live    atomic.Int64
	closing atomic.Bool
	mu      sync.Mutex
	engine  engine
	generic map[*genericTunnel]struct{}
	changed chan struct{} // signalled (non-blocking) when a tunnel ends
}

// engine is the platform's way of running raw socket tunnels.
type engine interface {
	// start takes over the connections and returns true, or returns
	// false when it cannot run them (then nothing has changed).
	start(m *Manager, client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt Options, done func(Stats)) (bool, error)
	closeAll()
	stop()
}

// NewManager returns a Manager ready to run tunnels.
func NewManager() *Manager {
	m := &Manager{generic: map[*genericTunnel]struct{}{}, changed: make(chan struct{}, 1)}
	m.engine = newEngine()
	return m
}

// Start tunnels client and backend and returns at once; the tunnel runs
// until both sides have finished, an error, the idle timeout or the
// Manager's shutdown, and then both connections are closed. clientBuf
// holds bytes already read from client, to be sent to backend before
// anything else, and backendBuf likewise for the other direction. done,
// if not nil, is called once with the tunnel's Stats when it ends.
//
// Start owns the connections from the moment it is called: on error they
// are closed.
func (m *Manager) Start(client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt Options, done func(Stats)) error {
	if m.closing.Load() {
		client.Close()
		backend.Close()
		return ErrClosed
	}
	setKeepAlive(client, opt.KeepAlive)
	setKeepAlive(backend, opt.KeepAlive)
	m.live.Add(1)
	finish := func(s Stats) {
		m.live.Add(-1)
		select {
		case m.changed <- struct{}{}:
		default:
		}
		if done != nil {
			done(s)
		}
	}
	if m.engine != nil {
		ok, err := m.engine.start(m, client, clientBuf, backend, backendBuf, opt, finish)
		if ok {
			return nil
		}
		if err != nil {
			m.live.Add(-1)
			client.Close()
			backend.Close()
			return err
		}
	}
	m.startGeneric(client, clientBuf, backend, backendBuf, opt, finish)
	return nil
}

// Len is the number of live tunnels.
func (m *Manager) Len() int { return int(m.live.Load()) }

// Shutdown refuses new tunnels, waits for the live ones to end by
// themselves until ctx is done, then closes those left (both sides) and
// releases the Manager's resources. It returns ctx's error when it had
// to close tunnels.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.closing.Store(true)
	var err error
	for m.live.Load() > 0 {
		select {
		case <-m.changed:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	m.CloseAll()
	for i := 0; m.live.Load() > 0 && i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if m.engine != nil {
		m.engine.stop()
	}
	return err
}

// CloseAll closes every live tunnel now, both sides, with Reason
// Shutdown.
func (m *Manager) CloseAll() {
	if m.engine != nil {
		m.engine.closeAll()
	}
	m.mu.Lock()
	list := make([]*genericTunnel, 0, len(m.generic))
	for g := range m.generic {
		list = append(list, g)
	}
	m.mu.Unlock()
	for _, g := range list {
		g.end(Shutdown)
	}
}

// setKeepAlive turns TCP keep-alive on with the period asked for.
func setKeepAlive(c net.Conn, period time.Duration) {
	if period < 0 {
		return
	}
	if period == 0 {
		period = 15 * time.Second
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetKeepAlive(true)
		tc.SetKeepAlivePeriod(period)
	}
}
