package pcre

import "testing"

func TestCompileAndMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		flags   Flags
		input   string
		want    []string // nil: no match
	}{
		{name: "prefix group", pattern: `^/ws/(.*)$`, input: "/ws/chat", want: []string{"/ws/chat", "chat"}},
		{name: "no match", pattern: `^/ws/`, input: "/api", want: nil},
		{name: "icase", pattern: `^websocket$`, flags: IgnoreCase, input: "WebSocket", want: []string{"WebSocket"}},
		{name: "case sensitive by default", pattern: `^websocket$`, input: "WebSocket", want: nil},
		{name: "dollar only at the very end (httpd's DOLLAR_ENDONLY)", pattern: `a$`, input: "a\n", want: nil},
		{name: "dollar before final newline without httpd's defaults", pattern: `a$`, flags: NoDefault, input: "a\n", want: []string{"a"}},
		{name: "dollar in a class is literal", pattern: `^[$]x$`, input: "$x", want: []string{"$x"}},
		{name: "escaped dollar is literal", pattern: `^a\$$`, input: "a$", want: []string{"a$"}},
		{name: "dot matches newline (httpd's DOTALL)", pattern: `^a.b$`, input: "a\nb", want: []string{"a\nb"}},
		{name: "dot without httpd's defaults", pattern: `^a.b$`, flags: NoDefault, input: "a\nb", want: nil},
		{name: "python-style named group", pattern: `^/(?P<id>\d+)/(?P=id)$`, input: "/7/7", want: []string{"/7/7", "7"}},
		{name: "bracket right after the class opener", pattern: `^[]$]+$`, input: "]$]", want: []string{"]$]"}},
		{name: "optional group unmatched", pattern: `^/x(/.*)?$`, input: "/x", want: []string{"/x", ""}},
		{name: "escape \\d", pattern: `^/(\d+)$`, input: "/42", want: []string{"/42", "42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := Compile(tt.pattern, tt.flags)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.pattern, err)
			}
			m := re.FindStringMatch(tt.input)
			if tt.want == nil {
				if m != nil {
					t.Fatalf("got match %q; want none", m.Groups)
				}
				return
			}
			if m == nil {
				t.Fatalf("got no match; want %q", tt.want)
			}
			for i, w := range tt.want {
				if got := m.Group(i); got != w {
					t.Errorf("group %d: got %q; want %q", i, got, w)
				}
			}
		})
	}
}

func TestCompileError(t *testing.T) {
	for _, p := range []string{`^/a(`, `[`, `(?<n>x`} {
		if _, err := Compile(p, 0); err == nil {
			t.Errorf("Compile(%q): got nil error; want one", p)
		}
	}
}

func TestNamedGroups(t *testing.T) {
	re, err := Compile(`^/(?<user>[a-z]+)/(\d+)`, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := re.FindStringMatch("/bob/7")
	if m == nil || m.Names["user"] != "bob" {
		t.Fatalf("got %+v; want user=bob", m)
	}
	if got := re.NumSubexp(); got != 2 {
		t.Errorf("NumSubexp: got %d; want 2", got)
	}
}

func TestMatchOffsets(t *testing.T) {
	tests := []struct {
		name, pattern, input string
		index, end           int
	}{
		{name: "ascii", pattern: `b+`, input: "abbc", index: 1, end: 3},
		{name: "after multibyte runes", pattern: `x`, input: "éàx", index: 4, end: 5},
		{name: "lookbehind", pattern: `(?<=a)b`, input: "bab", index: 2, end: 3},
		{name: "invalid utf-8 counts one byte", pattern: `y`, input: "\xffy", index: 1, end: 2},
		{name: "empty match", pattern: `q*`, input: "abc", index: 0, end: 0},
	}
	for _, tt := range tests {
		re, err := Compile(tt.pattern, 0)
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindStringMatch(tt.input)
		if m == nil {
			t.Fatalf("%s: no match", tt.name)
		}
		if m.Index != tt.index || m.End != tt.end {
			t.Errorf("%s: got [%d,%d); want [%d,%d)", tt.name, m.Index, m.End, tt.index, tt.end)
		}
	}
}
