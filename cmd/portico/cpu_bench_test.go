package main

// BenchmarkProxyCPU measures what one small proxied GET costs the server
// in CPU time, the figure the proxy is held to (at most 60 µs per request
// on the reference machine; Apache 2.4 event measured 113 µs, nginx 30).
//
// The server runs as a child process, as in production: `portico
// -DFOREGROUND -f CONF` (and, for comparison, the live apache2 with the
// same configuration). A Go load generator in the test process sends b.N
// small GETs over a few kept-alive connections on 127.0.0.1 to a
// ProxyPass route whose backend, also in the test process, answers a
// fixed 13-byte body. The server's user+system time is read from
// /proc/PID/stat (and its children's, for apache2's worker process)
// before and after the load; the difference divided by b.N is reported as
// cpu-µs/req. Neither the load generator's nor the backend's CPU is
// counted. ns/op is the wall time per request with that concurrency.
//
//	go test ./cmd/portico -run '^$' -bench ProxyCPU -benchtime 20000x

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat"
)

const (
	// cpuBenchConns is the number of client connections the load
	// generator keeps busy.
	cpuBenchConns = 4
	// cpuBenchWarmup requests go before the measure: connections open,
	// backend pool filled.
	cpuBenchWarmup = 500
	// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
	// every Linux architecture Go supports).
	clockTicks = 100
)

func BenchmarkProxyCPU(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/PID/stat")
	}
	b.Run("portico", func(b *testing.B) {
		benchProxyCPU(b, compat.Portico(buildPorticoTB(b)))
	})
	b.Run("apache2", func(b *testing.B) {
		if os.Getenv("PORTICO_NO_APACHE") != "" {
			b.Skip("PORTICO_NO_APACHE is set")
		}
		path, err := exec.LookPath("apache2")
		if err != nil {
			if _, serr := os.Stat("/usr/sbin/apache2"); serr != nil {
				b.Skip("no apache2 installed")
			}
			path = "/usr/sbin/apache2"
		}
		benchProxyCPU(b, compat.Apache(path))
	})
}

// buildPorticoTB builds the portico binary once per benchmark.
func buildPorticoTB(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "portico")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// benchBackend answers every request on a kept-alive connection with the
// same small response, reading only the request head.
func benchBackend(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	const reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world\n"
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					if err := skipHead(br); err != nil {
						return
					}
					if _, err := io.WriteString(c, reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// skipHead reads one message head, up to its empty line.
func skipHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
			return nil
		}
	}
}

func benchProxyCPU(b *testing.B, srv compat.Server) {
	backendAddr := benchBackend(b)
	dir, err := os.MkdirTemp("/tmp", "cpubench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	ln, err := compat.ListenPort()
	if err != nil {
		b.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	conf := compat.Preamble(os.Geteuid() == 0) + "MaxKeepAliveRequests 0\nProxyPass /p/ http://" + backendAddr + "/back/\n"
	conf = strings.NewReplacer("$DIR", dir, "$LISTEN", listen).Replace(conf)
	for name, text := range map[string]string{"compat.conf": conf, "mime.types": "text/plain\ttxt\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		b.Fatal(err)
	}

	var out bytes.Buffer
	cmd := exec.Command(srv.Path, "-DFOREGROUND", "-f", filepath.Join(dir, "compat.conf"))
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if srv.Env != nil {
		cmd.Env = append(cmd.Env, srv.Env(dir)...)
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	if err := waitFor(listen, exited); err != nil {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		b.Fatalf("%s did not start: %v\n%s%s", srv.Name, err, out.String(), errLog)
	}

	clients := make([]*benchClient, cpuBenchConns)
	for i := range clients {
		c, err := net.Dial("tcp", listen)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = &benchClient{c: c, br: bufio.NewReader(c)}
	}
	if err := runLoad(clients, cpuBenchWarmup); err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	before, err := treeCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	err = runLoad(clients, b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	after, err := treeCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	ticks := after - before
	b.ReportMetric(float64(ticks)*1e6/clockTicks/float64(b.N), "cpu-µs/req")
}

// waitFor waits until addr accepts connections or the server exits.
func waitFor(addr string, exited chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("it exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("not listening within 15s")
}

// benchClient is one kept-alive client connection.
type benchClient struct {
	c  net.Conn
	br *bufio.Reader
}

const benchRequest = "GET /p/index.txt?x=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: portico-bench\r\nAccept: */*\r\n\r\n"

// do sends one request and reads its response whole.
func (bc *benchClient) do() error {
	bc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(bc.c, benchRequest); err != nil {
		return err
	}
	status, err := bc.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", status)
	}
	length := -1
	for {
		line, err := bc.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return errors.New("response without Content-Length")
	}
	_, err = bc.br.Discard(length)
	return err
}

// runLoad sends n requests spread over the clients, each client one
// request at a time.
func runLoad(clients []*benchClient, n int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for i, bc := range clients {
		share := n / len(clients)
		if i < n%len(clients) {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range share {
				if err := bc.do(); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// treeCPU is the user+system time, in clock ticks, of process pid and
// its direct children (apache2's worker process), threads included.
func treeCPU(pid int) (int64, error) {
	total, _, err := procCPU(pid)
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		t, ppid, err := procCPU(child)
		if err == nil && ppid == pid {
			total += t
		}
	}
	return total, nil
}

// procCPU reads utime+stime and the parent pid from /proc/PID/stat.
func procCPU(pid int) (ticks int64, ppid int, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, ppid, nil
}
