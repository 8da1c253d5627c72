package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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

// DefaultResponseFieldSize is mod_proxy's default ResponseFieldSize.
const DefaultResponseFieldSize = 8192

func (l Limits) respFieldSize() int {
	if l.FieldSize <= 0 {
		return DefaultResponseFieldSize
	}
	return l.FieldSize
}

// ErrBadResponse is wrapped by every error ReadResponse and a response's
// Body return for a response that is not valid HTTP/1.x; mod_proxy_http
// answers 502 for it.
var ErrBadResponse = errors.New("http1: malformed response")

// ResponseError describes a malformed backend response.
type ResponseError struct {
	Reason string
	err    error
}

func (e *ResponseError) Error() string { return "http1: malformed response: " + e.Reason }

// Unwrap lets errors.Is(err, ErrBadResponse) hold, and ErrChunk for a bad
// chunked body.
func (e *ResponseError) Unwrap() []error {
	if e.err != nil {
		return []error{ErrBadResponse, e.err}
	}
	return []error{ErrBadResponse}
}

// ReadResponse reads one response to a request with the given method from
// br as mod_proxy_http does. lim.FieldSize is ResponseFieldSize (8192 when
// zero); lim.Fields, when set, bounds the number of fields (httpd has no
// bound). Interim 1xx responses are returned as they are, without body; the
// caller reads the next response after them (after 101 Switching Protocols
// the connection no longer speaks HTTP/1).
//
// A first line that is not an HTTP/1 status line makes an HTTP/0.9
// response as in httpd: status 200, Proto "HTTP/0.9", and a body of that
// line (without its line ending) and all that follows until the close.
// Errors for malformed responses wrap ErrBadResponse.
func ReadResponse(br *bufio.Reader, method string, lim Limits) (*Response, error) {
	size := lim.respFieldSize()
	line, _, err := readLine(br, size-1)
	if err == nil && len(line) == 0 {
		// One stray empty line before the status line is tolerated.
		line, _, err = readLine(br, size-1)
	}
	switch {
	case err == errLineTooLong:
		return nil, &ResponseError{Reason: "Corrupt status line returned by remote server: status line too long"}
	case err == io.EOF || err == io.ErrUnexpectedEOF || err == nil && len(line) == 0:
		return nil, &ResponseError{Reason: "Error reading from remote server", err: io.ErrUnexpectedEOF}
	case err != nil:
		return nil, err
	}
	r := &Response{ContentLength: -1}
	if !isStatusLine(line) {
		r.Proto, r.Major, r.Minor, r.Status, r.Reason, r.Close = "HTTP/0.9", 0, 9, 200, "OK", true
		r.Body = io.MultiReader(bytes.NewReader(bytes.Clone(line)), br)
		return r, nil
	}
	if line[5] != '1' || len(line) >= size-1 {
		return nil, &ResponseError{Reason: "Corrupt status line returned by remote server: " + clip(line)}
	}
	hb := getHead()
	defer putHead(hb)
	hb.b = append(hb.b, line...)
	lineLen := len(line)
	if err := readResponseFields(br, size, hb); err != nil {
		return nil, err
	}
	if lim.Fields > 0 && len(hb.spans) > lim.Fields {
		return nil, &ResponseError{Reason: "too many header fields"}
	}
	s := string(hb.b)
	// line lay in br's buffer, read over since: use s.
	r.Major, r.Minor = int(s[5]-'0'), int(s[7]-'0')
	switch s[:8] {
	case "HTTP/1.1":
		r.Proto = "HTTP/1.1"
	case "HTTP/1.0":
		r.Proto = "HTTP/1.0"
	default:
		r.Proto = s[:8]
	}
	r.Status = int(s[9]-'0')*100 + int(s[10]-'0')*10 + int(s[11]-'0')
	r.Reason = s[12:lineLen]
	if len(r.Reason) > 0 && r.Reason[0] == ' ' {
		r.Reason = r.Reason[1:]
	}
	r.Header = hb.headers(s)
	if err := r.setBody(br, method, lim); err != nil {
		return nil, err
	}
	return r, nil
}

// isStatusLine matches httpd's "HTTP/#.# ###*".
func isStatusLine(l []byte) bool {
	return len(l) >= 12 && string(l[:5]) == "HTTP/" && isDigit(l[5]) && l[6] == '.' && isDigit(l[7]) &&
		l[8] == ' ' && isDigit(l[9]) && isDigit(l[10]) && isDigit(l[11])
}

// readResponseFields reads a backend's header fields as mod_proxy_http
// does: bare LF accepted, folded lines appended as they are, a line without
// ':' an error unless it is a stray status line, names not checked, values
// trimmed of white space.
func readResponseFields(br *bufio.Reader, size int, hb *headBuf) error {
	folded := 0 // length of the current field line with its folds
	for {
		line, _, err := readLine(br, size-1)
		switch {
		case err == errLineTooLong:
			return &ResponseError{Reason: "header size is over the limit allowed by ResponseFieldSize"}
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return &ResponseError{Reason: "Error reading headers from backend", err: io.ErrUnexpectedEOF}
		case err != nil:
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hb.spans) > 0 {
			if folded+len(line) > size-1 {
				return &ResponseError{Reason: "header size is over the limit allowed by ResponseFieldSize"}
			}
			folded += len(line)
			sp := &hb.spans[len(hb.spans)-1]
			hb.b = append(hb.b[:sp.ve], line...)
			sp.ve = len(hb.b)
			for sp.ve > sp.vs && isSpace(hb.b[sp.ve-1]) {
				sp.ve--
			}
			for sp.vs < sp.ve && isSpace(hb.b[sp.vs]) {
				sp.vs++
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			if isStatusLine(line) {
				continue
			}
			return &ResponseError{Reason: "bad header line: " + clip(line)}
		}
		v, e := colon+1, len(line)
		for v < e && isSpace(line[v]) {
			v++
		}
		for e > v && isSpace(line[e-1]) {
			e--
		}
		base := len(hb.b)
		hb.b = append(hb.b, line...)
		hb.spans = append(hb.spans, span{base, base + colon, base + v, base + e})
		folded = len(line)
	}
}

func (r *Response) setBody(br *bufio.Reader, method string, lim Limits) error {
	h := r.Header
	if r.Minor == 0 || hasToken(h.Get("Connection"), "close") {
		r.Close = true
	}
	if r.Status/100 == 1 || r.Status == 204 || r.Status == 304 || method == "HEAD" {
		if cl, ok := lookup(h, "Content-Length"); ok && r.Status/100 != 1 && r.Status != 204 {
			if n, ok := parseLength(cl); ok {
				r.ContentLength = n
			}
		} else {
			r.ContentLength = 0
		}
		r.Body = eofReader{}
		return nil
	}
	if te, ok := lookup(h, "Transfer-Encoding"); ok {
		if h.Has("Content-Length") {
			r.Header.Del("Content-Length")
			r.Close = true
		}
		if isChunked(te) {
			r.Chunked = true
			r.Body = &chunkedReader{br: br, lim: lim}
			return nil
		}
		// Another coding last: the body runs to the close.
		r.Close = true
		r.Body = &closeReader{br}
		return nil
	}
	if cl, ok := lookup(h, "Content-Length"); ok {
		n, ok := parseLength(cl)
		if !ok {
			return &ResponseError{Reason: "Invalid Content-Length " + cl}
		}
		for _, v := range h.Values("Content-Length")[1:] {
			if v != cl {
				// httpd uses the first; the connection is not reused.
				r.Close = true
			}
		}
		r.ContentLength = n
		if n > 0 {
			r.Body = &lengthReader{br: br, n: n}
		} else {
			r.Body = eofReader{}
		}
		return nil
	}
	r.Close = true
	r.Body = &closeReader{br}
	return nil
}
