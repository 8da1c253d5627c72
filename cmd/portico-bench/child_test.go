package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestChildStopKillsItsGroup(t *testing.T) {
	dir := t.TempDir()
	// The shell ignores SIGTERM, so stop must fall back to SIGKILL, and
	// its background sleep must go too.
	c, err := startChild("stubborn", dir, nil, nil, "/bin/sh", "-c", "trap '' TERM; sleep 60 & echo $! > grandchild; wait")
	if err != nil {
		t.Fatal(err)
	}
	var gc int
	deadline := time.Now().Add(5 * time.Second)
	for gc == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(dir + "/grandchild")
		for _, r := range strings.TrimSpace(string(b)) {
			gc = gc*10 + int(r-'0')
		}
	}
	if gc == 0 {
		t.Fatal("the grandchild never started")
	}
	c.stop(200 * time.Millisecond)
	if !c.exited() {
		t.Fatal("the child survived stop")
	}
	time.Sleep(50 * time.Millisecond)
	if err := syscall.Kill(gc, 0); err == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(gc) + "/stat"); !strings.Contains(string(b), ") Z") {
			t.Errorf("the grandchild %d survived stop", gc)
		}
	}
	children.Lock()
	_, still := children.set[c]
	children.Unlock()
	if still {
		t.Error("a stopped child is still registered")
	}
}

func TestWaitListeningShowsTheLog(t *testing.T) {
	dir := t.TempDir()
	c, err := startChild("broken", dir, nil, nil, "/bin/sh", "-c", "echo 'AH00015: Unable to open logs' >&2; exit 1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = waitListening(c, addr, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "AH00015: Unable to open logs") || !strings.Contains(err.Error(), "exited") {
		t.Errorf("got %v; want the exit and the child's output", err)
	}
}

// TestMain lets startBackendChild run this test binary as the backend,
// as it runs portico-bench.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "backend" {
		os.Exit(backendMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestBackendChild(t *testing.T) {
	b, err := startBackendChild(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := sanityOnce(b.addr, 16); err != nil {
		t.Error(err)
	}
	// Closing its standard input ends it, as when the benchmark dies.
	b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		t.Error("the backend outlived its standard input")
	}
	b.stop()
}

func TestLoopbackAddresses(t *testing.T) {
	if err := checkLoopback("127.0.0.1:80"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"10.0.0.1:80", "localhost:80", "[::1]:80", "nocolon"} {
		if checkLoopback(bad) == nil {
			t.Errorf("checkLoopback(%q) = nil; want a refusal", bad)
		}
	}
	addr, err := freeAddr()
	if err != nil || checkLoopback(addr) != nil {
		t.Errorf("freeAddr = %q, %v; want a 127.0.0.1 address", addr, err)
	}
}
