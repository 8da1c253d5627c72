package http1

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzReadRequest checks that ReadRequest never panics, and that a request
// it accepts, written out again with its body framed as it was read, reads
// back to the same request ending at the same byte: no request can be
// read two ways, whatever Content-Length and Transfer-Encoding it carries.
func FuzzReadRequest(f *testing.F) {
	for _, c := range requestCases {
		if len(c.raw) < 1024 { // large seeds make minimizing crawl
			f.Add([]byte(c.raw))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ReadRequest(bufio.NewReader(bytes.NewReader(raw)), Limits{})
		if err != nil {
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if r.Chunked && r.Header.Has("Content-Length") {
			t.Fatalf("accepted with both Transfer-Encoding and Content-Length: %q", r.Header)
		}
		if r.Chunked == (r.ContentLength >= 0) && (r.Chunked || len(body) > 0) {
			t.Fatalf("Chunked %v with ContentLength %d", r.Chunked, r.ContentLength)
		}
		if r.ContentLength >= 0 && int64(len(body)) != r.ContentLength {
			t.Fatalf("body of %d bytes for Content-Length %d", len(body), r.ContentLength)
		}
		if r.Major == 0 {
			return
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if err := WriteRequestHead(w, r); err != nil {
			t.Fatalf("WriteRequestHead of an accepted request: %v", err)
		}
		writeBody(t, w, r.Chunked, body)
		out.WriteString("GET /next HTTP/1.1\r\nHost: n\r\n\r\n")
		br := bufio.NewReader(&out)
		r2, err := ReadRequest(br, Limits{})
		if err != nil {
			t.Fatalf("re-reading %q: %v", out.String(), err)
		}
		body2, err := io.ReadAll(r2.Body)
		if err != nil {
			t.Fatalf("re-reading body: %v", err)
		}
		if r2.Method != r.Method || r2.Target != r.Target || !sameFields(r2.Header, r.Header) ||
			!bytes.Equal(body, body2) || r2.Chunked != r.Chunked || r2.ContentLength != r.ContentLength {
			t.Fatalf("read back differently:\n%+v %q\n%+v %q", r, body, r2, body2)
		}
		if next, err := ReadRequest(br, Limits{}); err != nil || next.Target != "/next" {
			t.Fatalf("request after the body: %+v, %v; want /next", next, err)
		}
	})
}

func writeBody(t *testing.T, w *bufio.Writer, chunked bool, body []byte) {
	t.Helper()
	if chunked {
		cw := NewChunkedWriter(w)
		cw.Write(body)
		cw.Close()
	} else {
		w.Write(body)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadResponse checks that ReadResponse never panics, and that a
// response it accepts, written out again, reads back the same and ends at
// the same byte.
func FuzzReadResponse(f *testing.F) {
	for _, c := range responseCases {
		if len(c.raw) < 1024 {
			f.Add([]byte(c.raw), c.name[:4] == "head")
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		r, err := ReadResponse(bufio.NewReader(bytes.NewReader(raw)), method, Limits{})
		if err != nil {
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Major == 0 || r.Close && !r.Chunked && r.ContentLength < 0 {
			return
		}
		if r.Chunked && r.Header.Has("Content-Length") {
			t.Fatalf("accepted with both Transfer-Encoding and Content-Length: %q", r.Header)
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if err := WriteResponseHead(w, r); err != nil {
			return // a field httpd would refuse to send
		}
		writeBody(t, w, r.Chunked, body)
		out.WriteString("HTTP/1.1 204 Next\r\n\r\n")
		br := bufio.NewReader(&out)
		r2, err := ReadResponse(br, method, Limits{})
		if err != nil {
			t.Fatalf("re-reading %q: %v", out.String(), err)
		}
		body2, err := io.ReadAll(r2.Body)
		if err != nil {
			t.Fatalf("re-reading body: %v", err)
		}
		if r2.Status != r.Status || r2.Reason != r.Reason || !sameFields(r2.Header, r.Header) || !bytes.Equal(body, body2) {
			t.Fatalf("read back differently:\n%+v %q\n%+v %q", r, body, r2, body2)
		}
		if next, err := ReadResponse(br, method, Limits{}); err != nil || next.Reason != "Next" {
			t.Fatalf("response after the body: %+v, %v; want 204 Next", next, err)
		}
	})
}

// sameFields compares fields ignoring white space around values, which a
// merge of empty values can leave and a reader drops.
func sameFields(a, b Headers) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || strings.Trim(a[i].Value, " \t") != strings.Trim(b[i].Value, " \t") {
			return false
		}
	}
	return true
}
