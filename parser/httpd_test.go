package parser

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestHTTPDAgreement runs httpd -t on the source of every parse test and
// every testdata/*.conf, and checks that httpd's reader agrees with the
// tree Parse builds:
//
//   - when httpd stops at a structural error while reading, the first
//     BadNode in reading order carries the same line and message;
//   - when httpd stops at another error while reading (from a directive
//     that runs at once, such as Include), a directive ends on that line
//     and no BadNode comes before it;
//   - when httpd reads the whole file (and then fails on a directive, or
//     says Syntax OK), there is no BadNode, and a failing directive ends
//     on the line httpd names.
//
// It runs only when PORTICO_HTTPD names the httpd binary (e.g. apache2);
// PORTICO_HTTPD_MPM names the MPM module to load if it is not Debian's
// /usr/lib/apache2/modules/mod_mpm_event.so.
func TestHTTPDAgreement(t *testing.T) {
	bin := os.Getenv("PORTICO_HTTPD")
	if bin == "" {
		t.Skip("set PORTICO_HTTPD=apache2 to compare with httpd")
	}
	mpm := cmp.Or(os.Getenv("PORTICO_HTTPD_MPM"), "/usr/lib/apache2/modules/mod_mpm_event.so")
	dir := t.TempDir()

	type source struct{ name, src string }
	var sources []source
	for _, tests := range [][]parseTest{logicalLineTests, commentTests, sectionTests} {
		for _, tt := range tests {
			sources = append(sources, source{tt.name, tt.src})
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, source{filepath.Base(file), string(b)})
	}

	for i, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".conf")
			if err := os.WriteFile(path, []byte(s.src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command(bin, "-t",
				"-C", "LoadModule mpm_event_module "+mpm,
				"-C", "ServerName localhost",
				"-C", "ErrorLog /dev/null",
				"-C", "PidFile "+filepath.Join(dir, "httpd.pid"),
				"-f", path).CombinedOutput()
			f, err := Parse(path, []byte(s.src))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("httpd: %q", out)
			compareHTTPD(t, f, path, string(out))
		})
	}
}

var (
	readError = regexp.MustCompile(`(?s)^\S+: Syntax error on line (\d+) of ([^:]+): (.*)\n$`)
	walkError = regexp.MustCompile(`(?s)^AH00526: Syntax error on line (\d+) of ([^:]+):\n(.*)\n$`)
)

var invalidCommand = regexp.MustCompile(`(?s)^Invalid command '(.*)', perhaps misspelled`)

// unescapeLog undoes the escaping httpd's error log applies to a string:
// \xhh for a byte that is not printable, a backslash before a backslash
// or a double quote.
func unescapeLog(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'x':
				if v, err := strconv.ParseUint(s[i+2:min(i+4, len(s))], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 3
					continue
				}
			case '\\', '"':
				i++
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// structural reports whether msg is one of the errors the parser turns
// into a BadNode.
func structural(msg string) bool {
	return strings.HasPrefix(msg, "Expected </") ||
		strings.Contains(msg, " without matching <") ||
		strings.HasSuffix(msg, "> directive missing closing '>'") ||
		strings.HasSuffix(msg, " was not closed.") ||
		strings.HasSuffix(msg, ": Line too long")
}

func compareHTTPD(t *testing.T, f *File, path, out string) {
	t.Helper()
	nodes := preorder(f.Nodes)
	firstBad := -1
	for i, n := range nodes {
		if _, ok := n.(*BadNode); ok {
			firstBad = i
			break
		}
	}
	endsOn := func(line int) int {
		for i, n := range nodes {
			switch n := n.(type) {
			case *Directive:
				if n.EndLine == line {
					return i
				}
			case *Section:
				if n.EndLine == line {
					return i
				}
			}
		}
		return -1
	}
	switch m := readError.FindStringSubmatch(out); {
	case m != nil && structural(m[3]):
		if firstBad < 0 {
			t.Fatalf("httpd: %q; parser found no error", out)
		}
		if got, want := httpdError(nodes[firstBad:]), fmt.Sprintf("line %s of %s: %s", m[1], m[2], m[3]); got != want {
			t.Errorf("got %q; want %q", got, want)
		}
	case m != nil:
		line, _ := strconv.Atoi(m[1])
		d := endsOn(line)
		if d < 0 {
			t.Errorf("httpd: %q; no directive ends on line %d", out, line)
		}
		if firstBad >= 0 && firstBad < d {
			t.Errorf("httpd: %q; parser reports %q first", out, httpdError(nodes[firstBad:]))
		}
	case walkError.MatchString(out):
		m := walkError.FindStringSubmatch(out)
		line, _ := strconv.Atoi(m[1])
		if firstBad >= 0 {
			t.Errorf("httpd: %q; parser reports %q", out, httpdError(nodes[firstBad:]))
		}
		d := endsOn(line)
		if d < 0 {
			t.Fatalf("httpd: %q; no directive ends on line %d", out, line)
		}
		if c := invalidCommand.FindStringSubmatch(m[3]); c != nil {
			var got string
			switch n := nodes[d].(type) {
			case *Directive:
				got = n.Name
			case *Section:
				got = "<" + n.Name
			}
			if want := unescapeLog(c[1]); got != want {
				t.Errorf("httpd: %q; directive on line %d is %q", out, line, got)
			}
		}
	case out == "Syntax OK\n":
		if firstBad >= 0 {
			t.Errorf("httpd: Syntax OK; parser reports %q", httpdError(nodes[firstBad:]))
		}
	default:
		t.Errorf("unexpected httpd output %q", out)
	}
}

// httpdError formats the error nodes[0] as httpd reports it after
// "Syntax error on ": httpd gathers the sections left open at the end of
// a file into one message, reported at the line of the outermost.
func httpdError(nodes []Node) string {
	bad := nodes[0].(*BadNode)
	if !strings.HasSuffix(bad.Msg, " was not closed.") {
		return fmt.Sprintf("line %d of %s: %s", bad.Pos.Line, bad.Pos.File, bad.Msg)
	}
	var msgs []string
	line := 0
	for _, n := range nodes {
		b, ok := n.(*BadNode)
		if !ok || !strings.HasSuffix(b.Msg, " was not closed.") {
			break
		}
		msgs = append(msgs, fmt.Sprintf("%s:%d: %s", b.Pos.File, b.Pos.Line, b.Msg))
		line = b.Pos.Line
	}
	// httpd escapes the newlines between the messages when it prints them.
	return fmt.Sprintf("line %d of %s: %s", line, bad.Pos.File, strings.Join(msgs, `\n`))
}

// preorder lists nodes in the order httpd's reader meets them: a section
// before its body.
func preorder(nodes []Node) []Node {
	var out []Node
	for _, n := range nodes {
		out = append(out, n)
		if s, ok := n.(*Section); ok {
			out = append(out, preorder(s.Body)...)
		}
	}
	return out
}
