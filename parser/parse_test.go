package parser

import (
	"strings"
	"testing"
)

// parseDump parses src as "t.conf" and returns the dump of the result.
func parseDump(t *testing.T, src string) string {
	t.Helper()
	f, err := Parse("t.conf", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	checkFile(t, f, []byte(src))
	return dump(f)
}

// parseTest is a source text and the dump of its parse.
type parseTest struct {
	name string
	src  string
	want string
}

func runParseTests(t *testing.T, tests []parseTest) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDump(t, tt.src); got != tt.want {
				t.Errorf("Parse(%q):\ngot:\n%s\nwant:\n%s", tt.src, got, tt.want)
			}
		})
	}
}

// lines joins its arguments, each followed by a newline.
func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

// TestLogicalLines covers how physical lines become logical lines
// (apache-behaviour.md §1.2; server/util.c ap_cfg_getline_core and
// cfg_trim_line). Cases marked obs were checked against httpd 2.4.71.
func TestLogicalLines(t *testing.T) { runParseTests(t, logicalLineTests) }

var logicalLineTests = []parseTest{
	{name: "empty file", src: "", want: ""},
	{name: "blank lines", src: "\n \n\t\n\r\n", want: ""},
	{name: "simple", src: "ServerName localhost\n",
		want: lines(`1:1-1 ServerName args="localhost" raw="ServerName localhost"`)},
	{name: "no final newline", src: "ServerName localhost",
		want: lines(`1:1-1 ServerName args="localhost" raw="ServerName localhost"`)},
	{name: "tabs and trimming", src: "\t ServerName\t localhost \t\n",
		want: lines(`1:3-1 ServerName args="localhost" raw="ServerName\t localhost"`)},
	{name: "all apr_isspace trimmed", src: "\v\fServerName x\v\f\r\n",
		want: lines(`1:3-1 ServerName args="x" raw="ServerName x"`)},
	{name: "obs continuation", src: "ServerName \\\n  localhost\n",
		want: lines(`1:1-2 ServerName args="localhost" raw="ServerName   localhost"`)},
	{name: "obs space after backslash breaks continuation", src: "ServerName \\ \nlocalhost\n",
		want: lines(
			`1:1-1 ServerName args="\\" raw="ServerName \\"`,
			`2:1-2 localhost args="" raw="localhost"`)},
	{name: "obs doubled backslash still continues", src: "ServerName \\\\\n  localhost\n",
		want: lines(`1:1-2 ServerName args="\\  localhost" raw="ServerName \\  localhost"`)},
	{name: "obs empty line after doubled backslash continues", src: "Include /a\\\\\n\nInclude /b\n",
		want: lines(`1:1-3 Include args="/aInclude /b" raw="Include /aInclude /b"`)},
	{name: "obs empty CRLF line after doubled backslash continues", src: "Include /a\\\\\n\r\nInclude /b\n",
		want: lines(`1:1-3 Include args="/aInclude /b" raw="Include /aInclude /b"`)},
	{name: "empty line after single backslash ends", src: "A b\\\n\nC\n",
		want: lines(`1:1-2 A args="b" raw="A b"`, `3:1-3 C args="" raw="C"`)},
	{name: "several continuations", src: "A \\\n b \\\n c\\\n\\\nd\n",
		want: lines(`1:1-5 A args="b  cd" raw="A  b  cd"`)},
	{name: "obs CRLF", src: "A b\r\nC d\r\n",
		want: lines(`1:1-1 A args="b" raw="A b"`, `2:1-2 C args="d" raw="C d"`)},
	{name: "CRLF continuation", src: "A b\\\r\n c\r\n",
		want: lines(`1:1-2 A args="b c" raw="A b c"`)},
	{name: "only one CR before LF", src: "A b\\\r\r\nC\n",
		want: lines(`1:1-1 A args="b\\" raw="A b\\"`, `2:1-2 C args="" raw="C"`)},
	{name: "lone CR is not a line end", src: "A b\rC d\n",
		want: lines(`1:1-1 A args="b\rC d" raw="A b\rC d"`)},
	{name: "backslash at end of file", src: "A b\\",
		want: lines(`1:1-1 A args="b\\" raw="A b\\"`)},
	{name: "obs continuation at end of file counts one more line", src: "A b \\\n",
		want: lines(`1:1-2 A args="b" raw="A b"`)},
	{name: "name split by continuation", src: "Serv\\\nerName x\n",
		want: lines(`1:1-2 ServerName args="x" raw="ServerName x"`)},
	{name: "name on the line after a blank continued one", src: "  \\\n   Foo bar\n",
		want: lines(`2:4-2 Foo args="bar" raw="Foo bar"`)},
	{name: "name after a continuation cut back into the line before", src: "\\\\\n\n  Foo\n",
		want: lines(`3:3-3 Foo args="" raw="Foo"`)},
	{name: "obs NUL ends the physical line", src: "A b\x00c d\nE f\n",
		want: lines(`1:1-1 A args="b" raw="A b"`, `2:1-2 E args="f" raw="E f"`)},
	{name: "obs NUL line after continuation", src: "A b\\\n\x00cd\nE\n",
		want: lines(`1:1-2 A args="b" raw="A b"`, `3:1-3 E args="" raw="E"`)},
	{name: "NUL before backslash newline", src: "A b\x00\\\nC\n",
		want: lines(`1:1-1 A args="b" raw="A b"`, `2:1-2 C args="" raw="C"`)},
	{name: "obs BOM starts the first name", src: "\xEF\xBB\xBFServerName x\n",
		want: lines("bom", "1:1-1 \xEF\xBB\xBFServerName args=\"x\" raw=\"\\ufeffServerName x\"")},
	{name: "BOM only", src: "\xEF\xBB\xBF", want: lines("bom", "1:1-1 \xEF\xBB\xBF args=\"\" raw=\"\\ufeff\"")},
	{name: "BOM before a comment makes a directive", src: "\xEF\xBB\xBF# c\nA\n",
		want: lines("bom", "1:1-1 \xEF\xBB\xBF# args=\"c\" raw=\"\\ufeff# c\"", `2:1-2 A args="" raw="A"`)},
	{name: "BOM before a section tag", src: "\xEF\xBB\xBF<Location /x>\n</Location>\n",
		want: lines("bom", "1:1-1 \xEF\xBB\xBF<Location args=\"/x>\" raw=\"\\ufeff<Location /x>\"",
			`2:1 error "</Location> without matching <Location> section" related=-`)},
	{name: "BOM not at start", src: "A\n\xEF\xBB\xBFB\n",
		want: lines(`1:1-1 A args="" raw="A"`, "2:1-2 \xEF\xBB\xBFB args=\"\" raw=\"\\ufeffB\"")},
	{name: "invalid UTF-8", src: "\xff\xfe x\n",
		want: lines("1:1-1 \xff\xfe args=\"x\" raw=\"\\xff\\xfe x\"")},
	{name: "columns count bytes", src: "  é Foo\n",
		want: lines(`1:3-1 é args="Foo" raw="é Foo"`)},
}

// TestComments covers whole-line comments (apache-behaviour.md §1.2).
func TestComments(t *testing.T) { runParseTests(t, commentTests) }

var commentTests = []parseTest{
	{name: "comment", src: "# ServerName x\n", want: ""},
	{name: "indented comment", src: " \t# x\nA\n", want: lines(`2:1-2 A args="" raw="A"`)},
	{name: "obs no inline comment", src: "ServerName localhost # comment\n",
		want: lines(`1:1-1 ServerName args="localhost # comment" raw="ServerName localhost # comment"`)},
	{name: "obs comment swallows continued line", src: "# c \\\nFoo bar\nBaz\n",
		want: lines(`3:1-3 Baz args="" raw="Baz"`)},
	{name: "hash inside a word", src: "A#b c\n", want: lines(`1:1-1 A#b args="c" raw="A#b c"`)},
	{name: "quoted hash is a name", src: "\"#x\" y\n", want: lines(`1:1-1 #x args="y" raw="\"#x\" y"`)},
	{name: "comment after continuation is not a comment", src: "A \\\n# b\n",
		want: lines(`1:1-2 A args="# b" raw="A # b"`)},
	{name: "obs empty quoted first word ignores the line", src: "\"\" Foo bar\n'' x\n", want: ""},
	{name: "obs lone > is an empty name", src: "> Foo bar\n", want: lines(`1:1-1  args="Foo bar" raw="> Foo bar"`)},
}

// TestSections covers section nesting and httpd's errors for it
// (apache-behaviour.md §1.5; server/config.c ap_build_config_sub and
// ap_build_config).
func TestSections(t *testing.T) { runParseTests(t, sectionTests) }

var sectionTests = []parseTest{
	{name: "section", src: "<Location /x>\nA b\n</Location>\n",
		want: lines(
			`1:1-1 <Location> args="/x>" raw="<Location /x>"`,
			`    2:1-2 A args="b" raw="A b"`,
			`3:1 end "</Location>"`)},
	{name: "obs no argument gives >", src: "<Location>\n</Location>\n",
		want: lines(`1:1-1 <Location> args=">" raw="<Location>"`, `2:1 end "</Location>"`)},
	{name: "tag without >", src: "<Location\n</Location>\n",
		want: lines(`1:1-1 <Location> args=">" raw="<Location"`, `2:1 end "</Location>"`)},
	{name: "obs text after >", src: "<Location /x> trailing\n</Location>\n",
		want: lines(`1:1-1 <Location> args="/x> trailing" raw="<Location /x> trailing"`, `2:1 end "</Location>"`)},
	{name: "> on the tag word with arguments", src: "<Location> /x\n</Location>\n",
		want: lines(`1:1-1 <Location> args="/x" raw="<Location> /x"`, `2:1 end "</Location>"`)},
	{name: "obs close is case-insensitive", src: "<location /x>\n</LOCATION>\n",
		want: lines(`1:1-1 <location> args="/x>" raw="<location /x>"`, `2:1 end "</LOCATION>"`)},
	{name: "close with trailing text", src: "<Location /x>\n  </Location> junk\n",
		want: lines(`1:1-1 <Location> args="/x>" raw="<Location /x>"`, `2:3 end "</Location> junk"`)},
	{name: "obs quoted tags", src: "\"<Location\" /x>\n\"</Location>\"\n",
		want: lines(`1:1-1 <Location> args="/x>" raw="\"<Location\" /x>"`, `2:1 end "\"</Location>\""`)},
	{name: "nested", src: "<VirtualHost *:80>\n <Location /a>\n  A\n </Location>\n B\n</VirtualHost>\n",
		want: lines(
			`1:1-1 <VirtualHost> args="*:80>" raw="<VirtualHost *:80>"`,
			`    2:2-2 <Location> args="/a>" raw="<Location /a>"`,
			`        3:3-3 A args="" raw="A"`,
			`    4:2 end "</Location>"`,
			`    5:2-5 B args="" raw="B"`,
			`6:1 end "</VirtualHost>"`)},
	{name: "tag on continued lines", src: "<Location \\\n /x>\n</Location \\\n>\n",
		want: lines(
			`1:1-2 <Location> args="/x>" raw="<Location  /x>"`,
			`    4:0 error "</Location> directive missing closing '>'" related=1:1`,
			`3:1 end "</Location >"`)},
	{name: "empty tag name", src: "<>\n</>\n",
		want: lines(`1:1-1 <> args=">" raw="<>"`, `2:1 end "</>"`)},
	{name: "obs close without open", src: "</Location>\nA\n",
		want: lines(
			`1:1 error "</Location> without matching <Location> section" related=-`,
			`2:1-2 A args="" raw="A"`)},
	{name: "obs close without open or >", src: "</Locationx\n",
		want: lines(`1:1 error "</Locationx without matching <Locationx section" related=-`)},
	{name: "obs empty close without open", src: "</>\n",
		want: lines(`1:1 error "</> without matching <> section" related=-`)},
	{name: "obs close missing > closes the section it names", src: "<Location /x>\n</Location >\nA\n",
		want: lines(
			`1:1-1 <Location> args="/x>" raw="<Location /x>"`,
			`    2:1 error "</Location> directive missing closing '>'" related=1:1`,
			`2:1 end "</Location >"`,
			`3:1-3 A args="" raw="A"`)},
	{name: "obs close missing > naming nothing is ignored", src: "<Location /x>\n</location>junk\n</Location>\n",
		want: lines(
			`1:1-1 <Location> args="/x>" raw="<Location /x>"`,
			`    2:1 error "</location>junk> directive missing closing '>'" related=1:1`,
			`3:1 end "</Location>"`)},
	{name: "obs mismatched close naming nothing is ignored", src: "<Location /x>\n</Directory>\n</Location>\n",
		want: lines(
			`1:1-1 <Location> args="/x>" raw="<Location /x>"`,
			`    2:1 error "Expected </Location> but saw </Directory>" related=1:1`,
			`3:1 end "</Location>"`)},
	{name: "obs mismatched close of an outer section", src: "<VirtualHost *>\n<Location /x>\n</VirtualHost>\nFoo\n",
		want: lines(
			`1:1-1 <VirtualHost> args="*>" raw="<VirtualHost *>"`,
			`    2:1-2 <Location> args="/x>" raw="<Location /x>"`,
			`        3:1 error "Expected </Location> but saw </VirtualHost>" related=2:1`,
			`    - end ""`,
			`3:1 end "</VirtualHost>"`,
			`4:1-4 Foo args="" raw="Foo"`)},
	{name: "obs not closed", src: "<Location /x>\n<Directory /y>\n",
		want: lines(
			`1:1-1 <Location> args="/x>" raw="<Location /x>"`,
			`    2:1-2 <Directory> args="/y>" raw="<Directory /y>"`,
			`    - end ""`,
			`- end ""`,
			`2:1 error "<Directory> was not closed." related=2:1`,
			`1:1 error "<Location> was not closed." related=1:1`)},
	{name: "not closed on continued tag", src: "<Location \\\n /x>\n",
		want: lines(
			`1:1-2 <Location> args="/x>" raw="<Location  /x>"`,
			`- end ""`,
			`2:0 error "<Location> was not closed." related=1:1`)},
	{name: "obs empty tag not closed", src: "<\n",
		want: lines(`1:1-1 <> args=">" raw="<"`, `- end ""`, `1:1 error "<> was not closed." related=1:1`)},
	{name: "closing the outer section leaves inner ones unclosed", src: "<A>\n<B>\n<C>\n</a>\n",
		want: lines(
			`1:1-1 <A> args=">" raw="<A>"`,
			`    2:1-2 <B> args=">" raw="<B>"`,
			`        3:1-3 <C> args=">" raw="<C>"`,
			`            4:1 error "Expected </C> but saw </a>" related=3:1`,
			`        - end ""`,
			`    - end ""`,
			`4:1 end "</a>"`)},
}

// TestLongLines covers httpd's limit on the length of a logical line
// (VARBUF_MAX_LEN in server/config.c, checked with httpd 2.4.71: the
// bytes read for a line, line end included, may be at most 16 MiB).
func TestLongLines(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates lines of 16 MiB")
	}
	long := func(n int) string { return "#" + strings.Repeat("x", n-1) }
	tooLong := `2:0 error "Error reading t.conf at line 2: Line too long" related=-`
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "1 MiB argument", src: "ServerAlias " + strings.Repeat("a", 1<<20) + "\nB\n",
			want: lines(`1:1-1 ServerAlias args="`+strings.Repeat("a", 1<<20)+`" raw="ServerAlias `+strings.Repeat("a", 1<<20)+`"`, `2:1-2 B args="" raw="B"`)},
		{name: "obs limit with LF", src: "A\n" + long(MaxLineLen-1) + "\nB\n",
			want: lines(`1:1-1 A args="" raw="A"`, `3:1-3 B args="" raw="B"`)},
		{name: "obs over limit with LF", src: "A\n" + long(MaxLineLen) + "\nB\n",
			want: lines(`1:1-1 A args="" raw="A"`, tooLong, `3:1-3 B args="" raw="B"`)},
		{name: "obs over limit with CRLF", src: "A\n" + long(MaxLineLen-1) + "\r\nB\n",
			want: lines(`1:1-1 A args="" raw="A"`, tooLong, `3:1-3 B args="" raw="B"`)},
		{name: "obs limit at end of file", src: "A\n" + long(MaxLineLen),
			want: lines(`1:1-1 A args="" raw="A"`)},
		{name: "obs over limit at end of file", src: "A\n" + long(MaxLineLen+1),
			want: lines(`1:1-1 A args="" raw="A"`, tooLong)},
		{name: "obs limit over continued lines", src: "A\n" + long(10000000) + "\\\n" + strings.Repeat("y", MaxLineLen-10000000-1) + "\nB\n",
			want: lines(`1:1-1 A args="" raw="A"`, `4:1-4 B args="" raw="B"`)},
		{name: "obs over limit on the second physical line", src: "A\n" + long(10000000) + "\\\n" + strings.Repeat("y", MaxLineLen-10000000) + "\nB\n",
			want: lines(`1:1-1 A args="" raw="A"`, `3:0 error "Error reading t.conf at line 3: Line too long" related=-`, `4:1-4 B args="" raw="B"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseDump(t, tt.src)
			if got != tt.want {
				if len(got) > 400 {
					got = got[:400] + "…"
				}
				t.Errorf("Parse(%d bytes):\ngot:\n%s\nwant (first 400 bytes):\n%.400s", len(tt.src), got, tt.want)
			}
		})
	}
}

func TestParseFileName(t *testing.T) {
	f, err := Parse("/etc/apache2/x.conf", []byte("<A>\nB\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "/etc/apache2/x.conf" {
		t.Errorf("got name %q; want %q", f.Name, "/etc/apache2/x.conf")
	}
	sec := f.Nodes[0].(*Section)
	if got, want := sec.Body[0].Position().String(), "/etc/apache2/x.conf:2:1"; got != want {
		t.Errorf("got position %q; want %q", got, want)
	}
	if got, want := f.Nodes[1].Position().String(), "/etc/apache2/x.conf:1:1"; got != want {
		t.Errorf("got error position %q; want %q", got, want)
	}
}
