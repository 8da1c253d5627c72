package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// txtarFile is one file of a txtar archive.
type txtarFile struct {
	name string
	data []byte
}

// parseTxtar splits an archive in the golang.org/x/tools/txtar format into
// its comment and its files. File data is kept byte for byte (CR and
// trailing blanks included): some cases are about exactly those bytes.
func parseTxtar(data []byte) (comment []byte, files []txtarFile) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		if name, ok := txtarMarker(line); ok {
			files = append(files, txtarFile{name: name})
			continue
		}
		if len(files) == 0 {
			comment = append(comment, line...)
		} else {
			files[len(files)-1].data = append(files[len(files)-1].data, line...)
		}
	}
	return comment, files
}

// txtarMarker reports whether line is a "-- name --" file marker.
func txtarMarker(line []byte) (name string, ok bool) {
	s := strings.TrimSuffix(string(line), "\n")
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < len("-- x --") {
		return "", false
	}
	return strings.TrimSpace(s[3 : len(s)-3]), true
}

// result is what one `-t` run printed and returned.
type result struct {
	exit   int
	stderr string
	stdout string
}

// String formats r as a golden file: the exit status, then each stream
// under its own marker. A stream that does not end in a newline gets one,
// followed by a line saying so, so that the golden stays exact.
func (r result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d\n", r.exit)
	for _, s := range []struct{ name, text string }{{"stderr", r.stderr}, {"stdout", r.stdout}} {
		fmt.Fprintf(&b, "-- %s --\n%s", s.name, s.text)
		if s.text != "" && !strings.HasSuffix(s.text, "\n") {
			b.WriteString("\n" + noNewline + "\n")
		}
	}
	return b.String()
}

const noNewline = `\ no newline at end`

// parseGolden reads a golden file written by result.String.
func parseGolden(text string) (result, error) {
	head, rest, ok := strings.Cut(text, "\n-- stderr --\n")
	if !ok {
		return result{}, errors.New(`missing "-- stderr --" marker`)
	}
	code, ok := strings.CutPrefix(head, "exit ")
	if !ok {
		return result{}, fmt.Errorf("first line %q is not \"exit N\"", head)
	}
	exit, err := strconv.Atoi(code)
	if err != nil {
		return result{}, fmt.Errorf("exit status: %w", err)
	}
	stderr, stdout, ok := strings.Cut(rest, "-- stdout --\n")
	if !ok {
		return result{}, errors.New(`missing "-- stdout --" marker`)
	}
	unmark := func(s string) string {
		if t, ok := strings.CutSuffix(s, "\n"+noNewline+"\n"); ok {
			return t
		}
		return s
	}
	return result{exit: exit, stderr: unmark(stderr), stdout: unmark(stdout)}, nil
}

// A replacement turns a machine-specific string (a temporary directory)
// into its placeholder.
type replacement struct{ old, new string }

var (
	// logLinePrefix matches the start of an error-log line:
	// "[Wed Nov 25 02:58:44.157487 2026] [core:warn] [pid 7309:tid 7309] ".
	logLinePrefix = regexp.MustCompile(`(?m)^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4}\] (\[[^\]\n]*\]) \[pid \d+(?::tid \d+)?\] `)
	// fqdnGuess matches the host name or address AH00558 reports.
	fqdnGuess = regexp.MustCompile(`(AH00558: .*fully qualified domain name, using )\S+(\. Set the)`)
)

// argv0Pattern matches a program name where httpd prints ap_server_argv0:
// at the start of a line, or right after an AHnnnnn: tag.
func argv0Pattern() *regexp.Regexp {
	names := []string{"apache2", "httpd", "portico", filepath.Base(os.Args[0])}
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return regexp.MustCompile(`(?m)^((?:AH\d{5}: )?)(?:` + strings.Join(names, "|") + `): `)
}

// normalise rewrites the output of a -t run so that it no longer depends on
// the machine, the time or the program name. See the list at the top of
// configtest_test.go.
func normalise(s string, repl ...replacement) string {
	// Longest first, so that a directory and its subdirectories don't clash.
	repl = append([]replacement(nil), repl...)
	for i := range repl {
		for j := i + 1; j < len(repl); j++ {
			if len(repl[j].old) > len(repl[i].old) {
				repl[i], repl[j] = repl[j], repl[i]
			}
		}
	}
	for _, r := range repl {
		s = strings.ReplaceAll(s, r.old, r.new)
	}
	s = logLinePrefix.ReplaceAllString(s, "$1 ")
	s = argv0Pattern().ReplaceAllString(s, "${1}$$ARGV0: ")
	s = fqdnGuess.ReplaceAllString(s, "${1}$$HOST${2}")
	return s
}

// apacheBinary returns the path of the live apache2, failing the test if
// there is none.
func apacheBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("apache2")
	if err != nil {
		for _, p := range []string{"/usr/sbin/apache2", "/usr/local/apache2/bin/httpd"} {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		t.Fatalf("this test needs a live apache2: install apache2 (apt-get install apache2): %v", err)
	}
	return path
}

// runApache runs the live apache2 with args in dir and environment env.
func runApache(t *testing.T, dir string, env, args []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, apacheBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
	default:
		t.Fatalf("running %s: %v\nstderr:\n%s", cmd, err, &stderr)
	}
	return result{exit: cmd.ProcessState.ExitCode(), stderr: stderr.String(), stdout: stdout.String()}
}

// runPortico calls run as the portico binary would with os.Args[1:] = args.
func runPortico(t *testing.T, args []string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{exit: code, stderr: stderr.String(), stdout: stdout.String()}
}

// checkGolden compares got with the golden file at path and returns the
// golden's result; with -update it writes got to the file instead and
// returns got.
func checkGolden(t *testing.T, path string, got result) result {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (record it with: go test ./cmd/portico -run TestConfigtest -update)", err)
	}
	want, err := parseGolden(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got.exit != want.exit {
		t.Errorf("exit status: got %d; want %d", got.exit, want.exit)
	}
	compareStream(t, "stderr", got.stderr, want.stderr)
	compareStream(t, "stdout", got.stdout, want.stdout)
	return want
}

// compareStream reports a difference in one output stream: as got/want
// strings when they are short, always as a line diff.
func compareStream(t *testing.T, name, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	const short = 300
	if len(got) <= short && len(want) <= short {
		t.Errorf("%s: got %q; want %q\n%s", name, got, want, lineDiff(want, got))
		return
	}
	t.Errorf("%s differs:\n%s", name, lineDiff(want, got))
}

// lineDiff returns a line diff from want to got: "-" lines are expected
// but missing, "+" lines are printed but not expected.
func lineDiff(want, got string) string {
	a, b := splitLines(want), splitLines(got)
	// lcs[i][j] is the length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	line := func(prefix, s string) {
		out.WriteString(prefix + strings.TrimSuffix(s, "\n") + "\n")
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			line("  ", a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			line("- ", a[i])
			i++
		default:
			line("+ ", b[j])
			j++
		}
	}
	return "diff (- want, + got):\n" + out.String()
}

// splitLines splits s after each newline; a last line without a newline is
// kept, an empty one is not.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func TestNormalise(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "read-phase error",
			in:   "apache2: Syntax error on line 2 of /tmp/ct123/httpd.conf: Could not open configuration file /tmp/ct123/x.conf: No such file or directory\n",
			want: "$ARGV0: Syntax error on line 2 of $DIR/httpd.conf: Could not open configuration file $DIR/x.conf: No such file or directory\n",
		},
		{
			name: "portico as argv0",
			in:   "portico: Syntax error on line 1 of /tmp/ct123/httpd.conf: x\n",
			want: "$ARGV0: Syntax error on line 1 of $DIR/httpd.conf: x\n",
		},
		{
			name: "argv0 after a tag",
			in:   "AH00534: apache2: Configuration error: More than one MPM loaded.\n",
			want: "AH00534: $ARGV0: Configuration error: More than one MPM loaded.\n",
		},
		{
			name: "argv0 only as a program name",
			in:   "Invalid command 'apache2:', perhaps misspelled\n",
			want: "Invalid command 'apache2:', perhaps misspelled\n",
		},
		{
			name: "error-log line",
			in:   "[Wed Nov 25 02:58:44.157487 2026] [core:warn] [pid 7309:tid 7309] AH00111: Config variable ${NOPE} is not defined\nSyntax OK\n",
			want: "[core:warn] AH00111: Config variable ${NOPE} is not defined\nSyntax OK\n",
		},
		{
			name: "error-log line without tid",
			in:   "[Sun Nov 01 12:00:00.000001 2026] [proxy:warn] [pid 1] AH01146: Ignoring parameter\n",
			want: "[proxy:warn] AH01146: Ignoring parameter\n",
		},
		{
			name: "AH00558 host guess",
			in:   "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 10.1.2.3. Set the 'ServerName' directive globally to suppress this message\n",
			want: "AH00558: $ARGV0: Could not reliably determine the server's fully qualified domain name, using $HOST. Set the 'ServerName' directive globally to suppress this message\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalise(tt.in, replacement{"/tmp/ct123", "$DIR"}); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, r := range []result{
		{exit: 0, stderr: "Syntax OK\n"},
		{exit: 1, stderr: "AH00526: Syntax error on line 1 of $DIR/httpd.conf:\nx\n", stdout: "out\n"},
		{exit: 2, stderr: "no newline", stdout: "-- stdout --\n"},
		{},
	} {
		got, err := parseGolden(r.String())
		if err != nil {
			t.Fatalf("parseGolden(%q): %v", r.String(), err)
		}
		if got != r {
			t.Errorf("got %+v; want %+v", got, r)
		}
	}
}

func TestParseTxtar(t *testing.T) {
	comment, files := parseTxtar([]byte("A case.\n-- httpd.conf --\nA b\r\n-- conf.d/x.conf --\n-- empty/ --\n-- last --\nno newline"))
	if got, want := string(comment), "A case.\n"; got != want {
		t.Errorf("comment: got %q; want %q", got, want)
	}
	want := []txtarFile{
		{"httpd.conf", []byte("A b\r\n")},
		{"conf.d/x.conf", nil},
		{"empty/", nil},
		{"last", []byte("no newline")},
	}
	if len(files) != len(want) {
		t.Fatalf("got %d files; want %d", len(files), len(want))
	}
	for i, f := range files {
		if f.name != want[i].name || string(f.data) != string(want[i].data) {
			t.Errorf("file %d: got %q %q; want %q %q", i, f.name, f.data, want[i].name, want[i].data)
		}
	}
}
