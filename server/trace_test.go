package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portico-proxy/portico/internal/http1"
)

// TestTraceAgreesWithServing sends each request to a live server and
// traces it: the trace's outcome must be what the server did.
func TestTraceAgreesWithServing(t *testing.T) {
	var mu sync.Mutex
	var got string // the last request-target the backend saw
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.RequestURI
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer backend.Close()
	be := strings.TrimPrefix(backend.URL, "http://")
	conf := `LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
ServerName main.example
Listen 127.0.0.1:$P1
DocumentRoot $D/docs
<VirtualHost *:$P1>
    ServerName a.example
    ProxyPass /static/ !
    ProxyPass / http://` + be + `/a/
</VirtualHost>
<VirtualHost *:$P1>
    ServerName b.example
    ProxyPassMatch ^/img/(.*)$ http://` + be + `/b/$1
    <Location /app>
        ProxyPass http://` + be + `/app
    </Location>
</VirtualHost>
`
	ts := startServer(t, conf, 1, map[string]string{"docs/static/x.txt": "x\n"}, nil)
	port := ts.ports[0]
	for _, tc := range []struct {
		host, target string
		kind         string
		status       int    // file and status outcomes
		backend      string // what the backend sees, for proxy outcomes
	}{
		{host: "a.example", target: "/x/y?q=1", kind: OutcomeProxy, backend: "/a/x/y?q=1"},
		{host: "a.example", target: "/static/x.txt", kind: OutcomeFile, status: 200},
		{host: "a.example", target: "/static/none.txt", kind: OutcomeStatus, status: 404},
		{host: "b.example", target: "/img/cat.png", kind: OutcomeProxy, backend: "/b/cat.png"},
		{host: "b.example", target: "/app/z", kind: OutcomeProxy, backend: "/app/z"},
		{host: "other.example", target: "/k", kind: OutcomeProxy, backend: "/a/k"},
		{host: "a.example", target: "/a/../../x", kind: OutcomeStatus, status: 400},
		{host: "a..example", target: "/", kind: OutcomeStatus, status: 400},
	} {
		t.Run(tc.host+tc.target, func(t *testing.T) {
			tr := ts.Trace(&TraceRequest{Target: tc.target, Header: http1.Headers{{Name: "Host", Value: tc.host}},
				Local:  netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)),
				Remote: netip.MustParseAddrPort("127.0.0.1:40000")})
			if tr.Outcome.Kind != tc.kind {
				t.Fatalf("trace outcome %q; want %q (steps %+v)", tr.Outcome.Kind, tc.kind, tr.Steps)
			}
			mu.Lock()
			got = ""
			mu.Unlock()
			resp := get(t, port, "GET "+tc.target+" HTTP/1.1\r\nHost: "+tc.host+"\r\nConnection: close\r\n\r\n")
			switch tc.kind {
			case OutcomeProxy:
				mu.Lock()
				seen := got
				mu.Unlock()
				if seen != tc.backend {
					t.Errorf("backend saw %q; want %q", seen, tc.backend)
				}
				if want := "http://" + be + tc.backend; tr.Outcome.Backend != want {
					t.Errorf("trace backend %q; want %q", tr.Outcome.Backend, want)
				}
			default:
				if resp.status != tc.status || tr.Outcome.Status != tc.status {
					t.Errorf("served %d, traced %d; want %d", resp.status, tr.Outcome.Status, tc.status)
				}
			}
		})
	}
}

// TestTraceSendsNothing checks that tracing a proxied request opens no
// connection to the backend.
func TestTraceSendsNothing(t *testing.T) {
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer backend.Close()
	conf := `LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
ServerName main.example
Listen 127.0.0.1:$P1
DocumentRoot $D
ProxyPass / ` + backend.URL + `/
`
	ts := startServer(t, conf, 1, nil, nil)
	tr := ts.Trace(&TraceRequest{Target: "/x", Header: http1.Headers{{Name: "Host", Value: "main.example"}},
		Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ts.ports[0]))})
	if tr.Outcome.Kind != OutcomeProxy || tr.Outcome.Backend != backend.URL+"/x" {
		t.Errorf("outcome %+v; want a proxy to %s/x", tr.Outcome, backend.URL)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the backend got %d requests from a trace; want 0", n)
	}
}
