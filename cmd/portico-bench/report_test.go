package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSubstitute(t *testing.T) {
	env := benchEnv("127.0.0.1:1", "127.0.0.1:2", "/run/x")
	got, err := substitute("listen ${BENCH_LISTEN}; pass ${BENCH_BACKEND}; $host ${host} ${BENCH_DIR}/p", env)
	if err != nil {
		t.Fatal(err)
	}
	if want := "listen 127.0.0.1:1; pass 127.0.0.1:2; $host ${host} /run/x/p"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if _, err := substitute("${BENCH_LISTN}", env); err == nil || !strings.Contains(err.Error(), "BENCH_LISTN") {
		t.Errorf("a misspelt variable: %v; want an error naming it", err)
	}
}

// TestConfigsUseOnlyBenchVariables checks the shipped configurations:
// every ${BENCH_*} they use is one the benchmark sets, and each listens
// on and proxies to exactly the variables it is given.
func TestConfigsUseOnlyBenchVariables(t *testing.T) {
	env := benchEnv("L", "B", "D")
	for _, pr := range products("bin/portico") {
		if pr.conf == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "bench", pr.conf))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := substitute(string(b), env); err != nil {
			t.Errorf("%s: %v", pr.conf, err)
		}
		for _, v := range []string{"${BENCH_LISTEN}", "${BENCH_BACKEND}"} {
			if !strings.Contains(string(b), v) {
				t.Errorf("%s does not use %s", pr.conf, v)
			}
		}
	}
}

func TestProductsAreAbsoluteAndKnown(t *testing.T) {
	for _, pr := range products("bin/portico") {
		if pr.bin != "" && !filepath.IsAbs(pr.bin) {
			t.Errorf("%s: binary %q is relative; children run in their own directory", pr.name, pr.bin)
		}
	}
	missing := product{name: "nginx", pkg: "nginx", bin: "/nonexistent/nginx"}
	if err := missing.installed(); err == nil || !strings.Contains(err.Error(), "apt-get install -y nginx") {
		t.Errorf("installed() of a missing product: %v; want how to install it", err)
	}
}

func TestParseFlags(t *testing.T) {
	p, err := parseFlags([]string{"-products", "direct, portico", "-idle", "10"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.products, ",") != "direct,portico" || p.idle != 10 || p.conns != 50 || p.duration != 10*time.Second {
		t.Errorf("got %+v", p)
	}
	for _, bad := range [][]string{
		{"-products", "squid"},
		{"-products", ""},
		{"-idle", "20000"},
		{"-conns", "0"},
		{"-duration", "0s"},
		{"-ws-size", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded; want an error", bad)
		}
	}
}

func TestReportTable(t *testing.T) {
	mk := func(ops uint64, d time.Duration) *loadResult {
		r := &loadResult{ops: ops}
		for range ops {
			r.lat.record(d)
		}
		return r
	}
	rep := newReport(params{conns: 50, clientProcs: 1, idle: 9000})
	rep.add(result{name: "direct", version: "v0",
		http: mk(1000, 100*time.Microsecond), httpSecs: 1,
		ws: mk(500, 200*time.Microsecond), wsSecs: 1,
		down: &streamResult{bytes: 4e9}, up: &streamResult{bytes: 2e9}, streamSec: 2,
		idle: &idleResult{want: 9000, opened: 9000, verified: 9000, before: 0, after: 9000 * 1024}})
	rep.add(result{name: "portico", version: "v1", proxied: true,
		http: mk(500, 300*time.Microsecond), httpSecs: 1, cpuTicks: 2, hasCPU: true,
		ws: &loadResult{errs: 3, first: "echo: unexpected EOF"}, wsSecs: 1,
		down: &streamResult{bytes: 2e9}, up: &streamResult{bytes: 1e9}, streamSec: 2,
		idle: &idleResult{want: 9000, opened: 9000, verified: 8990, before: 100 << 20, after: 100<<20 + 9000*6*1024, first: "websocket 7 after idling: EOF"}})
	rep.add(result{name: "haproxy", skipped: "/usr/sbin/haproxy not found (install it with: apt-get install -y haproxy)"})
	rep.add(result{name: "apache", failed: "failed to start: apache: exited\n  --- error.log:\n  AH00015: Unable to open logs"})
	got := rep.markdown()
	for _, want := range []string{
		"| **direct** | 1000 | 100 µs | 100 µs | — | 500 | 200 µs | 200 µs | 2000 | 1.00 | 1000 | 1.00 | — | 9000/9000 | 0 |",
		// 2 ticks = 20 ms over 500 requests = 40 µs; 300 µs falls in a
		// bucket whose middle is 301 µs.
		"| **portico** | 500 | 301 µs | 301 µs | 40.0 µs | — | — | — | 1000 | 0.50 | 500 | 0.50 | 6.0 KiB | 8990/9000 | ws 3 |",
		"| **haproxy** | skipped |",
		"- **haproxy** skipped: /usr/sbin/haproxy not found",
		"- **portico**: WebSocket echo: 3 errors; first: echo: unexpected EOF",
		"- **portico**: idle: 9000 of 9000 opened, 8990 still echoed after idling; first error: websocket 7 after idling: EOF",
		"- **apache** failed: failed to start: apache: exited\n\n  ```\n",
		"AH00015: Unable to open logs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	doc := rep.document([]string{"-idle", "9000"})
	for _, want := range []string{"`portico-bench -idle 9000`", "CPUs (nproc)", "- portico: v1", "- haproxy: not measured", "load average"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q:\n%s", want, doc)
		}
	}
}

func TestReportMedians(t *testing.T) {
	rep := newReport(params{runs: 3})
	for i, v := range []struct {
		direct, portico int64 // stream bytes
		reqs            uint64
		verified        int
	}{{4e9, 1e9, 100, 10}, {2e9, 1.8e9, 300, 8}, {3e9, 1.5e9, 200, 10}} {
		rep.add(result{name: "direct", down: &streamResult{bytes: v.direct}, streamSec: 1})
		rep.add(result{name: "portico", proxied: true, down: &streamResult{bytes: v.portico}, streamSec: 1,
			http: &loadResult{ops: v.reqs}, httpSecs: 1,
			idle: &idleResult{want: 10, opened: 10, verified: v.verified}})
		if got := len(rep.runs["portico"]); got != i+1 {
			t.Fatalf("round %d: %d portico results", i+1, got)
		}
	}
	got := rep.markdown()
	// Ratios per round: 0.25, 0.90, 0.50; median 0.50 (not 1.5/3).
	// req/s median 200; idle: the worst round, 8 of 10.
	want := "| **portico** | 200 | — | — | — | — | — | — | 1500 | 0.50 | — | — | 0.0 KiB | 8/10 | 0 |"
	if !strings.Contains(got, want) {
		t.Errorf("table lacks %q:\n%s", want, got)
	}
	if !strings.Contains(got, "(round 2): idle: 10 of 10 opened, 8 still echoed") {
		t.Errorf("the failing round is not named:\n%s", got)
	}
	if m := median([]float64{3, math.NaN(), 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v; want 2.5", m)
	}
}
