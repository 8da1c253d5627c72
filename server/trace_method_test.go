package server

import (
	"strings"
	"testing"
)

func TestTraceMethod(t *testing.T) {
	tests := []struct {
		name, trace, raw string
		status           int
		allow            string // Allow of the response, "-" for none
		body             string // the body, for a 200
	}{
		{"echo", "", "TRACE /a.txt?q=1 HTTP/1.0\r\nHost: main.test\r\nX-A:  1\r\nx-a: 2\r\n\r\n", 200, "-",
			"TRACE /a.txt?q=1 HTTP/1.0\r\nHost: main.test\r\nX-A: 1, 2\r\n\r\n"},
		{"missing file", "on", "TRACE /nope HTTP/1.0\r\n\r\n", 200, "-", "TRACE /nope HTTP/1.0\r\n\r\n"},
		{"body refused", "on", "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi", 413, "-", ""},
		{"extended body", "extended", "TRACE / HTTP/1.0\r\nContent-Length: 3\r\n\r\nhi!", 200, "-",
			"TRACE / HTTP/1.0\r\nContent-Length: 3\r\n\r\nhi!"},
		{"extended too long", "extended", "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413, "-", ""},
		{"off", "off", "TRACE /a.txt HTTP/1.0\r\n\r\n", 405, "", ""},
		{"off leaves Allow", "off", "DELETE /a.txt HTTP/1.0\r\n\r\n", 405, "OPTIONS,HEAD,GET,POST", ""},
		{"on lists TRACE", "on", "DELETE /a.txt HTTP/1.0\r\n\r\n", 405, "OPTIONS,HEAD,GET,POST,TRACE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := staticConf
			if tt.trace != "" {
				conf += "TraceEnable " + tt.trace + "\n"
			}
			ts := startServer(t, conf, 1, staticFiles, nil)
			r := get(t, ts.ports[0], tt.raw)
			if r.status != tt.status {
				t.Fatalf("status %d; want %d\n%s", r.status, tt.status, r.head)
			}
			allow := "-"
			if strings.Contains(r.head, "\r\nAllow:") {
				allow = r.header("Allow")
			}
			if allow != tt.allow {
				t.Errorf("Allow %q; want %q", allow, tt.allow)
			}
			if tt.status == 200 {
				if ct := r.header("Content-Type"); ct != "message/http" {
					t.Errorf("Content-Type %q; want message/http", ct)
				}
				if r.body != tt.body {
					t.Errorf("body %q; want %q", r.body, tt.body)
				}
			}
		})
	}
}

// Methods other than GET and POST get 405 (501 when httpd does not know
// them) whether or not the file exists; POST is served as GET.
func TestStaticMethods(t *testing.T) {
	ts := startServer(t, staticConf, 1, staticFiles, nil)
	tests := []struct {
		raw    string
		status int
	}{
		{"POST /a.txt HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 200},
		{"POST /nope HTTP/1.0\r\n\r\n", 404},
		{"DELETE /nope HTTP/1.0\r\n\r\n", 405},
		{"PUT /a.txt HTTP/1.0\r\n\r\n", 405},
		{"OPTIONS /nope HTTP/1.0\r\n\r\n", 200},
		{"FOO /a.txt HTTP/1.0\r\n\r\n", 501},
	}
	for _, tt := range tests {
		if r := get(t, ts.ports[0], tt.raw); r.status != tt.status {
			t.Errorf("%q: status %d; want %d", tt.raw, r.status, tt.status)
		}
	}
}
