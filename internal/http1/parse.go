package http1

import (
	"bufio"
	"io"
)

// readRequestLine reads and checks the request line.
func readRequestLine(br *bufio.Reader, lim Limits, r *Request) error {
	var line []byte
	var err error
	for blank := 0; ; blank++ {
		line, err = readLine(br, lim.line())
		if err == errLineTooLong {
			return &StatusError{Status: 414, Reason: "Request-URI Too Long"}
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return badRequest("incomplete request line")
			}
			return err
		}
		if len(line) > 0 {
			break
		}
		if blank >= lim.fields() {
			return badRequest("too many blank lines before the request line")
		}
	}
	sp1 := indexByte(line, ' ')
	if sp1 <= 0 {
		return badRequest("Invalid request line")
	}
	rest := line[sp1+1:]
	sp2 := indexByte(rest, ' ')
	if sp2 < 0 {
		return badRequest("HTTP/0.9 request line refused")
	}
	method, target, proto := line[:sp1], rest[:sp2], rest[sp2+1:]
	for _, c := range method {
		if !isTchar(c) {
			return badRequest("Invalid method token")
		}
	}
	if len(target) == 0 {
		return badRequest("Empty request URI")
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return badRequest("Request URI contains control characters or spaces")
		}
	}
	if len(proto) != 8 || string(proto[:5]) != "HTTP/" || !isDigit(proto[5]) || proto[6] != '.' || !isDigit(proto[7]) {
		return badRequest("Invalid protocol")
	}
	r.Major, r.Minor = int(proto[5]-'0'), int(proto[7]-'0')
	if r.Major != 1 {
		return &StatusError{Status: 505, Reason: "HTTP Version Not Supported"}
	}
	r.Method = internMethod(method)
	r.Target = string(target)
	r.Proto = internProto(proto)
	return nil
}

var methods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"}

func internMethod(b []byte) string {
	for _, m := range methods {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

func internProto(b []byte) string {
	switch string(b) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return string(b)
}

// readHeaders reads header fields up to the empty line, appending to h.
func readHeaders(br *bufio.Reader, lim Limits, h Headers, response bool) (Headers, error) {
	n := 0
	for {
		line, err := readLine(br, lim.fieldSize())
		if err == errLineTooLong {
			return h, badRequest("Size of a request header field exceeds server limit.")
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return h, badRequest("incomplete request header")
			}
			return h, err
		}
		if len(line) == 0 {
			return h, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) == 0 {
				return h, badRequest("Line folding encountered before first header line")
			}
			last := &h[len(h)-1]
			v := trimOWS(line)
			if len(last.Value)+1+len(v) > lim.fieldSize() {
				return h, badRequest("Size of a request header field exceeds server limit.")
			}
			last.Value = last.Value + " " + string(v)
			continue
		}
		n++
		if n > lim.fields() {
			return h, badRequest("The number of request header fields exceeds this server's limit.")
		}
		colon := indexByte(line, ':')
		if colon < 0 {
			return h, badRequest("Request header field is missing ':' separator.")
		}
		name := line[:colon]
		if len(name) == 0 {
			return h, badRequest("Request header field name is malformed.")
		}
		for _, c := range name {
			if !isTchar(c) {
				return h, badRequest("Request header field name is malformed.")
			}
		}
		v := trimOWS(line[colon+1:])
		for _, c := range v {
			if c < ' ' && c != '\t' || c == 0x7f {
				return h, badRequest("Request header value is malformed.")
			}
		}
		h = append(h, Header{internName(name), string(v)})
	}
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

var commonNames = [...]string{
	"Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding",
	"Connection", "Content-Length", "Content-Type", "Transfer-Encoding",
	"Cookie", "Referer", "Cache-Control", "Date", "Server", "Last-Modified",
	"ETag", "Set-Cookie", "Location", "Upgrade-Insecure-Requests", "Pragma",
	"If-Modified-Since", "If-None-Match", "Origin", "Authorization", "Vary",
	"Expires", "Keep-Alive", "Accept-Ranges", "Content-Encoding",
}

// internName returns a shared string for common header names written in
// their usual case, so reading them does not allocate.
func internName(b []byte) string {
	for _, n := range commonNames {
		if string(b) == n {
			return n
		}
	}
	return string(b)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isTchar reports whether c is a token character (RFC 9110 tchar).
func isTchar(c byte) bool {
	return c < 0x80 && tchar[c]
}

var tchar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()
