package main

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

func TestReadHead(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		response bool
		want     head
		body     int64 // bytes discardBody reads
		rest     string
	}{
		{
			name: "response with length", response: true,
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhelloNEXT",
			want: head{status: 200, contentLength: 5}, body: 5, rest: "NEXT",
		},
		{
			name: "chunked response and close", response: true,
			in:   "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\nNEXT",
			want: head{status: 404, contentLength: -1, chunked: true, close: true}, body: 5, rest: "NEXT",
		},
		{
			name: "HTTP/1.0 response closes", response: true,
			in:   "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
			want: head{status: 200, close: true},
		},
		{
			name: "HTTP/1.0 keep-alive", response: true,
			in:   "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
			want: head{status: 200},
		},
		{
			name: "websocket 101", response: true,
			in:   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: abc=\r\n\r\n",
			want: head{status: 101, contentLength: -1, upgrade: true, wsAccept: "abc="},
		},
		{
			name: "upgrade request",
			in:   "GET /ws/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k==\r\n\r\n",
			want: head{contentLength: -1, upgrade: true, wsKey: "k=="},
		},
		{
			name: "upgrade without Connection token",
			in:   "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
			want: head{contentLength: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.in))
			h, err := readHead(br, tt.response)
			if err != nil {
				t.Fatal(err)
			}
			h.first = nil
			if !reflect.DeepEqual(h, tt.want) {
				t.Errorf("got %+v; want %+v", h, tt.want)
			}
			n, err := discardBody(br, h)
			if err != nil || n != tt.body {
				t.Errorf("discardBody = %d, %v; want %d", n, err, tt.body)
			}
			if rest, _ := io.ReadAll(br); string(rest) != tt.rest {
				t.Errorf("left %q; want %q", rest, tt.rest)
			}
		})
	}
}

func TestReadHeadErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"},
		{"not http", "SSH-2.0\r\n\r\n", "malformed status line"},
		{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "malformed header line"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", "bad Content-Length"},
		{"truncated", "HTTP/1.1 200 OK\r\nA: b\r\n", "unexpected EOF"},
		{"too many lines", "HTTP/1.1 200 OK\r\n" + strings.Repeat("A: b\r\n", 200) + "\r\n", "too many lines"},
		{"line too long", "HTTP/1.1 200 OK\r\nA: " + strings.Repeat("b", 70000) + "\r\n\r\n", "too long"},
	}
	for _, tt := range tests {
		_, err := readHead(bufio.NewReader(strings.NewReader(tt.in)), true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestDiscardBodyErrors(t *testing.T) {
	for _, in := range []string{"zz\r\n", "3\r\nab", "3\r\nabcX\r\n0\r\n\r\n"} {
		br := bufio.NewReader(strings.NewReader(in))
		if _, err := discardBody(br, head{chunked: true, contentLength: -1}); err == nil {
			t.Errorf("discardBody(%q) succeeded; want an error", in)
		}
	}
	br := bufio.NewReader(strings.NewReader("abc"))
	if _, err := discardBody(br, head{contentLength: 10}); err != io.ErrUnexpectedEOF {
		t.Errorf("short body: got %v; want %v", err, io.ErrUnexpectedEOF)
	}
}

func TestFrames(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		payload := echoPayload(n)
		for _, masked := range []bool{false, true} {
			frame := appendFrame(nil, wsframe.OpBinary, payload, masked, key)
			br := bufio.NewReader(bytes.NewReader(frame))
			fh, err := wsframe.ReadHeader(br)
			if err != nil {
				t.Fatalf("n=%d masked=%v: %v", n, masked, err)
			}
			if !fh.Fin || fh.Opcode != wsframe.OpBinary || fh.Masked != masked || fh.Length != int64(n) {
				t.Fatalf("n=%d masked=%v: header %+v", n, masked, fh)
			}
			got, _ := io.ReadAll(br)
			if masked {
				if fh.MaskKey != key {
					t.Fatalf("key %v; want %v", fh.MaskKey, key)
				}
				if n > 4 && bytes.Equal(got, payload) {
					t.Fatalf("n=%d: masked payload sent in clear", n)
				}
				maskBytes(got, fh.MaskKey)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("n=%d masked=%v: payload differs after the round trip", n, masked)
			}
		}
	}
	// A header announcing more than maxFrame is refused before reading.
	big := []byte{0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 1}
	if _, err := wsframe.ReadHeader(bufio.NewReader(bytes.NewReader(big))); err == nil {
		t.Error("a frame over maxFrame was accepted")
	}
}

func TestMaskBytesMatchesBytewise(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for n := range 40 {
		b := echoPayload(n)
		want := append([]byte(nil), b...)
		for i := range want {
			want[i] ^= key[i%4]
		}
		maskBytes(b, key)
		if !bytes.Equal(b, want) {
			t.Fatalf("maskBytes of %d bytes = %x; want %x", n, b, want)
		}
	}
}
