package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat"
)

// logCase runs one configuration under apache2 and under Portico with the
// same requests and compares the access logs they write.
type logCase struct {
	name string
	// conf is appended to the compat preamble; $DIR is the case's
	// directory. Logs are the files under $DIR/logs/.
	conf string
	// conns are raw requests, one connection each, sent in order.
	conns []string
	logs  []string
}

const logFormats = `LogFormat "%h %l %u %t \"%r\" %>s O=%O \"%{Referer}i\" \"%{User-Agent}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %b" common
DocumentRoot "$DIR/htdocs"
ServerSignature Off
`

var logCases = []logCase{
	{name: "combined", conf: `CustomLog logs/access.log combined`,
		conns: []string{"GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8 \"x\"\r\nReferer: http://a/b\r\nConnection: close\r\n\r\n"},
		logs:  []string{"access.log"}},
	{name: "common", conf: `CustomLog logs/access.log common`,
		conns: []string{"GET /index.html?a=1 HTTP/1.0\r\n\r\n", "HEAD /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
		logs:  []string{"access.log"}},
	{name: "transferlog_default", conf: `TransferLog logs/t.log`,
		conns: []string{"GET /index.html HTTP/1.0\r\n\r\n", "GET /nope.txt HTTP/1.0\r\n\r\n"},
		logs:  []string{"t.log"}},
	{name: "custom_fields", conf: `LogFormat "D=%D T=%T host=%{Host}i s=%>s b=%b B=%B I=%I O=%O X=%X k=%k L=%L m=%m U=%U q=%q H=%H v=%v V=%V p=%p" custom
CustomLog logs/custom.log custom`,
		conns: []string{"GET /index.html?x=y HTTP/1.1\r\nHost: Example.COM\r\nConnection: close\r\n\r\n", "GET /missing HTTP/1.1\r\nHost: localhost:80\r\nConnection: close\r\n\r\n"},
		logs:  []string{"custom.log"}},
	{name: "keepalive_count", conf: `LogFormat "%k %X %s %r" ka
CustomLog logs/ka.log ka`,
		conns: []string{"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\nGET /index.html HTTP/1.1\r\nHost: a\r\n\r\nGET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"},
		logs:  []string{"ka.log"}},
	{name: "env_condition", conf: `RewriteEngine On
RewriteRule ^/quiet - [E=dontlog:1]
CustomLog logs/all.log common
CustomLog logs/some.log common env=!dontlog
CustomLog logs/only.log "%U %{dontlog}e" env=dontlog`,
		conns: []string{"GET /quiet HTTP/1.0\r\n\r\n", "GET /index.html HTTP/1.0\r\n\r\n"},
		logs:  []string{"all.log", "some.log", "only.log"}},
	{name: "vhost_two_logs", conf: `<VirtualHost *:*>
  ServerName vh.example
  DocumentRoot "$DIR/htdocs"
  CustomLog logs/vh1.log common
  CustomLog logs/vh2.log "%v %V %>s %U"
</VirtualHost>
CustomLog logs/main.log common`,
		conns: []string{"GET /index.html HTTP/1.1\r\nHost: vh.example\r\nConnection: close\r\n\r\n", "GET /index.html HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"},
		logs:  []string{"vh1.log", "vh2.log", "main.log"}},
	{name: "vhost_inherits_main", conf: `<VirtualHost *:*>
  ServerName vh.example
  DocumentRoot "$DIR/htdocs"
</VirtualHost>
CustomLog logs/main.log "%v %>s %U"`,
		conns: []string{"GET /index.html HTTP/1.1\r\nHost: vh.example\r\nConnection: close\r\n\r\n"},
		logs:  []string{"main.log"}},
	{name: "status_conditions", conf: `CustomLog logs/c.log "%400,404{User-Agent}i|%!200,304{User-Agent}i|%200s"`,
		conns: []string{"GET /index.html HTTP/1.0\r\nUser-Agent: ua1\r\n\r\n", "GET /missing HTTP/1.0\r\nUser-Agent: ua2\r\n\r\n"},
		logs:  []string{"c.log"}},
	{name: "escaping", conf: `CustomLog logs/e.log "%{X-Test}i|%{Missing}i|%q|%r|\t|%%|\q"`,
		conns: []string{"GET /index.html?a=%22b HTTP/1.0\r\nX-Test: a\"b\\c\xe9\tz\r\n\r\n"},
		logs:  []string{"e.log"}},
	{name: "time_formats", conf: `CustomLog logs/t.log "%{%Y-%m-%d}t %{sec}t %{begin:%H}t %{end:%d/%b}t %{msec_frac}t"`,
		conns: []string{"GET /index.html HTTP/1.0\r\n\r\n"},
		logs:  []string{"t.log"}},
	{name: "response_headers", conf: `CustomLog logs/o.log "%{Content-Type}o|%{Content-Length}o|%{Nope}o|%{Accept-Ranges}o|%{Set-Cookie}o|%{a}C|%R"`,
		conns: []string{"GET /index.html HTTP/1.0\r\nCookie: b=2; a = 1 ;c=3\r\n\r\n"},
		logs:  []string{"o.log"}},
	{name: "clf_nickname_expr", conf: `CustomLog logs/x.log CLF "expr=%{REQUEST_STATUS} == 404"`,
		conns: []string{"GET /index.html HTTP/1.0\r\n\r\n", "GET /gone HTTP/1.0\r\n\r\n"},
		logs:  []string{"x.log"}},
}

func TestAccessLogCompat(t *testing.T) {
	if os.Getenv("PORTICO_NO_APACHE") != "" {
		t.Skip("PORTICO_NO_APACHE set")
	}
	apache := apacheBinary(t)
	portico := buildPortico(t)
	for _, c := range logCases {
		t.Run(c.name, func(t *testing.T) {
			want := runLogCase(t, c, apache)
			got := runLogCase(t, c, portico)
			for _, name := range c.logs {
				if got[name] != want[name] {
					t.Errorf("%s differs\napache2:\n%s\nportico:\n%s", name, want[name], got[name])
				}
			}
		})
	}
}

var (
	clfTime  = regexp.MustCompile(`\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`)
	durField = regexp.MustCompile(`\b(D|T)=\d+`)
	outField = regexp.MustCompile(`\bO=(\d+)`)
	dateY    = regexp.MustCompile(`\d{4}-\d\d-\d\d \d{10} \d\d \d\d/\w{3} \d{3}`)
)

// runLogCase serves c with bin (apache2 or portico) and returns each log
// file's text, normalised: times, durations and the length of the
// Server field (which differs by product) taken out of %O.
func runLogCase(t *testing.T, c logCase, bin string) map[string]string {
	t.Helper()
	dir, err := os.MkdirTemp(shortTempBase(), "plog")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	for _, d := range []string{"logs", "htdocs", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "htdocs", "index.html"), []byte("<p>hello</p>\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "mime.types"), []byte("text/html\thtml htm\ntext/plain\ttxt\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := compat.Preamble(os.Geteuid() == 0) + logFormats + c.conf + "\n"
	conf = strings.NewReplacer("$DIR", dir, "$LISTEN", addr).Replace(conf)
	cf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cf, "-DFOREGROUND")
	cmd.Env = append(os.Environ(), "APACHE_RUN_DIR="+dir+"/run")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %s", filepath.Base(bin), addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	server := ""
	for _, raw := range c.conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(nc, raw)
		resp, _ := io.ReadAll(nc)
		nc.Close()
		sc := bufio.NewScanner(strings.NewReader(string(resp)))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Server: "); ok {
				server = v
			}
		}
	}
	out := map[string]string{}
	// Logs are written after the response: wait for the lines to come.
	time.Sleep(300 * time.Millisecond)
	for _, name := range c.logs {
		data, _ := os.ReadFile(filepath.Join(dir, "logs", name))
		s := string(data)
		s = clfTime.ReplaceAllString(s, "[TIME]")
		s = dateY.ReplaceAllString(s, "DATE")
		s = durField.ReplaceAllString(s, "$1=N")
		s = strings.ReplaceAll(s, addr[strings.LastIndexByte(addr, ':')+1:], "PORT")
		s = outField.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(m[2:])
			return fmt.Sprintf("O=%d", n-len(server))
		})
		out[name] = s
	}
	return out
}
