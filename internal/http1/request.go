package http1

import (
	"bufio"
	"io"
	"strconv"
)

// Limits are httpd's LimitRequestLine / LimitRequestFieldSize /
// LimitRequestFields. A zero field takes httpd's default (8190, 8190, 100);
// a negative Fields means no limit ("LimitRequestFields 0" in httpd).
type Limits struct{ Line, FieldSize, Fields int }

// httpd's compiled-in defaults (DEFAULT_LIMIT_REQUEST_LINE and friends).
const (
	DefaultLimitLine      = 8190
	DefaultLimitFieldSize = 8190
	DefaultLimitFields    = 100
)

func (l Limits) line() int {
	if l.Line <= 0 {
		return DefaultLimitLine
	}
	return l.Line
}

func (l Limits) fieldSize() int {
	if l.FieldSize <= 0 {
		return DefaultLimitFieldSize
	}
	return l.FieldSize
}

func (l Limits) fields() int {
	if l.Fields < 0 {
		return int(^uint(0) >> 1)
	}
	if l.Fields == 0 {
		return DefaultLimitFields
	}
	return l.Fields
}

// Request is one HTTP/1.x request as read from a client.
type Request struct {
	Method, Target, Proto string // Target is the raw request-target as received
	Major, Minor          int
	Header                Headers
	ContentLength         int64     // -1 when none/unknown
	Chunked               bool      // the body is in chunked coding
	Close                 bool      // the connection ends after this exchange
	Body                  io.Reader // never nil; decodes chunked; io.EOF at the end
}

// StatusError is a request httpd would refuse: Status is httpd's status
// (400, 413, 414, 431 …) for it and Reason the note httpd gives.
type StatusError struct {
	Status int
	Reason string
}

func (e *StatusError) Error() string {
	return strconv.Itoa(e.Status) + " " + e.Reason
}

func badRequest(reason string) *StatusError {
	return &StatusError{Status: 400, Reason: reason}
}

// ReadRequest reads one request head from br as httpd 2.4 does with its
// default HttpProtocolOptions (Strict LenientMethods Allow0.9) and sets up
// its body. It returns a *StatusError with httpd's status for a request
// httpd refuses, and io.EOF when the connection ends before a complete
// request line (httpd then closes without answering).
//
// Header fields keep the case of their names and their order; fields of
// the same name are merged into the first, values joined by ", ", as in
// httpd's request table. An HTTP/0.9 request (GET only) has no fields.
// A host in an absolute-form target replaces the Host field's value.
func ReadRequest(br *bufio.Reader, lim Limits) (*Request, error) {
	hb := getHead()
	defer putHead(hb)
	m, t, p, err := readRequestLine(br, lim, hb)
	if err != nil {
		return nil, err
	}
	r := &Request{ContentLength: -1}
	proto := hb.b[p[0]:p[1]]
	switch {
	case len(proto) == 0:
		r.Proto, r.Major, r.Minor = "HTTP/0.9", 0, 9
	case len(proto) == 8 && string(proto[:5]) == "HTTP/" && isDigit(proto[5]) && proto[6] == '.' && isDigit(proto[7]) && proto[5] != '0':
		r.Major, r.Minor = int(proto[5]-'0'), int(proto[7]-'0')
	default:
		return nil, badRequest("HTTP Request Line; Unrecognized protocol '" + clip(proto) + "' (perhaps whitespace was injected?)")
	}
	r.Method = internMethod(hb.b[m[0]:m[1]])
	if r.Major == 0 {
		if r.Method != "GET" {
			return nil, badRequest("HTTP Request Line; Invalid method token: '" + r.Method + "' (only GET is allowed for HTTP/0.9 requests)")
		}
	} else if err := readFields(br, lim, hb); err != nil {
		return nil, err
	}
	s := string(hb.b)
	r.Target = s[t[0]:t[1]]
	switch {
	case r.Proto != "":
	case r.Major == 1 && r.Minor == 1:
		r.Proto = "HTTP/1.1"
	case r.Major == 1 && r.Minor == 0:
		r.Proto = "HTTP/1.0"
	default:
		r.Proto = s[p[0]:p[1]]
	}
	r.Header = hb.headers(s)
	if r.Header, err = mergeFields(r.Header, lim.fieldSize()); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if err := r.setBody(br, lim); err != nil {
		return nil, err
	}
	return r, nil
}
