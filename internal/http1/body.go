package http1

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// finish applies httpd's checks on a request's head and sets up its body.
func (r *Request) finish(br *bufio.Reader) error {
	h := r.Header
	if r.Major == 1 && r.Minor >= 1 && !h.Has("Host") {
		return badRequest("client sent HTTP/1.1 request without hostname")
	}
	conn := h.Get("Connection")
	if r.Minor == 0 {
		r.Close = !hasToken(conn, "keep-alive")
	} else {
		r.Close = hasToken(conn, "close")
	}
	if te := h.Get("Transfer-Encoding"); te != "" || h.Has("Transfer-Encoding") {
		if !lastTokenIs(h.Values("Transfer-Encoding"), "chunked") {
			return &StatusError{Status: 400, Reason: "client sent unknown Transfer-Encoding"}
		}
		r.Chunked = true
		r.ContentLength = -1
		// A message with both is a smuggling attempt or a broken client:
		// the length is ignored and the connection not reused.
		if h.Has("Content-Length") {
			r.Header.Del("Content-Length")
			r.Close = true
		}
		r.Body = &chunkedReader{br: br}
		return nil
	}
	if h.Has("Content-Length") {
		n, ok := parseContentLength(h.Values("Content-Length"))
		if !ok {
			return badRequest("Invalid Content-Length")
		}
		r.ContentLength = n
		if n == 0 {
			r.Body = eofReader{}
		} else {
			r.Body = &lengthReader{br: br, n: n}
		}
		return nil
	}
	r.Body = eofReader{}
	return nil
}

// parseContentLength parses the values of Content-Length; several equal
// values are one length, differing ones are an error.
func parseContentLength(vs []string) (int64, bool) {
	var n int64 = -1
	for _, v := range vs {
		if len(v) == 0 {
			return -1, false
		}
		var x int64
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !isDigit(c) {
				return -1, false
			}
			if x > (1<<63-1-9)/10 {
				return -1, false
			}
			x = x*10 + int64(c-'0')
		}
		if n >= 0 && x != n {
			return -1, false
		}
		n = x
	}
	return n, true
}

// hasToken reports whether the comma-separated list v contains token,
// ignoring case.
func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if equalFold(strings.Trim(t, " \t"), token) {
			return true
		}
	}
	return false
}

// lastTokenIs reports whether the last coding listed across vs is token.
func lastTokenIs(vs []string, token string) bool {
	if len(vs) == 0 {
		return false
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return equalFold(strings.Trim(v, " \t"), token)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// lengthReader reads a body of n bytes.
type lengthReader struct {
	br *bufio.Reader
	n  int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.br.Read(p)
	l.n -= int64(n)
	if err == io.EOF {
		if l.n > 0 {
			err = io.ErrUnexpectedEOF
		} else {
			err = nil
		}
	}
	if l.n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// ErrChunk is returned by a chunked body whose coding is malformed.
var ErrChunk = errors.New("http1: malformed chunked encoding")

// chunkedReader decodes a chunked body; trailers are read and dropped.
type chunkedReader struct {
	br   *bufio.Reader
	n    int64 // bytes left in the current chunk
	done bool
	err  error
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.n == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
		if c.done {
			c.err = io.EOF
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.br.Read(p)
	c.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.n == 0 {
		err = c.chunkEnd()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *chunkedReader) chunkEnd() error {
	line, err := readLine(c.br, 0)
	if err != nil {
		return eofErr(err)
	}
	if len(line) != 0 {
		return ErrChunk
	}
	return nil
}

func (c *chunkedReader) nextChunk() error {
	line, err := readLine(c.br, DefaultLimitFieldSize)
	if err != nil {
		return eofErr(err)
	}
	var n int64
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if n > (1<<63-1)>>4 {
			return ErrChunk
		}
		n = n<<4 | int64(d)
	}
	if i == 0 {
		return ErrChunk
	}
	rest := line[i:]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0] != ';' {
		return ErrChunk
	}
	if n == 0 {
		// Trailer fields up to the empty line.
		for {
			line, err := readLine(c.br, DefaultLimitFieldSize)
			if err != nil {
				return eofErr(err)
			}
			if len(line) == 0 {
				break
			}
		}
		c.done = true
		return nil
	}
	c.n = n
	return nil
}

func eofErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err == errLineTooLong {
		return ErrChunk
	}
	return err
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
