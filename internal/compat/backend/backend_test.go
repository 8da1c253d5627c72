package backend

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// events collects what a backend observed.
type events struct {
	mu sync.Mutex
	ev []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }

func (e *events) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.ev...)
}

func start(t *testing.T) (*Backend, *events) {
	t.Helper()
	ev := &events{}
	b, err := Start("b1", "127.0.0.1:0", ev.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b, ev
}

// exchange sends raw on a new connection and returns everything the
// backend sends back until it closes or goes quiet.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestRecordsRequest(t *testing.T) {
	b, ev := start(t)
	got := exchange(t, b.Addr(), "POST /x/_/status/201?h=X-A:%201&h=x-b:2 HTTP/1.1\r\nHost: h\r\nx-Lower: a\r\nX-Lower: b\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: t\r\n\r\n")
	body := "b1: POST /x/_/status/201?h=X-A:%201&h=x-b:2 HTTP/1.1\n"
	want := "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-b: 2\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if got != want {
		t.Errorf("response:\ngot  %q\nwant %q", got, want)
	}
	evs := ev.all()
	if len(evs) != 1 || evs[0].Request == nil {
		t.Fatalf("got events %+v; want one request", evs)
	}
	r := evs[0].Request
	if r.Line != "POST /x/_/status/201?h=X-A:%201&h=x-b:2 HTTP/1.1" {
		t.Errorf("line: got %q", r.Line)
	}
	var names []string
	for _, f := range r.Header {
		names = append(names, f.Name+"="+f.Value)
	}
	if got, want := strings.Join(names, ","), "Host=h,x-Lower=a,X-Lower=b,Transfer-Encoding=chunked,Connection=close"; got != want {
		t.Errorf("header: got %s; want %s", got, want)
	}
	if string(r.Body) != "abcde" || r.BodyLen != 5 || len(r.Trailer) != 1 || r.Trailer[0] != (Field{"X-T", "t"}) {
		t.Errorf("body %q (%d), trailer %v", r.Body, r.BodyLen, r.Trailer)
	}
	if evs[0].Backend != "b1" || evs[0].Conn != 1 {
		t.Errorf("got backend %q conn %d", evs[0].Backend, evs[0].Conn)
	}
}

func TestCommands(t *testing.T) {
	b, _ := start(t)
	tests := []struct {
		name, req, want string
	}{
		{"close", "GET /_/close HTTP/1.1\r\n\r\n", ""},
		{"garbage", "GET /_/garbage HTTP/1.1\r\n\r\n", "this is not HTTP\r\n\r\n"},
		{"raw", "GET /_/raw?r=HTTP/1.0%20204%20No%20Content%0D%0A%0D%0A HTTP/1.1\r\n\r\n", "HTTP/1.0 204 No Content\r\n\r\n"},
		{"redirect and cookie", "HEAD /_/redirect/set-cookie?to=/there&c=a=1 HTTP/1.1\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 302 Found\r\nContent-Type: text/plain\r\nLocation: /there\r\nSet-Cookie: a=1\r\nConnection: close\r\nContent-Length: " +
				strconv.Itoa(len("b1: HEAD /_/redirect/set-cookie?to=/there&c=a=1 HTTP/1.1\n")) + "\r\n\r\n"},
		{"chunked", "GET /_/chunked HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\ne\r\nb1: GET /_/chu\r\ne\r\nnked HTTP/1.0\n\r\n0\r\n\r\n"},
		{"echo with continue", "PUT /_/echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"},
		{"big", "GET /_/big/40 HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 40\r\n\r\n0123456789abcdefghijklmnopqrstuvwxyz\n012"},
		{"raw echo upgrade", "GET / HTTP/1.1\r\nUpgrade: foo\r\n\r\nping", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\nping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exchange(t, b.Addr(), tt.req); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestKeepAliveAndRestart(t *testing.T) {
	b, ev := start(t)
	got := exchange(t, b.Addr(), "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n")
	if n := strings.Count(got, "HTTP/1.1 200 OK"); n != 2 {
		t.Errorf("got %d responses on one connection; want 2:\n%s", n, got)
	}
	b.Stop()
	if c, err := net.Dial("tcp", b.Addr()); err == nil {
		c.Close()
		t.Fatal("a stopped backend accepted a connection")
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	exchange(t, b.Addr(), "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
	evs := ev.all()
	if len(evs) != 3 || evs[0].Conn != 1 || evs[1].Conn != 1 || evs[2].Conn != 2 {
		t.Errorf("got events %+v; want requests on connections 1, 1, 2", evs)
	}
}

func TestWebSocketEcho(t *testing.T) {
	b, ev := start(t)
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		head.WriteString(l)
		if l == "\r\n" {
			break
		}
	}
	if want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"; head.String() != want {
		t.Errorf("handshake: got %q; want %q", head.String(), want)
	}
	for _, in := range []wsframe.Frame{
		{Fin: true, Opcode: wsframe.OpText, Masked: true, MaskKey: [4]byte{9, 8, 7, 6}, Payload: []byte("hello")},
		{Fin: true, Opcode: wsframe.OpPing, Masked: true, Payload: []byte("p")},
	} {
		if err := wsframe.Write(c, in); err != nil {
			t.Fatal(err)
		}
		out, err := wsframe.Read(br)
		if err != nil {
			t.Fatal(err)
		}
		wantOp := in.Opcode
		if wantOp == wsframe.OpPing {
			wantOp = wsframe.OpPong
		}
		if out.Opcode != wantOp || out.Masked || string(out.Payload) != string(in.Payload) {
			t.Errorf("echo of %s: got %+v", FrameString(in), out)
		}
	}
	evs := ev.all()
	if len(evs) != 3 || evs[1].Note != `websocket frame: fin text masked payload 5 bytes "hello"` {
		t.Errorf("got events %+v", evs)
	}
}

func TestDescribe(t *testing.T) {
	if got := Describe(nil, 0, ""); got != "none" {
		t.Errorf("got %q", got)
	}
	if got := Describe([]byte("a\x00"), 2, ""); got != `2 bytes "a\x00"` {
		t.Errorf("got %q", got)
	}
	if got := Describe([]byte("abc"), 1000, "0123456789abcdef0123"); got != "1000 bytes sha256:0123456789abcdef" {
		t.Errorf("got %q", got)
	}
}
