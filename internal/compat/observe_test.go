package compat

import (
	"net"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/internal/compat/backend"
)

func TestNormaliseHeader(t *testing.T) {
	tests := []struct {
		in        string
		errorPage bool
		want      string
	}{
		{"Date: Mon, 02 Nov 2026 10:00:00 GMT", false, "Date: $DATE"},
		{"date: x", false, "date: $DATE"},
		{"Server: Apache/2.4.71 (Debian)", false, "Server: $SERVER"},
		{"Server: Portico/0.1", false, "Server: $SERVER"},
		{"Server: backend/1.0", false, "Server: backend/1.0"},
		{"Via: 1.0 up, 1.1 localhost (Apache/2.4.71)", false, "Via: 1.0 up, 1.1 localhost ($SERVER)"},
		{`ETag: "b-5f0"`, false, "ETag: $ETAG"},
		{"Last-Modified: Mon, 02 Nov 2026 10:00:00 GMT", false, "Last-Modified: $LAST_MODIFIED"},
		{"Content-Length: 236", true, "Content-Length: $ERROR_PAGE_LENGTH"},
		{"Content-Length: 236", false, "Content-Length: 236"},
		{"X-Other: Apache/2.4.71", false, "X-Other: Apache/2.4.71"},
	}
	for _, tt := range tests {
		if got := normaliseHeader(tt.in, tt.errorPage); got != tt.want {
			t.Errorf("normaliseHeader(%q, %v): got %q; want %q", tt.in, tt.errorPage, got, tt.want)
		}
	}
}

func TestNormaliserPorts(t *testing.T) {
	bs := map[string]*backend.Backend{}
	for _, n := range BackendNames {
		bs[n] = backend.Serve(n, mustListen(t), nil)
		defer bs[n].Stop()
	}
	v := placeholders("/tmp/compat123", 20001, bs)
	n := v.normaliser()
	in := "Host: " + bs["backend2"].Addr() + "\nLocation: http://localhost:20001/x\nX: /tmp/compat123/f 127.0.0.1:20001 :200010 Content-Length: 20001\n"
	want := "Host: $BACKEND2\nLocation: http://localhost:$PORT/x\nX: $DIR/f $LISTEN :200010 Content-Length: 20001\n"
	if got := n.text(in); got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got := v.apply("$BACKEND2_PORT $BACKEND2 $BACKEND $LISTEN $PORT"); strings.Contains(got, "$") {
		t.Errorf("placeholders left in %q", got)
	}
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := ListenPort()
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestFormatResponseErrorPage(t *testing.T) {
	resp := &response{
		status: "HTTP/1.1 404 Not Found",
		code:   404,
		header: []string{"Date: x", "Content-Length: 196", "Content-Type: text/html; charset=iso-8859-1"},
		body:   []byte(`<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "x"><title>404 Not Found</title>`),
	}
	got := formatResponse("c1", resp, nil, 0)
	want := "--- c1 response\nHTTP/1.1 404 Not Found\nDate: $DATE\nContent-Length: $ERROR_PAGE_LENGTH\nContent-Type: text/html; charset=iso-8859-1\nbody: error page"
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}
