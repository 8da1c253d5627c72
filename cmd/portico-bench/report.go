package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report collects the rows and renders them.
type report struct {
	p         params
	start     time.Time
	loadStart string // /proc/loadavg when the run began
	rows      []result
}

func newReport(p params) *report { return &report{p: p, start: time.Now(), loadStart: loadAvg()} }

func (rep *report) add(r result) { rep.rows = append(rep.rows, r) }

// direct returns the direct row, if it was measured.
func (rep *report) direct() *result {
	for i := range rep.rows {
		if rep.rows[i].name == "direct" && rep.rows[i].skipped == "" {
			return &rep.rows[i]
		}
	}
	return nil
}

var columns = []string{
	"", "req/s", "p50", "p99", "CPU/req",
	"WS msg/s", "WS p50", "WS p99",
	"stream ↓ MB/s", "↓ ×direct", "stream ↑ MB/s", "↑ ×direct",
	"idle RSS/tunnel", "idle tunnels ok", "errors",
}

// markdown renders the table, then a note per product that was skipped
// or failed, or saw errors.
func (rep *report) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(columns)) + "\n")
	dir := rep.direct()
	var notes []string
	for _, r := range rep.rows {
		cells := rep.cells(r, dir)
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		if r.skipped != "" {
			notes = append(notes, fmt.Sprintf("- **%s** skipped: %s", r.name, r.skipped))
		}
		if r.failed != "" {
			notes = append(notes, fmt.Sprintf("- **%s** failed: %s", r.name, fence(r.failed)))
		}
		for _, e := range r.errorNotes() {
			notes = append(notes, fmt.Sprintf("- **%s**: %s", r.name, e))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

// fence puts a multi-line failure (with a log excerpt) in a code block.
func fence(s string) string {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return s
	}
	return first + "\n\n  ```\n" + indent(rest, "  ") + "\n  ```"
}

const dash = "—"

func (rep *report) cells(r result, direct *result) []string {
	c := make([]string, len(columns))
	for i := range c {
		c[i] = dash
	}
	c[0] = "**" + r.name + "**"
	if r.skipped != "" {
		c[1] = "skipped"
		return c
	}
	if h := r.http; h != nil && h.ops > 0 {
		c[1] = fmt.Sprintf("%.0f", float64(h.ops)/r.httpSecs)
		c[2] = micros(h.lat.quantile(0.50))
		c[3] = micros(h.lat.quantile(0.99))
		if r.hasCPU && r.proxied {
			c[4] = fmt.Sprintf("%.1f µs", float64(r.cpuTicks)/clockTicks*1e6/float64(h.ops))
		}
	}
	if w := r.ws; w != nil && w.ops > 0 {
		c[5] = fmt.Sprintf("%.0f", float64(w.ops)/r.wsSecs)
		c[6] = micros(w.lat.quantile(0.50))
		c[7] = micros(w.lat.quantile(0.99))
	}
	if s := r.down; s != nil && s.bytes > 0 {
		c[8] = mbps(s.bytes, r.streamSec)
		if direct != nil && direct.down != nil && direct.down.bytes > 0 {
			c[9] = fmt.Sprintf("%.2f", float64(s.bytes)/float64(direct.down.bytes))
		}
	}
	if s := r.up; s != nil && s.bytes > 0 {
		c[10] = mbps(s.bytes, r.streamSec)
		if direct != nil && direct.up != nil && direct.up.bytes > 0 {
			c[11] = fmt.Sprintf("%.2f", float64(s.bytes)/float64(direct.up.bytes))
		}
	}
	if i := r.idle; i != nil {
		if i.opened > 0 && r.proxied {
			c[12] = fmt.Sprintf("%.1f KiB", i.perTunnel()/1024)
		}
		c[13] = fmt.Sprintf("%d/%d", i.verified, i.want)
	}
	var errs []string
	if h := r.http; h != nil && h.errs+h.bad > 0 {
		errs = append(errs, fmt.Sprintf("http %d", h.errs+h.bad))
	}
	if w := r.ws; w != nil && w.errs > 0 {
		errs = append(errs, fmt.Sprintf("ws %d", w.errs))
	}
	if r.failed != "" {
		errs = append(errs, "failed")
	}
	if len(errs) == 0 {
		c[14] = "0"
	} else {
		c[14] = strings.Join(errs, ", ")
	}
	return c
}

// errorNotes explains the errors column and any test that came to
// nothing.
func (r result) errorNotes() []string {
	var n []string
	if h := r.http; h != nil && (h.errs+h.bad > 0 || h.ops == 0) && h.first != "" {
		n = append(n, fmt.Sprintf("small GETs: %d errors, %d non-200; first: %s", h.errs, h.bad, h.first))
	}
	if h := r.http; h != nil && h.maxOps {
		n = append(n, "small GETs stopped at the -max-ops bound before the window ended")
	}
	if w := r.ws; w != nil && (w.errs > 0 || w.ops == 0) && w.first != "" {
		n = append(n, fmt.Sprintf("WebSocket echo: %d errors; first: %s", w.errs, w.first))
	}
	if s := r.down; s != nil && s.err != nil {
		n = append(n, fmt.Sprintf("stream ↓ ended early: %v", s.err))
	}
	if s := r.up; s != nil && s.err != nil {
		n = append(n, fmt.Sprintf("stream ↑ ended early: %v", s.err))
	}
	if i := r.idle; i != nil && i.errors() > 0 {
		n = append(n, fmt.Sprintf("idle: %d of %d opened, %d still echoed after idling; first error: %s", i.opened, i.want, i.verified, i.first))
	}
	return n
}

func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func mbps(n int64, secs float64) string {
	return fmt.Sprintf("%.0f", float64(n)/secs/1e6)
}

// document is the results file: how, where and when, then the table.
func (rep *report) document(args []string) string {
	p := rep.p
	var b strings.Builder
	fmt.Fprintf(&b, "# Portico side by side: results\n\n")
	fmt.Fprintf(&b, "Recorded %s by `make bench-compare` (`portico-bench %s`); the method is in bench/README.md.\n\n",
		rep.start.UTC().Format("2006-01-02 15:04 UTC"), strings.Join(args, " "))
	fmt.Fprintf(&b, "- machine: %d CPUs (nproc), %s, Linux %s\n", runtime.NumCPU(), cpuModel(), kernel())
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) at the start: %s; at the end: %s (other work on the machine shares its CPUs)\n", rep.loadStart, loadAvg())
	fmt.Fprintf(&b, "- load tool: %s, GOMAXPROCS %d\n", runtime.Version(), p.clientProcs)
	for _, r := range rep.rows {
		v := r.version
		if r.skipped != "" {
			v = "not measured"
		}
		fmt.Fprintf(&b, "- %s: %s\n", r.name, v)
	}
	fmt.Fprintf(&b, "- small GETs: %d kept-alive connections, one request in flight each, %v warm-up, %v measured\n", p.conns, p.warmup, p.duration)
	fmt.Fprintf(&b, "- WebSocket echo: %d connections, %d-byte binary messages, one in flight each, %v warm-up, %v measured\n", p.wsConns, p.wsSize, p.warmup, p.wsDuration)
	fmt.Fprintf(&b, "- stream: one WebSocket, %d-byte messages, ↓ backend to client, ↑ client to backend (4 unacknowledged at most), %v warm-up, %v measured each; MB = 10^6 bytes\n", p.streamSize, p.warmup, p.streamDuration)
	fmt.Fprintf(&b, "- idle: %d WebSockets open at once, RSS of all the proxy's processes read %v after the last opened, growth / tunnels; \"ok\" is how many still echoed afterwards\n", p.idle, p.settle)
	fmt.Fprintf(&b, "- CPU/req: utime+stime of all the proxy's processes over the window / requests in it (clock ticks of 10 ms)\n\n")
	b.WriteString(rep.markdown())
	return b.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
