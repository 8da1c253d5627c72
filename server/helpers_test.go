package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
)

// testServer is a Server started from configuration text on 127.0.0.1.
type testServer struct {
	*Server
	dir    string
	ports  []int
	cancel context.CancelFunc
	done   chan error
}

// startServer opens nports listeners on 127.0.0.1, writes conf with $D
// replaced by a temporary directory and $P1, $P2 … by the ports, loads
// it, and serves it until the test ends. setup, if not nil, runs on the
// Server before it serves (to set hooks).
func startServer(t *testing.T, conf string, nports int, files map[string]string, setup func(*Server)) *testServer {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var lns []net.Listener
	var ports []int
	for i := 0; i < nports; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	conf = strings.ReplaceAll(conf, "$D", dir)
	for i := nports; i >= 1; i-- {
		conf = strings.ReplaceAll(conf, "$P"+strconv.Itoa(i), strconv.Itoa(ports[i-1]))
	}
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir})
	if err := diags.Err(); err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: srv, dir: dir, ports: ports, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.ServeListeners(ctx, lns) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return ts
}

// response is a parsed HTTP/1.x response.
type response struct {
	status int
	head   string // status line and fields, CRLF-separated
	body   string
}

func (r *response) header(name string) string {
	for _, line := range strings.Split(r.head, "\r\n")[1:] {
		n, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(n, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// exchange sends raw on a new connection to port and reads responses
// until the server closes the connection (at most 5 seconds).
func exchange(t *testing.T, port int, raw string) []*response {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []*response
	for {
		r, err := readResponse(br, strings.HasPrefix(raw, "HEAD "))
		if err != nil {
			break
		}
		out = append(out, r)
	}
	return out
}

// get sends one request with Connection: close and returns its response.
func get(t *testing.T, port int, raw string) *response {
	t.Helper()
	rs := exchange(t, port, raw)
	if len(rs) != 1 {
		t.Fatalf("%q: got %d responses; want 1", raw, len(rs))
	}
	return rs[0]
}

func readResponse(br *bufio.Reader, head bool) (*response, error) {
	var lines []string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		lines = append(lines, l)
	}
	r := &response{head: strings.Join(lines, "\r\n")}
	f := strings.Fields(lines[0])
	r.status, _ = strconv.Atoi(f[1])
	if head || r.status == 304 || r.status == 204 {
		return r, nil
	}
	if cl := r.header("Content-Length"); cl != "" {
		n, _ := strconv.Atoi(cl)
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		r.body = string(b)
		return r, nil
	}
	b, _ := io.ReadAll(br)
	r.body = string(b)
	return r, nil
}
