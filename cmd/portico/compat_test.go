// The compat suite: Portico must be indistinguishable from Apache httpd, for
// the client and for the backend, on every case in testdata/compat.
//
// Each case is a config snippet and a steps script (format in
// testdata/compat/README.md). internal/compat runs it against a server
// with three test backends and turns what the client and the backends saw
// into a normalised observation.
//
//	go test ./cmd/portico -run TestCompat -update   # record every golden from the live apache2
//	go test ./cmd/portico -run TestCompat           # run Portico and compare with the goldens
//	go test ./cmd/portico -run TestCompat/NAME      # one case
//
// The cases are independent (fresh ports and directory each) and run in
// parallel; -parallel 8 speeds the suite up, since the cases mostly wait.
package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat"
)

const (
	compatDir       = "../../testdata/compat"
	compatGoldenDir = compatDir + "/golden"
	// compatCaseTimeout bounds one case, server start and stop included.
	compatCaseTimeout = 90 * time.Second
)

func TestCompat(t *testing.T) {
	cases, err := compat.LoadCases(compatDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("no cases in %s", compatDir)
	}
	var srv compat.Server
	if *update {
		srv = compat.Apache(apacheBinary(t))
	} else {
		srv = compat.Portico(buildPortico(t))
	}
	names := map[string]bool{}
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			names[c.Name] = true
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				runCompatCase(t, c, srv)
			})
		}
	})
	checkCompatOrphans(t, names)
}

// runCompatCase runs one case and records or compares its golden.
func runCompatCase(t *testing.T, c *compat.Case, srv compat.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), compatCaseTimeout)
	defer cancel()
	res, err := compat.Run(ctx, c, srv, shortTempBase())
	if err != nil {
		t.Fatalf("%v\n%s", err, diagnostics(res))
	}
	golden := filepath.Join(compatGoldenDir, c.Name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(res.Observed), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (record it with: go test ./cmd/portico -run TestCompat -update)", err)
	}
	if res.Observed != string(want) {
		t.Errorf("%s: %s differs from Apache (%s):\n%s\n%s", c.Name, srv.Name, c.Comment, lineDiff(string(want), res.Observed), diagnostics(res))
	}
}

// diagnostics returns the server's output and error log, for a failure.
func diagnostics(res compat.Result) string {
	var b strings.Builder
	if res.Stderr != "" {
		b.WriteString("server output:\n" + tail(res.Stderr, 40))
	}
	if res.ErrorLog != "" {
		b.WriteString("error log:\n" + tail(res.ErrorLog, 40))
	}
	return b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…\n"}, lines[len(lines)-n:]...)
	}
	out := strings.Join(lines, "")
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out
}

// shortTempBase is where case directories go: /tmp rather than a long
// $TMPDIR, since httpd puts socket and mutex paths under them.
func shortTempBase() string {
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
		return "/tmp"
	}
	return os.TempDir()
}

// buildPortico builds the portico binary for the suite and returns its
// path.
func buildPortico(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portico")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkCompatOrphans reports (or, with -update, removes) goldens of no case.
func checkCompatOrphans(t *testing.T, names map[string]bool) {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(compatGoldenDir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		if names[strings.TrimSuffix(filepath.Base(g), ".golden")] {
			continue
		}
		if !*update {
			t.Errorf("golden %s belongs to no case; run with -update to remove it", g)
			continue
		}
		if err := os.Remove(g); err != nil {
			t.Error(err)
		}
	}
}
