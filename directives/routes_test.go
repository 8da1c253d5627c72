package directives

import (
	"strings"
	"testing"
)

func TestRouteTableOrder(t *testing.T) {
	conf := proxyMods + "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n" + `ProxyPass /main/ http://127.0.0.1:1/
RewriteEngine On
RewriteRule ^/m/(.*) http://127.0.0.1:2/$1 [P]
<VirtualHost *:80>
    ServerName v.example
    RewriteEngine On
    RewriteOptions Inherit
    RewriteCond %{HTTP:Upgrade} =websocket [NC]
    RewriteRule ^/ws/(.*) ws://127.0.0.1:3/$1 [P,L]
    RewriteRule ^/old /new [R=301]
    ProxyPass /v/ http://127.0.0.1:4/
    <Location /loc/>
        ProxyPass http://127.0.0.1:5/
        RewriteRule ^x http://127.0.0.1:6/x [P]
    </Location>
</VirtualHost>
`
	cfg := loadProxy(t, strings.TrimPrefix(conf, proxyMods))
	var got []string
	for _, e := range cfg.RouteTable(cfg.VirtualHosts[0]) {
		tag := e.Stage
		if e.Inherited {
			tag += "(main)"
		}
		got = append(got, tag+" "+e.Target())
	}
	want := []string{
		"rewrite proxy to the substituted URL ws://127.0.0.1:3/$1",
		"rewrite(main) proxy to the substituted URL http://127.0.0.1:2/$1",
		"location worker http://127.0.0.1:5/",
		"server(main) worker http://127.0.0.1:1/",
		"server worker http://127.0.0.1:4/",
		"rewrite-dir proxy to the substituted URL http://127.0.0.1:6/x",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("route table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without RewriteOptions Inherit the main server's rules stay out.
	cfg = loadProxy(t, "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\nRewriteEngine On\nRewriteRule ^/m http://127.0.0.1:2/ [P]\n<VirtualHost *:80>\nRewriteEngine On\n</VirtualHost>\n")
	if n := len(cfg.RouteTable(cfg.VirtualHosts[0])); n != 0 {
		t.Fatalf("vhost without Inherit lists %d rules", n)
	}
}
