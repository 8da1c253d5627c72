package directives

import (
	"strings"
	"testing"
)

func TestAliases(t *testing.T) {
	cfg, _ := mustLoad(t, "alias", `Alias /static/ /srv/static/
ScriptAliasMatch ^/cgi/(.*) /srv/cgi/$1
Redirect permanent /old http://example.com/new
Redirect gone /dead
RedirectMatch 303 ^/q/(.*) /search?q=$1
RedirectTemp /tmp http://example.com/tmp
<Location /loc>
Alias /srv/loc
Redirect 410
</Location>
<Location /r>
Redirect seeother "http://example.com%{REQUEST_URI}"
Redirect /x /y
</Location>
`)
	as := cfg.Main.Dir.Aliases
	want := []struct {
		kind, from, to, handler string
		status                  int
		regex                   bool
	}{
		{"Alias", "/static/", "/srv/static/", "", 0, false},
		{"ScriptAliasMatch", "^/cgi/(.*)", "/srv/cgi/$1", "cgi-script", 0, true},
		{"Redirect", "/old", "http://example.com/new", "", 301, false},
		{"Redirect", "/dead", "", "", 410, false},
		{"RedirectMatch", "^/q/(.*)", "/search?q=$1", "", 303, true},
		{"RedirectTemp", "/tmp", "http://example.com/tmp", "", 302, false},
	}
	if len(as) != len(want) {
		t.Fatalf("got %d server-level entries; want %d", len(as), len(want))
	}
	for i, w := range want {
		a := as[i]
		if a.Kind != w.kind || a.From != w.from || a.To != w.to || a.Handler != w.handler || a.Status != w.status || (a.Regex != nil) != w.regex {
			t.Errorf("entry %d: got %+v; want %+v", i, a, w)
		}
		if a.Pos.Line != i+3 { // after the MPM and mod_alias LoadModule lines
			t.Errorf("entry %d: got line %d; want %d", i, a.Pos.Line, i+3)
		}
	}
	loc := cfg.Main.Sections[0].Dir.Aliases
	if len(loc) != 2 || !loc[0].ToExpr || loc[0].Expr == nil || loc[0].To != "/srv/loc" || loc[1].Status != 410 || loc[1].To != "" {
		t.Errorf("<Location /loc>: got %+v", loc)
	}
	r := cfg.Main.Sections[1].Dir.Aliases
	if len(r) != 2 || !r[0].ToExpr || r[0].Status != 303 || r[1].ToExpr || r[1].From != "/x" || r[1].Status != 302 {
		t.Errorf("<Location /r>: got %+v", r)
	}
}

func TestAliasOverlapWarning(t *testing.T) {
	cfg, diags, _ := loadMods(t, "alias", `Alias /a /tmp
Alias /a/b /tmp
Alias /ab /tmp
ScriptAliasMatch ^/c(.*) /tmp$1
ScriptAlias /c/d /tmp
<VirtualHost *:80>
ServerName v
Alias /a/x /tmp
Alias /a/x/y /tmp
</VirtualHost>
`)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	var warns []string
	notes := 0
	for _, d := range diags {
		switch {
		case d.Code == "AH00671" && d.Severity == Warning:
			warns = append(warns, d.Msg)
		case d.Code == "AH00671" && d.Severity == Note:
			// httpd drops a virtual host's warnings while reading.
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("got %d notes for the virtual host's overlap; want 1", notes)
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "The Alias directive in ") || !strings.HasSuffix(warns[0], "at line 4 will probably never match because it overlaps an earlier Alias.") ||
		!strings.HasSuffix(warns[1], "at line 7 will probably never match because it overlaps an earlier ScriptAliasMatch.") {
		t.Errorf("got warnings %q", warns)
	}
	if len(cfg.VirtualHosts) != 1 || len(cfg.VirtualHosts[0].Dir.Aliases) != 2 {
		t.Errorf("virtual host aliases: got %+v", cfg.VirtualHosts)
	}
}

func TestAliasMatches(t *testing.T) {
	tests := []struct {
		uri, alias string
		want       int
	}{
		{"/a/b", "/a", 2},
		{"/ab", "/a", 0},
		{"//a//b", "/a/", 5},
		{"/a", "/a/", 0},
		{"/x", "/a", 0},
	}
	for _, tc := range tests {
		if got := aliasMatches(tc.uri, tc.alias); got != tc.want {
			t.Errorf("aliasMatches(%q, %q) = %d; want %d", tc.uri, tc.alias, got, tc.want)
		}
	}
}

func TestAliasErrors(t *testing.T) {
	wantErrors(t, "alias", []struct{ conf, err string }{
		{"AliasMatch \"(\" /x\n", "Regular expression could not be compiled."},
		{"Alias /x\n", "Alias must have two arguments when used globally"},
		{"ScriptAlias /x\n", "ScriptAlias must have two arguments when used globally"},
		{"<Directory /x>\nAlias /tmp\n</Directory>\n", "Alias cannot occur within <Directory> section"},
		{"<Location /x>\nAlias /tmp /y\n</Location>\n", "Alias cannot occur within directory context"},
		{"Redirect foo /a /b\n", "Redirect: invalid first argument (of three)"},
		{"Redirect /a\n", "URL to redirect to is missing"},
		{"Redirect 301 /a\n", "URL to redirect to is missing"},
		{"Redirect /a b\n", "Redirect to non-URL"},
		{"RedirectPermanent /a b\n", "Redirect to non-URL"},
		{"Redirect 404 /a b\n", "Redirect URL not valid for this status"},
		{"Redirect gone /a http://x/\n", "Redirect URL not valid for this status"},
		{"Redirect 3xx /a http://x/\n", "Redirect URL not valid for this status"},
		{"RedirectMatch 301 \"(\" http://x/\n", "Regular expression could not be compiled."},
		{"<Location /x>\nAlias \"/srv%{REQUEST_URI\"\n</Location>\n", "Cannot parse alias expression '/srv%{REQUEST_URI': syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated string or variable"},
		{"<Location /x>\nRedirect \"http://x%{FOO_BAR}\"\n</Location>\n", "Cannot parse redirect expression 'http://x%{FOO_BAR}': Variable 'FOO_BAR' does not exist"},
	})
}
