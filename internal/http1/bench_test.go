package http1

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

const browserRequest = "GET /static/app.js?v=3 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark\r\n" +
	"Sec-Fetch-Dest: script\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"If-None-Match: \"5f1-62a\"\r\n" +
	"Priority: u=2\r\n" +
	"\r\n"

const backendBody = "console.log('01234567890123456789012345678901234567890123456');\n"

const backendResponse = "HTTP/1.1 200 OK\r\n" +
	"Date: Mon, 02 Mar 2026 10:00:00 GMT\r\n" +
	"Server: nginx\r\n" +
	"Content-Type: application/javascript\r\n" +
	"Content-Length: 64\r\n" +
	"Last-Modified: Sun, 01 Mar 2026 09:00:00 GMT\r\n" +
	"ETag: \"5f1-62a\"\r\n" +
	"Cache-Control: max-age=3600\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"\r\n" + backendBody

// repeatReader serves the same message forever.
type repeatReader struct {
	s string
	i int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.i:])
		n += c
		r.i = (r.i + c) % len(r.s)
	}
	return n, nil
}

func BenchmarkReadRequest(b *testing.B) {
	br := bufio.NewReaderSize(&repeatReader{s: browserRequest}, 4096)
	b.SetBytes(int64(len(browserRequest)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ReadRequest(br, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Header.Get("Host") != "www.example.com" {
			b.Fatal("wrong Host")
		}
	}
}

func BenchmarkReadResponse(b *testing.B) {
	br := bufio.NewReaderSize(&repeatReader{s: backendResponse}, 4096)
	buf := make([]byte, 128)
	b.SetBytes(int64(len(backendResponse)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ReadResponse(br, "GET", Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if r.ContentLength != int64(len(backendBody)) {
			b.Fatalf("Content-Length %d; want %d", r.ContentLength, len(backendBody))
		}
		for {
			_, err := r.Body.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkWriteResponseHead(b *testing.B) {
	r, err := ReadResponse(bufio.NewReader(strings.NewReader(backendResponse)), "GET", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteResponseHead(w, r); err != nil {
			b.Fatal(err)
		}
	}
}
