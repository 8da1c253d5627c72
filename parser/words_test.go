package parser

import (
	"slices"
	"strings"
	"testing"
)

func TestGetWord(t *testing.T) {
	tests := []struct {
		name string
		in   string
		word string
		rest string
	}{
		{name: "empty", in: "", word: "", rest: ""},
		{name: "blank", in: " \t ", word: "", rest: ""},
		{name: "plain", in: "a b", word: "a", rest: "b"},
		{name: "leading and inner space", in: "  a   b  c", word: "a", rest: "b  c"},
		{name: "rest keeps trailing space", in: "a b ", word: "a", rest: "b "},
		{name: "tab", in: "a\tb", word: "a", rest: "b"},
		{name: "vertical tab", in: "a\vb", word: "a", rest: "b"},
		{name: "form feed", in: "a\fb", word: "a", rest: "b"},
		{name: "carriage return", in: "a\rb", word: "a", rest: "b"},
		{name: "double quoted", in: `"a b" c`, word: "a b", rest: "c"},
		{name: "single quoted", in: `'a b' c`, word: "a b", rest: "c"},
		// apache-behaviour.md §1.4, observed with httpd 2.4.71.
		{name: "obs double quoted escapes", in: `"/nonexist/a b\"c\\d\e"`, word: `/nonexist/a b"c\d\e`},
		{name: "obs single quoted escapes", in: `'/nonexist/a b\'c\"d'`, word: `/nonexist/a b'c\"d`},
		{name: "obs unquoted escapes", in: `/nonexist/a\\b\"c\d`, word: `/nonexist/a\b\"c\d`},
		{name: "obs empty quoted", in: `""`, word: "", rest: ""},
		{name: "empty quoted then word", in: `'' x`, word: "", rest: "x"},
		{name: "obs unterminated quote", in: `"/a b c`, word: "/a b c", rest: ""},
		{name: "obs text after closing quote", in: `"/a"b`, word: "/a", rest: "b"},
		{name: "obs quote inside word", in: `/a"b c"`, word: `/a"b`, rest: `c"`},
		{name: "escaped backslash before quote", in: `"a\\" b`, word: `a\`, rest: "b"},
		{name: "escaped backslash and quote", in: `"a\\\"b"`, word: `a\"b`},
		{name: "obs unterminated trailing backslash", in: `"/a\`, word: `/a\`},
		{name: "obs other quote escape kept", in: `"x\'y"`, word: `x\'y`},
		{name: "single quote escape", in: `'it\'s' x`, word: "it's", rest: "x"},
		{name: "other quote inside", in: `"say 'hi'"`, word: "say 'hi'"},
		{name: "obs three backslashes", in: `a\\\b`, word: `a\\b`},
		{name: "two pairs", in: `\\\\`, word: `\\`},
		{name: "lone backslash", in: `\ x`, word: `\`, rest: "x"},
		{name: "regex kept", in: `^/(\d+)$ x`, word: `^/(\d+)$`, rest: "x"},
		{name: "utf-8", in: "café x", word: "café", rest: "x"},
		{name: "NUL is ordinary", in: "a\x00b c", word: "a\x00b", rest: "c"},
		{name: "quoted then space then end", in: `"a"   `, word: "a", rest: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			word, rest := GetWord(tt.in)
			if word != tt.word || rest != tt.rest {
				t.Errorf("GetWord(%q) = %q, %q; want %q, %q", tt.in, word, rest, tt.word, tt.rest)
			}
			if !strings.HasSuffix(tt.in, rest) {
				t.Errorf("GetWord(%q): rest %q is not a suffix of the input", tt.in, rest)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: `""`, want: []string{""}},
		{in: `"" ''`, want: []string{"", ""}},
		{in: `Include "/a"b`, want: []string{"Include", "/a", "b"}},
		{in: `/a"b c"`, want: []string{`/a"b`, `c"`}},
		{in: `ProxyPass "/x" "http://h/" "timeout=5" 'retry=0'`,
			want: []string{"ProxyPass", "/x", "http://h/", "timeout=5", "retry=0"}},
		{in: "a\t b\r\nc", want: []string{"a", "b", "c"}},
		{in: `RewriteRule ^/(.*)$ "http://b/$1" [P,L]`,
			want: []string{"RewriteRule", "^/(.*)$", "http://b/$1", "[P,L]"}},
		{in: `'unterminated x`, want: []string{"unterminated x"}},
	}
	for _, tt := range tests {
		if got := Words(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Words(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitDirective(t *testing.T) {
	tests := []struct {
		line string
		name string
		args string
	}{
		{line: "ServerName localhost", name: "ServerName", args: "localhost"},
		{line: "ServerName", name: "ServerName", args: ""},
		{line: "  ProxyPass  /a   http://b/  ", name: "ProxyPass", args: "/a   http://b/  "},
		{line: "<Location /x>", name: "<Location", args: "/x>"},
		{line: "<Location /x> trailing", name: "<Location", args: "/x> trailing"},
		{line: "<Location>", name: "<Location", args: ">"},
		{line: "<Location", name: "<Location", args: ">"},
		{line: "<Location> /x", name: "<Location", args: "/x"},
		{line: "</Location>", name: "</Location>", args: ""},
		{line: "</Location> junk", name: "</Location>", args: "junk"},
		{line: "</Location", name: "</Location", args: ""},
		{line: "ServerName> x", name: "ServerName", args: "x"},
		{line: "x/> a", name: "x/>", args: "a"},
		{line: `"<Location" /x>`, name: "<Location", args: "/x>"},
		{line: `"Server Name" x`, name: "Server Name", args: "x"},
		{line: "<", name: "<", args: ">"},
		{line: "<>", name: "<", args: ">"},
		{line: "> x", name: "", args: "x"},
		{line: `"" foo`, name: "", args: ""},
		{line: "", name: "", args: ""},
	}
	for _, tt := range tests {
		name, args := SplitDirective(tt.line)
		if name != tt.name || args != tt.args {
			t.Errorf("SplitDirective(%q) = %q, %q; want %q, %q", tt.line, name, args, tt.name, tt.args)
		}
	}
}

func TestEqualFoldASCII(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{a: "Location", b: "LOCATION", want: true},
		{a: "IfModule", b: "ifmodule", want: true},
		{a: "Location", b: "Locatio", want: false},
		{a: "k", b: "\u212a", want: false}, // Kelvin sign folds to k only in Unicode
		{a: "", b: "", want: true},
	}
	for _, tt := range tests {
		if got := equalFoldASCII(tt.a, tt.b); got != tt.want {
			t.Errorf("equalFoldASCII(%q, %q) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
