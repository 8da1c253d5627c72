package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// product is one thing the benchmark measures: a proxy started from its
// configuration under bench/, or the backend itself ("direct").
//
// Every configuration does the same: listen on ${BENCH_LISTEN}, proxy
// every path to the backend at ${BENCH_BACKEND} with kept-alive backend
// connections, tunnel WebSocket upgrades, no access log, and keep client
// connections alive without a request limit. Run files go to
// ${BENCH_DIR}. Apache and Portico read the same bench/httpd.conf,
// unchanged; HAProxy reads the variables from its environment; nginx
// has no environment variables in its configuration, so the benchmark
// writes a copy of bench/nginx.conf with them substituted.
type product struct {
	name    string
	pkg     string // Debian package that provides it; "" for our own
	bin     string // executable
	conf    string // under the configs directory
	version func(bin string) (string, error)
	// args returns the command line, given the configuration to use
	// and the run directory.
	args func(conf, dir string) []string
	// substitute says the configuration needs ${BENCH_*} replaced in a
	// copy, for a product that cannot read the environment.
	substitute bool
	// logs are files under the run directory that tell why it failed.
	logs []string
}

// products returns every product the benchmark knows, in table order.
func products(portico string) []product {
	root := os.Geteuid() == 0
	// Children run in their run directory: a relative path would not
	// find the binary from there.
	if abs, err := filepath.Abs(portico); err == nil && portico != "" {
		portico = abs
	}
	httpdArgs := func(conf, dir string) []string {
		a := []string{"-DFOREGROUND", "-f", conf, "-d", dir}
		if root {
			a = append(a, "-DBENCH_ROOT") // User nobody, as httpd needs when it starts as root
		}
		return a
	}
	return []product{
		{name: "direct"},
		{
			name: "portico", bin: portico, conf: "httpd.conf", args: httpdArgs,
			version: firstMatch(`Server version: (.*)`, "-v"),
			logs:    []string{"error.log"},
		},
		{
			name: "apache", pkg: "apache2", bin: "/usr/sbin/apache2", conf: "httpd.conf", args: httpdArgs,
			version: firstMatch(`Server version: (.*)`, "-v"),
			logs:    []string{"error.log"},
		},
		{
			name: "nginx", pkg: "nginx", bin: "/usr/sbin/nginx", conf: "nginx.conf", substitute: true,
			args: func(conf, dir string) []string {
				return []string{"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf}
			},
			version: firstMatch(`nginx version: (.*)`, "-v"),
			logs:    []string{"error.log"},
		},
		{
			name: "haproxy", pkg: "haproxy", bin: "/usr/sbin/haproxy", conf: "haproxy.cfg",
			args: func(conf, dir string) []string {
				return []string{"-db", "-f", conf}
			},
			version: firstMatch(`(HAProxy version \S+)`, "-v"),
		},
	}
}

// firstMatch returns a version function: run the binary with args and
// return the first submatch of re in its output.
func firstMatch(re string, args ...string) func(string) (string, error) {
	rx := regexp.MustCompile(re)
	return func(bin string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if m := rx.FindSubmatch(out); m != nil {
			return strings.TrimSpace(string(m[1])), nil
		}
		if err == nil {
			err = errors.New("no version in its output")
		}
		return "", fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// installed reports why p cannot run here, or nil.
func (p product) installed() error {
	if p.bin == "" {
		return nil
	}
	st, err := os.Stat(p.bin)
	if err != nil {
		if p.pkg != "" {
			return fmt.Errorf("%s not found (install it with: apt-get install -y %s)", p.bin, p.pkg)
		}
		return fmt.Errorf("%s not found (build it with: make build)", p.bin)
	}
	if st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", p.bin)
	}
	return nil
}

// benchEnv is the environment every configuration reads.
func benchEnv(listen, backend, dir string) []string {
	return []string{"BENCH_LISTEN=" + listen, "BENCH_BACKEND=" + backend, "BENCH_DIR=" + dir}
}

var benchVar = regexp.MustCompile(`\$\{(BENCH_[A-Z]+)\}`)

// substitute replaces ${BENCH_*} in text from env; an unknown one is an
// error, so that a typo cannot reach the product.
func substitute(text string, env []string) (string, error) {
	vals := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	var bad []string
	out := benchVar.ReplaceAllStringFunc(text, func(m string) string {
		name := benchVar.FindStringSubmatch(m)[1]
		v, ok := vals[name]
		if !ok {
			bad = append(bad, name)
		}
		return v
	})
	if bad != nil {
		return "", fmt.Errorf("unknown variables %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// start writes what p needs into dir and starts it listening on listen,
// proxying to backend.
func (p product) start(configs, dir, listen, backend string) (*child, error) {
	conf, err := filepath.Abs(filepath.Join(configs, p.conf))
	if err != nil {
		return nil, err
	}
	env := benchEnv(listen, backend, dir)
	if p.substitute {
		text, err := os.ReadFile(conf)
		if err != nil {
			return nil, err
		}
		out, err := substitute(string(text), env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", conf, err)
		}
		conf = filepath.Join(dir, p.conf)
		if err := os.WriteFile(conf, []byte(out), 0o644); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(conf); err != nil {
		return nil, err
	}
	var logs []string
	for _, l := range p.logs {
		logs = append(logs, filepath.Join(dir, l))
	}
	return startChild(p.name, dir, env, logs, p.bin, p.args(conf, dir)...)
}
