// The configtest corpus: `portico -t` must print what `apache2 -t` prints,
// with the same exit status, for every case in testdata/configtest.
//
// Each case is a txtar archive whose comment is a one-line description and
// whose files are extracted into a fresh temporary directory (with a short
// path, see maxCaseDirLen); httpd.conf is
// the main config, and "$DIR" anywhere in a file stands for that directory.
// A file name ending in "/" makes an empty directory. Every case runs as
//
//	-t -d $DIR -f $DIR/httpd.conf -C "ServerName localhost" -C "ErrorLog /dev/null"
//	   -C "PidFile $DIR/httpd.pid"
//	   -C "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so"
//
// (httpd refuses any config without an MPM, so the MPM is part of the common
// command line) with the variables of caseEnv added to the environment.
//
// The goldens in testdata/configtest/golden hold Apache's verdict, recorded
// from the live binary with
//
//	go test ./cmd/portico -run TestConfigtest -update
//
// and the same command followed by
//
//	git diff --exit-code testdata/configtest/golden
//
// checks that they still match the installed apache2.
//
// Both outputs are normalised before they are written or compared:
//   - the case directory (and, for the Debian tree, its temporary
//     directories) becomes $DIR ($APACHE_RUN_DIR, $APACHE_LOCK_DIR,
//     $APACHE_LOG_DIR, $TMP);
//   - the program name httpd prints as ap_server_argv0 ("apache2: Syntax
//     error on line …", "AH00558: apache2: …") becomes $ARGV0, whether it
//     is apache2, httpd, portico or the test binary;
//   - an error-log line "[Wed Nov 25 02:58:44.157487 2026] [core:warn]
//     [pid 7309:tid 7309] AH00111: …" loses its time stamp and pid/tid and
//     becomes "[core:warn] AH00111: …";
//   - the host name AH00558 guesses ("…domain name, using 127.0.0.1. Set
//     the…") becomes $HOST.
package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "record goldens from a live apache2")

const (
	caseDir   = "../../testdata/configtest"
	goldenDir = caseDir + "/golden"
	// debianGolden is the golden of TestConfigtestDebianTree.
	debianGolden = "debian_stock_tree"
)

// caseEnv is added to the environment of every case, Apache and Portico
// alike, so that cases can read ${VAR} from the process environment.
var caseEnv = []string{
	"PORTICO_CT_ENV=from-env",
	"PORTICO_CT_SPACES=two words",
}

// configtestArgs is the command line of every case (without argv0).
func configtestArgs(dir string) []string {
	return []string{
		"-t",
		"-d", dir,
		"-f", filepath.Join(dir, "httpd.conf"),
		"-C", "ServerName localhost",
		"-C", "ErrorLog /dev/null",
		"-C", "PidFile " + filepath.Join(dir, "httpd.pid"),
		"-C", "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so",
	}
}

func TestConfigtest(t *testing.T) {
	archives, err := filepath.Glob(filepath.Join(caseDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatalf("no cases in %s", caseDir)
	}
	names := map[string]bool{debianGolden: true}
	for _, archive := range archives {
		name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
		names[name] = true
		t.Run(name, func(t *testing.T) {
			dir := newCaseDir(t)
			extractCase(t, archive, dir)
			args := configtestArgs(dir)
			var got result
			if *update {
				got = runApache(t, dir, append(os.Environ(), caseEnv...), args)
			} else {
				for _, kv := range caseEnv {
					k, v, _ := strings.Cut(kv, "=")
					t.Setenv(k, v)
				}
				got = runPortico(t, args)
			}
			got.stderr = normalise(got.stderr, replacement{dir, "$DIR"})
			got.stdout = normalise(got.stdout, replacement{dir, "$DIR"})
			want := checkGolden(t, filepath.Join(goldenDir, name+".golden"), got)
			if ok := strings.HasPrefix(name, "ok_"); ok != (want.exit == 0) {
				t.Errorf("Apache's verdict does not fit the case name %s: exit status %d, stderr:\n%s", name, want.exit, want.stderr)
			}
		})
	}
	checkOrphanGoldens(t, names)
}

// maxCaseDirLen bounds the length of a case directory's path. httpd cuts an
// error line at 8190 bytes, and err_include_recursion prints the path 129
// times: with a longer path its golden would depend on the path's length.
const maxCaseDirLen = 24

// newCaseDir makes the directory a case is extracted into, short enough for
// maxCaseDirLen (under /tmp rather than a long $TMPDIR), and removed when
// the test ends.
func newCaseDir(t *testing.T) string {
	t.Helper()
	base := os.TempDir()
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() && len(base) > len("/tmp") {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "ct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if len(dir) > maxCaseDirLen {
		t.Fatalf("case directory %s is longer than %d bytes", dir, maxCaseDirLen)
	}
	return dir
}

// extractCase checks the case archive and writes its files into dir, with
// $DIR replaced by dir.
func extractCase(t *testing.T, archive, dir string) {
	t.Helper()
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
	if !strings.HasPrefix(name, "ok_") && !strings.HasPrefix(name, "err_") {
		t.Fatalf("case name %q must start with ok_ or err_", name)
	}
	comment, files := parseTxtar(data)
	if c := strings.TrimSpace(string(comment)); c == "" || strings.Contains(c, "\n") {
		t.Errorf("the comment of %s must be a one-line description, got %q", archive, c)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.name] {
			t.Fatalf("%s: file %q appears twice", archive, f.name)
		}
		seen[f.name] = true
		if !filepath.IsLocal(f.name) {
			t.Fatalf("%s: file name %q leaves the case directory", archive, f.name)
		}
		path := filepath.Join(dir, f.name)
		if strings.HasSuffix(f.name, "/") {
			if len(bytes.TrimSpace(f.data)) > 0 {
				t.Fatalf("%s: directory %q has content", archive, f.name)
			}
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		text := bytes.ReplaceAll(f.data, []byte("$DIR"), []byte(dir))
		if err := os.WriteFile(path, text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !seen["httpd.conf"] {
		t.Fatalf("%s has no httpd.conf", archive)
	}
	// An editor or a git setting that rewrites line ends would silently turn
	// the CRLF cases into LF ones.
	if strings.Contains(name, "crlf") && !bytes.Contains(data, []byte("\r\n")) {
		t.Fatalf("%s: a crlf case without CR LF line ends", archive)
	}
}

// checkOrphanGoldens reports (or, with -update, removes) goldens that
// belong to no case.
func checkOrphanGoldens(t *testing.T, names map[string]bool) {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(goldenDir, "*.golden"))
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

// TestConfigtestDebianTree checks Debian's stock /etc/apache2 tree, run the
// way apache2ctl runs it: with the environment of /etc/apache2/envvars, its
// run, lock and log directories moved to temporary ones. Portico must print
// what the golden holds; unless PORTICO_NO_APACHE=1, the live apache2 runs
// on the same tree too and must agree with the golden, so that a tree that
// is no longer the stock one shows up as such rather than as a Portico bug.
//
// PORTICO_NO_APACHE=1 is the only way to skip it, and it skips only on a
// machine without /etc/apache2; without it the test fails there.
func TestConfigtestDebianTree(t *testing.T) {
	const conf = "/etc/apache2/apache2.conf"
	noApache := os.Getenv("PORTICO_NO_APACHE") == "1"
	if _, err := os.Stat(conf); err != nil {
		if noApache {
			t.Skipf("PORTICO_NO_APACHE=1: %v", err)
		}
		t.Fatalf("install apache2 (apt-get install apache2), or set PORTICO_NO_APACHE=1 to skip this test: %v", err)
	}
	tmp := t.TempDir()
	env, repl := debianEnv(t, tmp)
	args := []string{"-t", "-f", conf}
	golden := filepath.Join(goldenDir, debianGolden+".golden")
	if *update {
		got := runApache(t, tmp, env, args)
		got.stderr = normalise(got.stderr, repl...)
		got.stdout = normalise(got.stdout, repl...)
		checkGolden(t, golden, got)
		return
	}
	if !noApache {
		live := runApache(t, tmp, env, args)
		live.stderr = normalise(live.stderr, repl...)
		live.stdout = normalise(live.stdout, repl...)
		data, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if live.String() != string(data) {
			t.Errorf("the live apache2 -t on %s does not give the golden %s: the tree is not Debian's stock one, or apache2 is not 2.4.71\n%s",
				conf, golden, lineDiff(string(data), live.String()))
		}
	}
	replaceEnv(t, env)
	got := runPortico(t, args)
	got.stderr = normalise(got.stderr, repl...)
	got.stdout = normalise(got.stdout, repl...)
	checkGolden(t, golden, got)
}

// debianEnv returns the environment apache2ctl gives apache2 (the current
// one after sourcing /etc/apache2/envvars), with the run, lock and log
// directories and the pid file moved under tmp, and the replacements that
// hide those directories again.
func debianEnv(t *testing.T, tmp string) ([]string, []replacement) {
	t.Helper()
	cmd := exec.Command("sh", "-c", ". /etc/apache2/envvars && exec env -0")
	cmd.Env = os.Environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sourcing /etc/apache2/envvars: %v", err)
	}
	vars := map[string]string{}
	var order []string
	for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := vars[k]; !dup {
			order = append(order, k)
		}
		vars[k] = v
	}
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	repl := []replacement{{tmp, "$TMP"}}
	for _, d := range []struct{ name, sub string }{
		{"APACHE_RUN_DIR", "run"},
		{"APACHE_LOCK_DIR", "lock"},
		{"APACHE_LOG_DIR", "log"},
	} {
		path := filepath.Join(tmp, d.sub)
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		set(d.name, path)
		repl = append(repl, replacement{path, "$" + d.name})
	}
	set("APACHE_PID_FILE", filepath.Join(vars["APACHE_RUN_DIR"], "apache2.pid"))
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env, repl
}

// replaceEnv makes env the whole environment of the test process until the
// test ends.
func replaceEnv(t *testing.T, env []string) {
	t.Helper()
	keep := map[string]bool{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		keep[k] = true
		t.Setenv(k, v)
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !keep[k] {
			t.Setenv(k, "") // restores the old value when the test ends
			os.Unsetenv(k)
		}
	}
}
