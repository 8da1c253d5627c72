package directives

import (
	"path/filepath"
	"strings"
	"testing"
)

// loadMods loads conf after LoadModule lines for the given modules
// (names as in mod_NAME.so) and returns the configuration and the
// diagnostics.
func loadMods(t *testing.T, mods string, conf string) (*Config, Diagnostics, string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(mpm)
	for _, m := range strings.Fields(mods) {
		b.WriteString("LoadModule " + m + "_module /usr/lib/apache2/modules/mod_" + m + ".so\n")
	}
	b.WriteString(conf)
	return loadTree(t, map[string]string{"httpd.conf": b.String()}, nil)
}

// mustLoad is loadMods for a configuration that must load without error.
func mustLoad(t *testing.T, mods, conf string) (*Config, string) {
	t.Helper()
	cfg, diags, dir := loadMods(t, mods, conf)
	if err := diags.Err(); err != nil {
		t.Fatalf("load: %v", err)
	}
	return cfg, dir
}

// wantErrors checks that each configuration fails with exactly the
// message given.
func wantErrors(t *testing.T, mods string, tests []struct{ conf, err string }) {
	t.Helper()
	for _, tc := range tests {
		_, diags, dir := loadMods(t, mods, tc.conf)
		err := diags.Err()
		want := strings.ReplaceAll(tc.err, "$DIR", dir)
		if err == nil {
			t.Errorf("%q: got no error, want %q", tc.conf, want)
			continue
		}
		if got := err.(*Diagnostic).Msg; got != want {
			t.Errorf("%q: got %q, want %q", tc.conf, got, want)
		}
	}
}

func TestHeaderActions(t *testing.T) {
	cfg, dir := mustLoad(t, "headers", `Header always set X-A "v %{FOO}e \t%D%%" env=!NOPE
RequestHeader edit* Cookie "^a(.*)" "b$1" early
Header onsuccess unset Server:
Header echo ^X-Req-
Header note X-Backend "expr=%{REQUEST_URI}"
<Location /x>
Header merge Cache-Control no-cache "expr=-n %{HTTP_HOST}"
</Location>
`)
	hs := cfg.Main.Dir.Headers
	if len(hs) != 5 {
		t.Fatalf("got %d server-level header actions; want 5", len(hs))
	}
	a := hs[0]
	if a.Request || !a.Always || a.Op != HeaderSet || a.Header != "X-A" || a.EnvVar != "NOPE" || !a.EnvNegated {
		t.Errorf("action 0: got %+v", a)
	}
	wantFmt := []HeaderFormatItem{{Literal: "v "}, {Tag: 'e', Arg: "FOO"}, {Literal: " \t"}, {Tag: 'D'}, {Literal: "%"}}
	if len(a.Format) != len(wantFmt) {
		t.Fatalf("format: got %+v; want %+v", a.Format, wantFmt)
	}
	for i := range wantFmt {
		if a.Format[i] != wantFmt[i] {
			t.Errorf("format item %d: got %+v; want %+v", i, a.Format[i], wantFmt[i])
		}
	}
	if a.Pos.Line != 3 || a.Pos.File != filepath.Join(dir, "httpd.conf") {
		t.Errorf("action 0 position: got %v", a.Pos)
	}
	e := hs[1]
	if !e.Request || e.Op != HeaderEditAll || !e.Early || e.Replacement != "b$1" || e.Regex == nil || !e.Regex.MatchString("abc") {
		t.Errorf("edit*: got %+v", e)
	}
	if u := hs[2]; u.Op != HeaderUnset || u.Header != "Server" || u.Format != nil {
		t.Errorf("unset: got %+v", u)
	}
	if ec := hs[3]; ec.Op != HeaderEcho || ec.Regex == nil || !ec.Regex.MatchString("X-Req-Id") {
		t.Errorf("echo: got %+v", ec)
	}
	if n := hs[4]; n.Op != HeaderNote || n.ValueExpr == nil || n.ValueExpr.Src != "%{REQUEST_URI}" || n.Format != nil {
		t.Errorf("note: got %+v", n)
	}
	if len(cfg.Main.Sections) != 1 || len(cfg.Main.Sections[0].Dir.Headers) != 1 {
		t.Fatalf("the <Location> action is not in its section")
	}
	if m := cfg.Main.Sections[0].Dir.Headers[0]; m.Op != HeaderMerge || m.Cond == nil || m.Cond.Src != "-n %{HTTP_HOST}" {
		t.Errorf("merge: got %+v", m)
	}
}

func TestHeaderErrors(t *testing.T) {
	wantErrors(t, "headers", []struct{ conf, err string }{
		{"Header\n", "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
		{"Header set X\n", "Header requires three arguments"},
		{"Header unset X a b\n", "header unset takes two arguments"},
		{"Header echo X a b\n", "Header echo takes two arguments"},
		{"Header set X a b c d\n", "Header has too many arguments"},
		{"RequestHeader set X a b c d\n", "RequestHeader has too many arguments"},
		{"Header set X a b c\n", "Too many arguments to directive"},
		{"Header edit X \"(\" b\n", "Header edit regex could not be compiled"},
		{"Header echo \"(\"\n", "Header echo regex could not be compiled"},
		{"Header set X \"%{foo\"\n", "Unrecognized header format %"},
		{"Header set X \"a%{foo}\"\n", "Unrecognized header format %"},
		{"Header set X \"%x\"\n", "Unrecognized header format %x"},
		{"Header set X a env=\n", "error: missing environment variable name. envclause should be in the form env=envar "},
		{"Header set X a env=!\n", "error: missing environment variable name. envclause should be in the form env=envar "},
		{"Header set X a bogus\n", "Unknown parameter: bogus"},
		{"RequestHeader echo X\n", "Header echo only valid on Header directives"},
		{"Header set X \"expr=%{FOO_BAR}\"\n", "Can't parse value expression : Variable 'FOO_BAR' does not exist"},
		{"Header set X \"expr=%{SSL_PROTOCOL}\"\n", "Can't parse value expression : Variable 'SSL_PROTOCOL' does not exist"},
		{"Header set X a \"expr=1 ==\"\n", "Can't parse envclause/expression: syntax error, unexpected $end"},
	})
}

func TestHeaderFormatLiterals(t *testing.T) {
	items, err := parseHeaderFormat(`a\tb\\c\qd%`)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, it := range items {
		got.WriteString(it.Literal)
	}
	if want := "a\tb\\c\\qd%"; got.String() != want {
		t.Errorf("got %q; want %q", got.String(), want)
	}
}
