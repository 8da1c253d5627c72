package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestHeaders(t *testing.T) {
	h := Headers{{"Host", "a"}, {"x-A", "1"}, {"Accept", "*/*"}, {"X-a", "2"}}
	if got := h.Get("X-A"); got != "1" {
		t.Errorf("Get = %q; want %q", got, "1")
	}
	if got := strings.Join(h.Values("x-a"), ","); got != "1,2" {
		t.Errorf("Values = %q; want %q", got, "1,2")
	}
	if h.Has("X-B") || !h.Has("accept") {
		t.Errorf("Has wrong: %v", h)
	}
	h.Set("X-A", "3")
	if want := (Headers{{"Host", "a"}, {"x-A", "3"}, {"Accept", "*/*"}}); !equalHeaders(h, want) {
		t.Errorf("after Set: %v; want %v", h, want)
	}
	h.Set("New", "n")
	h.Add("new", "m")
	h.Del("HOST")
	if want := (Headers{{"x-A", "3"}, {"Accept", "*/*"}, {"New", "n"}, {"new", "m"}}); !equalHeaders(h, want) {
		t.Errorf("after Add/Del: %v; want %v", h, want)
	}
}

func equalHeaders(a, b Headers) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadRequestFields(t *testing.T) {
	raw := "POST http://Example.com:8080/x?y HTTP/1.1\r\nhost: other\r\nX-One: 1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	r, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.Target != "http://Example.com:8080/x?y" || r.Proto != "HTTP/1.1" || r.Major != 1 || r.Minor != 1 {
		t.Errorf("request line %q %q %q %d.%d", r.Method, r.Target, r.Proto, r.Major, r.Minor)
	}
	// The absolute target's host replaces Host; CL is dropped for TE.
	if want := (Headers{{"host", "Example.com:8080"}, {"X-One", "1"}, {"Transfer-Encoding", "chunked"}}); !equalHeaders(r.Header, want) {
		t.Errorf("fields %v; want %v", r.Header, want)
	}
	if !r.Chunked || !r.Close || r.ContentLength != -1 {
		t.Errorf("Chunked %v Close %v ContentLength %d; want true true -1", r.Chunked, r.Close, r.ContentLength)
	}
	if b, err := io.ReadAll(r.Body); err != nil || string(b) != "abc" {
		t.Errorf("body %q, %v; want abc", b, err)
	}
}

func TestReadRequestKeepAlive(t *testing.T) {
	raw := "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhiGET /3 HTTP/1.0\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(raw))
	for _, want := range []struct {
		target string
		close  bool
		body   string
	}{{"/1", false, ""}, {"/2", false, "hi"}, {"/3", true, ""}} {
		r, err := ReadRequest(br, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		if r.Target != want.target || r.Close != want.close || string(b) != want.body {
			t.Errorf("got %s close %v body %q; want %s %v %q", r.Target, r.Close, b, want.target, want.close, want.body)
		}
	}
	if _, err := ReadRequest(br, Limits{}); err != io.EOF {
		t.Errorf("at the end: %v; want io.EOF", err)
	}
}

func TestReadRequestLimits(t *testing.T) {
	lim := Limits{Line: 20, FieldSize: 20, Fields: 2}
	for _, c := range []struct {
		raw    string
		status int
	}{
		{"GET /" + pad(7) + " HTTP/1.1\r\nHost: a\r\n\r\n", 0},   // 21 = Line+1
		{"GET /" + pad(8) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414}, // 22
		{"GET / HTTP/1.1\r\nHost: a\r\nX: " + pad(18) + "\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: " + pad(19) + "\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", 400},
	} {
		_, err := ReadRequest(bufio.NewReader(strings.NewReader(c.raw)), lim)
		if got := statusFor(err); got != c.status {
			t.Errorf("%q: status %d (%v); want %d", c.raw, got, err, c.status)
		}
	}
}

func TestReadRequestUnlimitedFields(t *testing.T) {
	raw := "GET / HTTP/1.1\r\nHost: a\r\n" + fields(300) + "\r\n"
	if _, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{Fields: -1}); err != nil {
		t.Errorf("301 fields with no limit: %v", err)
	}
	if _, err := ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{}); statusFor(err) != 400 {
		t.Errorf("301 fields with the default limit: %v; want 400", err)
	}
}

func TestReadResponseInterim(t *testing.T) {
	raw := "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframes"
	br := bufio.NewReader(strings.NewReader(raw))
	r, err := ReadResponse(br, "GET", Limits{})
	if err != nil || r.Status != 103 || r.Header.Get("Link") != "</a>" {
		t.Fatalf("first: %+v, %v; want 103 with Link", r, err)
	}
	r, err = ReadResponse(br, "GET", Limits{})
	if err != nil || r.Status != 101 || r.Reason != "Switching Protocols" {
		t.Fatalf("second: %+v, %v; want 101", r, err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != "frames" {
		t.Errorf("after 101 the connection holds %q; want %q", rest, "frames")
	}
}

func TestReadResponseHead(t *testing.T) {
	raw := "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n"
	r, err := ReadResponse(bufio.NewReader(strings.NewReader(raw)), "HEAD", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.ContentLength != 5 || !r.Close {
		t.Errorf("ContentLength %d Close %v; want 5 true", r.ContentLength, r.Close)
	}
	if want := (Headers{{"Content-Length", "5"}, {"X-Dup", "1"}, {"x-dup", "2"}}); !equalHeaders(r.Header, want) {
		t.Errorf("fields %v; want %v (response fields are not merged)", r.Header, want)
	}
	if n, err := r.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("HEAD body read %d, %v; want 0, EOF", n, err)
	}
}

func TestWriteHeads(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	req := &Request{Method: "GET", Target: "/x", Proto: "HTTP/1.1", Header: Headers{{"hOst", "a"}, {"X-b", "1"}, {"x-B", "2"}}}
	if err := WriteRequestHead(w, req); err != nil {
		t.Fatal(err)
	}
	resp := &Response{Major: 1, Minor: 1, Status: 404, Reason: "Not Found", Header: Headers{{"content-length", "0"}}}
	if err := WriteResponseHead(w, resp); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	want := "GET /x HTTP/1.1\r\nhOst: a\r\nX-b: 1\r\nx-B: 2\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
	if b.String() != want {
		t.Errorf("wrote %q; want %q", b.String(), want)
	}
}

func TestWriteRefusesSplitting(t *testing.T) {
	for _, h := range []Header{{"X", "a\r\nEvil: 1"}, {"X Y", "1"}, {"", "1"}, {"X:", "1"}} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		err := WriteResponseHead(w, &Response{Proto: "HTTP/1.1", Status: 200, Reason: "OK", Header: Headers{h}})
		w.Flush()
		if statusFor(err) != 500 || b.Len() != 0 {
			t.Errorf("%q: err %v, wrote %q; want a 500 StatusError and nothing written", h, err, b.String())
		}
		err = WriteRequestHead(w, &Request{Method: "GET", Target: "/", Proto: "HTTP/1.1", Header: Headers{h}})
		w.Flush()
		if err == nil || b.Len() != 0 {
			t.Errorf("request %q: err %v, wrote %q; want an error and nothing written", h, err, b.String())
		}
	}
}

func TestChunkedWriterRoundTrip(t *testing.T) {
	var b bytes.Buffer
	cw := NewChunkedWriter(&b)
	for _, s := range []string{"hello", "", " world", strings.Repeat("x", 300)} {
		if _, err := io.WriteString(cw, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "5\r\nhello\r\n6\r\n world\r\n12c\r\n") || !strings.HasSuffix(b.String(), "\r\n0\r\n\r\n") {
		t.Errorf("chunked coding %q", b.String())
	}
	cr := &chunkedReader{br: bufio.NewReader(&b), strict: true}
	got, err := io.ReadAll(cr)
	if want := "hello world" + strings.Repeat("x", 300); err != nil || string(got) != want {
		t.Errorf("decoded %q, %v; want %q", got, err, want)
	}
}

func TestResponseChunkError(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"
	r, err := ReadResponse(bufio.NewReader(strings.NewReader(raw)), "GET", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r.Body)
	if !errors.Is(err, ErrBadResponse) || !errors.Is(err, ErrChunk) {
		t.Errorf("body error %v; want one wrapping ErrBadResponse and ErrChunk", err)
	}
}
