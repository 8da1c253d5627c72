package http1

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// Response is one HTTP/1.x response as read from a backend.
type Response struct {
	Proto                string
	Major, Minor, Status int
	Reason               string
	Header               Headers
	ContentLength        int64 // -1 when none/unknown
	Chunked, Close       bool
	Body                 io.Reader // never nil; decodes chunked; io.EOF at the end
}

// ErrBadResponse is wrapped by every error ReadResponse returns for a
// response that is not valid HTTP/1.x; a proxy answers 502 for it.
var ErrBadResponse = errors.New("http1: malformed response")

// ResponseError describes a malformed backend response.
type ResponseError struct{ Reason string }

func (e *ResponseError) Error() string { return "http1: malformed response: " + e.Reason }

// Unwrap lets errors.Is(err, ErrBadResponse) hold.
func (e *ResponseError) Unwrap() error { return ErrBadResponse }

// ReadResponse reads one response to a request with the given method from
// br. Interim 1xx responses are returned as they are; the caller reads the
// next response after them (101 Switching Protocols ends HTTP/1 on the
// connection).
func ReadResponse(br *bufio.Reader, method string, lim Limits) (*Response, error) {
	line, err := readLine(br, lim.line())
	if err == errLineTooLong {
		return nil, &ResponseError{"status line too long"}
	}
	if err != nil {
		return nil, err
	}
	r := &Response{ContentLength: -1}
	if err := parseStatusLine(line, r); err != nil {
		return nil, err
	}
	hdr, err := readHeaders(br, lim, nil, true)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return nil, &ResponseError{se.Reason}
		}
		return nil, err
	}
	r.Header = hdr
	if err := r.setBody(br, method); err != nil {
		return nil, err
	}
	return r, nil
}

func parseStatusLine(line []byte, r *Response) error {
	if len(line) < 12 || string(line[:5]) != "HTTP/" || !isDigit(line[5]) || line[6] != '.' || !isDigit(line[7]) || line[8] != ' ' {
		return &ResponseError{"bad status line"}
	}
	r.Major, r.Minor = int(line[5]-'0'), int(line[7]-'0')
	r.Proto = internProto(line[:8])
	s := line[9:12]
	if !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) || s[0] == '0' {
		return &ResponseError{"bad status code"}
	}
	r.Status = int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	rest := line[12:]
	if len(rest) > 0 {
		if rest[0] != ' ' {
			return &ResponseError{"bad status code"}
		}
		rest = rest[1:]
	}
	r.Reason = internReason(r.Status, rest)
	return nil
}

func internReason(status int, b []byte) string {
	switch {
	case status == 200 && string(b) == "OK":
		return "OK"
	case status == 304 && string(b) == "Not Modified":
		return "Not Modified"
	case status == 404 && string(b) == "Not Found":
		return "Not Found"
	}
	return string(b)
}

func (r *Response) setBody(br *bufio.Reader, method string) error {
	h := r.Header
	conn := h.Get("Connection")
	if r.Major == 1 && r.Minor == 0 {
		r.Close = !hasToken(conn, "keep-alive")
	} else {
		r.Close = hasToken(conn, "close")
	}
	if r.Status/100 == 1 || r.Status == 204 || r.Status == 304 || method == "HEAD" {
		if r.Status == 304 || method == "HEAD" {
			if n, ok := parseContentLength(h.Values("Content-Length")); ok && h.Has("Content-Length") {
				r.ContentLength = n
			}
		}
		if r.Status/100 == 1 || r.Status == 204 {
			r.ContentLength = 0
		}
		r.Body = eofReader{}
		return nil
	}
	if h.Has("Transfer-Encoding") {
		if lastTokenIs(h.Values("Transfer-Encoding"), "chunked") {
			r.Chunked = true
			if h.Has("Content-Length") {
				r.Header.Del("Content-Length")
				r.Close = true
			}
			r.Body = &chunkedReader{br: br}
			return nil
		}
		// Another coding last: the body runs to the close.
		r.Close = true
		r.Body = &closeReader{br: br}
		return nil
	}
	if h.Has("Content-Length") {
		n, ok := parseContentLength(h.Values("Content-Length"))
		if !ok {
			return &ResponseError{"invalid Content-Length " + strconv.Quote(h.Get("Content-Length"))}
		}
		r.ContentLength = n
		if n == 0 {
			r.Body = eofReader{}
		} else {
			r.Body = &lengthReader{br: br, n: n}
		}
		return nil
	}
	r.Close = true
	r.Body = &closeReader{br: br}
	return nil
}

// closeReader reads a body delimited by the end of the connection.
type closeReader struct{ br *bufio.Reader }

func (c *closeReader) Read(p []byte) (int, error) { return c.br.Read(p) }
