package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/proxy"
)

// conn is one client connection.
type conn struct {
	srv *Server
	nc  net.Conn
	gen *generation

	mu       sync.Mutex
	busy     bool // a request is being read or served
	closed   bool
	hijacked bool
}

// closeIfIdle closes the connection when it is waiting for a request.
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.busy && !c.hijacked && !c.closed {
		c.closed = true
		c.nc.Close()
	}
}

// setBusy marks the connection busy or idle; it reports false when the
// server is shutting down and the connection must close instead.
func (c *conn) setBusy(b bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.busy = b
	return b || !c.srv.closing.Load()
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// serve reads and answers requests until the connection ends.
func (c *conn) serve() {
	defer func() {
		c.mu.Lock()
		if !c.hijacked && !c.closed {
			c.closed = true
			c.nc.Close()
		}
		c.mu.Unlock()
	}()
	g := c.gen
	local, remote := addrPort(c.nc.LocalAddr()), addrPort(c.nc.RemoteAddr())
	chain := g.table.connChain(local)
	base := g.table.main
	if chain != nil {
		base = chain.def
	}
	log := c.srv.Log.With().Str("client", remote.String()).Logger()
	lines := &lineWatch{r: c.nc}
	br := bufio.NewReaderSize(lines, 8192)
	out := &countWriter{w: c.nc}
	bw := bufio.NewWriterSize(out, 8192)
	keepalives := 0
	wait := base.timeout
	for {
		// Wait for the next request: Timeout for the first, then the
		// last server's KeepAliveTimeout.
		c.nc.SetReadDeadline(time.Now().Add(wait))
		if _, err := br.Peek(1); err != nil {
			return
		}
		if !c.setBusy(true) {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(base.timeout))
		start := time.Now()
		inStart := lines.n - int64(br.Buffered())
		buffered, _ := br.Peek(br.Buffered())
		lineBuffered := bytes.IndexByte(buffered, '\n') >= 0
		lines.sawLF = false
		req, err := http1.ReadRequest(br, base.limits)
		x := &Exchange{
			Req: req, Local: local, Remote: remote, Start: start, Log: log,
			c: c, br: br, bw: bw, gen: g, vh: base, keepalives: keepalives,
			io: ioCount{in: lines, out: out, inStart: inStart, outStart: out.n},
		}
		if err != nil {
			var se *http1.StatusError
			if !errors.As(err, &se) {
				if isTimeout(err) && (lineBuffered || lines.sawLF) {
					// httpd answers a request cut short by the timeout
					// in its header fields with 408 and closes; one cut
					// short in its request line gets no answer.
					x.Req = &http1.Request{Method: "GET", Proto: "HTTP/1.0", Major: 1, Body: strings.NewReader("")}
					x.Error(408)
					bw.Flush()
				}
				return
			}
			x.Req = &http1.Request{Method: "GET", Proto: "HTTP/1.0", Major: 1, Minor: 0, Body: strings.NewReader("")}
			if se.Status == 417 {
				// httpd refuses the expectation of a request it has
				// read whole (HTTP/1.1, which alone may carry Expect),
				// and answers it as such.
				x.Req.Proto, x.Req.Minor = "HTTP/1.1", 1
			}
			x.readErr = se
			log.Debug().Int("status", se.Status).Str("reason", se.Reason).Msg("bad request")
			x.Error(se.Status)
			bw.Flush()
			c.srv.logRequest(x)
			return
		}
		x.expect100 = strings.EqualFold(req.Header.Get("Expect"), "100-continue")
		if x.expect100 && req.Body != nil {
			req.Body = &continueReader{x: x, r: req.Body}
		}
		c.srv.handle(x)
		if x.hijacked {
			return
		}
		if !x.wrote {
			x.Error(500)
		}
		x.finish()
		if err := bw.Flush(); err != nil {
			return
		}
		c.srv.logRequest(x)
		if !x.keepAlive || x.mustClose {
			return
		}
		if !dropBlankLines(br) {
			return
		}
		keepalives++
		wait = x.vh.keepAliveTimeout
		if !c.setBusy(false) {
			return
		}
	}
}

// dropBlankLines consumes the empty lines (CR LF or a lone LF) that
// came in behind a request, as far as they are already buffered, as
// httpd's ap_check_pipeline does once a request is answered: they are
// not the start of the next request. It reports false when there were
// more than httpd's 10; the connection then closes.
func dropBlankLines(br *bufio.Reader) bool {
	for n := 0; ; n++ {
		b, _ := br.Peek(min(br.Buffered(), 2))
		switch {
		case len(b) >= 1 && b[0] == '\n':
			br.Discard(1)
		case len(b) == 2 && b[0] == '\r' && b[1] == '\n':
			br.Discard(2)
		default:
			return true
		}
		if n+1 > http1.MaxBlankLines {
			return false
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// Exchange is one request and its response as the pipeline passes it
// along: what the client sent, what has been decided about it, and the
// means to answer.
type Exchange struct {
	// Req is the request as read; handlers may change its headers.
	Req *http1.Request
	// Local and Remote are the connection's addresses.
	Local, Remote netip.AddrPort
	// Start is when the request began to arrive.
	Start time.Time
	// Log is the error log of this request.
	Log zerolog.Logger

	// Server is the chosen server: the main one or a virtual host.
	Server *directives.Server
	// Hostname is the request's host (httpd's r->hostname): from an
	// absolute request-target or the Host header, lower-cased, without
	// port; "" when the request names none. HostPort is the port the
	// Host header gave, 0 if none.
	Hostname string
	HostPort int
	// URI is the decoded, normalised path (httpd's r->uri); Args the
	// query string without '?', HasArgs whether there was a '?'.
	URI     string
	Args    string
	HasArgs bool
	// Dir is the per-directory configuration for URI: the server level
	// merged with the matching <Location> sections.
	Dir *directives.DirConf
	// Status and BytesSent describe the response once written.
	Status    int
	BytesSent int64

	c          *conn
	br         *bufio.Reader
	bw         *bufio.Writer
	gen        *generation
	vh         *vhost
	keepalives int
	readErr    *http1.StatusError
	io         ioCount
	respHeader http1.Headers // the response fields as written

	env        []envVar // the request environment (env.go)
	wrote      bool
	keepAlive  bool
	hijacked   bool
	bodyOut    io.Writer
	closer     io.Closer
	headOnly   bool
	errorDepth int
	recursive  int // the status of a failed ErrorDocument
	// forceStatus is the error status an ErrorDocument's local URL is
	// served with.
	forceStatus int
	// proxyReq is httpd's r->proxyreq: the response comes from a
	// backend, whose Date and Server are kept.
	proxyReq bool
	// preTrans is the route a mapping=encoded ProxyPass chose before
	// the path was decoded.
	preTrans *proxy.Match
	// errReason, errNotes and errHeader shape the next error page:
	// a reason phrase other than httpd's ("Proxy Error"), the notes
	// httpd adds to some pages, and fields to keep.
	errReason string
	errNotes  string
	errHeader http1.Headers
	// keepReason sends an empty reason phrase as it is (a backend's).
	keepReason bool
	// aborted is set when the response body was cut short; the
	// connection then closes without ending the body.
	aborted bool
	// expect100 is httpd's r->expecting_100: the client sent Expect:
	// 100-continue and no 100 Continue has been sent yet. A connection
	// still expecting one closes after the response.
	expect100 bool
	// errNoLength sends the next error page without Content-Length,
	// as httpd does for errors its filters raise (a 416 from the
	// byterange filter, a 413 while the body is read).
	errNoLength bool
	mustClose   bool
	// traceRefused is set when TraceEnable off refused a TRACE: its 405
	// carries an empty Allow.
	traceRefused bool
	// filename is a file path mod_rewrite's server pass decided (httpd's
	// r->filename set at translate_name); redirects counts internal
	// redirects; rewriteEnded is set by an [END] rule.
	filename     string
	redirects    int
	rewriteEnded bool
	// errorPage is set while httpd's own page for an error or redirect
	// is written (ap_send_error_response).
	errorPage bool
	// values hold the hooks' own state for this exchange (SetValue).
	values map[any]any
}

// ServerName is the chosen server's host name (httpd's server_hostname).
func (x *Exchange) ServerName() string { return x.vh.hostname }

// Timeout is the chosen server's Timeout.
func (x *Exchange) Timeout() time.Duration { return x.vh.timeout }

// ClientReader returns the connection's buffered reader, which may hold
// bytes the client sent after the request head (for a tunnel).
func (x *Exchange) ClientReader() *bufio.Reader { return x.br }

// Hijack hands the client connection over to the caller (after a 101):
// the server neither reads, writes nor closes it afterwards. Buffered
// response bytes are flushed first; the reader holds what the client
// sent beyond the request.
func (x *Exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := x.bw.Flush(); err != nil {
		return nil, nil, err
	}
	x.c.nc.SetDeadline(time.Time{})
	x.c.mu.Lock()
	x.c.hijacked = true
	x.c.mu.Unlock()
	x.hijacked = true
	x.wrote = true
	return x.c.nc, bufio.NewReadWriter(x.br, x.bw), nil
}

// Written reports whether the response head has been written.
func (x *Exchange) Written() bool { return x.wrote }

// ErrorResponse reports whether the response being written is the
// server's own answer to an error or redirect (httpd's
// ap_send_error_response): the fields a handler set for a normal answer
// are gone from it, and only mod_headers' "always" actions apply.
func (x *Exchange) ErrorResponse() bool { return x.errorPage }

// Value returns what SetValue stored under key for this exchange, nil
// if nothing.
func (x *Exchange) Value(key any) any { return x.values[key] }

// SetValue stores v under key for the rest of this exchange. A hook
// keeps its per-request state there, under a key of its own type (as
// with context.Context values).
func (x *Exchange) SetValue(key, v any) {
	if x.values == nil {
		x.values = map[any]any{}
	}
	x.values[key] = v
}

// RequestHeaders runs the RequestHeaders hook on h, if set.
func (x *Exchange) RequestHeaders(h *http1.Headers) {
	if f := x.c.srv.Hooks.RequestHeaders; f != nil {
		f(x, h)
	}
}

// WriteResponse writes the status line and headers h, then the body,
// framed as httpd frames it: length ≥ 0 is sent as Content-Length,
// otherwise HTTP/1.1 clients get chunked coding and HTTP/1.0 clients a
// body ended by closing. For HEAD, 204 and 304 no body is sent. Copying
// body stops at its io.EOF. The fields keep the order httpd's header
// filter gives them (see WriteHead).
func (x *Exchange) WriteResponse(status int, reason string, h http1.Headers, body io.Reader, length int64) error {
	return x.respond(status, reason, h, "", body, length)
}

// respond is WriteResponse with a content type set apart from the
// fields (httpd's r->content_type), which goes out after them unless h
// has a Content-Type already.
func (x *Exchange) respond(status int, reason string, h http1.Headers, ctype string, body io.Reader, length int64) error {
	if err := x.writeHead(status, reason, h, ctype, length); err != nil {
		return err
	}
	if body == nil || x.headOnly {
		return nil
	}
	_, err := io.Copy(x, body)
	return err
}

// WriteHead writes the status line and headers as httpd's header filter
// does; the body follows with Write. reason "" means httpd's reason
// phrase. h is the response's fields in order (httpd's headers_out):
// Date and Server go first (a proxied response keeps the backend's),
// the rest keep their order; Content-Length, Content-Type, Connection
// and Keep-Alive are set in the place of a field of the same name and
// appended otherwise, in the order httpd adds them.
func (x *Exchange) WriteHead(status int, reason string, h http1.Headers, length int64) error {
	return x.writeHead(status, reason, h, "", length)
}

func (x *Exchange) writeHead(status int, reason string, h http1.Headers, ctype string, length int64) error {
	if x.wrote {
		return errors.New("server: response already written")
	}
	if x.forceStatus != 0 && status == 200 {
		status, reason = x.forceStatus, ""
	}
	x.wrote = true
	x.Status = status
	if reason == "" && !x.keepReason {
		reason = reasonPhrase(status)
	}
	req := x.Req
	if req.Major == 0 {
		// An HTTP/0.9 request (httpd's assbackwards) gets the body
		// alone, and the connection closes after it.
		x.keepAlive = false
		x.headOnly = false
		x.bodyOut = x.bw
		return nil
	}
	noBody := status == 204 || status == 304 || status < 200
	headerOnly := req.Method == "HEAD" || noBody

	out := make(http1.Headers, 0, len(h)+6)
	out = append(out, http1.Header{Name: "Date", Value: ""}, http1.Header{Name: "Server", Value: ""})
	date, server := "", ""
	for _, f := range h {
		switch {
		case equalFoldASCII(f.Name, "Date"):
			if date == "" && x.proxyReq {
				date = f.Value
			}
			continue
		case equalFoldASCII(f.Name, "Server"):
			if server == "" && x.proxyReq {
				server = f.Value
			}
			continue
		}
		out = append(out, f)
	}
	if date == "" {
		date = httpDate(x.Start)
	}
	if server == "" {
		server = x.c.srv.software()
	}
	out[0].Value, out[1].Value = date, server
	fields := out[2:]
	if f := x.c.srv.Hooks.ResponseHeaders; f != nil {
		// mod_headers' output filter runs before the length is known.
		f(x, status, &fields)
	}
	if length >= 0 && !noBody {
		// The content-length filter, or a handler that knew the size.
		fields.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	// A backend's Transfer-Encoding survives only on a response without
	// a body; otherwise the framing below is Portico's own.
	if !headerOnly {
		fields.Del("Transfer-Encoding")
	}
	framed := headerOnly || fields.Has("Content-Length") || isChunkedTE(fields.Get("Transfer-Encoding"))
	var chunked bool
	x.keepAlive, chunked = x.decideKeepAlive(status, framed, &fields)
	switch {
	case noBody:
		fields.Del("Transfer-Encoding")
		fields.Del("Content-Length")
		ctype = ""
		if status == 204 || status == 304 {
			fields.Del("Content-Type")
		}
	case chunked:
		mergeField(&fields, "Transfer-Encoding", "chunked")
		fields.Del("Content-Length")
	}
	if ctype != "" {
		fields.Set("Content-Type", ctype)
	}
	if req.Method == "HEAD" && fields.Get("Content-Length") == "0" {
		fields.Del("Content-Length")
	}
	out = append(out[:2], fields...)
	x.respHeader = out
	proto := "HTTP/1.1"
	resp := &http1.Response{Proto: proto, Major: 1, Minor: 1, Status: status, Reason: reason, Header: out}
	if err := http1.WriteResponseHead(x.bw, resp); err != nil {
		return err
	}
	x.headOnly = headerOnly
	switch {
	case headerOnly:
		x.bodyOut = io.Discard
	case chunked:
		cw := http1.NewChunkedWriter(x.bw)
		x.bodyOut, x.closer = cw, cw
	default:
		x.bodyOut = x.bw
	}
	return nil
}

// isChunkedTE is ap_is_chunked: chunked is the last coding.
func isChunkedTE(te string) bool {
	if te == "" {
		return false
	}
	parts := strings.Split(te, ",")
	return strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "chunked")
}

// mergeField is apr_table_mergen: value is added to the first field
// called name after ", ", or a new field is appended.
func mergeField(h *http1.Headers, name, value string) {
	for i := range *h {
		if equalFoldASCII((*h)[i].Name, name) {
			(*h)[i].Value += ", " + value
			return
		}
	}
	h.Add(name, value)
}

// equalFoldASCII compares header names without regard to ASCII case.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Write writes response body bytes after WriteHead.
func (x *Exchange) Write(p []byte) (int, error) {
	if !x.wrote {
		return 0, errors.New("server: body before head")
	}
	if x.headOnly {
		return len(p), nil
	}
	n, err := x.bodyOut.Write(p)
	x.BytesSent += int64(n)
	return n, err
}

// Flush sends buffered response bytes to the client.
func (x *Exchange) Flush() error { return x.bw.Flush() }

// finish ends the response body and reads what is left of the request
// body so that the connection can carry the next request.
func (x *Exchange) finish() {
	if x.closer != nil {
		if !x.aborted {
			// A body cut short gets no last chunk: the client sees
			// the connection end instead.
			x.closer.Close()
		}
		x.closer = nil
	}
	if x.keepAlive && x.Req.Body != nil {
		x.c.nc.SetReadDeadline(time.Now().Add(x.vh.timeout))
		if _, err := io.Copy(io.Discard, x.Req.Body); err != nil {
			x.keepAlive = false
		}
	}
}

// lineWatch notes whether a line end has come from the client since
// sawLF was last cleared: a timeout then interrupted the header fields,
// not the request line.
type lineWatch struct {
	r     io.Reader
	sawLF bool
	n     int64 // bytes read from the client so far (mod_logio's %I)
}

func (w *lineWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.n += int64(n)
	if !w.sawLF && bytes.IndexByte(p[:n], '\n') >= 0 {
		w.sawLF = true
	}
	return n, err
}

// countWriter counts the bytes written to the client (mod_logio's %O).
type countWriter struct {
	w io.Writer
	n int64
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

// ioCount is where one request's bytes begin in the connection's counts.
type ioCount struct {
	in                *lineWatch
	out               *countWriter
	inStart, outStart int64
}

// continueReader is a request body that sends "100 Continue" before
// its first read from the client, as httpd's input filter does, unless
// the response has begun or a 100 was sent already.
type continueReader struct {
	x *Exchange
	r io.Reader
}

func (c *continueReader) Read(p []byte) (int, error) {
	x := c.x
	req := x.Req
	hasBody := req.ContentLength > 0 || req.Chunked
	if x.expect100 && hasBody && !x.wrote && (req.Major > 1 || req.Major == 1 && req.Minor >= 1) {
		x.expect100 = false
		resp := &http1.Response{Proto: "HTTP/1.1", Major: 1, Minor: 1, Status: 100, Reason: reasonPhrase(100)}
		if err := http1.WriteResponseHead(x.bw, resp); err != nil {
			return 0, err
		}
		if err := x.bw.Flush(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

// decideKeepAlive is httpd's ap_set_keepalive: whether the connection
// stays open after this response, adding Keep-Alive and Connection, and
// whether a body of unknown length is sent chunked.
func (x *Exchange) decideKeepAlive(status int, framed bool, h *http1.Headers) (keep, chunked bool) {
	req := x.Req
	vh := x.vh
	connHdr := strings.Join(req.Header.Values("Connection"), ",")
	left := vh.maxKeepAlive - x.keepalives
	http11 := req.Major > 1 || req.Major == 1 && req.Minor >= 1
	wimpy := hasToken(h.Get("Connection"), "close")
	// The order matters as in httpd: a response of unknown length is
	// chunked once the connection is usable and no 100 Continue is
	// owed, even when a later condition closes the connection.
	// A request with both Content-Length and Transfer-Encoding (its
	// Close set without a reason in Connection) ends the connection.
	closeToken := hasToken(connHdr, "close")
	http10Close := req.Major == 1 && req.Minor == 0 && !hasToken(connHdr, "keep-alive")
	smuggled := req.Close && !closeToken && !http10Close
	usable := (x.readErr == nil || x.readErr.Status == 417) && !x.mustClose && !smuggled && !x.expect100
	if usable && !framed && http11 {
		chunked, framed = true, true
	}
	kaSent := false
	ok := usable && framed &&
		vh.keepAlive &&
		vh.keepAliveTimeout > 0 &&
		(vh.maxKeepAlive == 0 || left > 0) &&
		!dropsConnection(status) &&
		!wimpy &&
		!closeToken &&
		func() bool { kaSent = hasToken(connHdr, "keep-alive"); return kaSent || http11 }() &&
		!x.c.srv.closing.Load()
	if ok {
		if kaSent {
			secs := strconv.Itoa(int(vh.keepAliveTimeout / time.Second))
			if vh.maxKeepAlive != 0 {
				h.Set("Keep-Alive", "timeout="+secs+", max="+strconv.Itoa(left))
			} else {
				h.Set("Keep-Alive", "timeout="+secs)
			}
			mergeField(h, "Connection", "Keep-Alive")
		}
		return true, chunked
	}
	if !wimpy {
		mergeField(h, "Connection", "close")
	}
	return false, chunked
}

// dropsConnection is httpd's ap_status_drops_connection.
func dropsConnection(status int) bool {
	switch status {
	case 400, 408, 411, 413, 414, 500, 503, 501:
		return true
	}
	return false
}

// hasToken reports whether the comma-separated list holds tok, ignoring
// case (ap_find_token).
func hasToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// httpDate formats t as an HTTP date.
func httpDate(t time.Time) string {
	return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

func (s *Server) software() string {
	if s.Software == "" {
		return "Portico"
	}
	return s.Software
}

func (s *Server) logRequest(x *Exchange) {
	if s.Hooks.Log == nil {
		return
	}
	srv := x.Server
	if srv == nil {
		srv = x.vh.srv
	}
	var in, out int64
	if x.io.in != nil {
		in = x.io.in.n - int64(x.br.Buffered()) - x.io.inStart
		out = x.io.out.n - x.io.outStart
	}
	s.Hooks.Log(&LogRecord{
		Server: srv, Remote: x.Remote, Local: x.Local, Time: x.Start,
		Duration: time.Since(x.Start), Method: x.Req.Method, Target: x.Req.Target,
		Proto: x.Req.Proto, Status: x.Status, BytesSent: x.BytesSent, Header: x.Req.Header,
		ServerHostname: x.vh.hostname, ServerPort: x.vh.port, Hostname: x.Hostname,
		URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Filename: x.filename,
		ResponseHeader: x.respHeader, Keepalives: x.keepalives,
		KeepAlive: x.keepAlive && !x.mustClose, Aborted: x.aborted, Proxied: x.proxyReq,
		BytesIn: in, BytesOut: out, x: x,
	})
}
