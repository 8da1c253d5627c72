package directives

import (
	"fmt"
	"os"
	"path/filepath"
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

func BenchmarkLoad10k(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "httpd.conf")
	src := bigConfig(10000)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		_, diags := Load(Options{File: file, ServerRoot: dir})
		if err := diags.Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadMemoryLinear checks that memory grows linearly with the size of
// the configuration: ten times the directives may not cost more than
// fifteen times the allocations.
func TestLoadMemoryLinear(t *testing.T) {
	measure := func(n int) float64 {
		dir := t.TempDir()
		file := filepath.Join(dir, "httpd.conf")
		if err := os.WriteFile(file, []byte(bigConfig(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Load(Options{File: file, ServerRoot: dir})
			}
		})
		return float64(res.AllocedBytesPerOp())
	}
	small, large := measure(1000), measure(10000)
	if ratio := large / small; ratio > 15 {
		t.Errorf("bytes for 10k directives / 1k directives = %.1f; want at most 15 (linear)", ratio)
	}
}
