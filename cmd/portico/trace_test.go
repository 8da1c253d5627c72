package main

// TestTrace runs `portico trace` on each case of testdata/trace and
// compares what it prints with testdata/trace/golden/<case>.golden.
//
// A case is a txtar archive: its comment describes it, the file "args"
// holds the arguments after `portico trace -d $DIR -f $DIR/httpd.conf`,
// one a line, and the other files (httpd.conf, documents) are extracted
// into a temporary directory that $DIR names, in the files, the
// arguments and the goldens alike. The goldens are Portico's own output:
// `go test ./cmd/portico -run TestTrace -update` rewrites them, and the
// diff is then reviewed like code.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const traceCaseDir = "../../testdata/trace"

func TestTrace(t *testing.T) {
	archives, err := filepath.Glob(filepath.Join(traceCaseDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatal("no trace cases")
	}
	for _, archive := range archives {
		name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
		t.Run(name, func(t *testing.T) {
			got := runTraceCase(t, archive)
			golden := filepath.Join(traceCaseDir, "golden", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (record it with -update)", err)
			}
			if got.String() != string(want) {
				t.Errorf("portico trace output differs from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// runTraceCase extracts a case and runs `portico trace` on it.
func runTraceCase(t *testing.T, archive string) result {
	t.Helper()
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, files := parseTxtar(data)
	var args []string
	for _, f := range files {
		body := bytes.ReplaceAll(f.data, []byte("$DIR"), []byte(dir))
		if f.name == "args" {
			for _, l := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
				if l != "" {
					args = append(args, l)
				}
			}
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if strings.HasSuffix(f.name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	argv := append([]string{"trace", "-d", dir, "-f", filepath.Join(dir, "httpd.conf")}, args...)
	var stdout, stderr bytes.Buffer
	code := run(argv, &stdout, &stderr)
	norm := func(s string) string { return strings.ReplaceAll(s, dir, "$DIR") }
	return result{exit: code, stdout: norm(stdout.String()), stderr: norm(stderr.String())}
}

// TestTraceJSON checks that --format json is one JSON object whose
// outcome and steps agree with the text form.
func TestTraceJSON(t *testing.T) {
	r := runTraceCase(t, filepath.Join(traceCaseDir, "json_location_proxypass.txtar"))
	if r.exit != 0 {
		t.Fatalf("exit %d; want 0\n%s", r.exit, r.stderr)
	}
	var j jsonTrace
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		t.Fatalf("--format json printed no JSON object: %v\n%s", err, r.stdout)
	}
	if got, want := j.Outcome.Kind, "proxy"; got != want {
		t.Errorf("outcome kind %q; want %q", got, want)
	}
	if got, want := j.Outcome.Backend, "http://127.0.0.1:9000/app/x"; got != want {
		t.Errorf("backend %q; want %q", got, want)
	}
	if j.Outcome.ConfigFile != "$DIR/httpd.conf" || j.Outcome.ConfigLine == 0 {
		t.Errorf("outcome decided at %s:%d; want a line of $DIR/httpd.conf", j.Outcome.ConfigFile, j.Outcome.ConfigLine)
	}
	var sawLocation bool
	for _, s := range j.Steps {
		if s.Phase == "location" && s.Line > 0 {
			sawLocation = true
		}
	}
	if !sawLocation {
		t.Errorf("no location step with a line in %+v", j.Steps)
	}
}

func TestTraceUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no URL", []string{"trace", "-f", "/dev/null"}, "no URL"},
		{"bad format", []string{"trace", "--format", "xml", "/"}, `unknown format "xml"`},
		{"bad header", []string{"trace", "-H", "NoColon", "/"}, `bad header "NoColon"`},
		{"unknown option", []string{"trace", "-q", "/"}, `unknown option "-q"`},
		{"two URLs", []string{"trace", "/a", "/b"}, `unexpected argument "/b"`},
		{"missing value", []string{"trace", "/a", "-X"}, "option -X needs a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d; want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q; want it to say %q", stderr.String(), tc.want)
			}
		})
	}
}
