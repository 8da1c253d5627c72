package http1

import (
	"bufio"
	"io"
	"strconv"
)

// Limits are httpd's LimitRequestLine / LimitRequestFieldSize /
// LimitRequestFields. A zero field takes httpd's default (8190, 8190, 100).
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
	if l.Fields <= 0 {
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

// ReadRequest reads one request head from br and sets up its body. It
// returns a *StatusError for a request httpd refuses, io.EOF when the
// connection closes cleanly before a request starts.
func ReadRequest(br *bufio.Reader, lim Limits) (*Request, error) {
	r := &Request{ContentLength: -1}
	if err := readRequestLine(br, lim, r); err != nil {
		return nil, err
	}
	hdr, err := readHeaders(br, lim, r.Header[:0], false)
	if err != nil {
		return nil, err
	}
	r.Header = hdr
	if err := r.finish(br); err != nil {
		return nil, err
	}
	return r, nil
}
