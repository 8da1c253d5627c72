package server

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"

	"github.com/portico-proxy/portico/proxy"
	"github.com/portico-proxy/portico/tunnel"
)

// The Exchange carries the proxy's upgraded connections.
var _ proxy.Upgrader = (*Exchange)(nil)

// tunnels holds the server's live upgraded connections. They belong to
// the Server, not to a configuration generation: Swap leaves them
// running, and shutdown drains them.
type tunnels struct {
	mu sync.Mutex
	m  *tunnel.Manager
}

// tunnelManager returns the tunnel manager, made on first use.
func (s *Server) tunnelManager() *tunnel.Manager {
	s.tun.mu.Lock()
	defer s.tun.mu.Unlock()
	if s.tun.m == nil {
		s.tun.m = tunnel.NewManager()
	}
	return s.tun.m
}

// startedTunnels returns the manager, nil if no tunnel was ever started.
func (s *Server) startedTunnels() *tunnel.Manager {
	s.tun.mu.Lock()
	defer s.tun.mu.Unlock()
	return s.tun.m
}

// Tunnels is the number of live tunnels.
func (s *Server) Tunnels() int {
	if m := s.startedTunnels(); m != nil {
		return m.Len()
	}
	return 0
}

// drainTunnels lets the live tunnels run until they end or the
// generation's GracefulShutdownTimeout passes (without limit when it is
// 0, until Close), then closes them. New tunnels are refused from the
// call on. The channel is closed when no tunnel is left.
func (s *Server) drainTunnels() <-chan struct{} {
	done := make(chan struct{})
	m := s.startedTunnels()
	if m == nil {
		close(done)
		return done
	}
	ctx, cancel := context.Background(), func() {}
	if d := s.gen.Load().graceful; d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	go func() {
		defer close(done)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			s.Log.Warn().Int("tunnels", m.Len()).Msg("GracefulShutdownTimeout passed: closing the remaining tunnels")
		}
	}()
	return done
}

// closeTunnels closes every live tunnel at once.
func (s *Server) closeTunnels() {
	if m := s.startedTunnels(); m != nil {
		m.CloseAll()
	}
}

// StartTunnel runs the tunnel of an upgraded exchange: the client connection
// (already hijacked) and the backend connection go to the server's
// tunnel manager. The exchange is logged when the tunnel ends, as httpd
// logs the request after ap_proxy_tunnel_run returns.
func (x *Exchange) StartTunnel(client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt proxy.TunnelOptions, done func()) error {
	x.Status = 101
	s := x.c.srv
	log := x.Log
	// A tunnel may stay open for days: of the exchange, keep what its
	// log record needs, not the connection's read and write buffers
	// (the client's buffered bytes were copied by the caller).
	x.br = bufio.NewReaderSize(nil, 16)
	x.bw = nil
	log.Debug().Str("protocol", opt.Protocol).Dur("idle_timeout", opt.IdleTimeout).Msg("AH10239: HTTP: tunneling protocol " + opt.Protocol)
	return s.tunnelManager().Start(client, clientBuf, backend, backendBuf,
		tunnel.Options{IdleTimeout: opt.IdleTimeout, NoHalfClose: opt.NoHalfClose, HoldClientBuf: opt.HoldClientBuf},
		func(st tunnel.Stats) {
			log.Debug().Str("reason", string(st.Reason)).Int64("client_to_backend", st.ClientToBackend).
				Int64("backend_to_client", st.BackendToClient).Dur("duration", st.Duration).Msg("tunnel ended")
			x.BytesSent = st.BackendToClient
			s.logRequest(x)
			if done != nil {
				done()
			}
		})
}

// WriteBareError sends only the body of the error page for status, with
// no status line and no fields, and closes the connection after it:
// mod_proxy_wstunnel's answer when the backend closed before sending a
// byte, its HTTP filters being gone by then.
func (x *Exchange) WriteBareError(status int) error {
	x.wrote, x.Status = true, status
	x.closeAfter()
	body := errorPage(status, "", x.Req.Method, "", x.vh.admin, "", 0)
	x.c.nc.SetWriteDeadline(time.Now().Add(x.vh.timeout))
	if _, err := x.bw.WriteString(body); err != nil {
		return err
	}
	x.BytesSent = int64(len(body))
	return x.bw.Flush()
}
