package tunnel

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStream sends 1 MiB writes one way through a tunnel; compare
// with BenchmarkStreamDirect, the same without the tunnel.
func BenchmarkStream(b *testing.B) {
	m := NewManager()
	defer m.Shutdown(context.Background())
	client, backend, _ := setup(b, m, nil, nil, nil, Options{})
	streamBench(b, client, backend)
}

func BenchmarkStreamDirect(b *testing.B) {
	client, backend := pair(b)
	streamBench(b, client, backend)
}

func streamBench(b *testing.B, w, r net.Conn) {
	msg := make([]byte, 1<<20)
	done := make(chan struct{})
	go func() {
		io.CopyN(io.Discard, r, int64(b.N)*int64(len(msg)))
		close(done)
	}()
	b.SetBytes(int64(len(msg)))
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	// CPU time of the whole process (both ends and the tunnel) per MiB:
	// steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/MiB")
	w.Close()
	r.Close()
}

// BenchmarkIdleMemory opens 2,000 idle tunnels (8,000 sockets in this
// process: both applications' ends and the two legs) and reports the
// resident memory they add per tunnel, less what the same number of
// plain connection pairs costs.
func BenchmarkIdleMemory(b *testing.B) {
	const n = 2000
	for i := 0; i < b.N; i++ {
		base := idleRSS(b, n, false)
		with := idleRSS(b, n, true)
		b.ReportMetric(float64(with-base)/n/1024, "KiB/tunnel")
		b.ReportMetric(float64(with)/n/1024, "KiB/tunnel+sockets")
	}
}

func idleRSS(b *testing.B, n int, tunnels bool) int64 {
	debug.FreeOSMemory()
	before := rss(b)
	m := NewManager()
	var conns []net.Conn
	for i := 0; i < n; i++ {
		if tunnels {
			c, bk, _ := setup(b, m, nil, nil, nil, Options{})
			conns = append(conns, c, bk)
		} else {
			c1, c2 := pair(b)
			c3, c4 := pair(b)
			conns = append(conns, c1, c2, c3, c4)
		}
	}
	runtime.GC()
	after := rss(b)
	for _, c := range conns {
		c.Close()
	}
	m.Shutdown(context.Background())
	return after - before
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rss(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
