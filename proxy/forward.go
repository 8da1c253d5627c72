package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// ResponseWriter is the client side of a proxied exchange, implemented by
// the server over the client connection.
type ResponseWriter interface {
	// WriteInterim sends a 1xx response (100 Continue, 103 …) at once.
	WriteInterim(resp *http1.Response) error
	// WriteHeader sends the final response head. resp.ContentLength is
	// the body's length when the backend gave one, else -1; the server
	// chooses the client framing, adds Date and Server when missing and
	// applies its output header rules.
	WriteHeader(resp *http1.Response) error
	// Write sends body bytes.
	Write(p []byte) (int, error)
	// Flush pushes buffered bytes to the client.
	Flush() error
	// Hijack hands over the client connection with what the server has
	// buffered; used by tunnels after a 101.
	Hijack() (net.Conn, *bufio.ReadWriter, error)
}

// Request is a client request the server hands to the proxy after routing
// matched it.
type Request struct {
	// Client is the request as read, with the server's request header
	// changes applied. Its Body yields the request body; when the client
	// expects "100 Continue" and the proxy does not forward the
	// expectation, the server's Body sends the 100 on its first read.
	Client *http1.Request
	// Router is the routing table of the request's server.
	Router *Router
	// URI is r->uri, for messages.
	URI string
	// Args is the query string without '?'; HasArgs says whether the
	// request-target had a '?'.
	Args    string
	HasArgs bool
	// ClientIP is the client's address (X-Forwarded-For).
	ClientIP string
	// ServerName is the virtual host's ServerName (X-Forwarded-Server,
	// Via).
	ServerName string
	// ServerPort is ":port" when the server's port is not the default of
	// the request's scheme, else "" (Via).
	ServerPort string
	// BaseURL is "scheme://name[:port]" of the server as httpd's
	// ap_construct_url builds it (UseCanonicalName decides the name);
	// ProxyPassReverse prefixes relative results with it.
	BaseURL string
	// Dir is the merged per-directory mod_proxy configuration; nil
	// means the defaults.
	Dir *directives.ProxyDir
	// Timeout is the server's Timeout; 0 means 60 seconds.
	Timeout time.Duration
	// Env looks up request environment variables (proxy-nokeepalive,
	// force-proxy-request-1.0, proxy-sendcl, proxy-sendchunked,
	// proxy-interim-response, Proxy-Chain-Auth); nil means none.
	Env func(name string) (string, bool)
	// Authenticated is true when the server authenticated the client
	// (Proxy-Authorization is then not forwarded).
	Authenticated bool
	// KeepEncodedSlashes is AllowEncodedSlashes NoDecode.
	KeepEncodedSlashes bool
	// Keepalives counts the requests served on the client connection
	// before this one.
	Keepalives int
	// Ctx, when not nil, ends the exchange when it is done: the backend
	// connection is closed (a server's shutdown timeout).
	Ctx context.Context
}

func (rq *Request) env(name string) (string, bool) {
	if rq.Env == nil {
		return "", false
	}
	return rq.Env(name)
}

// Proxy forwards requests to HTTP backends and keeps their connection
// pools. One Proxy serves a configuration generation; it is safe for
// concurrent use.
type Proxy struct {
	// Log receives httpd's error-log lines; the zero value discards them.
	Log zerolog.Logger

	dialer dialer
	mu     sync.Mutex
	pools  map[*directives.Worker]*pool
}

// New returns a Proxy that logs to log.
func New(log zerolog.Logger) *Proxy {
	return &Proxy{Log: log, pools: map[*directives.Worker]*pool{}}
}

// Close closes every idle backend connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pl := range p.pools {
		pl.closeIdle()
	}
}

func (p *Proxy) pool(w *directives.Worker) *pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools == nil {
		p.pools = map[*directives.Worker]*pool{}
	}
	pl := p.pools[w]
	if pl == nil {
		pl = newPool(w)
		p.pools[w] = pl
	}
	return pl
}

// ErrLocal is returned for TRACE and OPTIONS requests whose Max-Forwards
// reached zero: the server answers them itself, as httpd does.
var ErrLocal = errors.New("proxy: Max-Forwards reached zero; answer locally")

// maxMemSpool is how much of a request body is read before deciding
// between Content-Length and chunked (httpd's MAX_MEM_SPOOL).
const maxMemSpool = 16384

// maxInterim is AP_MAX_INTERIM_RESPONSES.
const maxInterim = 10

// body framing to the backend (httpd's rb_methods).
type rbMethod uint8

const (
	rbStreamCL rbMethod = iota
	rbStreamChunked
	rbSpoolCL
)

// forward is the state of one proxied exchange.
type forward struct {
	p   *Proxy
	rq  *Request
	rt  *Router
	srv *routerServer
	w   ResponseWriter
	bu  BackendURL
	wk  *directives.Worker

	maxFwd  int64
	do100   bool
	force10 bool
	toClose bool // the backend connection is not reused after this

	timeout, connTimeout time.Duration
	rb                   rbMethod
	cl                   int64 // Content-Length sent, -1 for none
	pre                  []byte
	rest                 io.Reader // the body after pre (nil when pre is all)
	spool                *os.File
	preBuf               *[]byte // pre's pooled buffer, returned by cleanup

	upgrade string // the client's Upgrade value when the route allows it (upgrade.go)
	route   string // the URL the route mapped the request to (<Proxy> sections match it)
}

func (f *forward) logf(format string, args ...any) {
	f.p.Log.Error().Msg(fmt.Sprintf(format, args...))
}

// Serve forwards a request that Match routed (Outcome Proxied) to its
// backend and relays the response to w, as mod_proxy_http does. It
// returns the status the client got and nil when the response went out
// whole. An *Error means nothing was written yet and the server must
// answer with its Status (or close the connection when CloseClient is
// set); ErrLocal asks the server to answer TRACE or OPTIONS itself. Any
// other error came after the response head was sent: the server must
// close the client connection.
func (p *Proxy) Serve(w ResponseWriter, rq *Request, m Match) (int, error) {
	if m.Outcome != Proxied {
		return 0, fmt.Errorf("proxy: request for %q was not routed to a backend", rq.URI)
	}
	if rq.Dir == nil {
		rq.Dir = &directives.ProxyDir{}
	}
	rt := rq.Router
	if rt == nil {
		rt = &Router{}
	}
	f := &forward{p: p, rq: rq, rt: rt, srv: &rt.srv, w: w, cl: -1, route: m.URL}
	bu, ok, err := Canon(&m, &CanonRequest{Args: rq.Args, HasArgs: rq.HasArgs, KeepEncodedSlashes: rq.KeepEncodedSlashes})
	if err != nil {
		var ce *CanonError
		errors.As(err, &ce)
		e := statusError(ce.Status, ce.Log, err)
		f.logf("%s", e.Log)
		return e.Status, e
	}
	if m.NoCanonDropped {
		p.Log.Warn().Msg("AH01136: Unescaped URL path matched ProxyPass; ignoring unsafe nocanon")
	}
	if !ok {
		scheme := m.URL
		if i := strings.IndexByte(scheme, ':'); i >= 0 {
			scheme = scheme[:i]
		}
		e := statusError(500, fmt.Sprintf("AH01144: No protocol handler was valid for the URL %s (scheme '%s'). If you are using a DSO version of mod_proxy, make sure the proxy submodules are included in the configuration using LoadModule.", rq.URI, scheme), nil)
		p.Log.Warn().Msg(e.Log)
		return 500, e
	}
	f.bu = bu
	if err := f.maxForwards(); err != nil {
		return statusOf(err), err
	}
	f.wk = directives.FindWorker(rt.workers, bu.URL, false, false)
	if f.wk != nil && !f.wk.Status.Val.Usable() {
		e := statusError(503, fmt.Sprintf("AH00940: HTTP: disabled connection for (%s:%d)", f.wk.Host, f.wk.Port), nil)
		f.logf("%s", e.Log)
		return 503, e
	}
	f.setTimeouts()
	if f.legacyWebSocket() {
		return f.wstunnel()
	}
	if err := f.prepareBody(); err != nil {
		return statusOf(err), err
	}
	f.decideUpgrade()
	defer f.cleanup()
	return f.exchange()
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// maxForwards is proxy_handler's Max-Forwards handling.
func (f *forward) maxForwards() error {
	h := f.rq.Client.Header
	if !h.Has("Max-Forwards") {
		f.maxFwd = f.srv.maxForwards
		return nil
	}
	v := h.Get("Max-Forwards")
	n, ok := strtoi64(v)
	if !ok || n < 0 || n == 1<<63-1 {
		f.p.Log.Warn().Msg(fmt.Sprintf("AH10188: Max-Forwards value '%s' could not be parsed", v))
		e := proxyError(400, "Max-Forwards request header could not be parsed", f.rq.URI, nil)
		f.logf("%s", e.Log)
		return e
	}
	if n == 0 {
		switch f.rq.Client.Method {
		case "TRACE", "OPTIONS":
			return ErrLocal
		}
		e := proxyError(400, "Max-Forwards has reached zero - proxy loop?", f.rq.URI, nil)
		f.logf("%s", e.Log)
		return e
	}
	f.maxFwd = n - 1
	return nil
}

// strtoi64 is apr_strtoi64 in base 10 with the whole string consumed:
// leading white space, an optional sign, digits.
func strtoi64(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n int64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			over = true
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == start {
		// No digits: strtol consumes nothing and returns 0.
		return 0, len(s) == 0
	}
	if over {
		n = 1<<63 - 1
		if neg {
			return -n - 1, i == len(s)
		}
	}
	if neg {
		n = -n
	}
	return n, i == len(s)
}

// setTimeouts picks the I/O and connect timeouts: the worker's timeout=,
// else the server's ProxyTimeout, else its Timeout; connectiontimeout=
// else the same.
func (f *forward) setTimeouts() {
	t := f.rq.Timeout
	if t <= 0 {
		t = 60 * time.Second
	}
	if f.srv.timeout > 0 {
		t = f.srv.timeout
	}
	if f.wk != nil && f.wk.Timeout.Set && f.wk.Timeout.Val > 0 {
		t = f.wk.Timeout.Val
	}
	f.timeout, f.connTimeout = t, t
	if f.wk != nil && f.wk.ConnectionTimeout.Set && f.wk.ConnectionTimeout.Val > 0 {
		f.connTimeout = f.wk.ConnectionTimeout.Val
	}
}

// expecting100 is httpd's r->expecting_100.
func expecting100(r *http1.Request) bool {
	return (r.Major > 1 || r.Major == 1 && r.Minor >= 1) && strings.EqualFold(r.Header.Get("Expect"), "100-continue")
}

// prepareBody decides how the body goes to the backend, reading up to
// 16 KiB of it first, as ap_proxy_http_prefetch does.
func (f *forward) prepareBody() error {
	rq, c := f.rq, f.rq.Client
	_, f.force10 = rq.env("force-proxy-request-1.0")
	if _, ok := rq.env("proxy-nokeepalive"); ok || f.force10 || f.wk == nil {
		f.toClose = true
	}
	hasBody := c.ContentLength > 0 || c.Header.Has("Transfer-Encoding")
	if !f.force10 && (expecting100(c) && rq.Dir.Continue100.Get(true) || f.wk != nil && f.wk.Ping.Set && hasBody) {
		f.do100 = true
	}
	teVal, hasTE := c.Header.Get("Transfer-Encoding"), c.Header.Has("Transfer-Encoding")
	clVal, hasCL := c.Header.Get("Content-Length"), c.Header.Has("Content-Length")
	if hasTE && !strings.EqualFold(teVal, "chunked") {
		e := statusError(500, fmt.Sprintf("AH01093: %s Transfer-Encoding is not supported", teVal), nil)
		f.logf("%s", e.Log)
		return e
	}
	if hasTE && hasCL {
		hasCL = false
		f.toClose = true
	}
	whole := false
	var n int
	if !hasBody {
		// Neither Content-Length nor Transfer-Encoding: no body to read.
		whole = true
	} else if !f.do100 {
		f.preBuf = spoolBufs.Get().(*[]byte)
		buf := (*f.preBuf)[:maxMemSpool]
		var err error
		n, err = io.ReadFull(c.Body, buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			whole = true
		case err != nil:
			return f.clientReadError(err)
		default:
			// Exactly 16 KiB read: the body is whole if nothing follows.
			var one [1]byte
			m, err2 := c.Body.Read(one[:])
			for m == 0 && err2 == nil {
				m, err2 = c.Body.Read(one[:])
			}
			if m > 0 {
				buf = buf[:n+1]
				buf[n] = one[0]
				n++
			} else if err2 == io.EOF {
				whole = true
			} else {
				return f.clientReadError(err2)
			}
		}
		f.pre = buf[:n]
	}
	if !whole {
		f.rest = c.Body
	}
	_, sendcl := rq.env("proxy-sendcl")
	_, sendchunks := rq.env("proxy-sendchunks")
	_, sendchunked := rq.env("proxy-sendchunked")
	switch {
	case whole:
		if hasCL || hasTE || n > 0 {
			f.cl = int64(n)
		}
		f.rb = rbStreamCL
	case hasTE:
		if f.force10 || sendcl && !sendchunks && !sendchunked {
			f.rb = rbSpoolCL
		} else {
			f.rb = rbStreamChunked
		}
	case hasCL:
		cl, err := strconv.ParseInt(clVal, 10, 64)
		if err != nil || cl < 0 {
			e := statusError(400, fmt.Sprintf("AH01085: could not parse request Content-Length (%s)", clVal), err)
			f.logf("%s", e.Log)
			return e
		}
		f.cl = cl
		f.rb = rbStreamCL
	default:
		f.rb = rbSpoolCL
	}
	if f.rb == rbSpoolCL {
		return f.spoolBody(hasTE || hasCL)
	}
	return nil
}

// spoolBody reads the whole body into a temporary file to learn its
// length (httpd's ap_proxy_spool_input).
func (f *forward) spoolBody(hadLength bool) error {
	total := int64(len(f.pre))
	if f.rest != nil {
		tmp, err := os.CreateTemp("", "portico-proxy-body-")
		if err != nil {
			e := statusError(500, "AH01089: search for temporary directory failed", err)
			f.logf("%s", e.Log)
			return e
		}
		os.Remove(tmp.Name())
		f.spool = tmp
		m, err := io.Copy(tmp, f.rest)
		if err != nil {
			return f.clientReadError(err)
		}
		total += m
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return statusError(500, "AH01090: Error seeking spool file", err)
		}
		f.rest = tmp
	}
	if total > 0 || hadLength {
		f.cl = total
	}
	return nil
}

func (f *forward) clientReadError(err error) *Error {
	var se *http1.StatusError
	if errors.As(err, &se) {
		return statusError(se.Status, se.Reason, err)
	}
	return statusError(400, "AH01095: prefetch request body failed", err)
}

func (f *forward) cleanup() {
	if f.spool != nil {
		f.spool.Close()
	}
	if f.preBuf != nil {
		f.pre = nil
		spoolBufs.Put(f.preBuf)
		f.preBuf = nil
	}
}

// spoolBufs holds the buffers a request body's first 16 KiB (and one
// byte more, to learn whether it ended) are read into.
var spoolBufs = sync.Pool{New: func() any { b := make([]byte, maxMemSpool+1); return &b }}

// reusable is ap_proxy_connection_reusable.
func (f *forward) reusable() bool {
	return !f.toClose && f.wk != nil && f.wk.Reuse()
}

// head builds the request head sent to the backend.
func (f *forward) head() *http1.Request {
	h := f.reqHeaders()
	switch f.rb {
	case rbStreamChunked:
		h.Add("Transfer-Encoding", "chunked")
	default:
		if f.cl >= 0 {
			h.Add("Content-Length", strconv.FormatInt(f.cl, 10))
		}
	}
	proto := "HTTP/1.1"
	if f.force10 {
		proto = "HTTP/1.0"
	} else if f.upgrade != "" {
		h.Add("Connection", "Upgrade")
		h.Add("Upgrade", f.upgrade)
	} else if f.reusable() {
		h.Add("Connection", "Keep-Alive")
	} else {
		h.Add("Connection", "close")
	}
	return &http1.Request{Method: f.rq.Client.Method, Target: f.bu.Target, Proto: proto, Header: h}
}

// connect returns a pooled connection or a new one.
func (f *forward) connect(pl *pool) (*conn, *Error) {
	ctx := context.Background()
	if err := pl.take(ctx); err != nil {
		e := statusError(503, fmt.Sprintf("AH00941: HTTP: failed to acquire connection for (%s:%d)", f.bu.Host, f.bu.Port), err)
		f.logf("%s", e.Log)
		return nil, e
	}
	var tc *tlsClient
	sni := ""
	if f.tlsScheme() {
		var e *Error
		if tc, sni, e = f.tlsClientFor(); e != nil {
			pl.give()
			return nil, e
		}
	}
	if c := f.pooledTLS(pl, sni); c != nil {
		return c, nil
	}
	uds := ""
	keepAlive := false
	if f.wk != nil {
		uds = f.wk.UDSPath
		keepAlive = f.wk.KeepAlive.Val
	}
	nc, err := f.p.dialer.dial(ctx, "tcp", uds, f.bu.Host, f.bu.Port, f.connTimeout, keepAlive)
	if err != nil {
		pl.give()
		var de *dialError
		if errors.As(err, &de) && de.dns {
			e := proxyError(500, "DNS lookup failure for: "+f.bu.Host, f.rq.URI, err)
			f.logf("AH00898: %s", strings.TrimPrefix(e.Log, "AH00898: "))
			return nil, e
		}
		f.logf("AH00957: HTTP: attempt to connect to %s (%s:%d) failed", net.JoinHostPort(f.bu.Host, strconv.Itoa(f.bu.Port)), f.bu.Host, f.bu.Port)
		e := statusError(503, "AH01114: HTTP: failed to make connection to backend: "+f.bu.Host, err)
		f.logf("%s", e.Log)
		return nil, e
	}
	size := pl.bufSize
	if f.wk != nil && f.wk.ResponseFieldSize.Val+2 > size {
		size = f.wk.ResponseFieldSize.Val + 2
	}
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, size), bw: bufio.NewWriterSize(nc, pl.bufSize), p: pl}
	if tc != nil {
		if e := f.startTLS(c, tc, sni); e != nil {
			pl.release(c)
			return nil, e
		}
	}
	return c, nil
}

// exchange sends the request and relays the response.
func (f *forward) exchange() (int, error) {
	pl := f.p.pool(f.wk)
	c, e := f.connect(pl)
	if e != nil {
		return e.Status, e
	}
	if f.rq.Ctx != nil {
		stop := context.AfterFunc(f.rq.Ctx, func() { c.nc.Close() })
		defer stop()
	}
	c.requests++
	// done hands the connection back (or closes it) exactly once: relay
	// calls it as soon as the backend's answer is complete, before the
	// last bytes reach the client, as httpd releases its backend
	// connection before passing the final brigade on.
	released := false
	done := func(keep bool) {
		if released {
			return
		}
		released = true
		if keep {
			pl.put(c, time.Now())
		} else {
			pl.release(c)
		}
	}
	defer done(false)
	c.nc.SetWriteDeadline(time.Now().Add(f.timeout))
	if err := http1.WriteRequestHead(c.bw, f.head()); err != nil {
		return f.sendError(err)
	}
	bodySent := false
	if !f.do100 {
		if err := f.sendBody(c); err != nil {
			return statusOf(err), err
		}
		bodySent = true
	} else if err := c.bw.Flush(); err != nil {
		return f.sendError(err)
	}
	interim := 0
	sent100 := false
	for {
		resp, err := f.readResponse(c)
		if err != nil {
			return statusOf(err), err
		}
		if resp.Status/100 == 1 && resp.Status != 101 {
			interim++
			policy, hasPolicy := f.rq.env("proxy-interim-response")
			if !hasPolicy || strings.EqualFold(policy, "RFC") {
				cli := f.rq.Client
				if cli.Major == 1 && cli.Minor >= 1 || cli.Major > 1 {
					if resp.Status != 100 || (!sent100 && (expecting100(cli) || hasPolicy)) {
						sent100 = sent100 || resp.Status == 100
						resp.Header.Del("Connection")
						if err := f.w.WriteInterim(resp); err != nil {
							return 0, err
						}
					}
				}
			} else if !strings.EqualFold(policy, "Suppress") {
				f.p.Log.Warn().Msg("AH01108: undefined proxy interim response policy")
			}
		} else {
			interim = 0
		}
		if f.do100 && !bodySent && (interim == 0 || resp.Status == 100) {
			if resp.Status == 100 || !resp.Close && resp.Major == 1 && resp.Minor >= 1 {
				if err := f.sendBody(c); err != nil {
					return statusOf(err), err
				}
			} else {
				f.toClose = true
			}
			bodySent = true
		}
		if resp.Status == 101 {
			return f.switchProtocols(c, resp)
		}
		if interim > 0 {
			if interim >= maxInterim {
				e := proxyError(502, fmt.Sprintf("Too many (%d) interim responses from origin server", interim), f.rq.URI, nil)
				f.logf("%s", e.Log)
				return 502, e
			}
			continue
		}
		return f.relay(c, resp, bodySent, done)
	}
}

// sendError maps a failure to write the request head to the backend.
func (f *forward) sendError(err error) (int, error) {
	e := statusError(502, fmt.Sprintf("AH01097: pass request body failed to %s (%s) from %s ()", net.JoinHostPort(f.bu.Host, strconv.Itoa(f.bu.Port)), f.bu.Host, f.rq.ClientIP), err)
	if isTimeout(err) {
		e.Status = 504
	}
	f.logf("%s", e.Log)
	return e.Status, e
}

// sendBody streams the request body with the framing chosen.
func (f *forward) sendBody(c *conn) error {
	var w io.Writer = c.bw
	var cw io.WriteCloser
	if f.rb == rbStreamChunked {
		cw = http1.NewChunkedWriter(c.bw)
		w = cw
	}
	if len(f.pre) > 0 {
		if _, err := w.Write(f.pre); err != nil {
			_, e := f.sendError(err)
			return e
		}
	}
	if f.rest != nil {
		buf := make([]byte, 32*1024)
		for {
			n, rerr := f.rest.Read(buf)
			if n > 0 {
				c.nc.SetWriteDeadline(time.Now().Add(f.timeout))
				if _, err := w.Write(buf[:n]); err != nil {
					_, e := f.sendError(err)
					return e
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				e := f.clientReadError(rerr)
				f.logf("%s", e.Log)
				return e
			}
		}
	}
	if cw != nil {
		if err := cw.Close(); err != nil {
			_, e := f.sendError(err)
			return e
		}
	}
	if err := c.bw.Flush(); err != nil {
		_, e := f.sendError(err)
		return e
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readResponse reads the next response head, with httpd's treatment of
// the status line: one stray empty line is skipped, a line not shaped
// "HTTP/#.# ###" starts an HTTP/0.9 body, a major version other than 1
// is a corrupt status line.
func (f *forward) readResponse(c *conn) (*http1.Response, *Error) {
	c.nc.SetReadDeadline(time.Now().Add(f.timeout))
	fieldSize := 8192
	if f.wk != nil && f.wk.ResponseFieldSize.Val > 0 {
		fieldSize = f.wk.ResponseFieldSize.Val
	}
	line, err := peekLine(c.br, fieldSize)
	if err == nil && len(bytes.TrimRight(line, "\r\n")) == 0 {
		c.br.Discard(len(line))
		line, err = peekLine(c.br, fieldSize)
	}
	if err != nil && len(line) == 0 {
		return nil, f.readFailure(c, err)
	}
	text := bytes.TrimRight(line, "\r\n")
	if !statusMask(text) {
		// HTTP/0.9: the line (without its end, as httpd read it) and
		// what follows are the body; the connection ends it.
		f.toClose = true
		first := string(text)
		c.br.Discard(len(line))
		return &http1.Response{Proto: "HTTP/0.9", Major: 0, Minor: 9, Status: 200, Reason: "OK", ContentLength: -1, Close: true,
			Body: io.MultiReader(strings.NewReader(first), c.br)}, nil
	}
	if text[5] != '1' || len(text) >= fieldSize-1 {
		e := proxyError(502, "Corrupt status line returned by remote server: "+string(text), f.rq.URI, nil)
		f.logf("%s", e.Log)
		return nil, e
	}
	resp, err := http1.ReadResponse(c.br, f.rq.Client.Method, http1.Limits{Line: fieldSize, FieldSize: fieldSize, Fields: 1 << 20})
	if err != nil {
		if errors.Is(err, http1.ErrBadResponse) {
			f.toClose = true
			e := statusError(502, fmt.Sprintf("AH01106: bad HTTP/%c.%c header returned by %s (%s)", text[5], text[7], f.rq.URI, f.rq.Client.Method), err)
			f.p.Log.Warn().Msg(e.Log)
			return nil, e
		}
		return nil, f.readFailure(c, err)
	}
	return resp, nil
}

// readFailure maps a failed read of the status line.
func (f *forward) readFailure(c *conn, err error) *Error {
	f.toClose = true
	f.logf("AH01102: error reading status line from remote server %s:%d", f.bu.Host, f.bu.Port)
	if isTimeout(err) {
		if f.do100 {
			e := proxyError(503, "Timeout on 100-Continue", f.rq.URI, err)
			f.logf("%s", e.Log)
			return e
		}
	} else if f.rq.Keepalives > 0 {
		return &Error{Status: 502, CloseClient: true, Err: err}
	}
	e := proxyError(502, "Error reading from remote server", f.rq.URI, err)
	f.logf("%s", e.Log)
	return e
}

// peekLine returns the next line of br, with its end, without consuming
// it; at most max bytes (or the buffer's size) are looked at.
func peekLine(br *bufio.Reader, max int) ([]byte, error) {
	n := br.Buffered()
	if n == 0 {
		n = 1
	}
	for {
		b, err := br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i+1], nil
		}
		if len(b) >= max || err == bufio.ErrBufferFull {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		n = len(b) + 1
	}
}

// statusMask is apr_date_checkmask(line, "HTTP/#.# ###*").
func statusMask(b []byte) bool {
	const mask = "HTTP/#.# ###"
	if len(b) < len(mask) {
		return false
	}
	for i := 0; i < len(mask); i++ {
		if mask[i] == '#' {
			if b[i] < '0' || b[i] > '9' {
				return false
			}
		} else if b[i] != mask[i] {
			return false
		}
	}
	return true
}

// shouldOverride is ap_proxy_should_override.
func shouldOverride(d *directives.ProxyDir, status int) bool {
	if !d.ErrorOverride.Get(false) {
		return false
	}
	if len(d.ErrorOverrideCodes) == 0 {
		return status >= 400 && status < 600
	}
	for _, c := range d.ErrorOverrideCodes {
		if c == status {
			return true
		}
	}
	return false
}

// relay passes the final response back to the client. It calls done
// with whether the backend connection can be reused as soon as the
// response has been read whole, before the last write to the client.
func (f *forward) relay(c *conn, resp *http1.Response, bodySent bool, done func(keep bool)) (int, error) {
	up, hasUp := resp.Header.Get("Upgrade"), resp.Header.Has("Upgrade")
	if f.respHeaders(resp) {
		f.toClose = true
	}
	f.upgradeResponse(resp, up, hasUp)
	if resp.Major < 1 || resp.Major == 1 && resp.Minor < 1 {
		f.toClose = true
	}
	if !bodySent {
		f.toClose = true
	}
	if shouldOverride(f.rq.Dir, resp.Status) {
		e := &Error{Status: resp.Status, Override: true}
		if resp.Status == 401 {
			if v := resp.Header.Get("WWW-Authenticate"); resp.Header.Has("WWW-Authenticate") {
				e.Header = http1.Headers{{Name: "WWW-Authenticate", Value: v}}
			}
		}
		c.nc.SetReadDeadline(time.Now().Add(f.timeout))
		io.Copy(io.Discard, resp.Body)
		// httpd ends the exchange with the override status, not OK,
		// and so never reuses the backend connection.
		done(false)
		return resp.Status, e
	}
	if !resp.Header.Has("Content-Length") {
		resp.ContentLength = -1
	}
	if err := f.w.WriteHeader(resp); err != nil {
		return resp.Status, err
	}
	if f.rq.Client.Method == "HEAD" || resp.Status == 204 || resp.Status == 304 {
		done(!resp.Close && f.reusable())
		return resp.Status, f.w.Flush()
	}
	bufSize := c.p.bufSize
	if f.srv.ioBufferSize > 0 && (f.wk == nil || !f.wk.IOBufferSize.Set) {
		bufSize = f.srv.ioBufferSize
	}
	buf := getBuf(bufSize)
	defer putBuf(buf)
	for {
		c.nc.SetReadDeadline(time.Now().Add(f.timeout))
		n, err := resp.Body.Read(*buf)
		if err == io.EOF {
			done(!resp.Close && f.reusable())
		}
		if n > 0 {
			if _, werr := f.w.Write((*buf)[:n]); werr != nil {
				return resp.Status, werr
			}
			if err == nil && c.br.Buffered() == 0 {
				if werr := f.w.Flush(); werr != nil {
					return resp.Status, werr
				}
			}
		}
		if err == io.EOF {
			return resp.Status, f.w.Flush()
		}
		if err != nil {
			f.logf("AH01110: error reading response")
			f.w.Flush()
			return resp.Status, fmt.Errorf("proxy: reading the response body from %s: %w", f.bu.Host, err)
		}
	}
}

var bufPool = sync.Map{} // size → *sync.Pool

func getBuf(size int) *[]byte {
	v, ok := bufPool.Load(size)
	if !ok {
		v, _ = bufPool.LoadOrStore(size, &sync.Pool{New: func() any { b := make([]byte, size); return &b }})
	}
	return v.(*sync.Pool).Get().(*[]byte)
}

func putBuf(b *[]byte) {
	if v, ok := bufPool.Load(len(*b)); ok {
		v.(*sync.Pool).Put(b)
	}
}

// itoa formats n in base 10.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
