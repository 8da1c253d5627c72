package accesslog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/server"
)

func record() *server.LogRecord {
	return &server.LogRecord{
		Remote: netip.MustParseAddrPort("127.0.0.1:5555"), Local: netip.MustParseAddrPort("127.0.0.1:8080"),
		Time:     time.Date(2026, 11, 27, 11, 18, 59, 141627000, time.UTC),
		Duration: 1500 * time.Millisecond, Method: "GET", Target: "/a?b=1", Proto: "HTTP/1.1",
		Status: 404, BytesSent: 0, URI: "/a", Args: "b=1", HasArgs: true,
		Header:         http1.Headers{{Name: "User-Agent", Value: "x\"y\\z\x01\xe9"}, {Name: "Cookie", Value: "a=1; b = 2 "}},
		ResponseHeader: http1.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}, {Name: "Set-Cookie", Value: "s=1"}, {Name: "Set-Cookie", Value: "t=2"}},
		ServerHostname: "localhost", Keepalives: 2, KeepAlive: true, BytesIn: 40, BytesOut: 300,
	}
}

func TestFormat(t *testing.T) {
	t.Setenv("TZ", "UTC")
	for _, c := range []struct{ format, want string }{
		{`%h %l %u "%r" %>s %b %B`, `127.0.0.1 - - "GET /a?b=1 HTTP/1.1" 404 - 0`},
		{`%{User-Agent}i`, `x\"y\\z\x01\xe9`},
		{`%{Nope}i|%{Content-Type}o|%{Set-Cookie}o|%{b}C|%{c}C`, `-|text/html|s=1, t=2|2|-`},
		{`%404{User-Agent}i|%!404s|%200,304s|%!200s`, `x\"y\\z\x01\xe9|-|-|404`},
		{`%D %T %{ms}T %{us}T %{bogus}T`, `1500000 1 1500 1500000 bogus`},
		{`%{sec}t %{msec}t %{usec_frac}t %{msec_frac}t %{end:sec}t`, `1795778339 1795778339141 141627 141 1795778340`},
		{`%{%Y-%m-%d %H:%M:%S %a %b %j}t`, `2026-11-27 11:18:59 Fri Nov 331`},
		{`%I %O %S %k %X %q %U %m %H %v %V %p %{remote}p %{local}p %A %a`, `40 300 340 2 + ?b=1 /a GET HTTP/1.1 localhost localhost 80 5555 8080 127.0.0.1 127.0.0.1`},
		{`a\tb\\c\qd%%`, "a\tb\\c\\qd%"},
		{`%L %{x}n %R %f %^FB %^ti`, `- - - - - -`},
	} {
		f, err := Compile(c.format, Options{})
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		got := string(f.Append(nil, record()))
		if got != c.want+"\n" {
			t.Errorf("%q:\n got %q\nwant %q", c.format, got, c.want+"\n")
		}
	}
}

func TestFormatCLFTime(t *testing.T) {
	f, _ := Compile("%t", Options{})
	r := record()
	r.Time = time.Date(2026, 1, 5, 1, 2, 3, 0, time.FixedZone("X", -(5*3600+30*60)))
	if got := string(f.Append(nil, r)); !strings.HasPrefix(got, "[") || len(got) != len("[05/Jan/2026:01:02:03 -0530]\n") {
		t.Errorf("%%t = %q", got)
	}
	if got := string(appendCLF(nil, r.Time)); got != "[05/Jan/2026:01:02:03 -0530]" {
		t.Errorf("CLF = %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for in, want := range map[string]string{
		"%Z":      "Unrecognized LogFormat directive %Z",
		"%{x}":    "Ran off end of LogFormat parsing args to some directive",
		"%400,50": "Ran off end of LogFormat parsing args to some directive",
		"%c":      "Unrecognized LogFormat directive %c",
	} {
		if _, err := Compile(in, Options{}); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	if _, err := Compile("%{x}c", Options{SSL: true}); err != nil {
		t.Errorf("%%c with mod_ssl: %v", err)
	}
}

func TestPipeRestarts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// The program takes one line and exits: each further line needs
	// a restarted program.
	p, err := OpenPipe("|$read l; echo \"$l\" >> "+out, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"one\n", "two\n", "three\n"} {
		if _, err := p.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(out)
		if string(data) == "one\ntwo\nthree\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("piped log wrote %q", data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Close()
}

func TestSplitArgs(t *testing.T) {
	got := strings.Join(splitArgs(`/bin/x -a "b c" 'd e' f\ g`), "|")
	if got != "/bin/x|-a|b c|d e|f g" {
		t.Errorf("splitArgs = %q", got)
	}
}

func BenchmarkCombined(b *testing.B) {
	f, err := Compile(`%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := record()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], r)
	}
}
