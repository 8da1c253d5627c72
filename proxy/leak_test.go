package proxy

import (
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	compat "github.com/portico-proxy/portico/internal/compat/backend"
)

// openFDCount counts the process's open file descriptors.
func openFDCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// idleConns is the number of connections the proxy keeps alive.
func idleConns(p *Proxy) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pl := range p.pools {
		pl.mu.Lock()
		n += len(pl.idle)
		pl.mu.Unlock()
	}
	return n
}

// TestLeakMisbehavingBackend forwards, one after the other, requests
// the compat backend answers badly in every way it can (no answer,
// garbage, a header too large, a body shorter than its length, 101
// unasked, too many interim responses, past the timeout), each followed
// by an ordinary request on the same worker. The ordinary request must
// get exactly its own answer (no connection left with stray bytes is
// reused), at most one connection is kept alive, and when the proxy and
// the backend are closed no descriptor or goroutine is left.
func TestLeakMisbehavingBackend(t *testing.T) {
	runtime.GC()
	g0, fd0 := runtime.NumGoroutine(), openFDCount(t)

	be, err := compat.Start("backend", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, dir := setup(t, "/", "http://"+be.Addr()+"/", "timeout=1 responsefieldsize=1024")
	p := New(zerolog.Nop())
	bad := []struct {
		name, path string
		status     int // the status Serve reports; 0 when the head went out and the body broke
	}{
		{"close without answer", "/_/close", 502},
		{"garbage", "/_/garbage", 200},
		{"huge header", "/_/status/200?h=X-Big:" + strings.Repeat("b", 2000), 502},
		{"short body", "/_/raw?r=" + rawParam("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"), 200},
		{"bad chunked body", "/_/raw?r=" + rawParam("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 200},
		{"101 unasked", "/_/101", 502},
		{"too many interim responses", "/_/interim/12", 502},
		{"bad status line", "/_/raw?r=" + rawParam("HTTP/9.9 200 OK\r\n\r\n"), 502},
		{"sleep past timeout", "/_/sleep/1500ms", 502},
	}
	for round := range 30 {
		for i, b := range bad {
			if b.name == "sleep past timeout" && round%10 != 0 {
				continue
			}
			_, st, err := do(t, p, rt, dir, "GET "+b.path+" HTTP/1.1\r\nHost: proxy.test\r\n\r\n")
			if st != b.status {
				t.Fatalf("round %d, %s: status %d (%v); want %d", round, b.name, st, err, b.status)
			}
			target := "/plain/" + strings.ReplaceAll(b.name, " ", "-") + "/" + string(rune('a'+i))
			rec, st, err := do(t, p, rt, dir, "GET "+target+" HTTP/1.1\r\nHost: proxy.test\r\n\r\n")
			want := "backend: GET " + target + " HTTP/1.1\n"
			if err != nil || st != 200 || rec.body.String() != want {
				t.Fatalf("round %d, after %s: %d %q (%v); want 200 %q", round, b.name, st, rec.body.String(), err, want)
			}
			if n := idleConns(p); n > 1 {
				t.Fatalf("round %d, after %s: %d connections kept alive; want at most 1", round, b.name, n)
			}
		}
	}
	// A backend that is gone: 503, and nothing kept.
	be.Stop()
	if _, st, _ := do(t, p, rt, dir, "GET /plain/gone HTTP/1.1\r\nHost: proxy.test\r\n\r\n"); st != 503 {
		t.Errorf("backend stopped: status %d; want 503", st)
	}
	p.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, fd := runtime.NumGoroutine(), openFDCount(t)
		if g <= g0 && fd <= fd0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines (was %d), %d descriptors (was %d):\n%s", g, g0, fd, fd0, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawParam escapes s for the compat backend's r= parameter, which
// decodes %XX and nothing else ("+" stays "+").
func rawParam(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
