package server

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/directives"
)

// vhostConf is the configuration the cases below were observed with on
// Debian's apache2 2.4.71 (ports 18091-18093 there): each server's
// DocumentRoot holds a file "who" naming it.
const vhostConf = `
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName main.test
Listen 127.0.0.1:$P1
Listen 127.0.0.1:$P2
Listen 127.0.0.1:$P3
DocumentRoot $D/d/main
<VirtualHost *:$P1>
  ServerName a.test
  DocumentRoot $D/d/a
</VirtualHost>
<VirtualHost *:$P1>
  ServerName b.test
  ServerAlias b2.test *.wild.test
  DocumentRoot $D/d/b
</VirtualHost>
<VirtualHost 127.0.0.1:$P2>
  ServerName ip.test
  DocumentRoot $D/d/ip
</VirtualHost>
<VirtualHost *:$P2>
  ServerName wild.test
  DocumentRoot $D/d/wild
</VirtualHost>
`

func TestVHostSelection(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"main", "a", "b", "ip", "wild"} {
		files["d/"+n+"/who"] = n + "\n"
	}
	ts := startServer(t, vhostConf, 3, files, nil)
	// Each case was run against apache2 with the same configuration;
	// want is what it answered.
	tests := []struct {
		name   string
		port   int // index into ts.ports
		raw    string
		status int
		want   string
	}{
		{"name-based by ServerName", 0, "GET /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n", 200, "a"},
		{"second vhost by ServerName", 0, "GET /who HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n", 200, "b"},
		{"ServerAlias, case and trailing dot ignored", 0, "GET /who HTTP/1.1\r\nHost: B2.TEST.\r\nConnection: close\r\n\r\n", 200, "b"},
		{"wildcard ServerAlias, Host port ignored", 0, "GET /who HTTP/1.1\r\nHost: x.wild.test:9999\r\nConnection: close\r\n\r\n", 200, "b"},
		{"unknown name: first vhost of the address", 0, "GET /who HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n", 200, "a"},
		{"no Host (HTTP/1.0): first vhost", 0, "GET /who HTTP/1.0\r\n\r\n", 200, "a"},
		{"Host is the address: first vhost", 0, "GET /who HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 200, "a"},
		{"absolute target beats Host", 0, "GET http://b.test/who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n", 200, "b"},
		{"IP vhost beats wildcard, name ignored", 1, "GET /who HTTP/1.1\r\nHost: wild.test\r\nConnection: close\r\n\r\n", 200, "ip"},
		{"IP vhost", 1, "GET /who HTTP/1.1\r\nHost: ip.test\r\nConnection: close\r\n\r\n", 200, "ip"},
		{"no vhost on the port: main server", 2, "GET /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n", 200, "main"},
		{"bad Host: double dot", 0, "GET /who HTTP/1.1\r\nHost: a..test\r\nConnection: close\r\n\r\n", 400, ""},
		{"bad Host: numeric", 0, "GET /who HTTP/1.1\r\nHost: 1234\r\nConnection: close\r\n\r\n", 400, ""},
		{"bad Host: leading zero", 0, "GET /who HTTP/1.1\r\nHost: 01.2.3.4\r\nConnection: close\r\n\r\n", 400, ""},
		{"two Host fields", 0, "GET /who HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, ts.ports[tt.port], tt.raw)
			if r.status != tt.status {
				t.Fatalf("status %d; want %d\n%s", r.status, tt.status, r.head)
			}
			if tt.want != "" && strings.TrimSpace(r.body) != tt.want {
				t.Errorf("served by %q; want %q", strings.TrimSpace(r.body), tt.want)
			}
		})
	}
}

// TestVHostTable checks the table's rules directly: _default_ is *, a
// :* port is a wildcard, a port-specific chain beats a wildcard-port one,
// and one vhost alone on an address is IP-based.
func TestVHostTable(t *testing.T) {
	mk := func(name string, addrs ...vhostAddr) *vhost {
		return &vhost{srv: &directives.Server{ServerName: name}, hostname: name, addrs: addrs}
	}
	lo := netip.MustParseAddr("127.0.0.1")
	any4 := netip.IPv4Unspecified()
	a := mk("a", vhostAddr{ip: any4, port: 80, virthost: "_default_"})
	b := mk("b", vhostAddr{ip: any4, port: 80, virthost: "*"})
	c := mk("c", vhostAddr{ip: any4, port: 0, virthost: "*"})
	d := mk("d", vhostAddr{ip: lo, port: 0, virthost: "127.0.0.1"})
	e := mk("e", vhostAddr{ip: lo, port: 81, virthost: "127.0.0.1"})
	main := mk("main")
	tab := buildVHostTable(main, []*vhost{a, b, c, d, e})
	tests := []struct {
		local string
		host  string
		want  *vhost
	}{
		{"10.0.0.1:80", "b", b},
		{"10.0.0.1:80", "x", a},
		{"10.0.0.1:8080", "b", c}, // only *:* covers port 8080
		{"127.0.0.1:81", "a", e},  // exact port before :*
		{"127.0.0.1:82", "a", d},  // IP with any port, IP-based
		{"127.0.0.1:80", "b", d},  // the IP chain wins over *:80
	}
	for _, tt := range tests {
		ap := netip.MustParseAddrPort(tt.local)
		got := tab.selectServer(tab.connChain(ap), tt.host, int(ap.Port()))
		if got != tt.want {
			t.Errorf("%s Host %q: got %q; want %q", tt.local, tt.host, got.hostname, tt.want.hostname)
		}
	}
	if tab.selectServer(nil, "a", 80) != main {
		t.Error("no chain: want the main server")
	}
}

func TestWildMatch(t *testing.T) {
	tests := []struct {
		s, pat string
		want   bool
	}{
		{"x.wild.test", "*.wild.test", true},
		{"wild.test", "*.wild.test", false},
		{"A.B.WILD.TEST", "*.wild.test", true},
		{"ab", "a?", true},
		{"abc", "a?", false},
		{"abc", "*", true},
	}
	for _, tt := range tests {
		if got := wildMatch(tt.s, tt.pat); got != tt.want {
			t.Errorf("wildMatch(%q, %q) = %v; want %v", tt.s, tt.pat, got, tt.want)
		}
	}
}
