package headers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// actions loads Header and RequestHeader lines as the main server's
// and returns its actions.
func actions(t *testing.T, conf string) []directives.HeaderAction {
	t.Helper()
	dir := t.TempDir()
	text := "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n" +
		"LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n" + conf
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir,
		Getenv: func(string) (string, bool) { return "", false }})
	if err := diags.Err(); err != nil {
		t.Fatalf("load %q: %v", conf, err)
	}
	return cfg.Main.Dir.Headers
}

// fakeRequest is a Request with fixed variables and environment.
type fakeRequest struct {
	vars map[string]string
	env  map[string]string
}

func (r fakeRequest) Var(name string) string { return r.vars[name] }
func (r fakeRequest) Env(name string) (string, bool) {
	v, ok := r.env[name]
	return v, ok
}

func fields(s string) http1.Headers {
	var h http1.Headers
	for _, l := range strings.Split(s, "\n") {
		if l == "" {
			continue
		}
		n, v, _ := strings.Cut(l, ": ")
		h.Add(n, v)
	}
	return h
}

func text(h http1.Headers) string {
	var b strings.Builder
	for _, f := range h {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	return b.String()
}

func newState(env map[string]string) *State {
	req := fakeRequest{vars: map[string]string{"REQUEST_URI": "/api/x"}, env: env}
	start := time.UnixMicro(1_700_000_000_000_000)
	st := NewState(req, start)
	st.Now = func() time.Time { return start.Add(1500 * time.Microsecond) }
	return st
}

func TestRequestActions(t *testing.T) {
	tests := []struct {
		name, conf, in, want string
		env                  map[string]string
	}{
		{name: "set replaces every instance in place of the first",
			conf: "RequestHeader set X-A new", in: "X-A: 1\nB: b\nx-a: 2\n", want: "X-A: new\nB: b\n"},
		{name: "set appends when absent", conf: "RequestHeader set X-A v", in: "B: b\n", want: "B: b\nX-A: v\n"},
		{name: "append merges into the first", conf: "RequestHeader append X-A more", in: "X-A: 1\nX-A: 2\n", want: "X-A: 1, more\nX-A: 2\n"},
		{name: "add always adds", conf: "RequestHeader add X-A 2", in: "X-A: 1\n", want: "X-A: 1\nX-A: 2\n"},
		{name: "merge skips an existing token", conf: "RequestHeader merge X-A b", in: "X-A: a, b\n", want: "X-A: a, b\n"},
		{name: "merge adds a new token", conf: "RequestHeader merge X-A c", in: "X-A: a, b\n", want: "X-A: a, b, c\n"},
		{name: "merge: a quoted token differs", conf: "RequestHeader merge X-A foo", in: "X-A: \"foo\"\n", want: "X-A: \"foo\", foo\n"},
		{name: "merge: trailing space keeps the token apart", conf: "RequestHeader merge X-A b", in: "X-A: a,b ,c\n", want: "X-A: a,b ,c, b\n"},
		{name: "unset removes all", conf: "RequestHeader unset X-A", in: "X-A: 1\nB: b\nx-A: 2\n", want: "B: b\n"},
		{name: "setifempty keeps a present field", conf: "RequestHeader setifempty X-A v", in: "X-A: 1\n", want: "X-A: 1\n"},
		{name: "setifempty sets an absent one", conf: "RequestHeader setifempty X-A v", in: "", want: "X-A: v\n"},
		{name: "edit: first match, back-references", conf: `RequestHeader edit X-A "a(.)" "<$1>"`, in: "X-A: a1a2\n", want: "X-A: <1>a2\n"},
		{name: "edit*: every match, fields moved to the end", conf: `RequestHeader edit* X-A "a(.)" "<$1>"`, in: "X-A: a1a2\nB: b\nX-A: za9\n", want: "B: b\nX-A: <1><2>\nX-A: z<9>\n"},
		{name: "edit*: anchors apply to what is left", conf: `RequestHeader edit* X-A "^a" "b"`, in: "X-A: aaa\n", want: "X-A: bbb\n"},
		{name: "edit*: an empty match does not loop", conf: `RequestHeader edit* X-A "x*" "-"`, in: "X-A: ab\n", want: "X-A: -a-b-\n"},
		{name: "edit: escaped dollar", conf: `RequestHeader edit X-A "(a)" "\\$1"`, in: "X-A: a\n", want: "X-A: $1\n"},
		{name: "env= set", conf: "RequestHeader set X-A \"%{V}e\" env=V", env: map[string]string{"V": "on"}, in: "", want: "X-A: on\n"},
		{name: "env= unset", conf: "RequestHeader set X-A v env=V", in: "", want: ""},
		{name: "env=! unset", conf: "RequestHeader set X-A v env=!V", in: "", want: "X-A: v\n"},
		{name: "expr condition", conf: `RequestHeader set X-A v "expr=%{REQUEST_URI} =~ m#^/api/#"`, in: "", want: "X-A: v\n"},
		{name: "expr condition false", conf: `RequestHeader set X-A v "expr=%{REQUEST_URI} == '/'"`, in: "", want: ""},
		{name: "expr value", conf: `RequestHeader set X-A "expr=u=%{REQUEST_URI}"`, in: "", want: "X-A: u=/api/x\n"},
		{name: "expr reads request fields", conf: `RequestHeader set X-B "expr=%{req:X-A}!"`, in: "X-A: 1\n", want: "X-A: 1\nX-B: 1!\n"},
		{name: "early actions wait for the early pass", conf: "RequestHeader set X-A v early", in: "", want: ""},
		{name: "formats", conf: `RequestHeader set X-A "%{U}e|%{V}e|%{SSL_PROTOCOL}s|%D|%t|%%|a\tb"`,
			env: map[string]string{"V": "x\r\ny"}, in: "", want: "X-A: (null)|x  y|(null)|D=1500|t=1700000000000000|%|a\tb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newState(tt.env)
			in := fields(tt.in)
			st.Fixup(actions(t, tt.conf), &in)
			if got := text(in); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestEarly(t *testing.T) {
	acts := actions(t, "RequestHeader set X-A early early\n"+
		"RequestHeader append X-A late\n"+
		"Header always set X-Err e early\n"+
		"Header set X-Out o early\n")
	st := newState(nil)
	in := fields("X-A: client\n")
	st.Early(acts, &in)
	st.Early(acts, &in) // once per request
	if got, want := text(in), "X-A: early\n"; got != want {
		t.Fatalf("after early: got %q; want %q", got, want)
	}
	st.Fixup(acts, &in)
	if got, want := text(in), "X-A: early, late\n"; got != want {
		t.Fatalf("after fixup: got %q; want %q", got, want)
	}
	local := st.Response(acts, &in, false, fields("Last-Modified: x\n"))
	if got, want := text(local), "X-Err: e\nX-Out: o\nLast-Modified: x\n"; got != want {
		t.Errorf("local response: got %q; want %q", got, want)
	}
	errPage := st.Response(acts, &in, true, fields("Location: /y\n"))
	if got, want := text(errPage), "X-Err: e\nLocation: /y\n"; got != want {
		t.Errorf("error page: got %q; want %q", got, want)
	}
	st.Proxied = true
	proxied := st.Response(acts, &in, false, fields("Content-Type: text/plain\n"))
	if got, want := text(proxied), "X-Err: e\nContent-Type: text/plain\n"; got != want {
		t.Errorf("proxied response: got %q; want %q", got, want)
	}
}

func TestResponseTables(t *testing.T) {
	acts := actions(t, "Header always set X-Always a\n"+
		"Header set X-On o\n"+
		"Header always unset X-Backend\n"+
		"Header unset X-Gone\n"+
		"Header always echo ^X-Echo\n")
	tests := []struct {
		name      string
		errorPage bool
		in        string
		want      string
	}{
		{name: "normal answer: always first, then headers_out",
			in:   "X-Backend: 1\nX-Gone: 2\nContent-Type: text/plain\n",
			want: "X-Always: a\nX-Backend: 1\nContent-Type: text/plain\nX-Echo-Me: e\nX-On: o\n"},
		{name: "error page: only always, headers_out untouched by unset",
			errorPage: true,
			in:        "Location: /x\nX-Gone: 2\n",
			want:      "X-Always: a\nLocation: /x\nX-Gone: 2\nX-Echo-Me: e\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newState(nil)
			st.Proxied = true
			in := fields("X-Echo-Me: e\nX-Other: o\n")
			got := st.Response(acts, &in, tt.errorPage, fields(tt.in))
			if text(got) != tt.want {
				t.Errorf("got %q; want %q", text(got), tt.want)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ conf, in, want string }{
		{conf: "Header always set Content-Type text/x", in: "Content-Type: text/plain\nX: 1\n", want: "Content-Type: text/x\nX: 1\n"},
		{conf: `Header always edit Content-Type ^text/(.*)$ app/$1`, in: "A: 1\nContent-Type: text/plain\n", want: "A: 1\nContent-Type: app/plain\n"},
		{conf: "Header set Content-Type text/y", in: "Content-Type: text/plain\n", want: "Content-Type: text/y\n"},
	}
	for _, tt := range tests {
		st := newState(nil)
		st.Proxied = true
		got := st.Response(actions(t, tt.conf), &http1.Headers{}, false, fields(tt.in))
		if text(got) != tt.want {
			t.Errorf("%s: got %q; want %q", tt.conf, text(got), tt.want)
		}
	}
}

func TestNoteAndVary(t *testing.T) {
	acts := actions(t, "Header note X-Id id\n"+
		"Header set X-From-Note \"expr=%{note:id}\"\n"+
		"Header set X-Json yes \"expr=%{HTTP:Accept} =~ /json/\"\n")
	st := newState(nil)
	st.Proxied = true
	in := fields("Accept: application/json\n")
	got := st.Response(acts, &in, false, fields("X-Id: 42\n"))
	if want := "X-Id: 42\nX-From-Note: 42\nVary: Accept\nX-Json: yes\n"; text(got) != want {
		t.Errorf("got %q; want %q", text(got), want)
	}
	if v, ok := st.Note("id"); !ok || v != "42" {
		t.Errorf("note id: got %q, %v; want \"42\", true", v, ok)
	}
}

func TestExprErrorStillApplies(t *testing.T) {
	// An expression that fails to evaluate is logged and the action
	// runs, as httpd's do_headers_fixup does.
	acts := actions(t, `RequestHeader set X-A v "expr=file('/nonexistent/portico') == 'x'"`)
	st := newState(nil)
	var logged []string
	st.Log = func(m string) { logged = append(logged, m) }
	var in http1.Headers
	st.Fixup(acts, &in)
	if len(logged) == 0 {
		t.Fatal("no error logged")
	}
	if !strings.HasPrefix(logged[0], "AH01501: Failed to evaluate expression (") {
		t.Errorf("log: got %q", logged[0])
	}
	if got := in.Get("X-A"); got != "v" {
		t.Errorf("X-A: got %q; want %q", got, "v")
	}
}

func TestHasToken(t *testing.T) {
	tests := []struct {
		list, tok string
		want      bool
	}{
		{"a, b", "b", true},
		{"a,b", "b", true},
		{"a, \"b,c\"", "c", false},
		{"a, \"b,c\"", "\"b,c\"", true},
		{"a ,b", "a", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := hasToken(tt.list, tt.tok); got != tt.want {
			t.Errorf("hasToken(%q, %q) = %v; want %v", tt.list, tt.tok, got, tt.want)
		}
	}
}
