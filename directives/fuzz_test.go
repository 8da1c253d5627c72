package directives

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzLoad reads arbitrary text as a whole configuration (with an include
// directory beside it): whatever the input, Load returns diagnostics or a
// Config, never panics, and an error always has a message.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"ServerName localhost\n",
		"LoadModule proxy_module x.so\nProxyPass /a http://127.0.0.1:1/ timeout=5\n",
		"<IfModule !mod_x.c>\nDefine X y\n</IfModule>\nServerName ${X}\n",
		"<Location /x>\n<If \"true\">\n</If>\n</Location>\n",
		"Include inc/*.conf\n",
		"<VirtualHost *:80>\nServerAlias a b\n</VirtualHost>\n",
		"<IfVersion >= 2.4>\n</IfVersion>\n",
		"\"\\\n",
	}
	matches, _ := filepath.Glob("../testdata/configtest/*.txtar")
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "inc"), 0o755)
		os.WriteFile(filepath.Join(dir, "inc", "a.conf"), []byte("Define FROM_INC 1\n"), 0o644)
		file := filepath.Join(dir, "httpd.conf")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(Options{File: file, ServerRoot: dir, Getenv: func(string) (string, bool) { return "", false }})
		if diags.Err() == nil && cfg == nil {
			t.Fatal("no error and no config")
		}
		for _, d := range diags {
			if strings.TrimSpace(d.Msg) == "" {
				t.Fatalf("diagnostic without message: %+v", d)
			}
			checkHTTPDLines(t, d)
		}
		_ = Lint(cfg)
	})
}

// checkHTTPDLines checks what -t would print for d: lines of at most
// httpd's 8190 bytes for an error, and nothing but printable ASCII, as
// httpd's error log escapes everything else.
func checkHTTPDLines(t *testing.T, d Diagnostic) {
	t.Helper()
	out := d.HTTPD("portico")
	lines := strings.Split(out, "\n")
	if d.Severity == Error && d.Phase == WalkPhase && len(lines) != 2 {
		t.Errorf("walk error in %d lines: %q", len(lines), out)
	}
	for _, line := range lines {
		if d.Severity == Error && len(line) > maxLogLine {
			t.Errorf("error line of %d bytes: %.80q…", len(line), line)
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c < 0x20 || c >= 0x7f {
				t.Fatalf("unescaped byte %#x in %q", c, line)
			}
		}
	}
}

// FuzzEscapeLog checks EscapeLog against its inverse (the unescaping the
// parser's httpd test applies to apache2's output): nothing but printable
// ASCII comes out, the input up to a NUL comes back, and a limited buffer
// holds a prefix of the unlimited result.
func FuzzEscapeLog(f *testing.F) {
	for _, s := range []string{"", "plain", `a\b"c`, "\xef\xbb\xbf\n\t\x00x", strings.Repeat("\\", 10)} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, size int) {
		got := EscapeLog(s)
		for i := 0; i < len(got); i++ {
			if c := got[i]; c < 0x20 || c >= 0x7f {
				t.Fatalf("EscapeLog(%q) = %q: byte %#x", s, got, c)
			}
		}
		want, _, _ := strings.Cut(s, "\x00")
		if back := unescapeLogText(got); back != want {
			t.Fatalf("EscapeLog(%q) = %q, which reads back as %q", s, got, back)
		}
		size = int(uint(size)%64) + 1
		cut := escapeLog(s, size)
		if len(cut) > size-1 || !strings.HasPrefix(got, cut) {
			t.Fatalf("escapeLog(%q, %d) = %q: not a prefix of %q within %d bytes", s, size, cut, got, size-1)
		}
	})
}

// unescapeLogText undoes EscapeLog.
func unescapeLogText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'b':
				c = '\b'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'v':
				c = '\v'
			case 'x':
				v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
				c = byte(v)
				i += 2
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
