package server

import (
	"bytes"
	"io"
	"strconv"
)

// TRACE as httpd's core answers it (ap_send_http_trace) and TraceEnable.

// traceMode is the chosen server's TraceEnable: "on" (httpd's default),
// "off" or "extended". A virtual host without one has the main server's.
func (x *Exchange) traceMode() string {
	if t := x.vh.srv.TraceEnable; t.Set {
		return t.Val
	}
	if m := x.gen.table.main; m != nil && m.srv != nil {
		return m.srv.TraceEnable.Get("on")
	}
	return "on"
}

// allowed is the Allow value of httpd's default handler: TRACE is
// listed unless TraceEnable is off; a TRACE refused by TraceEnable off
// gets an empty one (no handler said what it allows).
func (x *Exchange) allowed() string {
	switch {
	case x.traceRefused:
		return ""
	case x.traceMode() == "off":
		return "OPTIONS,HEAD,GET,POST"
	}
	return "OPTIONS,HEAD,GET,POST,TRACE"
}

// maxTraceBody is the largest body TraceEnable extended echoes
// (65536 bytes with a Content-Length; a chunked body may use the room
// httpd keeps for chunk headers, less its 32-byte margin).
const (
	maxTraceBody        = 65536
	maxTraceChunkedBody = 65536 + 8192 + 2 - 32
)

// serveTrace answers a TRACE itself: 405 when TraceEnable is off, 413
// for a request with a body unless it is extended, else 200 with the
// request line and fields as received (merged fields joined, one space
// between the request line's parts) as message/http, and the body when
// extended. The response has no length: chunked for HTTP/1.1.
func (x *Exchange) serveTrace() {
	mode := x.traceMode()
	if mode == "off" {
		x.traceRefused = true
		x.Error(405)
		return
	}
	req := x.Req
	hasBody := req.ContentLength > 0 || req.Chunked
	var body []byte
	if hasBody {
		if mode != "extended" {
			x.closeAfter()
			x.Error(413)
			return
		}
		limit := int64(maxTraceChunkedBody)
		if !req.Chunked {
			if req.ContentLength > maxTraceBody {
				x.closeAfter()
				x.Error(413)
				return
			}
			limit = req.ContentLength
		}
		b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
		switch {
		case err != nil:
			x.closeAfter()
			x.Error(400)
			return
		case int64(len(b)) > limit:
			x.closeAfter()
			x.Error(413)
			return
		}
		body = b
	}
	var b bytes.Buffer
	b.WriteString(req.Method + " " + req.Target + " " + req.Proto + "\r\n")
	for _, f := range req.Header {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	x.respond(200, "", nil, "message/http", &b, -1)
}

// proxyTraceRefused is mod_proxy's check of a TRACE it would forward:
// with TraceEnable off it answers 405 and reports true. A Max-Forwards
// field the proxy refuses, or one at zero (answered by serveTrace), is
// left to the proxy.
func (x *Exchange) proxyTraceRefused() bool {
	if x.Req.Method != "TRACE" || x.traceMode() != "off" {
		return false
	}
	if v, ok := lookupField(x.Req.Header, "Max-Forwards"); ok {
		if n, ok := parseMaxForwards(v); !ok || n == 0 {
			return false
		}
	}
	x.Log.Error().Msg("AH01139: TRACE forbidden by server configuration")
	x.traceRefused = true
	x.Error(405)
	return true
}

// parseMaxForwards reads a Max-Forwards value as mod_proxy does
// (apr_strtoi64 over the whole value, not negative, below the maximum).
func parseMaxForwards(v string) (int64, bool) {
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] >= '\t' && v[i] <= '\r') {
		i++
	}
	n, err := strconv.ParseInt(v[i:], 10, 64)
	if err != nil || n < 0 || n == 1<<63-1 {
		return 0, false
	}
	return n, true
}
