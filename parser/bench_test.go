package parser

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// bigConfig returns a configuration of n directives in virtual hosts of
// ten, with comments and a continued line in each.
func bigConfig(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, "# host %d\n<VirtualHost *:%d>\n", i, 8000+i)
		fmt.Fprintf(&b, "    ServerName host%d.example.com\n", i)
		fmt.Fprintf(&b, "    ProxyPass \"/app%d\" \"http://127.0.0.1:%d/\" \\\n        retry=0 timeout=5\n", i, 9000+i)
		for j := 3; j < 10; j++ {
			fmt.Fprintf(&b, "    RewriteRule ^/old%d/(.*)$ /new%d/$1 [R=301,L]\n", j, j)
		}
		b.WriteString("</VirtualHost>\n")
	}
	return []byte(b.String())
}

// benchSizes are the sizes, in directives, the benchmarks read.
var benchSizes = []struct {
	name string
	n    int
}{{"1k", 1000}, {"10k", 10000}, {"100k", 100000}}

// BenchmarkParse parses configurations of 1k, 10k and 100k directives.
func BenchmarkParse(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			src := bigConfig(size.n)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("big.conf", src); err != nil {
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

// TestParseMemoryLinear checks that the memory a parse allocates grows
// linearly with the input: ten times the directives may cost at most
// twelve times the bytes, and about the same bytes per input byte.
func TestParseMemoryLinear(t *testing.T) {
	sizes := []int{1000, 10000, 100000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	var prev uint64
	for i, n := range sizes {
		src := bigConfig(n)
		got := allocBytes(func() {
			if _, err := Parse("big.conf", src); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d directives, %d bytes of input: %d bytes allocated (%.1f per input byte)", n, len(src), got, float64(got)/float64(len(src)))
		if i > 0 {
			if ratio := float64(got) / float64(prev); ratio > 12 {
				t.Errorf("%d directives allocate %.1f times what %d do; want at most 12 (linear)", n, ratio, sizes[i-1])
			}
		}
		prev = got
	}
}
