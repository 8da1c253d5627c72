package directives

import (
	"strings"
	"testing"
)

func TestLintProxyFindings(t *testing.T) {
	tests := []struct {
		name string
		conf string
		code string // want a finding with this code …
		line int    // … at this line of the snippet (1-based, after proxyMods)
		not  bool   // want no finding with this code at all
	}{
		{"broader route first", "ProxyPass / http://127.0.0.1:1/\nProxyPass /api/ http://127.0.0.1:2/\n", "shadowed-route", 2, false},
		{"exclusion after the route", "ProxyPass /app/ http://127.0.0.1:1/\nProxyPass /app/static !\n", "shadowed-route", 2, false},
		{"exclusion first is fine", "ProxyPass /app/static !\nProxyPass /app/ http://127.0.0.1:1/\n", "shadowed-route", 0, true},
		{"segment prefix does not shadow", "ProxyPass /app http://127.0.0.1:1/app\nProxyPass /apple http://127.0.0.1:2/\n", "shadowed-route", 0, true},
		{"main server route shadows a vhost's", "ProxyPass / http://127.0.0.1:1/\n<VirtualHost *:80>\nProxyPass /v/ http://127.0.0.1:2/\n</VirtualHost>\n", "shadowed-route", 3, false},
		{"path without slash, URL with", "ProxyPass /api http://127.0.0.1:1/api/\n", "trailing-slash", 1, false},
		{"path with slash, URL without", "ProxyPass /b/ http://127.0.0.1:1/b\n", "trailing-slash", 1, false},
		{"both with slash", "ProxyPass /b/ http://127.0.0.1:1/b/\n", "trailing-slash", 0, true},
		{"host-only URL", "ProxyPass /b/ http://127.0.0.1:1\n", "trailing-slash", 0, true},
		{"regex that needs no slash", "ProxyPassMatch ^api/(.*) http://127.0.0.1:1/$1\n", "regex-cannot-match", 1, false},
		{"regex with slash", "ProxyPassMatch ^/api/(.*) http://127.0.0.1:1/$1\n", "regex-cannot-match", 0, true},
		{"upgrade=ANY", "ProxyPass /ws/ http://127.0.0.1:1/ws/ upgrade=ANY\n", "upgrade-any", 1, false},
		{"upgrade=NONE", "ProxyPass /ws/ ws://127.0.0.1:1/ws/ upgrade=NONE\n", "upgrade-none", 1, false},
		{"balancer without members", "ProxyPass /b/ balancer://none/\n", "empty-balancer", 1, false},
		{"exact Connection match", "RewriteEngine On\nRewriteCond %{HTTP:Connection} =Upgrade [NC]\nRewriteRule ^/ws/(.*) ws://127.0.0.1:1/$1 [P]\n", "connection-exact-match", 2, false},
		{"anchored Connection regex", "RewriteEngine On\nRewriteCond %{HTTP:Connection} ^Upgrade$ [NC]\nRewriteRule ^/ws/(.*) ws://127.0.0.1:1/$1 [P]\n", "connection-exact-match", 2, false},
		{"Connection token match is fine", "RewriteEngine On\nRewriteCond %{HTTP:Connection} upgrade [NC]\nRewriteRule ^/ws/(.*) ws://127.0.0.1:1/$1 [P]\n", "connection-exact-match", 0, true},
		{"ignored params of a shared worker", "ProxyPass /a/ http://127.0.0.1:1/\nProxyPass /b/ http://127.0.0.1:1/b/ timeout=5\n", "ignored-params", 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": proxyMods + "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n" + tc.conf}, nil)
			if err := diags.Err(); err != nil {
				t.Fatalf("load: %v", err)
			}
			offset := strings.Count(proxyMods, "\n") + 1
			var found []Diagnostic
			for _, d := range Lint(cfg) {
				if d.Code == tc.code {
					found = append(found, d)
				}
			}
			if tc.not {
				if len(found) > 0 {
					t.Fatalf("unexpected %s: %v", tc.code, found[0])
				}
				return
			}
			for _, d := range found {
				if d.Pos.Line-offset == tc.line {
					return
				}
			}
			t.Fatalf("no %s finding at snippet line %d; got %v", tc.code, tc.line, found)
		})
	}
}

func TestLintProxyFlagWithoutModProxy(t *testing.T) {
	conf := mpm + "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\nRewriteEngine On\nRewriteRule ^/a http://127.0.0.1:1/ [P]\n"
	cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": conf}, nil)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range Lint(cfg) {
		if d.Code == "proxy-flag-without-mod-proxy" {
			return
		}
	}
	t.Fatal("[P] without mod_proxy was not reported")
}

func TestLintWebsocketModules(t *testing.T) {
	conf := mpm + "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\nProxyPass /ws/ ws://127.0.0.1:1/ws/\n"
	cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": conf}, nil)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range Lint(cfg) {
		if d.Code == "no-scheme-handler" && d.Severity == Error {
			return
		}
	}
	t.Fatal("a ws:// route with neither mod_proxy_wstunnel nor mod_proxy_http loaded was not reported")
}
