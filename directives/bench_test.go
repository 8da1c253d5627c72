package directives

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bigConfig builds a configuration of about n directives: virtual hosts
// with locations, headers of the kind real trees have.
func bigConfig(n int) string {
	var b strings.Builder
	b.WriteString(mpm)
	b.WriteString("ServerName localhost\n")
	count := 2
	for v := 0; count < n; v++ {
		fmt.Fprintf(&b, "<VirtualHost 127.0.0.1:%d>\n", 8000+v%1000)
		fmt.Fprintf(&b, "    ServerName host%d.test\n    ServerAlias www.host%d.test alt%d.test\n", v, v, v)
		count += 3
		for l := 0; l < 10 && count < n; l++ {
			fmt.Fprintf(&b, "    <Location \"/app%d/\">\n        Options -Indexes\n        SetHandler none\n    </Location>\n", l)
			count += 4
		}
		b.WriteString("    Timeout 30\n    KeepAlive On\n</VirtualHost>\n")
		count += 3
	}
	return b.String()
}

// benchSizes are the sizes, in directives, the benchmarks read.
var benchSizes = []struct {
	name string
	n    int
}{{"1k", 1000}, {"10k", 10000}, {"100k", 100000}}

// writeBig writes bigConfig(n) as httpd.conf in a new directory and
// returns the options that load it and its size in bytes.
func writeBig(tb testing.TB, n int) (Options, int) {
	tb.Helper()
	dir := tb.TempDir()
	file := filepath.Join(dir, "httpd.conf")
	src := bigConfig(n)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return Options{File: file, ServerRoot: dir}, len(src)
}

// BenchmarkLoad reads and walks configurations of 1k, 10k and 100k
// directives: the file read, the parse, the read phase and the walk.
func BenchmarkLoad(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			opts, n := writeBig(b, size.n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				_, diags := Load(opts)
				if err := diags.Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// allocBytes returns the bytes one call of f allocates.
func allocBytes(f func()) uint64 {
	f() // warm up: first-use allocations do not count
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadMemoryLinear checks that memory grows linearly with the size of
// the configuration: ten times the directives may cost at most twelve
// times the bytes.
func TestLoadMemoryLinear(t *testing.T) {
	sizes := []int{1000, 10000, 100000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	var prev uint64
	for i, n := range sizes {
		opts, _ := writeBig(t, n)
		got := allocBytes(func() { Load(opts) })
		t.Logf("%d directives: %d bytes allocated", n, got)
		if i > 0 {
			if ratio := float64(got) / float64(prev); ratio > 12 {
				t.Errorf("%d directives allocate %.1f times what %d do; want at most 12 (linear)", n, ratio, sizes[i-1])
			}
		}
		prev = got
	}
}
