package rewrite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/directives"
)

const testPreamble = `LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
LoadModule rewrite_module modules/mod_rewrite.so
ServerName rw.test
`

// loadConf reads conf after testPreamble; $D is the temporary directory.
func loadConf(t testing.TB, conf string, files map[string]string) (*directives.Config, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf = strings.ReplaceAll(conf, "$D", dir)
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(testPreamble+conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir})
	if err := diags.Err(); err != nil {
		t.Fatalf("config:\n%s\n%v", conf, err)
	}
	return cfg, dir
}

// fakeReq is a Request from fixed tables.
type fakeReq struct {
	vars    map[string]string
	headers map[string]string
	env     map[string]string
}

func (f *fakeReq) Var(name string) string { return f.vars[name] }
func (f *fakeReq) Header(name string) (string, bool) {
	for k, v := range f.headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
func (f *fakeReq) Env(name string) (string, bool) { v, ok := f.env[name]; return v, ok }

func newReq(uri string, headers map[string]string) *fakeReq {
	return &fakeReq{
		vars: map[string]string{
			"REQUEST_URI": uri, "REQUEST_METHOD": "GET", "REQUEST_SCHEME": "http",
			"SERVER_NAME": "rw.test", "SERVER_PORT": "80", "DOCUMENT_ROOT": "/nonexistent-docroot",
			"REMOTE_ADDR": "127.0.0.1", "THE_REQUEST": "GET " + uri + " HTTP/1.1",
		},
		headers: headers,
	}
}

// serverPass runs the main server's pass on target ("/path?query").
func serverPass(t *testing.T, e *Engine, cfg *directives.Config, target string, headers map[string]string) Result {
	t.Helper()
	uri, args, has := target, "", false
	if i := strings.IndexByte(target, '?'); i >= 0 {
		uri, args, has = target[:i], target[i+1:], true
	}
	st := DirConfig(cfg.Main, cfg.Main, nil)
	return e.Server(cfg.Main, &st, newReq(uri, headers), &Input{URI: uri, Args: args, HasArgs: has, Unparsed: target, Trace: true})
}

func TestServerRules(t *testing.T) {
	tests := []struct {
		name    string
		rules   string
		target  string
		headers map[string]string
		kind    Kind
		status  int
		want    string // Location, ProxyURL, URI or Filename
		args    string
		noCanon bool
	}{
		{name: "no match", rules: `RewriteRule ^/a$ /b [R]`, target: "/c", kind: Unchanged},
		{name: "redirect qualified", rules: `RewriteRule ^/old/(.*)$ /new/$1 [R]`, target: "/old/x?q=1",
			kind: Redirect, status: 302, want: "http://rw.test/new/x?q=1"},
		{name: "redirect 301 external", rules: `RewriteRule ^/p/(.*)$ http://ex.test/$1 [R=301]`, target: "/p/a",
			kind: Redirect, status: 301, want: "http://ex.test/a"},
		{name: "implicit redirect", rules: `RewriteRule ^/x$ http://other.test/y`, target: "/x",
			kind: Redirect, status: 302, want: "http://other.test/y"},
		{name: "pass through", rules: `RewriteRule ^/x$ /y [PT]`, target: "/x?a", kind: PassThrough, want: "/y"},
		{name: "escape", rules: `RewriteRule ^/e/(.*)$ /t/$1 [R]`, target: "/e/a b%c",
			kind: Redirect, status: 302, want: "http://rw.test/t/a%20b%25c"},
		{name: "noescape", rules: `RewriteRule ^/e/(.*)$ /t/$1 [R,NE]`, target: "/e/a b",
			kind: Redirect, status: 302, want: "http://rw.test/t/a b"},
		{name: "B", rules: `RewriteRule ^/b/(.*)$ /t?q=$1 [R,B]`, target: "/b/x&y z",
			kind: Redirect, status: 302, want: "http://rw.test/t?q=x%2526y+z"},
		{name: "query replaced", rules: `RewriteRule ^/r$ /t?n=1 [R]`, target: "/r?o=1",
			kind: Redirect, status: 302, want: "http://rw.test/t?n=1"},
		{name: "QSA", rules: `RewriteRule ^/r$ /t?n=1 [R,QSA]`, target: "/r?o=1",
			kind: Redirect, status: 302, want: "http://rw.test/t?n=1&o=1"},
		{name: "QSD", rules: `RewriteRule ^/r$ /t [R,QSD]`, target: "/r?o=1",
			kind: Redirect, status: 302, want: "http://rw.test/t"},
		{name: "trailing ?", rules: `RewriteRule ^/r$ /t? [R]`, target: "/r?o=1",
			kind: Redirect, status: 302, want: "http://rw.test/t"},
		{name: "F", rules: `RewriteRule ^/f - [F]`, target: "/f", kind: Status, status: 403},
		{name: "G", rules: `RewriteRule ^/g - [G]`, target: "/g", kind: Status, status: 410},
		{name: "R=404", rules: `RewriteRule ^/n - [R=404]`, target: "/n", kind: Status, status: 404},
		{name: "proxy", rules: `RewriteRule ^/p/(.*)$ http://b.test/x/$1 [P]`, target: "/p/a?q=1",
			kind: Proxy, want: "http://b.test/x/a", args: "q=1"},
		{name: "proxy NE", rules: `RewriteRule ^/p/(.*)$ http://b.test/x/$1 [P,NE]`, target: "/p/a?q=1",
			kind: Proxy, want: "http://b.test/x/a?q=1", args: "q=1", noCanon: true},
		{name: "proxy relative", rules: `RewriteRule ^/p/(.*)$ /local/$1 [P]`, target: "/p/a",
			kind: Proxy, want: "http://rw.test/local/a"},
		{name: "ws seed", rules: "RewriteCond %{HTTP:Upgrade} websocket [NC]\nRewriteCond %{HTTP:Connection} upgrade [NC]\nRewriteRule ^/?(.*) \"ws://b.test:9080/$1\" [P,L]",
			target: "/chat", headers: map[string]string{"Upgrade": "WebSocket", "Connection": "keep-alive, Upgrade"},
			kind: Proxy, want: "ws://b.test:9080/chat"},
		{name: "ws seed plain", rules: "RewriteCond %{HTTP:Upgrade} websocket [NC]\nRewriteCond %{HTTP:Connection} upgrade [NC]\nRewriteRule ^/?(.*) \"ws://b.test:9080/$1\" [P,L]",
			target: "/chat", kind: Unchanged},
		{name: "chain skipped", rules: "RewriteRule ^/no$ /x [C]\nRewriteRule ^/c$ /bad [R]\nRewriteRule ^/c$ /good [R]", target: "/c",
			kind: Redirect, status: 302, want: "http://rw.test/good"},
		{name: "chain followed", rules: "RewriteRule ^/c$ /c2 [C]\nRewriteRule ^/c2$ /good [R]", target: "/c",
			kind: Redirect, status: 302, want: "http://rw.test/good"},
		{name: "skip", rules: "RewriteRule ^/s$ /s2 [S=1]\nRewriteRule ^/s2$ /bad [R]\nRewriteRule ^/s2$ /good [R]", target: "/s",
			kind: Redirect, status: 302, want: "http://rw.test/good"},
		{name: "last", rules: "RewriteRule ^/l$ /l2 [L]\nRewriteRule ^/l2$ /bad [R]", target: "/l",
			kind: Local, want: "/nonexistent-docroot/l2"},
		{name: "next", rules: "RewriteRule ^/n/(.*)-(.*)$ /n/$1_$2 [N]\nRewriteRule ^/n/(.*)$ /done/$1 [R]", target: "/n/a-b-c",
			kind: Redirect, status: 302, want: "http://rw.test/done/a_b_c"},
		{name: "next limit", rules: "RewriteRule ^/loop$ /loop [N=5]", target: "/loop", kind: Status, status: 500},
		{name: "cond %N", rules: "RewriteCond %{QUERY_STRING} id=([0-9]+)\nRewriteRule ^/i$ /items/%1? [R]", target: "/i?id=42",
			kind: Redirect, status: 302, want: "http://rw.test/items/42"},
		{name: "OR", rules: "RewriteCond %{HTTP:X-A} =y [OR]\nRewriteCond %{HTTP:X-B} =y\nRewriteRule ^/or$ - [F]", target: "/or",
			headers: map[string]string{"X-B": "y"}, kind: Status, status: 403},
		{name: "OR neither", rules: "RewriteCond %{HTTP:X-A} =y [OR]\nRewriteCond %{HTTP:X-B} =y\nRewriteRule ^/or$ - [F]", target: "/or", kind: Unchanged},
		{name: "int compare", rules: "RewriteCond %{HTTP:X-N} -ge10\nRewriteRule ^/i$ - [F]", target: "/i",
			headers: map[string]string{"X-N": "12"}, kind: Status, status: 403},
		{name: "lexicographic", rules: "RewriteCond %{HTTP:X-S} >m\nRewriteRule ^/i$ - [F]", target: "/i",
			headers: map[string]string{"X-S": "zz"}, kind: Status, status: 403},
		{name: "lexicographic shorter", rules: "RewriteCond %{HTTP:X-S} >m\nRewriteRule ^/i$ - [F]", target: "/i",
			headers: map[string]string{"X-S": "a"}, kind: Unchanged},
		{name: "negated rule", rules: "RewriteRule !^/keep /other [R]", target: "/x", kind: Redirect, status: 302, want: "http://rw.test/other"},
		{name: "env", rules: "RewriteRule ^/e/(.*)$ - [E=V:$1]\nRewriteCond %{ENV:V} (.+)\nRewriteRule ^/e/ /env/%1 [R]", target: "/e/abc",
			kind: Redirect, status: 302, want: "http://rw.test/env/abc"},
		{name: "expr", rules: "RewriteCond expr \"%{QUERY_STRING} =~ /k=(\\w+)/\"\nRewriteRule ^/x$ /got/%1? [R]", target: "/x?k=val",
			kind: Redirect, status: 302, want: "http://rw.test/got/val"},
		{name: "int map", rules: "RewriteMap up int:toupper\nRewriteRule ^/u/(.*)$ /U/${up:$1} [R]", target: "/u/ab",
			kind: Redirect, status: 302, want: "http://rw.test/U/AB"},
		{name: "map default", rules: "RewriteMap up int:toupper\nRewriteRule ^/u/(.*)$ /U/${nomap:$1|dflt} [R]", target: "/u/ab",
			kind: Redirect, status: 302, want: "http://rw.test/U/dflt"},
		{name: "unsafe ?", rules: "RewriteCond %{HTTP:X-Q} (.*)\nRewriteRule ^/q$ /t/%1 [R]", target: "/q",
			headers: map[string]string{"X-Q": "a?b"}, kind: Status, status: 403},
		{name: "bad query", rules: "RewriteCond %{HTTP:X-V} (.*)\nRewriteRule ^/s$ http://b.test/s?v=%1 [P]", target: "/s",
			headers: map[string]string{"X-V": "a b"}, kind: Status, status: 403},
		{name: "END", rules: "RewriteRule ^/e$ /e2 [END]\nRewriteRule ^/e2$ /x [R]", target: "/e", kind: Local, want: "/nonexistent-docroot/e2"},
		{name: "not a path", rules: "RewriteRule ^/x$ - [L]\nRewriteRule ^/y$ nopath:x", target: "/y", kind: Local, want: "/nonexistent-docroot/nopath:x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := loadConf(t, "RewriteEngine on\n"+tt.rules+"\n", nil)
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := serverPass(t, e, cfg, tt.target, tt.headers)
			if res.Kind != tt.kind {
				t.Fatalf("kind: got %v; want %v (%+v)", res.Kind, tt.kind, res)
			}
			if tt.status != 0 && res.Status != tt.status {
				t.Errorf("status: got %d; want %d", res.Status, tt.status)
			}
			var got string
			switch res.Kind {
			case Redirect:
				got = res.Location
			case Proxy:
				got = res.ProxyURL
				if res.Args != tt.args {
					t.Errorf("args: got %q; want %q", res.Args, tt.args)
				}
				if res.NoCanon != tt.noCanon {
					t.Errorf("nocanon: got %v; want %v", res.NoCanon, tt.noCanon)
				}
			case PassThrough:
				got = res.URI
			case Local:
				got = res.Filename
			}
			if got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
			if tt.kind != Unchanged && len(res.Trace) == 0 {
				t.Errorf("no trace recorded")
			}
		})
	}
}

func TestEngineOff(t *testing.T) {
	cfg, _ := loadConf(t, "RewriteRule ^/a$ /b [R]\n", nil)
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res := serverPass(t, e, cfg, "/a", nil); res.Kind != Unchanged {
		t.Errorf("got %v with RewriteEngine off; want unchanged", res.Kind)
	}
}

func TestTxtMap(t *testing.T) {
	cfg, _ := loadConf(t, "RewriteMap h txt:$D/h.map\nRewriteEngine on\nRewriteRule ^/m/([^/]+)$ /to/${h:$1|none} [R]\n",
		map[string]string{"h.map": "# c\nalpha first\nbeta  second extra\n gamma hidden\n"})
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"alpha": "first", "beta": "second", "gamma": "none", "delta": "none"} {
		res := serverPass(t, e, cfg, "/m/"+key, nil)
		if got := strings.TrimPrefix(res.Location, "http://rw.test/to/"); got != want {
			t.Errorf("%s: got %q; want %q", key, got, want)
		}
	}
}

func TestPrgMapRefused(t *testing.T) {
	cfg, _ := loadConf(t, "RewriteMap p prg:/bin/cat\n", nil)
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), "not run by Portico") {
		t.Errorf("got %v; want an error saying prg maps are not run", err)
	}
}

func TestInherit(t *testing.T) {
	conf := `RewriteEngine on
RewriteRule ^/x$ /main [R]
<VirtualHost *:80>
ServerName a.test
RewriteEngine on
RewriteOptions Inherit
RewriteRule ^/x$ /vhost [R]
RewriteRule ^/y$ /vhost-y [R]
</VirtualHost>
<VirtualHost *:80>
ServerName b.test
RewriteEngine on
RewriteOptions InheritBefore
RewriteRule ^/x$ /vhost [R]
</VirtualHost>
<VirtualHost *:80>
ServerName c.test
RewriteEngine on
</VirtualHost>
`
	cfg, _ := loadConf(t, conf, nil)
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"/vhost", "/main", ""} {
		vh := cfg.VirtualHosts[i]
		st := DirConfig(cfg.Main, vh, nil)
		res := e.Server(vh, &st, newReq("/x", nil), &Input{URI: "/x", Unparsed: "/x"})
		if got := strings.TrimPrefix(res.Location, "http://rw.test"); got != want {
			t.Errorf("%s: got %q; want %q", vh.ServerName, got, want)
		}
	}
}

func TestDirPass(t *testing.T) {
	conf := `<Location /app>
RewriteEngine on
RewriteBase /base/
RewriteRule ^proxy:http://[^/]+/app/(special.*)$ http://other.test/sp/$1 [P]
RewriteRule ^(.*)/old\.txt$ new.txt
RewriteRule ^(.*)/gone$ - [G]
</Location>
<Location /app/sub>
Header set X-A b
</Location>
<Location /inh>
RewriteEngine on
RewriteOptions Inherit
RewriteRule ^(.*)/gone$ - [G]
</Location>
<Location /inh/sub>
</Location>
`
	cfg, _ := loadConf(t, "LoadModule headers_module modules/mod_headers.so\n"+conf, nil)
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	secs := cfg.Main.Sections
	run := func(secs []*directives.Section, filename string) Result {
		st := DirConfig(cfg.Main, cfg.Main, secs)
		return e.Dir(cfg.Main, &st, newReq("/app/x", nil), &Input{URI: "/app/x", Filename: filename})
	}
	if res := run(secs[:1], "proxy:http://b.test/app/special"); res.Kind != Proxy || res.ProxyURL != "http://other.test/sp/special" {
		t.Errorf("proxy: got %v %q", res.Kind, res.ProxyURL)
	}
	// A '?' that comes from a back-reference is refused (AH10508).
	if res := run(secs[:1], "proxy:http://b.test/app/special?x"); res.Kind != Status || res.Status != 403 {
		t.Errorf("unsafe ?: got %v %d; want 403", res.Kind, res.Status)
	}
	// The prefix is not stripped from a file path outside the section's
	// path; the relative result gets it added, then RewriteBase.
	if res := run(secs[:1], "/srv/www/app/old.txt"); res.Kind != InternalRedirect || res.URI != "/base/new.txt" {
		t.Errorf("internal redirect: got %v %q; want /base/new.txt", res.Kind, res.URI)
	}
	if res := run(secs[:1], "/app/d/old.txt"); res.Kind != InternalRedirect || res.URI != "/base/new.txt" {
		t.Errorf("RewriteBase: got %v %q; want /base/new.txt", res.Kind, res.URI)
	}
	if res := run(secs[:1], "/app"); res.Kind != Unchanged {
		t.Errorf("directory without its slash: got %v; want unchanged", res.Kind)
	}
	if res := run(secs[:1], "/x/gone"); res.Kind != Status || res.Status != 410 {
		t.Errorf("gone: got %v %d", res.Kind, res.Status)
	}
	// A later section without rewrite rules replaces the rules …
	if res := run(secs[:2], "/x/gone"); res.Kind != Unchanged {
		t.Errorf("after a section without rules: got %v; want unchanged", res.Kind)
	}
	// … unless Inherit is in force.
	if res := run(secs[2:4], "/x/gone"); res.Kind != Status || res.Status != 410 {
		t.Errorf("inherited into a nested section: got %v %d; want 410", res.Kind, res.Status)
	}
}

func TestSplitQuery(t *testing.T) {
	tests := []struct {
		filename, args string
		has            bool
		flags          directives.RuleFlag
		wantFile       string
		wantArgs       string
		wantHas        bool
	}{
		{"/a?b=1", "o=1", true, 0, "/a", "b=1", true},
		{"/a?b=1", "o=1", true, directives.RuleQSAppend, "/a", "b=1&o=1", true},
		{"/a?b=1", "", false, directives.RuleQSAppend, "/a", "b=1", true},
		{"/a", "o=1", true, directives.RuleQSDiscard, "/a", "", false},
		{"/a?", "o=1", true, 0, "/a", "", false},
		{"/a?x?y", "", false, directives.RuleQSLast, "/a?x", "y", true},
		{"ftp://h/a?b", "o", true, 0, "ftp://h/a?b", "", false},
	}
	for _, tt := range tests {
		p := &pass{filename: tt.filename, args: tt.args, hasArgs: tt.has}
		p.splitQuery(tt.flags)
		if p.filename != tt.wantFile || p.args != tt.wantArgs || p.hasArgs != tt.wantHas {
			t.Errorf("%q %q %v: got %q %q %v; want %q %q %v", tt.filename, tt.args, tt.flags,
				p.filename, p.args, p.hasArgs, tt.wantFile, tt.wantArgs, tt.wantHas)
		}
	}
}
