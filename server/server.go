// Package server is Portico's runtime: it opens the Listen sockets,
// accepts connections, reads requests with internal/http1, chooses the
// virtual host as httpd does, merges the per-directory sections, and then
// hands the request to the proxy or serves a static file, with httpd's
// error pages, ErrorDocument, keep-alive and timeouts.
//
// A Server is built from a checked directives.Config by New. Everything
// derived from the configuration (the virtual-host table, each server's
// merged settings and proxy) lives in one generation that Swap replaces
// atomically: connections keep the generation they were accepted with.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/proxy"
)

// Hooks are the places later layers attach to the pipeline. Every field
// may be nil.
type Hooks struct {
	// Rewrite runs once the virtual host is chosen and the URI decoded,
	// before routing (mod_rewrite's server-context pass). It may change
	// x.URI and x.Args, or answer the request itself and return true.
	Rewrite func(x *Exchange) bool
	// DirRewrite runs once the request is mapped, before it is proxied
	// or served from a file (mod_rewrite's per-directory pass, httpd's
	// fixups); filename is httpd's r->filename ("proxy:URL" or a file
	// path). It may answer the request itself and return true.
	DirRewrite func(x *Exchange, filename string) bool
	// RequestHeaders runs on the request headers just before the proxy
	// forwards them (mod_headers' RequestHeader, early/late).
	RequestHeaders func(x *Exchange, h *http1.Headers)
	// ResponseHeaders runs on every response's headers just before they
	// are written (mod_headers' Header).
	ResponseHeaders func(x *Exchange, status int, h *http1.Headers)
	// Log receives one record per request after its response is
	// written (the access log).
	Log func(rec *LogRecord)
}

// LogRecord is what the access log needs of one request.
type LogRecord struct {
	Server    *directives.Server
	Remote    netip.AddrPort
	Local     netip.AddrPort
	Time      time.Time // when the request line arrived
	Duration  time.Duration
	Method    string
	Target    string
	Proto     string
	Status    int
	BytesSent int64 // body bytes
	Header    http1.Headers

	// ServerHostname and ServerPort are the chosen server's name and
	// ServerName port (0 if none); Hostname is the request's host
	// (httpd's r->hostname, "" if none).
	ServerHostname string
	ServerPort     int
	Hostname       string
	// URI, Args and HasArgs are the decoded path and the query string
	// (httpd's r->uri and r->args); Filename is r->filename.
	URI      string
	Args     string
	HasArgs  bool
	Filename string
	// ResponseHeader is the response's fields as written.
	ResponseHeader http1.Headers
	// Keepalives counts the requests before this one on its
	// connection; KeepAlive is set when the connection stays open,
	// Aborted when the response was cut short.
	Keepalives int
	KeepAlive  bool
	Aborted    bool
	// Proxied is set when a backend answered (handler proxy-server).
	Proxied bool
	// BytesIn and BytesOut count the bytes read and written for the
	// request, head included (mod_logio's %I and %O).
	BytesIn  int64
	BytesOut int64

	x *Exchange
}

// Env returns a variable of the request's environment (r->subprocess_env).
func (r *LogRecord) Env(name string) (string, bool) {
	if r.x == nil {
		return "", false
	}
	return r.x.Env(name)
}

// Server serves one configuration generation at a time.
type Server struct {
	// Log receives the error log. The zero value discards it.
	Log zerolog.Logger
	// Software is the Server header of local responses; empty means
	// "Portico".
	Software string
	// Hooks are called at their places in the pipeline.
	Hooks Hooks
	gen   atomic.Pointer[generation]

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	closing   atomic.Bool
	wg        sync.WaitGroup
	tun       tunnels // live upgraded connections (tunnel.go)

	// hardStop ends when the server stops waiting for requests in
	// flight (GracefulShutdownTimeout passed, or Close): the backend
	// connections they wait on are closed.
	hardStop context.Context
	stopAll  context.CancelFunc
}

// generation is everything built from one configuration.
type generation struct {
	cfg      *directives.Config
	table    *vhostTable
	main     *vhost
	vhosts   []*vhost
	listen   []listenAddr
	graceful time.Duration
	mime     mimeTypes
	proxy    *proxy.Proxy
}

// listenAddr is one Listen directive ready for net.Listen.
type listenAddr struct {
	network, addr string // addr as net.Listen takes it
	display       string // as httpd prints it
}

// New builds the runtime of cfg: it resolves the virtual hosts'
// addresses, reads the MIME types and builds each server's routing
// table. log receives the error log.
func New(cfg *directives.Config, log zerolog.Logger) (*Server, error) {
	s := &Server{Log: log, conns: map[*conn]struct{}{}}
	s.hardStop, s.stopAll = context.WithCancel(context.Background())
	g, err := s.build(cfg)
	if err != nil {
		return nil, err
	}
	s.gen.Store(g)
	return s, nil
}

// Swap replaces the configuration generation: connections accepted from
// now on use cfg, connections already open finish with the old one. The
// listeners are not reopened.
func (s *Server) Swap(cfg *directives.Config) error {
	g, err := s.build(cfg)
	if err != nil {
		return err
	}
	old := s.gen.Swap(g)
	_ = old // its backend pools close as their connections finish
	return nil
}

func (s *Server) build(cfg *directives.Config) (*generation, error) {
	if cfg == nil || cfg.Main == nil {
		return nil, errors.New("server: no configuration")
	}
	g := &generation{cfg: cfg, graceful: cfg.Global.GracefulShutdownTimeout, proxy: proxy.New(s.Log)}
	var err error
	if g.mime, err = loadMime(cfg); err != nil {
		return nil, err
	}
	g.main, err = newVHost(cfg, cfg.Main, nil)
	if err != nil {
		return nil, err
	}
	defPort := serverNamePort(cfg.Main.ServerName)
	for _, srv := range cfg.VirtualHosts {
		vh, err := newVHost(cfg, srv, g.main)
		if err != nil {
			return nil, err
		}
		vh.addrs = resolveVHostAddrs(srv.Addrs, defPort, systemResolver)
		g.vhosts = append(g.vhosts, vh)
	}
	for _, vh := range g.vhosts {
		vh.fillHostname(cfg, g.main)
	}
	g.table = buildVHostTable(g.main, g.vhosts)
	if g.listen, err = listenAddrs(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// serverNamePort is the port of a ServerName ("name:port"), 0 if none.
func serverNamePort(name string) int {
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[i+3:]
	}
	if strings.HasSuffix(name, "]") {
		return 0
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n, _ := strconv.Atoi(name[i+1:])
		return n
	}
	return 0
}

// listenAddrs turns the Listen directives into addresses: a port alone
// listens on every address (IPv6 and IPv4), as httpd does.
func listenAddrs(cfg *directives.Config) ([]listenAddr, error) {
	var out []listenAddr
	for _, l := range cfg.Listen {
		if l.Protocol == "https" {
			return nil, fmt.Errorf("%s:%d: Listen %s https: Portico does not serve TLS yet", l.Pos.File, l.Pos.Line, l.Port)
		}
		host := l.Addr
		display := "*:" + l.Port
		if host != "" {
			display = net.JoinHostPort(host, l.Port)
			if strings.Contains(host, ":") {
				display = "[" + host + "]:" + l.Port
			}
		}
		out = append(out, listenAddr{network: "tcp", addr: net.JoinHostPort(host, l.Port), display: display})
	}
	return out, nil
}

// Serve opens every Listen address and serves until ctx ends; then it
// stops accepting, closes idle connections, and waits for the requests
// in flight for up to GracefulShutdownTimeout (without limit when it is
// 0) before closing what is left. It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context) error {
	g := s.gen.Load()
	if len(g.listen) == 0 {
		return errors.New("no listening sockets available, shutting down")
	}
	var lns []net.Listener
	lc := listenConfig()
	for _, la := range g.listen {
		ln, err := lc.Listen(ctx, la.network, la.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("AH00072: make_sock: could not bind to address %s: %w", la.display, err)
		}
		lns = append(lns, ln)
	}
	return s.ServeListeners(ctx, lns)
}

// ServeListeners serves on listeners already open (tests use
// 127.0.0.1:0), as Serve does.
func (s *Server) ServeListeners(ctx context.Context, lns []net.Listener) error {
	s.mu.Lock()
	s.listeners = append(s.listeners, lns...)
	s.mu.Unlock()
	var accepting sync.WaitGroup
	for _, ln := range lns {
		s.Log.Info().Str("address", ln.Addr().String()).Msg("listening")
		accepting.Add(1)
		go func() {
			defer accepting.Done()
			s.accept(ln)
		}()
	}
	<-ctx.Done()
	tunnelsDone := s.drainTunnels()
	s.shutdown()
	accepting.Wait()
	<-tunnelsDone
	// No request is left to use the backend connections kept alive.
	s.gen.Load().proxy.Close()
	return nil
}

// Addrs returns the addresses being listened on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, ln := range s.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

func (s *Server) accept(ln net.Listener) {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			s.Log.Error().Err(err).Msg("AH00052: accept failed")
			return
		}
		delay = 0
		c := &conn{srv: s, nc: nc, gen: s.gen.Load()}
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// shutdown stops accepting, closes idle connections, and waits for busy
// ones up to the generation's GracefulShutdownTimeout.
func (s *Server) shutdown() {
	s.closing.Store(true)
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.closeIfIdle()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var timeout <-chan time.Time
	if d := s.gen.Load().graceful; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case <-done:
			return
		case <-timeout:
			s.stopAll()
			s.mu.Lock()
			for c := range s.conns {
				c.nc.Close()
			}
			s.mu.Unlock()
			<-done
			return
		case <-time.After(50 * time.Millisecond):
			// A connection that finished its request since the last
			// look is idle now.
			s.mu.Lock()
			for c := range s.conns {
				c.closeIfIdle()
			}
			s.mu.Unlock()
		}
	}
}

// Close stops at once: listeners and every connection are closed.
func (s *Server) Close() {
	s.closing.Store(true)
	s.stopAll()
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.closeTunnels()
}
