package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// The proxies' cost is read from /proc: CPU time (utime+stime) and
// resident memory of a process and all its descendants, so that
// Apache's and nginx's worker processes count with their parent.

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// Linux fixes it at 100 on every architecture Go supports.
const clockTicks = 100

// procStat is what the benchmark reads of one /proc/PID/stat.
type procStat struct {
	ppid  int
	ticks uint64 // utime + stime
}

// parseStat parses the text of /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so fields are
// counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	var ps procStat
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return ps, fmt.Errorf("malformed /proc stat %q", b)
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return ps, fmt.Errorf("malformed /proc stat %q", b)
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	ut, err2 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err3 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return ps, fmt.Errorf("malformed /proc stat %q", b)
	}
	ps.ppid, ps.ticks = ppid, ut+st
	return ps, nil
}

// procTree returns root and every process descending from it.
func procTree(root int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		ps, err := parseStat(b)
		if err != nil {
			continue
		}
		children[ps.ppid] = append(children[ps.ppid], pid)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(root)); err != nil {
		return nil, fmt.Errorf("process %d is gone", root)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree, nil
}

// usage is a snapshot of a process tree's cost.
type usage struct {
	procs int
	cpu   uint64 // clock ticks, utime+stime summed
	rss   int64  // bytes, summed
}

// treeUsage sums CPU time and resident memory over root's process tree.
func treeUsage(root int) (usage, error) {
	pids, err := procTree(root)
	if err != nil {
		return usage{}, err
	}
	var u usage
	page := int64(os.Getpagesize())
	for _, pid := range pids {
		p := "/proc/" + strconv.Itoa(pid)
		b, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue
		}
		ps, err := parseStat(b)
		if err != nil {
			return u, err
		}
		m, err := os.ReadFile(p + "/statm")
		if err != nil {
			continue
		}
		f := bytes.Fields(m)
		if len(f) < 2 {
			return u, fmt.Errorf("malformed %s/statm %q", p, m)
		}
		res, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			return u, fmt.Errorf("malformed %s/statm %q", p, m)
		}
		u.procs++
		u.cpu += ps.ticks
		u.rss += res * page
	}
	return u, nil
}
