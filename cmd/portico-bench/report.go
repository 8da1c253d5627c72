package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report collects the results and renders them: one row per product,
// each figure the median over the rounds (a ratio to direct is taken
// within each round, then the median of those).
type report struct {
	p         params
	start     time.Time
	loadStart string // /proc/loadavg when the run began
	order     []string
	runs      map[string][]result // by product, one per round
}

func newReport(p params) *report {
	return &report{p: p, start: time.Now(), loadStart: loadAvg(), runs: map[string][]result{}}
}

func (rep *report) add(r result) {
	if _, ok := rep.runs[r.name]; !ok {
		rep.order = append(rep.order, r.name)
	}
	rep.runs[r.name] = append(rep.runs[r.name], r)
}

// direct returns round i of the direct product, if it was measured.
func (rep *report) direct(i int) *result {
	d := rep.runs["direct"]
	if i < len(d) && d[i].skipped == "" {
		return &d[i]
	}
	return nil
}

var columns = []string{
	"", "req/s", "p50", "p99", "CPU/req",
	"WS msg/s", "WS p50", "WS p99",
	"stream ↓ MB/s", "↓ ×direct", "stream ↑ MB/s", "↑ ×direct",
	"idle RSS/tunnel", "idle tunnels ok", "errors",
}

// Columns that are not a median of figures.
const (
	colIdleOK = 13
	colErrors = 14
)

// formats prints each numeric column's median.
var formats = map[int]func(float64) string{
	1: count, 2: micros, 3: micros, 4: func(v float64) string { return fmt.Sprintf("%.1f µs", v) },
	5: count, 6: micros, 7: micros,
	8: count, 9: ratio, 10: count, 11: ratio,
	12: func(v float64) string { return fmt.Sprintf("%.1f KiB", v) },
}

func count(v float64) string  { return fmt.Sprintf("%.0f", v) }
func ratio(v float64) string  { return fmt.Sprintf("%.2f", v) }
func micros(v float64) string { return fmt.Sprintf("%.0f µs", v) }

// figures returns the numeric columns of one round (NaN where there is
// no figure): latencies in µs, MB/s in 10^6 bytes, RSS in KiB.
func figures(r result, direct *result) []float64 {
	f := make([]float64, len(columns))
	for i := range f {
		f[i] = math.NaN()
	}
	if r.skipped != "" {
		return f
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	if h := r.http; h != nil && h.ops > 0 {
		f[1] = float64(h.ops) / r.httpSecs
		if h.lat.n > 0 {
			f[2], f[3] = us(h.lat.quantile(0.50)), us(h.lat.quantile(0.99))
		}
		if r.hasCPU && r.proxied {
			f[4] = float64(r.cpuTicks) / clockTicks * 1e6 / float64(h.ops)
		}
	}
	if w := r.ws; w != nil && w.ops > 0 {
		f[5] = float64(w.ops) / r.wsSecs
		if w.lat.n > 0 {
			f[6], f[7] = us(w.lat.quantile(0.50)), us(w.lat.quantile(0.99))
		}
	}
	if s := r.down; s != nil && s.bytes > 0 {
		f[8] = float64(s.bytes) / r.streamSec / 1e6
		if direct != nil && direct.down != nil && direct.down.bytes > 0 {
			f[9] = float64(s.bytes) / float64(direct.down.bytes)
		}
	}
	if s := r.up; s != nil && s.bytes > 0 {
		f[10] = float64(s.bytes) / r.streamSec / 1e6
		if direct != nil && direct.up != nil && direct.up.bytes > 0 {
			f[11] = float64(s.bytes) / float64(direct.up.bytes)
		}
	}
	if i := r.idle; i != nil && i.opened > 0 && r.proxied {
		f[12] = i.perTunnel() / 1024
	}
	return f
}

// median of the values that are not NaN; NaN when there are none.
func median(vs []float64) float64 {
	var xs []float64
	for _, v := range vs {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// markdown renders the table, then a note per product that was skipped
// or failed, or saw errors.
func (rep *report) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(columns)) + "\n")
	var notes []string
	for _, name := range rep.order {
		runs := rep.runs[name]
		b.WriteString("| " + strings.Join(rep.cells(name, runs), " | ") + " |\n")
		for i, r := range runs {
			round := ""
			if len(runs) > 1 {
				round = fmt.Sprintf(" (round %d)", i+1)
			}
			if r.skipped != "" && i == 0 {
				notes = append(notes, fmt.Sprintf("- **%s** skipped: %s", name, r.skipped))
			}
			if r.failed != "" {
				notes = append(notes, fmt.Sprintf("- **%s**%s failed: %s", name, round, fence(r.failed)))
			}
			for _, e := range r.errorNotes() {
				notes = append(notes, fmt.Sprintf("- **%s**%s: %s", name, round, e))
			}
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

func (rep *report) cells(name string, runs []result) []string {
	c := make([]string, len(columns))
	for i := range c {
		c[i] = dash
	}
	c[0] = "**" + name + "**"
	if len(runs) == 0 || runs[0].skipped != "" {
		c[1] = "skipped"
		return c
	}
	per := make([][]float64, len(runs))
	for i, r := range runs {
		per[i] = figures(r, rep.direct(i))
	}
	for col, format := range formats {
		vs := make([]float64, len(runs))
		for i := range runs {
			vs[i] = per[i][col]
		}
		if m := median(vs); !math.IsNaN(m) {
			c[col] = format(m)
		}
	}
	// The worst round of the idle test; errors summed over the rounds.
	var httpErrs, wsErrs uint64
	failed := 0
	for _, r := range runs {
		if i := r.idle; i != nil {
			c[colIdleOK] = fmt.Sprintf("%d/%d", worstIdle(runs), i.want)
		}
		if h := r.http; h != nil {
			httpErrs += h.errs + h.bad
		}
		if w := r.ws; w != nil {
			wsErrs += w.errs
		}
		if r.failed != "" {
			failed++
		}
	}
	var errs []string
	if httpErrs > 0 {
		errs = append(errs, fmt.Sprintf("http %d", httpErrs))
	}
	if wsErrs > 0 {
		errs = append(errs, fmt.Sprintf("ws %d", wsErrs))
	}
	if failed > 0 {
		errs = append(errs, "failed")
	}
	if len(errs) == 0 {
		c[colErrors] = "0"
	} else {
		c[colErrors] = strings.Join(errs, ", ")
	}
	return c
}

// worstIdle is the fewest idle tunnels that still echoed in any round.
func worstIdle(runs []result) int {
	worst := -1
	for _, r := range runs {
		if i := r.idle; i != nil && (worst < 0 || i.verified < worst) {
			worst = i.verified
		}
	}
	return worst
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

// document is the results file: how, where and when, then the table.
func (rep *report) document(args []string) string {
	p := rep.p
	var b strings.Builder
	fmt.Fprintf(&b, "# Portico side by side: results\n\n")
	fmt.Fprintf(&b, "Recorded %s by `make bench-compare` (`%s`); the method is in bench/README.md.\n\n",
		rep.start.UTC().Format("2006-01-02 15:04 UTC"), strings.Join(append([]string{"portico-bench"}, args...), " "))
	fmt.Fprintf(&b, "- machine: %d CPUs (nproc), %s, Linux %s\n", runtime.NumCPU(), cpuModel(), kernel())
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) at the start: %s; at the end: %s (other work on the machine shares its CPUs)\n", rep.loadStart, loadAvg())
	fmt.Fprintf(&b, "- load tool: %s, GOMAXPROCS %d\n", runtime.Version(), p.clientProcs)
	for _, name := range rep.order {
		v := "not measured"
		for _, r := range rep.runs[name] {
			if r.skipped == "" && r.version != "" {
				v = r.version
			}
		}
		fmt.Fprintf(&b, "- %s: %s\n", name, v)
	}
	fmt.Fprintf(&b, "- %d rounds, the products in turn in each; every figure is the median over the rounds\n", p.runs)
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
