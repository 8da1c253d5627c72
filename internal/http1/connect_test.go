package http1

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

// A CONNECT target is host:port (apr_uri_parse_hostinfo); anything else
// is refused before the request can reach a backend.
func TestReadRequestConnect(t *testing.T) {
	tests := []struct {
		name, raw string
		status    int    // 0: accepted
		host      string // the Host field after the checks
	}{
		{"authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, "example.com:443"},
		{"host name case", "CONNECT Example.COM:443 HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, "example.com:443"},
		{"ipv6", "CONNECT [::1]:80 HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, "[::1]:80"},
		{"signed port", "CONNECT host:+80 HTTP/1.1\r\nHost: localhost\r\n\r\n", 0, "host:+80"},
		{"http/1.0 without Host", "CONNECT host:80 HTTP/1.0\r\n\r\n", 0, ""},
		{"path", "CONNECT /app/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"absolute", "CONNECT http://localhost/app/x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"two colons", "CONNECT a:b:80 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"no port", "CONNECT host: HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"no colon", "CONNECT host HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"bad port", "CONNECT host:8x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"ipv6 without port", "CONNECT [::1] HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"numeric host", "CONNECT 1234:80 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"bad host", "CONNECT bad..h:80 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, ""},
		{"http/1.1 without Host", "CONNECT host:80 HTTP/1.1\r\n\r\n", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadRequest(bufio.NewReader(strings.NewReader(tt.raw)), Limits{})
			if tt.status != 0 {
				var se *StatusError
				if !errors.As(err, &se) || se.Status != tt.status {
					t.Fatalf("got %v; want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want the request", err)
			}
			if got := r.Header.Get("Host"); got != tt.host {
				t.Errorf("Host %q; want %q", got, tt.host)
			}
		})
	}
}
