package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every process the benchmark starts is a child in its own process group
// (Apache's and nginx's workers join their parent's), registered here so
// that killAll can end them all: at the end of a product's run, on an
// error, and on Ctrl-C.

// child is a started process.
type child struct {
	name string
	cmd  *exec.Cmd
	logs []string // files that tell why it failed: its output first
	done chan struct{}
	err  error // from Wait, once done is closed
}

var children = struct {
	sync.Mutex
	set map[*child]struct{}
}{set: map[*child]struct{}{}}

// startChild starts bin with args in dir, its output in dir/NAME.out.
// extraLogs are files shown with that output when it fails.
func startChild(name, dir string, env []string, extraLogs []string, bin string, args ...string) (*child, error) {
	out := filepath.Join(dir, name+".out")
	f, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return register(name, cmd, append([]string{out}, extraLogs...))
}

func register(name string, cmd *exec.Cmd, logs []string) (*child, error) {
	children.Lock()
	defer children.Unlock()
	if children.set == nil {
		return nil, errors.New("stopping: no new processes")
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logs: logs, done: make(chan struct{})}
	children.set[c] = struct{}{}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's process group, then SIGKILL if it has
// not exited after grace, and waits for it.
func (c *child) stop(grace time.Duration) {
	pgid := c.pid()
	if !c.exited() {
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
		}
	}
	// Also the group's stragglers (workers whose parent went first).
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
	}
	children.Lock()
	delete(children.set, c)
	children.Unlock()
}

// killAll ends every registered child at once and refuses new ones.
func killAll() {
	children.Lock()
	set := children.set
	children.set = nil
	children.Unlock()
	for c := range set {
		syscall.Kill(-c.pid(), syscall.SIGKILL)
	}
	for c := range set {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
	}
}

// failure describes why the child failed: its exit status if it exited,
// then the end of each of its logs.
func (c *child) failure(what error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", c.name, what)
	if c.exited() {
		fmt.Fprintf(&b, " (exited: %v)", c.err)
	}
	for _, l := range c.logs {
		if t := tail(l, 20); t != "" {
			fmt.Fprintf(&b, "\n  --- %s:\n%s", l, indent(t, "  "))
		}
	}
	return errors.New(b.String())
}

// tail returns the last n lines of a file, or "" when it is empty or
// missing.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// waitListening waits until addr accepts a connection, the child exits
// or timeout passes.
func waitListening(c *child, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if c.exited() {
			return c.failure(errors.New("exited while starting"))
		}
		conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return c.failure(fmt.Errorf("not listening on %s after %v: %v", addr, timeout, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// backendChild is the benchmark's backend in a process of its own: this
// binary run as `portico-bench backend`. It exits when its standard
// input closes, so it cannot outlive the benchmark.
type backendChild struct {
	*child
	addr  string
	stdin io.Closer
}

func startBackendChild(dir string) (*backendChild, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "backend", "-addr", "127.0.0.1:0")
	cmd.Dir = dir
	out := filepath.Join(dir, "backend.out")
	f, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stderr = f
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c, err := register("backend", cmd, []string{out})
	if err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			c.stop(time.Second)
			return nil, c.failure(fmt.Errorf("did not start: %q", s))
		}
		return &backendChild{child: c, addr: addr, stdin: stdin}, nil
	case <-time.After(10 * time.Second):
		c.stop(time.Second)
		return nil, c.failure(errors.New("did not start within 10s"))
	}
}

func (b *backendChild) stop() {
	b.stdin.Close()
	b.child.stop(5 * time.Second)
}

// freeAddr returns a 127.0.0.1 address with a port free at the time of
// the call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// checkLoopback refuses any address but 127.0.0.1.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("address %q: the benchmark listens and connects on 127.0.0.1 only", addr)
	}
	return nil
}
