package http1

import (
	"bufio"
	"io"
	"sync"
)

// MaxBlankLines is how many empty lines httpd skips before a request
// line, and after one (DEFAULT_LIMIT_BLANK_LINES).
const MaxBlankLines = 10

// span is a field's name and value as offsets into a head's buffer.
type span struct{ ns, ne, vs, ve int }

// headBuf collects a message head: the bytes of the start line and of
// every field, so that one string conversion gives all of them.
type headBuf struct {
	b     []byte
	spans []span
}

var headPool = sync.Pool{New: func() any { return &headBuf{b: make([]byte, 0, 1024), spans: make([]span, 0, 32)} }}

func getHead() *headBuf {
	h := headPool.Get().(*headBuf)
	h.b, h.spans = h.b[:0], h.spans[:0]
	return h
}

func putHead(h *headBuf) {
	if cap(h.b) <= 64<<10 && cap(h.spans) <= 1024 {
		headPool.Put(h)
	}
}

// headers converts the collected fields to Headers sharing the string s,
// which holds h.b.
func (h *headBuf) headers(s string) Headers {
	if len(h.spans) == 0 {
		return nil
	}
	hs := make(Headers, len(h.spans))
	for i, sp := range h.spans {
		hs[i] = Header{internName(s[sp.ns:sp.ne]), s[sp.vs:sp.ve]}
	}
	return hs
}

// readRequestLine reads the request line into hb and returns the offsets
// of method, target and protocol; proto is empty for an HTTP/0.9 request.
func readRequestLine(br *bufio.Reader, lim Limits, hb *headBuf) (m, t, p [2]int, err error) {
	var line []byte
	var crlf bool
	for blank := 0; ; blank++ {
		line, crlf, err = readLine(br, lim.line()+1)
		if err == errLineTooLong {
			return m, t, p, &StatusError{414, "Request-URI Too Long"}
		}
		if err != nil {
			// httpd closes the connection without an answer when it
			// ends in or before the request line.
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return m, t, p, err
		}
		if !crlf {
			return m, t, p, badRequest("HTTP Request Line; Invalid line ending (CR missing)")
		}
		if len(line) > 0 {
			break
		}
		if blank == MaxBlankLines {
			return m, t, p, badRequest("request failed: malformed request line")
		}
	}
	hb.b = append(hb.b, line...)
	line = hb.b
	i := 0
	// The method: a token followed by exactly one space.
	for i < len(line) && isTchar(line[i]) {
		i++
	}
	m = [2]int{0, i}
	switch {
	case i == 0 && len(line) > 0 && isSpace(line[0]):
		return m, t, p, badRequest("HTTP Request Line; Invalid whitespace")
	case i == 0 || i < len(line) && !isSpace(line[i]):
		return m, t, p, badRequest("HTTP Request Line; Invalid method token: '" + clip(line) + "'")
	case i == len(line):
		return m, t, p, badRequest("HTTP Request Line; Missing URI")
	}
	if line[i] != ' ' {
		return m, t, p, badRequest("HTTP Request Line; Invalid whitespace")
	}
	i++
	if i == len(line) || isSpace(line[i]) {
		if i == len(line) {
			return m, t, p, badRequest("HTTP Request Line; Missing URI")
		}
		return m, t, p, badRequest("HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)")
	}
	// The target: visible characters or obs-text.
	start := i
	for i < len(line) && isVcharObs(line[i]) {
		i++
	}
	t = [2]int{start, i}
	if i < len(line) && !isSpace(line[i]) {
		return m, t, p, badRequest("HTTP Request Line; URI incorrectly encoded: '" + clip(line[start:]) + "'")
	}
	if i == len(line) {
		p = [2]int{i, i}
		return m, t, p, nil
	}
	if line[i] != ' ' {
		return m, t, p, badRequest("HTTP Request Line; Invalid whitespace")
	}
	i++
	start = i
	for i < len(line) && isVcharObs(line[i]) {
		i++
	}
	p = [2]int{start, i}
	if i < len(line) {
		if isSpace(line[i]) {
			return m, t, p, badRequest("HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)")
		}
		return m, t, p, badRequest("HTTP Request Line; Unrecognized protocol '" + clip(line[start:]) + "' (perhaps whitespace was injected?)")
	}
	if start == i {
		// "GET / " : an empty protocol after the space.
		return m, t, p, badRequest("HTTP Request Line; Excess whitespace (disallowed by HttpProtocolOptions Strict)")
	}
	return m, t, p, nil
}

// clip shortens b for a log note as httpd does (80 bytes).
func clip(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	return string(b)
}

// readFields reads header fields up to the empty line into hb with
// httpd's strict rules (ap_get_mime_headers_core): CRLF line endings,
// token names directly followed by ':', values of field-content, obs-fold
// lines joined with one space, at most lim.fields() fields.
func readFields(br *bufio.Reader, lim Limits, hb *headBuf) error {
	size := lim.fieldSize()
	n := 0
	lastLen := 0 // length of the last field line with its folds
	for {
		line, crlf, err := readLine(br, size+1)
		if err == errLineTooLong {
			return badRequest("Size of a request header field exceeds server limit.")
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return badRequest("request failed: error reading the headers")
			}
			return err
		}
		if !crlf {
			return badRequest("Failed to read request header line (CR missing)")
		}
		// Trailing whitespace is dropped, but never a line's only byte.
		for len(line) > 1 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			return nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(hb.spans) == 0 {
				return badRequest("Line folding encountered before first header line")
			}
			if len(line) == 1 {
				return badRequest("Empty folded line encountered")
			}
			for len(line) > 1 && (line[1] == ' ' || line[1] == '\t') {
				line = line[1:]
			}
			if lastLen+len(line)+1 >= size {
				return badRequest("Size of a request header field exceeds server limit.")
			}
			// The field being folded is the last one in hb.b.
			sp := &hb.spans[len(hb.spans)-1]
			hb.b = append(hb.b, ' ')
			hb.b = append(hb.b, line[1:]...)
			if err := checkValue(hb.b[sp.ve+1:]); err != nil {
				return err
			}
			if sp.vs == sp.ve {
				sp.vs++ // an empty value folded: no leading space
			}
			sp.ve = len(hb.b)
			lastLen += len(line)
			continue
		}
		n++
		if n > lim.fields() {
			return badRequest("The number of request header fields exceeds this server's limit.")
		}
		i := 0
		for i < len(line) && isTchar(line[i]) {
			i++
		}
		if i == 0 || i == len(line) || line[i] != ':' {
			return badRequest("Request header field name is malformed: " + clip(line))
		}
		v := i + 1
		for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
			v++
		}
		if err := checkValue(line[v:]); err != nil {
			return err
		}
		base := len(hb.b)
		hb.b = append(hb.b, line...)
		hb.spans = append(hb.spans, span{base, base + i, base + v, base + len(line)})
		lastLen = len(line)
	}
}

// checkValue refuses control characters other than HT in a field value.
func checkValue(v []byte) error {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return badRequest("Request header value is malformed: " + clip(v))
		}
	}
	return nil
}

// mergeFields combines fields of the same name into the first one, values
// joined with ", ", as httpd's headers_in table does; it refuses a value
// longer than the field size limit.
func mergeFields(h Headers, size int) (Headers, error) {
	for i := 0; i < len(h); i++ {
		merged := false
		for j := i + 1; j < len(h); j++ {
			if equalFold(h[i].Name, h[j].Name) {
				merged = true
				break
			}
		}
		if merged {
			v := h[i].Value
			k := i + 1
			for j := i + 1; j < len(h); j++ {
				if equalFold(h[i].Name, h[j].Name) {
					v += ", " + h[j].Value
					continue
				}
				h[k] = h[j]
				k++
			}
			clear(h[k:])
			h = h[:k]
			h[i].Value = v
		}
		if len(h[i].Value) > size {
			return h, badRequest("Size of a request header field exceeds server limit.")
		}
	}
	return h, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// isVcharObs reports whether c is a visible character or obs-text.
func isVcharObs(c byte) bool { return c > ' ' && c != 0x7f }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isTchar reports whether c is a token character (RFC 9110 tchar).
func isTchar(c byte) bool { return c < 0x80 && tchar[c] }

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

var methods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"}

func internMethod(b []byte) string {
	for _, m := range methods {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

var commonNames = [...]string{
	"Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding",
	"Connection", "Content-Length", "Content-Type", "Transfer-Encoding",
	"Cookie", "Referer", "Cache-Control", "Date", "Server", "Last-Modified",
	"ETag", "Set-Cookie", "Location", "Upgrade-Insecure-Requests", "Pragma",
	"If-Modified-Since", "If-None-Match", "Origin", "Authorization", "Vary",
	"Expires", "Keep-Alive", "Accept-Ranges", "Content-Encoding",
	"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User",
	"Priority", "DNT", "Age", "X-Forwarded-For",
}

// internName returns the shared copy of a common header name, so that the
// big head string is not kept alive only by names.
func internName(s string) string {
	for _, n := range commonNames {
		if s == n {
			return n
		}
	}
	return s
}
