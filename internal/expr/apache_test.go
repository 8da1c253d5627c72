package expr

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "record testdata/parse.golden from the installed apache2")

// goldenPath holds what apache2 -t answered for each parse case: one line
// per case, "quoted-expression<TAB>modules<TAB>verdict", the verdict being
// "OK", "ERR message" (the text after "Cannot parse condition clause: ")
// or "FATAL output" (httpd exited with status 2).
const goldenPath = "testdata/parse.golden"

// parseCase is an expression put in an <If>, with the extra modules
// loaded before it ("ssl", "hcheck").
type parseCase struct {
	expr    string
	modules string
}

func (c parseCase) key() string { return strconv.Quote(c.expr) + "\t" + c.modules }

func (c parseCase) options() Options {
	return Options{
		SSL:         strings.Contains(c.modules, "ssl"),
		HealthCheck: strings.Contains(c.modules, "hcheck"),
	}
}

// verdict is Portico's answer in the golden file's form.
func verdict(e *Expr, err error) string {
	var pe *Error
	switch {
	case errors.As(err, &pe) && pe.Fatal:
		return "FATAL " + pe.Msg
	case err != nil:
		return "ERR " + err.Error()
	case e == nil:
		return "ERR <nil expression>"
	}
	return "OK"
}

func TestParseAgainstApache(t *testing.T) {
	if *update {
		recordGolden(t)
	}
	golden := readGolden(t)
	for _, c := range parseCases {
		want, ok := golden[c.key()]
		if !ok {
			t.Errorf("%s: no golden verdict; run go test ./internal/expr -run TestParseAgainstApache -update", c.key())
			continue
		}
		got := logEscape(verdict(ParseOptions(c.expr, c.options())))
		if reason, ok := knownDiffs[c.expr]; ok {
			if got == want {
				t.Errorf("Parse(%q) now matches apache2; drop it from knownDiffs", c.expr)
			}
			t.Logf("Parse(%q): known difference (%s): got %s, apache2 %s", c.expr, reason, got, want)
			continue
		}
		if got != want {
			t.Errorf("Parse(%q) [%s]\n got: %s\nwant: %s", c.expr, c.modules, got, want)
		}
	}
}

// knownDiffs are cases where Portico knowingly answers otherwise than
// httpd, with the reason.
var knownDiffs = map[string]string{}

// logEscape escapes a verdict as httpd's error log prints it.
func logEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\v':
			b.WriteString(`\v`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("%v (record it with -update)", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		out[parts[0]+"\t"+parts[1]] = parts[2]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// recordGolden runs apache2 -t on every case.
func recordGolden(t *testing.T) {
	if _, err := exec.LookPath("apache2"); err != nil {
		t.Fatalf("recording needs apache2: %v", err)
	}
	results := make([]string, len(parseCases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, c := range parseCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = apacheVerdict(t, c)
		}()
	}
	wg.Wait()
	var b strings.Builder
	for i, c := range parseCases {
		fmt.Fprintf(&b, "%s\t%s\n", c.key(), results[i])
	}
	if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

var moduleLines = map[string]string{
	"ssl":    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n",
	"hcheck": "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\nLoadModule proxy_hcheck_module /usr/lib/apache2/modules/mod_proxy_hcheck.so\n",
}

func apacheVerdict(t *testing.T, c parseCase) string {
	dir := t.TempDir()
	var conf strings.Builder
	for _, m := range strings.Fields(strings.ReplaceAll(c.modules, ",", " ")) {
		conf.WriteString(moduleLines[m])
	}
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c.expr)
	fmt.Fprintf(&conf, "<If \"%s\">\n</If>\n", q)
	cf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("apache2", "-t", "-d", dir, "-f", cf,
		"-C", "ServerName localhost", "-C", "ErrorLog /dev/null",
		"-C", "PidFile "+filepath.Join(dir, "httpd.pid"),
		"-C", "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Errorf("%s: %v", c.key(), err)
		return "RUN-ERROR"
	}
	text := strings.TrimRight(string(out), "\n")
	const prefix = "Cannot parse condition clause: "
	switch code {
	case 0:
		return "OK"
	case 1:
		if i := strings.Index(text, prefix); i >= 0 {
			return "ERR " + strings.ReplaceAll(text[i+len(prefix):], "\n", `\n`)
		}
	case 2:
		return "FATAL " + strings.ReplaceAll(text, "\n", `\n`)
	}
	t.Errorf("%s: unexpected apache2 answer (exit %d): %s", c.key(), code, text)
	return "UNEXPECTED"
}
