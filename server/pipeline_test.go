package server

import "testing"

// TestNormalizePath checks httpd's ap_normalize_path as apache2 2.4.71
// applies it to a request path (dot_segments, merge_slashes and
// bad_percent_encoding in testdata/compat observe the same on the wire).
func TestNormalizePath(t *testing.T) {
	tests := []struct {
		in, want      string
		merge, decode bool
		ok            bool
	}{
		{in: "/a/b", want: "/a/b", merge: true, decode: true, ok: true},
		{in: "/app/a/../b", want: "/app/b", merge: true, decode: true, ok: true},
		{in: "/other/../app/c", want: "/app/c", merge: true, decode: true, ok: true},
		{in: "/app/./d/.", want: "/app/d/", merge: true, decode: true, ok: true},
		{in: "/app/..", want: "/", merge: true, decode: true, ok: true},
		{in: "/app/../../etc/passwd", want: "/etc/passwd", merge: true, decode: true, ok: false},
		{in: "/..", want: "/", merge: true, decode: true, ok: false},
		{in: "/a/%2e%2E/b", want: "/b", merge: true, decode: true, ok: true},
		{in: "/a/.%2e/b", want: "/b", merge: true, decode: true, ok: true},
		{in: "/a/%2e%2e/b", want: "/a/%2e%2e/b", merge: true, decode: false, ok: true},
		{in: "/%41%7e%2F", want: "/A~%2F", merge: true, decode: true, ok: true},
		{in: "//a///b//", want: "/a/b/", merge: true, decode: true, ok: true},
		{in: "//a///b//", want: "//a///b//", merge: false, decode: true, ok: true},
		{in: "/a/%zz", want: "/a/%zz", merge: true, decode: true, ok: false},
		{in: "/a/%4", want: "/a/%4", merge: true, decode: true, ok: false},
		{in: "/a/...", want: "/a/...", merge: true, decode: true, ok: true},
		{in: "/a/..b/c", want: "/a/..b/c", merge: true, decode: true, ok: true},
		{in: "a/b", want: "a/b", merge: true, decode: true, ok: false},
		{in: "*", want: "*", merge: true, decode: true, ok: true},
	}
	for _, tt := range tests {
		got, ok := normalizePath(tt.in, tt.merge, tt.decode)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizePath(%q, merge=%v, decode=%v) = %q, %v; want %q, %v", tt.in, tt.merge, tt.decode, got, ok, tt.want, tt.ok)
		}
	}
}

// TestUnescapePath checks ap_unescape_url_ex with AllowEncodedSlashes'
// three settings; a bad escape (400) wins over an encoded '/' or NUL
// (404).
func TestUnescapePath(t *testing.T) {
	tests := []struct {
		in, slashes string
		want        string
		status      int
	}{
		{in: "/a%20b", slashes: "off", want: "/a b"},
		{in: "/a%2Fb", slashes: "off", status: 404},
		{in: "/a%2fb", slashes: "on", want: "/a/b"},
		{in: "/a%2Fb", slashes: "nodecode", want: "/a%2Fb"},
		{in: "/a%00b", slashes: "on", status: 404},
		{in: "/a%2Fb%zz", slashes: "off", status: 400},
		{in: "/a%", slashes: "off", status: 400},
		{in: "/a%25", slashes: "off", want: "/a%"},
	}
	for _, tt := range tests {
		got, status := unescapePath(tt.in, tt.slashes)
		if got != tt.want || status != tt.status {
			t.Errorf("unescapePath(%q, %s) = %q, %d; want %q, %d", tt.in, tt.slashes, got, status, tt.want, tt.status)
		}
	}
}
