package server

import (
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/http1"
)

// TestParseRanges follows httpd's ap_set_byterange: merging, "0-",
// suffix ranges, syntax errors ignoring the header, and 416 only when
// every range starts past the end.
func TestParseRanges(t *testing.T) {
	tests := []struct {
		spec          string
		want          []byteRange
		unsatisfiable bool
	}{
		{spec: "bytes=0-4", want: []byteRange{{0, 4}}},
		{spec: "bytes=100-200", unsatisfiable: true},
		{spec: "bytes=5-", want: []byteRange{{5, 10}}},
		{spec: "bytes=-3", want: []byteRange{{8, 10}}},
		{spec: "bytes=-30", want: []byteRange{{0, 10}}},
		{spec: "bytes=0-2,6-8", want: []byteRange{{0, 2}, {6, 8}}},
		{spec: "bytes=0-4,3-8", want: []byteRange{{0, 8}}},
		{spec: "bytes=6-8,0-2,100-", want: []byteRange{{6, 8}, {0, 2}}},
		{spec: "bytes=3-5,0-", want: []byteRange{{0, 10}}},
		{spec: "bytes=4-2"},
		{spec: "bytes=a-2"},
		{spec: "bytes=1"},
		{spec: "lines=1-2"},
		{spec: "bytes=-0"},
		{spec: "bytes=0-100", want: []byteRange{{0, 10}}},
	}
	for _, tt := range tests {
		got, unsat := parseRanges(tt.spec, 11)
		if unsat != tt.unsatisfiable || len(got) != len(tt.want) {
			t.Errorf("parseRanges(%q) = %v, %v; want %v, %v", tt.spec, got, unsat, tt.want, tt.unsatisfiable)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseRanges(%q) = %v; want %v", tt.spec, got, tt.want)
				break
			}
		}
	}
}

// TestMeetsConditions follows httpd's ap_meets_conditions: a date later
// than the request is no validator, If-None-Match beats a matching
// If-Modified-Since, and a failed If-Match is 412.
func TestMeetsConditions(t *testing.T) {
	const mtime, now = 1_000_000, 2_000_000
	v := validators{etag: `"b-5f"`, mtime: mtime, reqTime: now}
	date := func(sec int64) string { return httpDate(timeUnix(sec)) }
	tests := []struct {
		name   string
		method string
		fields http1.Headers
		want   int
	}{
		{name: "none", fields: nil, want: 0},
		{name: "ims future", fields: http1.Headers{{Name: "If-Modified-Since", Value: "Fri, 01 Jan 2100 00:00:00 GMT"}}, want: 0},
		{name: "ims after mtime", fields: http1.Headers{{Name: "If-Modified-Since", Value: date(mtime + 10)}}, want: 304},
		{name: "ims before mtime", fields: http1.Headers{{Name: "If-Modified-Since", Value: date(mtime - 10)}}, want: 0},
		{name: "ims garbage", fields: http1.Headers{{Name: "If-Modified-Since", Value: "yesterday"}}, want: 0},
		{name: "inm match", fields: http1.Headers{{Name: "If-None-Match", Value: `"x", W/"b-5f"`}}, want: 304},
		{name: "inm star", fields: http1.Headers{{Name: "If-None-Match", Value: "*"}}, want: 304},
		{name: "inm other", fields: http1.Headers{{Name: "If-None-Match", Value: `"nope"`}}, want: 0},
		{name: "inm other wins over ims", fields: http1.Headers{{Name: "If-None-Match", Value: `"nope"`}, {Name: "If-Modified-Since", Value: date(mtime + 10)}}, want: 0},
		{name: "inm on POST", method: "POST", fields: http1.Headers{{Name: "If-None-Match", Value: `"b-5f"`}}, want: 412},
		{name: "if-match other", fields: http1.Headers{{Name: "If-Match", Value: `"nope"`}}, want: 412},
		{name: "if-match same", fields: http1.Headers{{Name: "If-Match", Value: `"b-5f"`}}, want: 0},
		{name: "ius before mtime", fields: http1.Headers{{Name: "If-Unmodified-Since", Value: date(mtime - 10)}}, want: 412},
		{name: "ius after mtime", fields: http1.Headers{{Name: "If-Unmodified-Since", Value: date(mtime + 10)}}, want: 0},
	}
	for _, tt := range tests {
		m := tt.method
		if m == "" {
			m = "GET"
		}
		req := &http1.Request{Method: m, Header: tt.fields}
		if got := meetsConditions(req, v); got != tt.want {
			t.Errorf("%s: meetsConditions = %d; want %d", tt.name, got, tt.want)
		}
	}
}

func TestMultipartRanges(t *testing.T) {
	f := strings.NewReader("plain text\n")
	body, n := multipartRanges(f, []byteRange{{0, 1}, {6, 9}}, 11, "text/plain")
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != n {
		t.Errorf("length %d; body has %d bytes", n, len(b))
	}
	want := "\r\n--" + multipartBoundary + "\r\nContent-type: text/plain\r\nContent-range: bytes 0-1/11\r\n\r\npl" +
		"\r\n--" + multipartBoundary + "\r\nContent-type: text/plain\r\nContent-range: bytes 6-9/11\r\n\r\ntext" +
		"\r\n--" + multipartBoundary + "--\r\n"
	if string(b) != want {
		t.Errorf("body %q; want %q", b, want)
	}
}

func timeUnix(sec int64) time.Time { return time.Unix(sec, 0) }

// TestIPMatches checks "Require ip" arguments: addresses, CIDR and
// leading octets.
func TestIPMatches(t *testing.T) {
	client := netip.MustParseAddr("10.1.2.3")
	tests := []struct {
		arg  string
		want bool
	}{
		{"10.1.2.3", true},
		{"10.1.2.4", false},
		{"10.1.0.0/16", true},
		{"10.2.0.0/16", false},
		{"10.1", true},
		{"10.10", false},
		{"10.1.", true},
		{"::1", false},
	}
	for _, tt := range tests {
		if got := ipMatches(tt.arg, client); got != tt.want {
			t.Errorf("ipMatches(%q, %s) = %v; want %v", tt.arg, client, got, tt.want)
		}
	}
}
