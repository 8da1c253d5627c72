package directives

import (
	"strings"
	"testing"

	"github.com/portico-proxy/portico/parser"
)

func TestEscapeLog(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: `Invalid command 'Foo'`, want: `Invalid command 'Foo'`},
		{name: "backslash doubled", in: `a\b`, want: `a\\b`},
		{name: "quote kept", in: `a"b`, want: `a"b`},
		{name: "letter escapes", in: "\b\n\r\t\v", want: `\b\n\r\t\v`},
		{name: "other control bytes", in: "\x01\x1f\x7f", want: `\x01\x1f\x7f`},
		{name: "high bytes lower-case hex", in: "\xef\xbb\xbfServerAdmin", want: `\xef\xbb\xbfServerAdmin`},
		{name: "NUL ends the text", in: "a\x00b", want: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeLog(tt.in); got != tt.want {
				t.Errorf("EscapeLog(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestEscapeLogLimit checks the cut of ap_escape_errorlog_item: an escape
// that does not fit whole in the buffer is dropped with all that follows.
func TestEscapeLogLimit(t *testing.T) {
	tests := []struct {
		in   string
		size int
		want string
	}{
		{"abcdef", 4, "abc"},
		{`ab\`, 4, `ab`},      // the backslash and its twin need 2 bytes, 1 left
		{`a\b`, 4, `a\\`},     // fits exactly
		{"ab\x01", 6, "ab"},   // \x01 needs 4 bytes, 3 left
		{"a\x01", 6, `a\x01`}, // fits exactly
		{"ab\"c", 4, `ab`},    // httpd escapes the quote first: no room
		{"a\"bc", 4, `a"b`},   // …then takes the backslash back
		{"a\nbc", 3, `a`},     // no room for \n
		{"abc", -1, "abc"},    // no limit
		{"abc", 4, "abc"},     // exactly full
	}
	for _, tt := range tests {
		if got := escapeLog(tt.in, tt.size); got != tt.want {
			t.Errorf("escapeLog(%q, %d) = %q; want %q", tt.in, tt.size, got, tt.want)
		}
	}
}

func TestHTTPDFormat(t *testing.T) {
	pos := parser.Pos{File: `/etc/a\b.conf`, Line: 3, Col: 1}
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{
			name: "walk error: both lines escaped",
			d:    Diagnostic{Pos: pos, Severity: Error, Phase: WalkPhase, Msg: "Invalid command '\xef\xbb\xbfX'"},
			want: "AH00526: Syntax error on line 3 of /etc/a\\\\b.conf:\nInvalid command '\\xef\\xbb\\xbfX'",
		},
		{
			name: "read error: newlines of a joined message escaped",
			d:    Diagnostic{Pos: pos, Severity: Error, Phase: ReadPhase, Msg: "x:2: <If> was not closed.\nx:1: <Location> was not closed."},
			want: `portico: Syntax error on line 3 of /etc/a\\b.conf: x:2: <If> was not closed.\nx:1: <Location> was not closed.`,
		},
		{
			name: "startup error",
			d:    Diagnostic{Severity: Error, Phase: StartupPhase, Code: "AH00534", Msg: "Configuration error: More than one MPM loaded."},
			want: "AH00534: portico: Configuration error: More than one MPM loaded.",
		},
		{
			name: "warning message escaped",
			d:    Diagnostic{Pos: pos, Severity: Warning, Code: "AH00111", Msg: `Config variable ${a\b} is not defined`},
			want: `[core:warn] AH00111: Config variable ${a\\b} is not defined`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.HTTPD("portico"); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

// TestHTTPDLineCut checks that an error line stops at httpd's 8190 bytes,
// as err_include_recursion's does with a long enough path.
func TestHTTPDLineCut(t *testing.T) {
	d := Diagnostic{Severity: Error, Phase: ReadPhase, Msg: strings.Repeat("x", 9000)}
	got := d.HTTPD("portico")
	if len(got) != maxLogLine {
		t.Fatalf("line of %d bytes; want %d", len(got), maxLogLine)
	}
	if !strings.HasPrefix(got, "portico: xxx") {
		t.Errorf("line starts %q", got[:20])
	}
	// An escape cut in two by the limit leaves its first half, as the
	// line end overwrites the second.
	d.Msg = strings.Repeat("x", maxLogLine-len("portico: ")-1) + `\`
	if got := d.HTTPD("portico"); !strings.HasSuffix(got, `x\`) || len(got) != maxLogLine {
		t.Errorf("line ends %q (%d bytes)", got[len(got)-5:], len(got))
	}
}
