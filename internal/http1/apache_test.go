package http1

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "re-record testdata/apache.json from a live apache2 on 127.0.0.1")

const observationsFile = "testdata/apache.json"

// observations is what apache2 did with requestCases and responseCases.
type observations struct {
	Server    string           `json:"server"`
	Requests  []requestRecord  `json:"requests"`
	Responses []responseRecord `json:"responses"`
}

// requestRecord is apache2's answer to one raw request: the status it
// answered (0 when it closed the connection without answering) and, when
// it forwarded the request to the backend, the request as forwarded.
type requestRecord struct {
	Name      string `json:"name"`
	Status    int    `json:"status"`
	Forwarded string `json:"forwarded,omitempty"` // Go-quoted
}

// responseRecord is what a client got from apache2 proxying one raw
// backend response: the status, header lines and decoded body.
type responseRecord struct {
	Name   string   `json:"name"`
	Status int      `json:"status"`
	Header []string `json:"header,omitempty"`
	Body   string   `json:"body"` // Go-quoted
}

func loadObservations(t *testing.T) *observations {
	t.Helper()
	if *update {
		recordOnce.Do(func() { recorded, recordErr = record(t) })
		if recordErr != nil {
			t.Fatal(recordErr)
		}
		return recorded
	}
	b, err := os.ReadFile(observationsFile)
	if err != nil {
		t.Fatalf("%v (record it with go test -update and apache2 installed)", err)
	}
	var o observations
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("%s: %v", observationsFile, err)
	}
	return &o
}

var (
	recordOnce sync.Once
	recorded   *observations
	recordErr  error
)

// record runs apache2 as a reverse proxy on 127.0.0.1 in front of a
// backend of ours, sends it every case and writes what it observed.
func record(t *testing.T) (*observations, error) {
	bin, err := exec.LookPath("apache2")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/apache2"); err != nil {
			return nil, fmt.Errorf("-update needs a live apache2: %v", err)
		}
	}
	ver, err := exec.Command(bin, "-v").Output()
	if err != nil {
		return nil, fmt.Errorf("apache2 -v: %v", err)
	}
	server := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(ver), "\n", 2)[0], "Server version:"))

	be, err := newRecordingBackend()
	if err != nil {
		return nil, err
	}
	defer be.ln.Close()

	dir, err := os.MkdirTemp("", "http1-apache")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mods := "/usr/lib/apache2/modules"
	conf := fmt.Sprintf(`ServerRoot %[1]s
Listen 127.0.0.1:%[2]d
ServerName localhost
PidFile %[1]s/httpd.pid
ErrorLog %[1]s/error.log
LogLevel debug
Mutex file:%[1]s default
User nobody
Group nogroup
LoadModule mpm_event_module %[3]s/mod_mpm_event.so
LoadModule authz_core_module %[3]s/mod_authz_core.so
LoadModule proxy_module %[3]s/mod_proxy.so
LoadModule proxy_http_module %[3]s/mod_proxy_http.so
ProxyPass / http://%[4]s/ disablereuse=On
`, dir, port, mods, be.ln.Addr())
	confPath := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-DFOREGROUND", "-f", confPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if log, err := os.ReadFile(filepath.Join(dir, "error.log")); err == nil && testing.Verbose() {
			t.Logf("apache2 error log:\n%s", log)
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			return nil, fmt.Errorf("apache2 did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	o := &observations{Server: server}
	for _, c := range requestCases {
		resp, err := exchange(addr, c.raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.name, err)
		}
		rec := requestRecord{Name: c.name, Status: statusOf(resp)}
		select {
		case fwd := <-be.requests:
			rec.Forwarded = strconv.QuoteToASCII(fwd)
		case <-time.After(100 * time.Millisecond):
		}
		o.Requests = append(o.Requests, rec)
	}
	for _, c := range responseCases {
		be.setResponse(c.raw)
		method := "GET"
		if strings.HasPrefix(c.name, "head_") {
			method = "HEAD"
		}
		raw, err := exchange(addr, method+" /resp/"+c.name+" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", c.name, err)
		}
		for len(be.requests) > 0 {
			<-be.requests
		}
		rec := responseRecord{Name: c.name, Status: statusOf(raw)}
		req, _ := http.NewRequest(method, "/", nil)
		hr, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
		if err == nil {
			body, _ := io.ReadAll(hr.Body)
			rec.Body = strconv.QuoteToASCII(string(body))
			head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
			for _, l := range strings.Split(string(head), "\r\n")[1:] {
				if name, _, _ := strings.Cut(l, ":"); !equalFold(name, "Date") {
					rec.Header = append(rec.Header, l)
				}
			}
		} else {
			rec.Body = strconv.QuoteToASCII(string(raw))
		}
		o.Responses = append(o.Responses, rec)
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		return nil, err
	}
	return o, os.WriteFile(observationsFile, append(b, '\n'), 0o644)
}

// exchange sends raw to addr, half-closes and returns all it answers.
func exchange(addr, raw string) ([]byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return nil, err
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return b, fmt.Errorf("no end of response after 10s: %q", b)
	}
	return b, nil
}

func statusOf(resp []byte) int {
	line, _, _ := bytes.Cut(resp, []byte("\r\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// recordingBackend is the origin behind apache2: it reports each request
// apache2 forwards and answers "ok", or for /resp/ paths the response set
// with setResponse, then closes.
type recordingBackend struct {
	ln       net.Listener
	requests chan string
	mu       sync.Mutex
	response string
}

func newRecordingBackend() (*recordingBackend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &recordingBackend{ln: ln, requests: make(chan string, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	}()
	return b, nil
}

func (b *recordingBackend) setResponse(s string) {
	b.mu.Lock()
	b.response = s
	b.mu.Unlock()
}

func (b *recordingBackend) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil || line == "\r\n" {
			break
		}
	}
	h := head.String()
	if strings.Contains(h, " /resp/") {
		b.mu.Lock()
		resp := b.response
		b.mu.Unlock()
		io.WriteString(c, resp)
		return
	}
	var cl int
	chunked := false
	for _, l := range strings.Split(h, "\r\n") {
		name, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		switch {
		case equalFold(name, "Content-Length"):
			cl, _ = strconv.Atoi(v)
		case equalFold(name, "Transfer-Encoding"):
			chunked = true
		case equalFold(name, "Expect"):
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
	}
	var body []byte
	if chunked {
		for !bytes.HasSuffix(body, []byte("0\r\n\r\n")) {
			x, err := br.ReadByte()
			if err != nil {
				break
			}
			body = append(body, x)
		}
	} else if cl > 0 {
		body = make([]byte, cl)
		n, _ := io.ReadFull(br, body)
		body = body[:n]
	}
	b.requests <- h + string(body)
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
}
