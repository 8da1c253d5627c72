package http1

import (
	"bufio"
	"errors"
	"io"
)

// ErrChunk is wrapped by the errors of a malformed chunked response body.
var ErrChunk = errors.New("http1: malformed chunked encoding")

// maxChunkBWS is how many spaces or tabs httpd allows after a chunk size.
const maxChunkBWS = 10

// chunkedReader decodes a chunked body with httpd's rules
// (ap_http_filter): hexadecimal sizes with leading zeros ignored and at most
// 63 bits, up to ten blanks after the size, extensions without control
// characters, a size line no longer than LimitRequestFieldSize, CRLF after
// each chunk, trailer fields read like header fields and then dropped.
//
// For a request (strict) every error is a *StatusError: 413 for a size or
// size line too large, 400 otherwise, as httpd answers. For a response
// bare LF line endings are accepted and errors wrap ErrChunk.
type chunkedReader struct {
	br     *bufio.Reader
	lim    Limits
	strict bool
	n      int64 // bytes left in the current chunk
	err    error
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.n == 0 {
		if err := c.chunkHead(); err != nil {
			c.err = err
			return 0, err
		}
		if c.n == 0 {
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
		err = c.fail(400, "unexpected end of chunked body")
	}
	if err == nil && c.n == 0 {
		err = c.chunkEnd()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *chunkedReader) fail(status int, why string) error {
	if c.strict {
		return &StatusError{status, "Error reading/parsing chunk: " + why}
	}
	return &ResponseError{Reason: "chunked body: " + why, err: ErrChunk}
}

// chunkEnd consumes the CRLF after a chunk's data.
func (c *chunkedReader) chunkEnd() error {
	b, err := c.br.ReadByte()
	if err == nil && b == '\r' {
		b, err = c.br.ReadByte()
	} else if err == nil && c.strict {
		return c.fail(400, "CRLF expected after chunk data")
	}
	if err != nil {
		return c.fail(400, "unexpected end of chunked body")
	}
	if b != '\n' {
		return c.fail(400, "CRLF expected after chunk data")
	}
	return nil
}

// chunkHead reads a chunk-size line, and the trailer after the last chunk.
func (c *chunkedReader) chunkHead() error {
	line, crlf, err := readLine(c.br, c.lim.fieldSize()-2)
	switch {
	case err == errLineTooLong:
		return c.fail(413, "chunk size line too long")
	case err != nil:
		return c.fail(400, "unexpected end of chunked body")
	case !crlf && c.strict:
		return c.fail(400, "CR missing before LF")
	case len(line) == 0 || unhex(line[0]) < 0:
		return c.fail(400, "invalid chunk size")
	}
	var n int64
	bits := 0
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if n == 0 && d == 0 {
			continue
		}
		if bits += 4; bits > 64 {
			return c.fail(413, "chunk size overflow")
		}
		n = n<<4 | int64(d)
		if n < 0 {
			return c.fail(413, "chunk size overflow")
		}
	}
	bws := 0
	for ; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
		if bws++; bws > maxChunkBWS {
			return c.fail(400, "too much whitespace after chunk size")
		}
	}
	if i < len(line) {
		if line[i] != ';' {
			return c.fail(400, "invalid chunk size")
		}
		for _, b := range line[i+1:] {
			if b < ' ' && b != '\t' || b == 0x7f {
				return c.fail(400, "control character in chunk extension")
			}
		}
	}
	c.n = n
	if n == 0 {
		return c.trailer()
	}
	return nil
}

// trailer reads the trailer fields after the last chunk with the rules of
// header fields, and drops them as httpd does by default
// (MergeTrailers off).
func (c *chunkedReader) trailer() error {
	hb := getHead()
	defer putHead(hb)
	var err error
	if c.strict {
		err = readFields(c.br, c.lim, hb)
	} else {
		err = readResponseFields(c.br, c.lim.respFieldSize(), hb)
	}
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return c.fail(400, "Error while reading HTTP trailer: "+se.Reason)
		}
		var re *ResponseError
		if errors.As(err, &re) {
			return c.fail(400, "trailer: "+re.Reason)
		}
		return c.fail(400, "unexpected end of chunked body")
	}
	return nil
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
