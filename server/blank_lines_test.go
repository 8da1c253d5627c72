package server

import (
	"bufio"
	"strings"
	"testing"
)

// httpd's ap_check_pipeline: empty lines behind a request are dropped,
// up to ten; the next request's bytes stay.
func TestDropBlankLines(t *testing.T) {
	tests := []struct {
		in   string
		keep bool
		rest string
	}{
		{"", true, ""},
		{"\n", true, ""},
		{"\r\n\n\r\nGET / HTTP/1.1\r\n", true, "GET / HTTP/1.1\r\n"},
		{"\r", true, "\r"},
		{"\rX", true, "\rX"},
		{strings.Repeat("\r\n", 10) + "G", true, "G"},
		{strings.Repeat("\r\n", 11), false, ""},
	}
	for _, tt := range tests {
		br := bufio.NewReader(strings.NewReader(tt.in))
		br.Peek(len(tt.in)) // fill the buffer, as a read from the client would
		keep := dropBlankLines(br)
		rest, _ := br.Peek(br.Buffered())
		if keep != tt.keep || keep && string(rest) != tt.rest {
			t.Errorf("%q: got %v, rest %q; want %v, rest %q", tt.in, keep, rest, tt.keep, tt.rest)
		}
	}
}
