package http1

import (
	"bufio"
	"io"
)

// setBody sets up a request's body and connection persistence after
// check: Transfer-Encoding chunked wins over Content-Length, which is then
// dropped and the connection not reused (httpd's answer to a possible
// smuggling attempt).
func (r *Request) setBody(br *bufio.Reader, lim Limits) error {
	conn := r.Header.Get("Connection")
	switch {
	case r.Major == 0:
		r.Close = true
	case r.Major == 1 && r.Minor == 0:
		r.Close = !hasToken(conn, "keep-alive")
	default:
		r.Close = hasToken(conn, "close")
	}
	if r.Header.Has("Transfer-Encoding") {
		r.Chunked = true
		if r.Header.Has("Content-Length") {
			r.Header.Del("Content-Length")
			r.Close = true
		}
		r.Body = &chunkedReader{br: br, lim: lim, strict: true}
		return nil
	}
	if cl, ok := lookup(r.Header, "Content-Length"); ok {
		n, _ := parseLength(cl) // checked in check
		r.ContentLength = n
		if n > 0 {
			r.Body = &lengthReader{br: br, n: n, request: true}
			return nil
		}
	}
	r.Body = eofReader{}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// lengthReader reads a body of n bytes. A request body cut short is a bad
// request (400) as in httpd; a response body cut short gives
// io.ErrUnexpectedEOF.
type lengthReader struct {
	br      *bufio.Reader
	n       int64
	request bool
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
			if l.request {
				err = badRequest("request body ended before Content-Length")
			}
		} else {
			err = nil
		}
	}
	if l.n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// closeReader reads a body delimited by the end of the connection.
type closeReader struct{ r io.Reader }

func (c *closeReader) Read(p []byte) (int, error) { return c.r.Read(p) }
