package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The statuses and headers below were observed on Debian's apache2
// 2.4.71 with the same modules loaded.
const staticConf = `
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule autoindex_module /usr/lib/apache2/modules/mod_autoindex.so
TypesConfig $D/mime.types
ServerName main.test
Listen 127.0.0.1:$P1
DocumentRoot $D/docs
`

var staticFiles = map[string]string{
	"mime.types":              "text/plain txt\ntext/html html htm\n",
	"docs/a.txt":              "hello\n",
	"docs/sub/b.html":         "x\n",
	"docs/withidx/index.html": "<h1>idx</h1>\n",
	"docs/empty/":             "",
}

func TestStatic(t *testing.T) {
	ts := startServer(t, staticConf, 1, staticFiles, nil)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(ts.dir, "docs/a.txt"), old, old)
	p := ts.ports[0]
	req := func(method, path string, extra ...string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + fmt.Sprint(p) + "\r\n" + strings.Join(extra, "") + "Connection: close\r\n\r\n"
	}
	tests := []struct {
		name    string
		raw     string
		status  int
		headers map[string]string // "" means the field must be absent
		body    string
	}{
		{"file", req("GET", "/a.txt"), 200, map[string]string{"Content-Type": "text/plain", "Accept-Ranges": "bytes", "Content-Length": "6"}, "hello\n"},
		{"missing", req("GET", "/nope"), 404, map[string]string{"Content-Type": "text/html; charset=iso-8859-1", "Content-Length": "236"}, ""},
		{"directory without slash", req("GET", "/sub?q=1"), 301, map[string]string{"Location": fmt.Sprintf("http://127.0.0.1:%d/sub/?q=1", p)}, ""},
		{"index", req("GET", "/withidx/"), 200, map[string]string{"Content-Type": "text/html"}, "<h1>idx</h1>\n"},
		{"directory without index", req("GET", "/sub/"), 403, map[string]string{"Content-Length": "239"}, ""},
		{"HEAD", req("HEAD", "/a.txt"), 200, map[string]string{"Content-Length": "6"}, ""},
		{"DELETE", req("DELETE", "/a.txt"), 405, map[string]string{"Allow": "OPTIONS,HEAD,GET,POST,TRACE"}, ""},
		{"dot segments", req("GET", "/sub/../a.txt"), 200, nil, "hello\n"},
		{"encoded slash", req("GET", "/sub%2Fb.html"), 404, nil, ""},
		{"bad escape", req("GET", "/a%zz"), 400, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, p, tt.raw)
			if r.status != tt.status {
				t.Fatalf("status %d; want %d\n%s", r.status, tt.status, r.head)
			}
			for k, v := range tt.headers {
				if got := r.header(k); got != v {
					t.Errorf("%s: %q; want %q", k, got, v)
				}
			}
			if tt.body != "" && r.body != tt.body {
				t.Errorf("body %q; want %q", r.body, tt.body)
			}
		})
	}

	// Validators: httpd's ETag is "size-mtime" in hex microseconds, and
	// both If-None-Match and If-Modified-Since give 304.
	r := get(t, p, req("GET", "/a.txt"))
	fi, _ := os.Stat(filepath.Join(ts.dir, "docs/a.txt"))
	etag := fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixMicro())
	if got := r.header("ETag"); got != etag {
		t.Errorf("ETag %q; want %q", got, etag)
	}
	lm := r.header("Last-Modified")
	for _, cond := range []string{"If-None-Match: " + etag + "\r\n", "If-Modified-Since: " + lm + "\r\n"} {
		r := get(t, p, req("GET", "/a.txt", cond))
		if r.status != 304 || r.header("Content-Length") != "" || r.header("ETag") != etag {
			t.Errorf("%q: got %d (Content-Length %q, ETag %q); want 304 without length, with the ETag", cond, r.status, r.header("Content-Length"), r.header("ETag"))
		}
	}
}

// TestStaticWithoutModules: without mod_dir a directory is 404, and
// without mod_mime a file has no Content-Type (observed on apache2).
func TestStaticWithoutModules(t *testing.T) {
	conf := `
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName main.test
Listen 127.0.0.1:$P1
DocumentRoot $D/docs
`
	ts := startServer(t, conf, 1, staticFiles, nil)
	p := ts.ports[0]
	if r := get(t, p, "GET /withidx/ HTTP/1.0\r\n\r\n"); r.status != 404 {
		t.Errorf("directory: %d; want 404", r.status)
	}
	if r := get(t, p, "GET /sub HTTP/1.0\r\n\r\n"); r.status != 404 {
		t.Errorf("directory without slash: %d; want 404", r.status)
	}
	r := get(t, p, "GET /a.txt HTTP/1.0\r\n\r\n")
	if r.status != 200 || r.header("Content-Type") != "" {
		t.Errorf("file: %d, Content-Type %q; want 200 without Content-Type", r.status, r.header("Content-Type"))
	}
}

func TestErrorDocument(t *testing.T) {
	conf := `
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName main.test
Listen 127.0.0.1:$P1
DocumentRoot $D/docs
ErrorDocument 404 /nf.html
<Location /text>
  ErrorDocument 404 "gone away
</Location>
<Location /ext>
  ErrorDocument 404 http://example.com/missing
</Location>
<Location /broken>
  ErrorDocument 404 /also-missing.html
</Location>
`
	ts := startServer(t, conf, 1, map[string]string{"docs/nf.html": "custom not found\n"}, nil)
	p := ts.ports[0]
	// Observed on apache2 with the same configuration.
	tests := []struct {
		path, method string
		status       int
		body         string
		location     string
	}{
		{"/x", "GET", 404, "custom not found\n", ""},
		{"/text/x", "GET", 404, "gone away", ""},
		{"/ext/x", "GET", 302, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>302 Found</title>\n</head><body>\n<h1>Found</h1>\n<p>The document has moved <a href=\"http://example.com/missing\">here</a>.</p>\n</body></html>\n", "http://example.com/missing"},
		{"/broken/x", "GET", 404, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n", ""},
	}
	for _, tt := range tests {
		r := get(t, p, tt.method+" "+tt.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if r.status != tt.status || r.body != tt.body || r.header("Location") != tt.location {
			t.Errorf("%s: got %d Location %q body %q; want %d Location %q body %q", tt.path, r.status, r.header("Location"), r.body, tt.status, tt.location, tt.body)
		}
	}
	// HEAD of a local ErrorDocument: its length, no body.
	r := get(t, p, "HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if r.status != 404 || r.header("Content-Length") != "17" {
		t.Errorf("HEAD: %d, Content-Length %q; want 404, 17", r.status, r.header("Content-Length"))
	}
}
