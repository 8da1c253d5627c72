package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// first sends raw and reads the head of one response, without waiting
// for its body or the connection's end.
func first(t *testing.T, port int, raw string) *response {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	r, err := readResponse(bufio.NewReader(c), true)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return r
}

// fieldNames returns the names of a response's header fields in order.
func fieldNames(r *response) []string {
	var names []string
	for _, line := range strings.Split(r.head, "\r\n")[1:] {
		if n, _, ok := strings.Cut(line, ":"); ok {
			names = append(names, n)
		}
	}
	return names
}

// TestFieldOrder checks that local responses carry their fields in the
// order apache2 2.4.71 writes them (testdata/compat static_files,
// static_range, bad_protocol_version and srv_static_conditional_more
// record the same on the wire): Date and Server first, the handler's
// fields, Content-Length, Connection and Keep-Alive, then Content-Type.
func TestFieldOrder(t *testing.T) {
	ts := startServer(t, staticConf, 1, staticFiles, nil)
	p := ts.ports[0]
	host := fmt.Sprintf("Host: 127.0.0.1:%d\r\n", p)
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"file", "GET /a.txt HTTP/1.1\r\n" + host + "\r\n",
			"Date Server Last-Modified ETag Accept-Ranges Content-Length Content-Type"},
		{"file, HTTP/1.0 keep-alive", "GET /a.txt HTTP/1.0\r\n" + host + "Connection: keep-alive\r\n\r\n",
			"Date Server Last-Modified ETag Accept-Ranges Content-Length Keep-Alive Connection Content-Type"},
		{"range", "GET /a.txt HTTP/1.1\r\n" + host + "Range: bytes=0-1\r\n\r\n",
			"Date Server Last-Modified ETag Accept-Ranges Content-Length Content-Range Content-Type"},
		{"unsatisfiable range", "GET /a.txt HTTP/1.1\r\n" + host + "Range: bytes=50-\r\n\r\n",
			"Date Server Transfer-Encoding Content-Type"},
		{"not modified", "GET /a.txt HTTP/1.1\r\n" + host + "If-None-Match: *\r\n\r\n",
			"Date Server Last-Modified ETag Accept-Ranges"},
		{"precondition failed", "GET /a.txt HTTP/1.1\r\n" + host + "If-Match: \"x\"\r\n\r\n",
			"Date Server Last-Modified ETag Accept-Ranges Content-Length Content-Type"},
		{"error page closing", "GET /nope HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
			"Date Server Content-Length Connection Content-Type"},
	}
	for _, tt := range tests {
		r := first(t, p, tt.raw)
		if got := strings.Join(fieldNames(r), " "); got != tt.want {
			t.Errorf("%s: fields %q; want %q", tt.name, got, tt.want)
		}
	}
}
