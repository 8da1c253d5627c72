package parser

import (
	"fmt"
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

func BenchmarkParse10k(b *testing.B) {
	src := bigConfig(10000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big.conf", src); err != nil {
			b.Fatal(err)
		}
	}
}
