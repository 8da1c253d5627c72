package expr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeRequest is a Context with fixed variables and tables.
type fakeRequest struct {
	vars   map[string]string
	tables map[string]map[string]string
	vary   []string
	now    time.Time
}

func (f *fakeRequest) Var(name string) string { return f.vars[name] }

func (f *fakeRequest) Table(table, key string) (string, bool) {
	for k, v := range f.tables[table] {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

func (f *fakeRequest) AddVary(h string) { f.vary = append(f.vary, h) }

func (f *fakeRequest) Now() time.Time { return f.now }

func newRequest() *fakeRequest {
	return &fakeRequest{
		vars: map[string]string{
			"REQUEST_URI": "/api/v2/users", "QUERY_STRING": "a=1&b=2",
			"REQUEST_METHOD": "GET", "REMOTE_ADDR": "10.1.2.3", "HTTPS": "on",
			"SERVER_NAME": "www.example.com", "THE_REQUEST": "GET /api/v2/users?a=1&b=2 HTTP/1.1",
			"SSL_PROTOCOL": "TLSv1.3",
		},
		tables: map[string]map[string]string{
			"req":    {"Host": "Www.Example.com", "User-Agent": "curl/8", "X-Empty": ""},
			"resp":   {"Content-Type": "text/html"},
			"note":   {"n1": "from-note"},
			"reqenv": {"n1": "from-env", "e1": "reqenv-value"},
		},
		now: time.Date(2024, 3, 5, 7, 8, 9, 0, time.Local),
	}
}

func evalString(t *testing.T, src string, o Options, ctx Context) (bool, error) {
	t.Helper()
	e, err := ParseOptions(src, o)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return e.Eval(ctx)
}

func TestEval(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(file, []byte("hello\x00world"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTICO_EXPR_TEST", "os-value")
	q := func(s string) string { return "'" + s + "'" }

	tests := []struct {
		expr string
		want bool
	}{
		{`true`, true},
		{`false`, false},
		{`!true`, false},
		{`!!true`, true},
		{`true && false || true`, true},
		{`false || false || !false`, true},
		{`true && !(false || false) && true`, true},
		{`%{REQUEST_URI} == '/api/v2/users'`, true},
		{`%{request_method} = "GET"`, true},
		{`%{HTTPS} != 'on'`, false},
		{`'a' < 'b' && 'b' <= 'b' && 'c' > 'b' && 'c' >= 'c'`, true},
		{`'B' < 'a'`, true},
		{`10 -gt 9`, true},
		{`'10' > '9'`, false},
		{`' 5' -eq 5`, true},
		{`'abc' -eq 0`, true},
		{`'12abc' -eq 12`, true},
		{`'99999999999999999999' -eq 9223372036854775807`, true},
		{`'-99999999999999999999' -lt -9223372036854775807`, true},
		{`-1 -lt 0 && 2 -le 2 && 3 -ne 4 && 4 -ge 4`, true},
		{`1 lt 2 and 2 le 2 and 3 gt 2 and 3 ge 3 and 3 eq 3 and 3 ne 4`, true},
		{`%{REQUEST_URI} =~ m#^/api/(v[0-9]+)/(\w+)# && $1 == 'v2' && $2 == 'users' && $0 == '/api/v2/users'`, true},
		{`%{REQUEST_URI} =~ /API/`, false},
		{`%{REQUEST_URI} =~ /API/i`, true},
		{`%{REQUEST_URI} !~ /xyz/`, true},
		{`%{REQUEST_URI} !~ /api/`, false},
		// A failed match with groups clears the captures …
		{`%{REQUEST_URI} =~ /(api)/ && ( %{REQUEST_URI} =~ /(zzz)/ || $1 == '' )`, true},
		// … one without groups leaves them.
		{`%{REQUEST_URI} =~ /(api)/ && %{REQUEST_URI} =~ /users/ && $1 == 'api'`, true},
		{`"x$1y" == 'xy'`, true},
		{`%{REQUEST_URI} =~ /(v2)/ && "<$1>" == '<v2>'`, true},
		{`'b' -in {'a', 'b', 'c'}`, true},
		{`'d' in {'a', 'b'}`, false},
		{`%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'`, true},
		{`%{REMOTE_ADDR} -ipmatch '10.1'`, true},
		{`%{REMOTE_ADDR} -ipmatch '10.2'`, false},
		{`%{REMOTE_ADDR} -ipmatch '10.1.0.0/255.255.0.0'`, true},
		{`'::ffff:10.1.2.3' -ipmatch '10.0.0.0/8'`, true},
		{`'2001:db8::1' -ipmatch '2001:db8::/32'`, true},
		{`'2001:db9::1' -ipmatch '2001:db8::/32'`, false},
		{`'2001:db8::1' -ipmatch '10.0.0.0/8'`, false},
		{`'not-an-ip' -ipmatch '10.0.0.0/8'`, false},
		{`-R '10.1.2.0/24'`, true},
		{`-R '192.168.0.0/16'`, false},
		{`'index.html' -strmatch '*.html'`, true},
		{`'INDEX.HTML' -strmatch '*.html'`, false},
		{`'INDEX.HTML' -strcmatch '*.html'`, true},
		{`'a/b.html' -strmatch '*.html'`, true},
		{`'a/b.html' -fnmatch '*.html'`, false},
		{`'a/b.html' -fnmatch '*/*.html'`, true},
		{`'abc' -strmatch 'a[a-c]?'`, true},
		{`'abc' -strmatch 'a[!b]c'`, false},
		{`'abc' -strmatch 'a\*c'`, true}, // the string escape eats the backslash
		{`'a*c' -strmatch 'a\\*c'`, true},
		{`'abc' -strmatch 'a\\*c'`, false},
		{`-n %{QUERY_STRING}`, true},
		{`-z %{QUERY_STRING}`, false},
		{`-z %{req:X-Empty}`, true},
		{`-T 'on' && -T 'yes' && -T '1' && -T '00' && -T 'offx'`, true},
		{`-T '' || -T 'off' || -T 'OFF' || -T 'no' || -T 'false' || -T '0'`, false},
		{`tolower(%{HTTP_HOST}) == 'www.example.com'`, true},
		{`toupper('aBc') == 'ABC'`, true},
		{`%{tolower:AB%{REQUEST_METHOD}} == 'abget'`, true},
		{`escape('/a b?c&d#é') == '/a%20b%3fc&d%23%c3%a9'`, true},
		{`unescape('a%20b%2fc%41') == 'a b%2fcA'`, true},
		{`unescape('a%zz') == ''`, true},
		{`unescape('a%00') == ''`, true},
		{`base64('hello') == 'aGVsbG8='`, true},
		{`unbase64('aGVsbG8=') == 'hello'`, true},
		{`unbase64('aGVsbA') == 'hell'`, true},
		{`unbase64('aGV!sbG8=') == 'he'`, true},
		{`md5('hello') == '5d41402abc4b2a76b9719d911017c592'`, true},
		{`sha1('hello') == 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'`, true},
		{`ldap('a*(b)\\c') == 'a\\2a\\28b\\29\\5cc'`, true},
		{`file(` + q(file) + `) == 'hello'`, true},
		{`filesize(` + q(file) + `) == 11`, true},
		{`filesize(` + q(empty) + `) == 0`, true},
		{`filesize(` + q(dir) + `) == 0`, true},
		{`-d ` + q(dir) + ` && !-d ` + q(file), true},
		{`-f ` + q(file) + ` && -e ` + q(file) + ` && -s ` + q(file), true},
		{`-s ` + q(empty), false},
		{`-e ` + q(filepath.Join(dir, "none")), false},
		{`-L ` + q(link) + ` && -h ` + q(link) + ` && !-L ` + q(file), true},
		{`-x ` + q(exe) + ` && !-x ` + q(file), true},
		{`-F '/x' || -U '/x' || -A '/x'`, false},
		{`%{HTTP_USER_AGENT} == 'curl/8'`, true},
		{`req('host') == 'Www.Example.com' && http('HOST') == req_novary('Host')`, true},
		{`resp('content-type') == 'text/html'`, true},
		{`note('n1') == 'from-note' && reqenv('n1') == 'from-env'`, true},
		{`env('n1') == 'from-note' && env('e1') == 'reqenv-value' && env('PORTICO_EXPR_TEST') == 'os-value'`, true},
		{`osenv('PORTICO_EXPR_TEST') == 'os-value' && osenv('n1') == ''`, true},
		{`%{env:PORTICO_EXPR_TEST} == 'os-value'`, true},
		{`%{TIME_YEAR} == 2024 && %{TIME_MON} == '03' && %{TIME_DAY} == '05' && %{TIME_HOUR} == '07'`, true},
		{`%{TIME_MIN} == '08' && %{TIME_SEC} == '09' && %{TIME_WDAY} == 2 && %{TIME} == '20240305070809'`, true},
		{`'a' . 'b' . %{REQUEST_METHOD} . 1 == 'abGET1'`, true},
		{`'\x41\101\t' == "x41" . 'A' . "\t"`, true},
		{`%{SERVER_NAME} -in {'x', %{SERVER_NAME}}`, true},
	}
	for _, tt := range tests {
		got, err := evalString(t, tt.expr, Options{}, newRequest())
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.expr, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Eval(%q) = %v; want %v", tt.expr, got, tt.want)
		}
	}
}

func TestEvalModules(t *testing.T) {
	got, err := evalString(t, `%{ssl_PROTOCOL} == 'TLSv1.3' && SSL('SSL_PROTOCOL') =~ /TLS/`, Options{SSL: true}, newRequest())
	if err != nil || !got {
		t.Errorf("SSL variables: got %v, %v; want true", got, err)
	}
	req := newRequest()
	req.vars["HC_BODY"] = "OK"
	got, err = evalString(t, `%{HC_BODY} == 'OK' && hc('body') == 'OK' && HC('other') == ''`, Options{HealthCheck: true}, req)
	if err != nil || !got {
		t.Errorf("HC variables: got %v, %v; want true", got, err)
	}
}

func TestEvalVary(t *testing.T) {
	req := newRequest()
	if _, err := evalString(t, `%{HTTP_HOST} == 'x' || req('X-A') == '' && http('host') == 'y' || %{HTTP_USER_AGENT} == '' || req_novary('X-B') == ''`, Options{}, req); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(req.vary, "|"), "X-A, User-Agent"; got != want {
		t.Errorf("Vary = %q; want %q", got, want)
	}
}

func TestEvalBackrefsFromCaller(t *testing.T) {
	e, err := Parse(`$1 == 'from-rule' && %{REQUEST_URI} =~ m#/(v\d)/# && $1 == 'v2'`)
	if err != nil {
		t.Fatal(err)
	}
	br := &Backrefs{}
	br.SetGroups([]string{"whole", "from-rule"})
	ok, err := e.EvalBackrefs(newRequest(), br)
	if err != nil || !ok {
		t.Fatalf("got %v, %v; want true", ok, err)
	}
	if got := br.Group(1); got != "v2" {
		t.Errorf("$1 after evaluation = %q; want %q", got, "v2")
	}
	if got := br.Group(10); got != "" {
		t.Errorf("$10 = %q; want empty", got)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	// Left-nested "and" recurses once per level, as in httpd.
	deep := "true"
	for range 25 {
		deep = "(" + deep + " && true)"
	}
	shallow := "true"
	for range 10 {
		shallow = "(" + shallow + " && true)"
	}
	tests := []struct {
		expr, err string
	}{
		{`file('` + filepath.Join(dir, "missing") + `') == ''`, "Cannot open file " + filepath.Join(dir, "missing")},
		{`file('` + big + `') == ''`, "File " + big + " too large"},
		{deep, "Recursion limit reached"},
		{`'a' . 'b' == 'ab' && ` + shallow, ""},
	}
	for _, tt := range tests {
		_, err := evalString(t, tt.expr, Options{}, newRequest())
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("Eval(%.60q) error = %q; want %q", tt.expr, got, tt.err)
		}
	}
}

func TestStringExpr(t *testing.T) {
	e, err := ParseOptions(`%{REQUEST_METHOD} on %{tolower:%{HTTP_HOST}}$1`, Options{String: true})
	if err != nil {
		t.Fatal(err)
	}
	br := &Backrefs{}
	br.SetGroups([]string{"", "!"})
	got, err := e.String(newRequest(), br)
	if want := "GET on www.example.com!"; err != nil || got != want {
		t.Errorf("String = %q, %v; want %q", got, err, want)
	}
	if _, err := e.Eval(newRequest()); err == nil {
		t.Error("Eval of a string expression: no error")
	}
}

func TestParseDepth(t *testing.T) {
	_, err := Parse(strings.Repeat("(", 20000) + "true" + strings.Repeat(")", 20000))
	if err == nil || err.Error() != "memory exhausted" {
		t.Errorf("deep nesting: got %v; want memory exhausted", err)
	}
	if _, err := Parse(strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100)); err != nil {
		t.Errorf("100 levels: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.expr, c.modules != "")
	}
	f.Fuzz(func(t *testing.T, s string, mods bool) {
		e, err := ParseOptions(s, Options{SSL: mods, HealthCheck: mods})
		if err != nil {
			if e != nil || err.Error() == "" {
				t.Fatalf("Parse(%q): expression %v with error %q", s, e, err)
			}
			return
		}
		if _, err := e.Eval(newRequest()); err != nil && !strings.Contains(err.Error(), "file") &&
			err.Error() != "Recursion limit reached" {
			t.Fatalf("Eval(%q): %v", s, err)
		}
	})
}
