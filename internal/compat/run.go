package compat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portico-proxy/portico/internal/compat/backend"
)

// Server says how to start the product under test: Path -DFOREGROUND -f
// CONF, with Env added to the environment.
type Server struct {
	Name string                    // "apache2", "portico": for messages
	Path string                    // the binary
	Env  func(dir string) []string // extra environment for a case directory; may be nil
}

// Apache returns the Server for Debian's apache2 at path: Debian's binary
// needs its run, lock and log directories in the environment.
func Apache(path string) Server {
	return Server{Name: "apache2", Path: path, Env: func(dir string) []string {
		return []string{
			"APACHE_RUN_DIR=" + filepath.Join(dir, "run"),
			"APACHE_LOCK_DIR=" + filepath.Join(dir, "run"),
			"APACHE_LOG_DIR=" + dir,
			"APACHE_PID_FILE=" + filepath.Join(dir, "httpd.pid"),
			"APACHE_RUN_USER=nobody",
			"APACHE_RUN_GROUP=nogroup",
			"LANG=C",
		}
	}}
}

// Portico returns the Server for the portico binary at path.
func Portico(path string) Server {
	return Server{Name: "portico", Path: path}
}

// Result is the outcome of one run of a case.
type Result struct {
	// Observed is the normalised observation, in the golden format.
	Observed string
	// Stderr is what the server printed; ErrorLog is its error log. Both
	// are for diagnosing a failure and are never compared.
	Stderr, ErrorLog string
}

// startTimeout bounds the wait for the server's listener.
const startTimeout = 15 * time.Second

// Run runs case c against srv: it starts the backends, writes the full
// configuration into a fresh directory under base, starts the server,
// waits for its listener, runs the steps and stops everything. A server
// that does not start is an error; anything the steps observe is part of
// the result.
func Run(ctx context.Context, c *Case, srv Server, base string) (res Result, err error) {
	dir, err := os.MkdirTemp(base, "compat")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	// Apache's children run as nobody and must read the case's files.
	if err := os.Chmod(dir, 0o755); err != nil {
		return res, err
	}

	rec := &recorder{}
	backends := map[string]*backend.Backend{}
	for _, name := range BackendNames {
		ln, err := ListenPort()
		if err != nil {
			return res, err
		}
		b := backend.Serve(name, ln, rec.backendEvent)
		if err != nil {
			return res, err
		}
		backends[name] = b
		defer b.Stop()
	}
	tlsBackends, err := startTLSBackends(c, dir, rec.backendEvent, backends)
	for _, b := range tlsBackends {
		defer b.Stop()
	}
	if err != nil {
		return res, err
	}
	port, err := freePort()
	if err != nil {
		return res, err
	}
	ph := placeholders(dir, port, backends)
	steps, err := ParseSteps(ph.apply(c.Steps))
	if err != nil {
		return res, err
	}
	conf, err := writeCase(c, dir, ph)
	if err != nil {
		return res, err
	}

	var stderr bytes.Buffer
	cmd := exec.Command(srv.Path, "-DFOREGROUND", "-f", conf)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if srv.Env != nil {
		cmd.Env = append(cmd.Env, srv.Env(dir)...)
	}
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("starting %s: %w", srv.Name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		stopServer(cmd, exited)
		res.Stderr = stderr.String()
		if b, err := os.ReadFile(filepath.Join(dir, "error.log")); err == nil {
			res.ErrorLog = string(b)
		}
	}()

	listen := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitListening(ctx, listen, exited); err != nil {
		return res, fmt.Errorf("%s did not start: %w", srv.Name, err)
	}

	rec.norm = ph.normaliser()
	cl := &client{addr: listen, rec: rec, backends: backends}
	cl.run(ctx, steps)
	// The observation ends with the steps: what the backends see while
	// the client connections are closed afterwards depends on timing.
	observed := rec.text()
	cl.closeAll()
	select {
	case <-exited:
		// Also what happens when another process held the port: the
		// client talked to it and the server gave up binding.
		return res, fmt.Errorf("%s exited during the steps", srv.Name)
	default:
	}
	res.Observed = "# " + c.Comment + "\n" + observed
	return res, nil
}

// stopServer ends the server's process group: SIGTERM, then SIGKILL if it
// has not exited within a few seconds.
func stopServer(cmd *exec.Cmd, exited chan struct{}) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
	// Children may outlive the parent for a moment.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitListening waits until addr accepts connections.
func waitListening(ctx context.Context, addr string, exited chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("it exited before listening")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening on %s after %v", addr, startTimeout)
		}
	}
}

// vars maps each placeholder to its value for one run.
type vars struct {
	pairs []replacement // placeholder → value
	names []replacement // address or port → placeholder, for normalising
}

type replacement struct{ old, new string }

func placeholders(dir string, port int, backends map[string]*backend.Backend) vars {
	var v vars
	add := func(name, value string) { v.pairs = append(v.pairs, replacement{name, value}) }
	add("$LISTEN", "127.0.0.1:"+strconv.Itoa(port))
	add("$PORT", strconv.Itoa(port))
	add("$DIR", dir)
	v.names = append(v.names, replacement{dir, "$DIR"}, replacement{"127.0.0.1:" + strconv.Itoa(port), "$LISTEN"})
	ports := []replacement{{strconv.Itoa(port), "$PORT"}}
	for _, name := range backendOrder(backends) {
		ph := "$" + strings.ToUpper(name)
		addr := backends[name].Addr()
		_, p, _ := net.SplitHostPort(addr)
		add(ph, addr)
		add(ph+"_PORT", p)
		v.names = append(v.names, replacement{addr, ph})
		ports = append(ports, replacement{p, ph + "_PORT"})
	}
	// Longest placeholder first: $BACKEND2_PORT before $BACKEND2 before $BACKEND.
	sort.SliceStable(v.pairs, func(i, j int) bool { return len(v.pairs[i].old) > len(v.pairs[j].old) })
	v.names = append(v.names, ports...)
	return v
}

func (v vars) apply(s string) string {
	for _, p := range v.pairs {
		s = strings.ReplaceAll(s, p.old, p.new)
	}
	return s
}

// writeCase writes the case's files and the full configuration into dir
// and returns the configuration's path.
func writeCase(c *Case, dir string, v vars) (string, error) {
	for _, f := range c.Files {
		path := filepath.Join(dir, f.Name)
		if strings.HasSuffix(f.Name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(v.apply(string(f.Data))), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o777); err != nil {
		return "", err
	}
	if err := os.Chmod(filepath.Join(dir, "run"), 0o777); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "mime.types"), []byte(mimeTypes), 0o644); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "compat.conf")
	text := v.apply(Preamble(os.Geteuid() == 0)) + "\n# ---- case " + c.Name + " ----\n" + v.apply(c.Conf)
	return conf, os.WriteFile(conf, []byte(text), 0o644)
}
