package main

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	in := "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 3 0 1000 12345678 900 18446744073709551615\n"
	ps, err := parseStat([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if ps.ppid != 17 || ps.ticks != 281 {
		t.Errorf("got ppid %d ticks %d; want 17 and 281", ps.ppid, ps.ticks)
	}
	for _, bad := range []string{"", "12 (x S 1", "12 (x) S 1 2 3", "12 (x) S one 2 3 4 5 6 7 8 9 10 11 12 13"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded; want an error", bad)
		}
	}
}

func TestTreeUsageCountsDescendants(t *testing.T) {
	// sh starts a sleeping grandchild: both belong to the tree.
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	var tree []int
	deadline := time.Now().Add(5 * time.Second)
	for len(tree) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		var err error
		if tree, err = procTree(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	if len(tree) != 2 || tree[0] != cmd.Process.Pid {
		t.Fatalf("procTree = %v; want sh and its sleep", tree)
	}
	u, err := treeUsage(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if u.procs != 2 || u.rss <= 0 {
		t.Errorf("treeUsage = %+v; want 2 processes with memory", u)
	}
	self, err := procTree(os.Getpid())
	if err != nil || !slices.Contains(self, cmd.Process.Pid) {
		t.Errorf("procTree(self) = %v, %v; want it to hold the child %d", self, err, cmd.Process.Pid)
	}
}

func TestTreeUsageSeesCPU(t *testing.T) {
	a, err := treeUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 150*time.Millisecond; {
		x++
	}
	b, err := treeUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.cpu <= a.cpu {
		t.Errorf("CPU ticks %d then %d after a busy loop (%d turns); want them to grow", a.cpu, b.cpu, x)
	}
}

func TestProcTreeOfMissingProcess(t *testing.T) {
	if _, err := procTree(1 << 30); err == nil {
		t.Error("procTree of a pid that does not exist succeeded")
	}
}
