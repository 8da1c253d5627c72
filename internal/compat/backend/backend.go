// Package backend is the test backend of the compatibility harness: an
// HTTP/1.1 server on 127.0.0.1 that records exactly what it receives
// (the request line with the raw target, every header field in order with
// its name's case, the body's length and digest, the connection it came
// on) and answers as the request tells it to.
//
// # Commands
//
// Commands sit in the request path after the first "/_/" segment, so that
// they survive any ProxyPass prefix ("/app/_/status/404" reaches the
// backend as "/back/_/status/404"). Each command is one path segment, some
// followed by one argument segment:
//
//	status/CODE      answer with status CODE (reason from the status table)
//	sleep/DURATION   wait DURATION (Go syntax, at most 30s) before answering
//	close            read the request, then close without answering
//	garbage          answer "this is not HTTP" and close
//	raw              send the query parameter r (percent-decoded) verbatim, then close
//	chunked          answer with a chunked body (two chunks, or big/N in 8 KiB chunks)
//	big/N            answer with an N-byte body of a repeating pattern
//	echo             answer with the request body
//	redirect         302 with Location: the query parameter to
//	set-cookie       one Set-Cookie per query parameter c
//	interim/N        send N "103 Early Hints" responses first
//	no-continue      do not send "100 Continue" for Expect: 100-continue
//	101              answer 101 Switching Protocols even without an Upgrade
//	no-upgrade       answer an Upgrade request as an ordinary one
//
// Query parameters h=NAME:VALUE (percent-decoded, repeatable) add response
// header fields in order. Query values are used only by the commands above,
// and the query string itself is forwarded by a reverse proxy untouched,
// which is why values live there and not in the path ("%2F" in a path is a
// 404 in httpd).
//
// Without a status command the answer is "200 OK" with Content-Type:
// text/plain and the body "NAME: REQUEST-LINE\n", so every response names the
// backend that produced it.
//
// A request with an Upgrade header is upgraded unless no-upgrade is given:
// "Upgrade: websocket" with a Sec-WebSocket-Key gets the RFC 6455 handshake
// and then a frame echo (text and binary frames are sent back, a ping gets
// a pong, a close gets a close and ends the connection); any other protocol
// gets 101 with the same Upgrade value and then every byte echoed back.
package backend

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Field is one header field as received, name case kept.
type Field struct{ Name, Value string }

// Event is one thing the backend observed.
type Event struct {
	Backend string // the backend's name
	Conn    int    // connection number on this backend, from 1 in accept order
	// Request is set for a request; Note otherwise (a WebSocket frame, a
	// malformed request).
	Request *Request
	Note    string
}

// Request is a request exactly as the backend received it.
type Request struct {
	Line    string  // request line, without its line end
	Header  []Field // in order, as received
	Trailer []Field // trailer fields of a chunked body
	BodyLen int64
	Body    []byte // the first MaxBody bytes
	SHA256  string // hex digest of the whole body
}

// MaxBody is how much of a request body Request.Body keeps.
const MaxBody = 64 << 10

// Get returns the first value of the named field, ignoring case.
func (r *Request) Get(name string) string {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Backend is one running test backend.
type Backend struct {
	name    string
	addr    string
	observe func(Event)

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	seq   int
	wg    sync.WaitGroup
	// wrap, when set, takes each accepted connection first (TLS mode,
	// tls.go); false drops the connection.
	wrap func(c net.Conn, n int) (net.Conn, bool)
}

// Start starts a backend named name on addr (host:port; port 0 picks a
// free one); observe is called, from the backend's goroutines, with every
// event, and may be nil.
func Start(name, addr string, observe func(Event)) (*Backend, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Serve(name, ln, observe), nil
}

// Serve is Start on a listener the caller opened.
func Serve(name string, ln net.Listener, observe func(Event)) *Backend {
	b := &Backend{name: name, addr: ln.Addr().String(), observe: observe, conns: map[net.Conn]bool{}}
	b.serve(ln)
	return b
}

// Name returns the backend's name.
func (b *Backend) Name() string { return b.name }

// Addr returns the backend's host:port.
func (b *Backend) Addr() string { return b.addr }

// Stop closes the listener and every open connection, so that a connection
// to the port is refused until Restart.
func (b *Backend) Stop() {
	b.mu.Lock()
	if b.ln != nil {
		b.ln.Close()
		b.ln = nil
	}
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Restart listens again on the same port after Stop.
func (b *Backend) Restart() error {
	b.mu.Lock()
	running := b.ln != nil
	b.mu.Unlock()
	if running {
		return fmt.Errorf("backend %s is already running", b.name)
	}
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		return err
	}
	b.serve(ln)
	return nil
}

func (b *Backend) serve(ln net.Listener) {
	b.mu.Lock()
	b.ln = ln
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.seq++
			n := b.seq
			b.conns[c] = true
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer func() {
					b.mu.Lock()
					delete(b.conns, c)
					b.mu.Unlock()
					c.Close()
				}()
				rc := c
				if b.wrap != nil {
					wc, ok := b.wrap(c, n)
					if !ok {
						return
					}
					rc = wc
				}
				(&conn{b: b, n: n, c: rc, br: bufio.NewReader(rc)}).run()
			}()
		}
	}()
}

// conn is one accepted connection.
type conn struct {
	b  *Backend
	n  int
	c  net.Conn
	br *bufio.Reader
}

func (c *conn) emit(e Event) {
	e.Backend, e.Conn = c.b.name, c.n
	if c.b.observe != nil {
		c.b.observe(e)
	}
}

func (c *conn) note(format string, args ...any) {
	c.emit(Event{Note: fmt.Sprintf(format, args...)})
}

// idle bounds how long a connection may stay silent.
const idle = 60 * time.Second

func (c *conn) run() {
	for {
		c.c.SetReadDeadline(time.Now().Add(idle))
		keep, err := c.exchange()
		if err != nil {
			if err != io.EOF {
				c.note("error: %v", err)
			}
			return
		}
		if !keep {
			return
		}
	}
}

// exchange reads one request and answers it; keep says whether the
// connection may carry another request.
func (c *conn) exchange() (keep bool, err error) {
	line, err := readLine(c.br)
	if err != nil {
		return false, err
	}
	req := &Request{Line: line}
	for {
		l, err := readLine(c.br)
		if err != nil {
			return false, unexpectedEOF(err)
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			c.emit(Event{Request: req})
			c.note("malformed header line %q", l)
			writeSimple(c.c, 400, "bad header line\n", true)
			return false, nil
		}
		req.Header = append(req.Header, Field{name, strings.TrimLeft(value, " \t")})
	}
	method, target, proto := splitRequestLine(line)
	cmd := parseCommands(target)

	if expectsContinue(req) && !cmd.noContinue && hasBody(req) {
		io.WriteString(c.c, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	if err := c.readBody(req); err != nil {
		c.emit(Event{Request: req})
		c.note("error reading the request body: %v", err)
		return false, nil
	}
	c.emit(Event{Request: req})

	if cmd.sleep > 0 {
		time.Sleep(cmd.sleep)
	}
	keep = wantsKeepAlive(req, proto)
	switch {
	case cmd.close:
		return false, nil
	case cmd.garbage:
		io.WriteString(c.c, "this is not HTTP\r\n\r\n")
		return false, nil
	case cmd.raw != "":
		io.WriteString(c.c, cmd.raw)
		return false, nil
	}
	for range cmd.interim {
		io.WriteString(c.c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
	}
	if up := req.Get("Upgrade"); (up != "" && !cmd.noUpgrade) || cmd.upgrade101 {
		return false, c.upgrade(req, up, cmd)
	}
	return keep, c.respond(req, method, cmd, keep)
}

// respond writes the answer to an ordinary request.
func (c *conn) respond(req *Request, method string, cmd commands, keep bool) error {
	status := 200
	if cmd.status != 0 {
		status = cmd.status
	}
	var hdr []Field
	body := []byte(c.b.name + ": " + req.Line + "\n")
	switch {
	case cmd.echo:
		body = req.Body
	case cmd.big >= 0:
		body = pattern(cmd.big)
	}
	if cmd.redirect != "" {
		if cmd.status == 0 {
			status = 302
		}
		hdr = append(hdr, Field{"Location", cmd.redirect})
	}
	for _, v := range cmd.cookies {
		hdr = append(hdr, Field{"Set-Cookie", v})
	}
	hdr = append(hdr, cmd.headers...)
	noBody := status == 204 || status == 304 || status < 200 || method == "HEAD"
	w := bufio.NewWriter(c.c)
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", status, reason(status))
	if !hasField(hdr, "Content-Type") {
		fmt.Fprintf(w, "Content-Type: text/plain\r\n")
	}
	for _, f := range hdr {
		fmt.Fprintf(w, "%s: %s\r\n", f.Name, f.Value)
	}
	if !keep {
		io.WriteString(w, "Connection: close\r\n")
	}
	if cmd.chunked && status >= 200 && status != 204 && status != 304 {
		io.WriteString(w, "Transfer-Encoding: chunked\r\n\r\n")
		if !noBody {
			chunk := 8 << 10
			if cmd.big < 0 {
				chunk = (len(body) + 1) / 2
			}
			for len(body) > 0 {
				n := min(chunk, len(body))
				fmt.Fprintf(w, "%x\r\n", n)
				w.Write(body[:n])
				io.WriteString(w, "\r\n")
				body = body[n:]
			}
			io.WriteString(w, "0\r\n\r\n")
		}
		return w.Flush()
	}
	if status != 204 && status != 304 && status >= 200 {
		fmt.Fprintf(w, "Content-Length: %d\r\n", len(body))
	}
	io.WriteString(w, "\r\n")
	if !noBody {
		w.Write(body)
	}
	return w.Flush()
}

// readBody reads the request body by Transfer-Encoding or Content-Length.
func (c *conn) readBody(req *Request) error {
	h := sha256.New()
	keep := func(p []byte) {
		h.Write(p)
		if room := MaxBody - len(req.Body); room > 0 {
			req.Body = append(req.Body, p[:min(room, len(p))]...)
		}
		req.BodyLen += int64(len(p))
	}
	defer func() { req.SHA256 = hex.EncodeToString(h.Sum(nil)) }()
	if strings.Contains(strings.ToLower(req.Get("Transfer-Encoding")), "chunked") {
		for {
			l, err := readLine(c.br)
			if err != nil {
				return unexpectedEOF(err)
			}
			sz, _, _ := strings.Cut(l, ";")
			n, err := strconv.ParseInt(strings.TrimSpace(sz), 16, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("bad chunk size line %q", l)
			}
			if n == 0 {
				break
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(c.br, buf); err != nil {
				return unexpectedEOF(err)
			}
			keep(buf)
			if l, err := readLine(c.br); err != nil || l != "" {
				return fmt.Errorf("chunk not followed by CRLF")
			}
		}
		for {
			l, err := readLine(c.br)
			if err != nil {
				return unexpectedEOF(err)
			}
			if l == "" {
				return nil
			}
			name, value, _ := strings.Cut(l, ":")
			req.Trailer = append(req.Trailer, Field{name, strings.TrimLeft(value, " \t")})
		}
	}
	cl := req.Get("Content-Length")
	if cl == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("bad Content-Length %q", cl)
	}
	_, err = io.Copy(writerFunc(func(p []byte) (int, error) { keep(p); return len(p), nil }), io.LimitReader(c.br, n))
	if err == nil && req.BodyLen < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// readLine reads one line and strips its LF or CRLF end.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		part, isPrefix, err := br.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, part...)
		if len(b) > 1<<20 {
			return "", fmt.Errorf("line longer than 1 MiB")
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func splitRequestLine(line string) (method, target, proto string) {
	f := strings.Fields(line)
	switch len(f) {
	case 0:
		return "", "", ""
	case 1:
		return f[0], "", ""
	case 2:
		return f[0], f[1], ""
	}
	return f[0], f[1], f[2]
}

func expectsContinue(req *Request) bool {
	return strings.EqualFold(strings.TrimSpace(req.Get("Expect")), "100-continue")
}

func hasBody(req *Request) bool {
	cl := strings.TrimSpace(req.Get("Content-Length"))
	return req.Get("Transfer-Encoding") != "" || (cl != "" && cl != "0")
}

func wantsKeepAlive(req *Request, proto string) bool {
	tokens := strings.ToLower(strings.Join(values(req.Header, "Connection"), ","))
	if proto == "HTTP/1.0" {
		return strings.Contains(tokens, "keep-alive")
	}
	return !strings.Contains(tokens, "close")
}

func values(h []Field, name string) []string {
	var v []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			v = append(v, f.Value)
		}
	}
	return v
}

func hasField(h []Field, name string) bool { return len(values(h, name)) > 0 }

// pattern returns n bytes of a repeating, recognisable pattern.
func pattern(n int64) []byte {
	const unit = "0123456789abcdefghijklmnopqrstuvwxyz\n"
	b := make([]byte, n)
	for i := range b {
		b[i] = unit[i%len(unit)]
	}
	return b
}

func writeSimple(w io.Writer, status int, body string, close bool) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n", status, reason(status), len(body))
	if close {
		io.WriteString(w, "Connection: close\r\n")
	}
	io.WriteString(w, "\r\n"+body)
}

// Describe formats a body for a report: its text when short and printable,
// else its length and digest.
func Describe(body []byte, total int64, sum string) string {
	if total == 0 {
		return "none"
	}
	if total <= 512 && int64(len(body)) == total {
		return fmt.Sprintf("%d bytes %q", total, body)
	}
	if len(sum) > 16 {
		sum = sum[:16]
	}
	return fmt.Sprintf("%d bytes sha256:%s", total, sum)
}

func sha256hex(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}
