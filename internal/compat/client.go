package compat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portico-proxy/portico/internal/compat/backend"
	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// client runs the steps of a case over its client connections.
type client struct {
	addr     string
	rec      *recorder
	backends map[string]*backend.Backend
	conns    []*clientConn
	cur      *clientConn
}

// clientConn is one client connection, numbered from 1 ("c1").
type clientConn struct {
	n      int
	c      net.Conn
	br     *bufio.Reader
	closed bool // by us, or seen closed by the server
}

func (cc *clientConn) label() string { return "c" + strconv.Itoa(cc.n) }

func (cl *client) run(ctx context.Context, steps []Step) {
	for _, st := range steps {
		if ctx.Err() != nil {
			cl.rec.add("--- stopped: " + ctx.Err().Error())
			return
		}
		cl.step(st)
	}
}

func (cl *client) closeAll() {
	for _, cc := range cl.conns {
		cc.c.Close()
	}
}

// conn returns the current connection, opening the first one on demand.
func (cl *client) conn() (*clientConn, error) {
	if cl.cur != nil && !cl.cur.closed {
		return cl.cur, nil
	}
	if cl.cur != nil {
		return nil, fmt.Errorf("%s is closed (use new-connection)", cl.cur.label())
	}
	return cl.dial()
}

func (cl *client) dial() (*clientConn, error) {
	c, err := net.DialTimeout("tcp", cl.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	cc := &clientConn{n: len(cl.conns) + 1, c: c, br: bufio.NewReaderSize(c, 64<<10)}
	cl.conns = append(cl.conns, cc)
	cl.cur = cc
	return cc, nil
}

func (cl *client) step(st Step) {
	fail := func(err error) {
		cl.rec.add(fmt.Sprintf("--- step %d %s: %v", st.Line, st.Kind, err))
	}
	switch st.Kind {
	case StepSleep:
		time.Sleep(st.Timeout)
		return
	case StepBackendStop:
		cl.backends[st.Backend].Stop()
		return
	case StepBackendStart:
		if err := cl.backends[st.Backend].Restart(); err != nil {
			fail(err)
		}
		return
	case StepNewConnection:
		if _, err := cl.dial(); err != nil {
			fail(err)
		}
		return
	}
	cc, err := cl.conn()
	if err != nil {
		fail(err)
		return
	}
	switch st.Kind {
	case StepSend:
		cl.write(cc, st.Data, fail)
	case StepSendRepeat:
		for range st.Count {
			if !cl.write(cc, st.Data, fail) {
				return
			}
		}
	case StepClose:
		cc.c.Close()
		cc.closed = true
	case StepCloseWrite:
		if tc, ok := cc.c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	case StepWaitResponse:
		cl.waitResponse(cc, st)
	case StepWaitClose:
		cl.waitClose(cc, st.Timeout)
	case StepWSSend:
		cc.c.SetWriteDeadline(time.Now().Add(DefaultResponseTimeout))
		if err := wsframe.Write(cc.c, st.Frame); err != nil {
			fail(err)
		}
	case StepWSRecv:
		cc.c.SetReadDeadline(time.Now().Add(st.Timeout))
		f, err := wsframe.Read(cc.br)
		if err != nil {
			cl.rec.add(fmt.Sprintf("--- %s no websocket frame: %s", cc.label(), readFailure(err, st.Timeout)))
			return
		}
		cl.rec.add(fmt.Sprintf("--- %s websocket frame: %s", cc.label(), backend.FrameString(f)))
	case StepRead:
		cc.c.SetReadDeadline(time.Now().Add(st.Timeout))
		buf := make([]byte, st.Count)
		n, err := io.ReadFull(cc.br, buf)
		line := fmt.Sprintf("--- %s read %s", cc.label(), backend.Describe(buf[:n], int64(n), ""))
		if err != nil {
			line += ", then " + readFailure(err, st.Timeout)
		}
		cl.rec.add(line)
	}
}

// write sends data on cc; a failure is recorded, since a server that
// closes early is an observation too.
func (cl *client) write(cc *clientConn, data []byte, fail func(error)) bool {
	cc.c.SetWriteDeadline(time.Now().Add(DefaultResponseTimeout))
	if _, err := cc.c.Write(data); err != nil {
		cl.rec.add(fmt.Sprintf("--- %s send failed: %s", cc.label(), writeFailure(err)))
		return false
	}
	return true
}

// waitClose records whether the server closes cc within d.
func (cl *client) waitClose(cc *clientConn, d time.Duration) {
	cc.c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	n, err := cc.br.Read(buf)
	switch {
	case n > 0:
		cl.rec.add(fmt.Sprintf("--- %s unexpected data: %s", cc.label(), backend.Describe(buf[:n], int64(n), "")))
	case isTimeout(err):
		cl.rec.add(fmt.Sprintf("--- %s still open after %v", cc.label(), d))
	default:
		cc.closed = true
		cl.rec.add(fmt.Sprintf("--- %s closed by server", cc.label()))
	}
}

// waitResponse reads st.Count responses (a 1xx interim response counts
// as one) and then records them together: pipelined responses are read
// while the server already forwards the next request, so recording each
// as it arrives would race with the backend's records.
func (cl *client) waitResponse(cc *clientConn, st Step) {
	cc.c.SetReadDeadline(time.Now().Add(st.Timeout))
	var blocks []string
	defer func() {
		for _, b := range blocks {
			cl.rec.add(b)
		}
	}()
	for range st.Count {
		resp, err := readResponse(cc.br, st.Head)
		if resp == nil {
			if err == nil {
				err = io.EOF
			}
			if !isTimeout(err) {
				cc.closed = true
			}
			blocks = append(blocks, fmt.Sprintf("--- %s no response: %s", cc.label(), readFailure(err, st.Timeout)))
			return
		}
		blocks = append(blocks, formatResponse(cc.label(), resp, err, st.Timeout))
		if err != nil {
			return
		}
	}
}

// readFailure names why a read ended, the same way for every product.
func readFailure(err error, d time.Duration) string {
	switch {
	case isTimeout(err):
		return fmt.Sprintf("nothing within %v", d)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "connection closed"
	}
	return err.Error()
}

func writeFailure(err error) string {
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return "connection closed"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// response is a response as the client read it.
type response struct {
	raw     bool     // not HTTP/1.x: everything until close, in body
	status  string   // status line
	code    int      // status code
	header  []string // header lines as received
	body    []byte
	trailer []string
	chunked bool
}

// get returns the value of the first header field name, ignoring case.
func (r *response) get(name string) string {
	for _, l := range r.header {
		n, v, _ := strings.Cut(l, ":")
		if strings.EqualFold(strings.TrimSpace(n), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readResponse reads one response; after a failure it returns what it has
// read so far (nil if nothing) with the error.
func readResponse(br *bufio.Reader, head bool) (*response, error) {
	peek, err := br.Peek(5)
	if len(peek) == 0 {
		return nil, err
	}
	r := &response{}
	if string(peek) != "HTTP/" {
		r.raw = true
		r.body, err = io.ReadAll(br)
		if isTimeout(err) {
			return r, err
		}
		return r, nil
	}
	if r.status, err = line(br); err != nil {
		return r, err
	}
	f := strings.Fields(r.status)
	if len(f) >= 2 {
		r.code, _ = strconv.Atoi(f[1])
	}
	for {
		l, err := line(br)
		if err != nil {
			return r, err
		}
		if l == "" {
			break
		}
		r.header = append(r.header, l)
	}
	if head || r.code < 200 || r.code == 204 || r.code == 304 {
		return r, nil
	}
	if te := strings.ToLower(r.get("Transfer-Encoding")); strings.HasSuffix(te, "chunked") {
		r.chunked = true
		return r, readChunked(br, r)
	}
	if cl := r.get("Content-Length"); cl != "" {
		n, perr := strconv.ParseInt(cl, 10, 64)
		if perr != nil || n < 0 {
			return r, fmt.Errorf("bad Content-Length %q", cl)
		}
		r.body = make([]byte, n)
		k, err := io.ReadFull(br, r.body)
		r.body = r.body[:k]
		return r, err
	}
	r.body, err = io.ReadAll(br)
	return r, err
}

func readChunked(br *bufio.Reader, r *response) error {
	for {
		l, err := line(br)
		if err != nil {
			return err
		}
		sz, _, _ := strings.Cut(l, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sz), 16, 64)
		if err != nil || n < 0 || n > 64<<20 {
			return fmt.Errorf("bad chunk size line %q", l)
		}
		if n == 0 {
			break
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		r.body = append(r.body, buf...)
		if l, err := line(br); err != nil || l != "" {
			return fmt.Errorf("chunk data not followed by CRLF")
		}
	}
	for {
		l, err := line(br)
		if err != nil || l == "" {
			return err
		}
		r.trailer = append(r.trailer, l)
	}
}

// line reads a line without its CRLF (or bare LF).
func line(br *bufio.Reader) (string, error) {
	s, err := br.ReadString('\n')
	if err != nil {
		if err == io.EOF && s != "" {
			err = io.ErrUnexpectedEOF
		}
		return s, err
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// sha returns the hex SHA-256 of p when p is too long to show.
func sha(p []byte) string {
	if len(p) <= 512 {
		return ""
	}
	return shaHex(p)
}
