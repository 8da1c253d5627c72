// Command portico-bench measures Portico side by side with the backend
// reached directly and with Apache httpd, nginx and HAProxy, each run as
// a child process on 127.0.0.1 with a configuration that does the same
// thing (bench/: proxy / to the backend, WebSocket upgrades tunnelled).
//
//	portico-bench [flags]               the side-by-side run (make bench-compare)
//	portico-bench backend [-addr A]     the benchmark's backend, run by the above
//
// For each product in turn it starts a fresh backend (a process of its
// own) and the product, checks one GET and one WebSocket echo through it,
// then measures:
//
//   - small GETs on -conns kept-alive connections for -duration after
//     -warmup: requests/s, p50 and p99 latency, and the product's CPU
//     time (utime+stime of all its processes, from /proc) per request;
//   - WebSocket echo of -ws-size-byte messages on -ws-conns connections:
//     messages/s, p50 and p99 round trip;
//   - one WebSocket streaming -stream-size-byte messages each way for
//     -stream-duration: MB/s (10^6 bytes), and as a share of direct;
//   - -idle idle WebSockets: the product's RSS growth per tunnel (all its
//     processes), and how many still echo after idling.
//
// It prints one markdown table at the end and writes it, with the date,
// the machine and the versions, to -out. Every run is bounded in time
// and count, every operation has a timeout, and every child is killed at
// the end, on error and on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// params are the knobs of a run; their flags document them.
type params struct {
	products       []string
	configs        string
	portico        string
	out            string
	warmup         time.Duration
	duration       time.Duration
	conns          int
	clientProcs    int
	wsConns        int
	wsSize         int
	wsDuration     time.Duration
	streamSize     int
	streamDuration time.Duration
	idle           int
	settle         time.Duration
	maxOps         uint64
	timeout        time.Duration
	runs           int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "backend" {
		os.Exit(backendMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (params, error) {
	var p params
	fs := flag.NewFlagSet("portico-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.String("products", "direct,portico,apache,nginx,haproxy", "comma-separated products to measure, in this order")
	fs.StringVar(&p.configs, "configs", "bench", "directory of the products' configurations")
	fs.StringVar(&p.portico, "portico", "bin/portico", "the portico binary")
	fs.StringVar(&p.out, "out", "bench/results.md", "markdown file the results are written to (\"\" for none)")
	fs.DurationVar(&p.warmup, "warmup", 2*time.Second, "load before each measurement window, not counted")
	fs.DurationVar(&p.duration, "duration", 10*time.Second, "measurement window of the small-GET test")
	fs.IntVar(&p.conns, "conns", 50, "kept-alive connections of the small-GET test")
	fs.IntVar(&p.clientProcs, "client-procs", 1, "GOMAXPROCS of the load tool (its threads running client goroutines), as wrk -t")
	fs.IntVar(&p.wsConns, "ws-conns", 50, "WebSocket connections of the echo test")
	fs.IntVar(&p.wsSize, "ws-size", 64, "payload bytes of an echo message")
	fs.DurationVar(&p.wsDuration, "ws-duration", 10*time.Second, "measurement window of the echo test")
	fs.IntVar(&p.streamSize, "stream-size", 1<<20, "payload bytes of a stream message")
	fs.DurationVar(&p.streamDuration, "stream-duration", 5*time.Second, "measurement window of each stream direction")
	fs.IntVar(&p.idle, "idle", 9000, "idle WebSockets held open at once (0 skips the test)")
	fs.DurationVar(&p.settle, "settle", 3*time.Second, "time the idle WebSockets sit before the memory is read")
	fs.Uint64Var(&p.maxOps, "max-ops", 50_000_000, "bound on requests or messages of one load test")
	fs.IntVar(&p.runs, "runs", 3, "rounds: every product measured this many times, in turn; the table shows medians")
	fs.DurationVar(&p.timeout, "timeout", 45*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return p, err
	}
	if fs.NArg() > 0 {
		return p, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	known := map[string]bool{}
	for _, pr := range products("") {
		known[pr.name] = true
	}
	for _, name := range strings.Split(*list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !known[name] {
			return p, fmt.Errorf("-products: unknown product %q (known: direct, portico, apache, nginx, haproxy)", name)
		}
		p.products = append(p.products, name)
	}
	switch {
	case len(p.products) == 0:
		return p, errors.New("-products: nothing to measure")
	case p.conns < 1 || p.wsConns < 1 || p.clientProcs < 1 || p.runs < 1:
		return p, errors.New("-conns, -ws-conns, -client-procs and -runs must be at least 1")
	case p.wsSize < 1 || p.wsSize > maxFrame || p.streamSize < 1 || p.streamSize > maxFrame:
		return p, fmt.Errorf("-ws-size and -stream-size must be between 1 and %d", maxFrame)
	case p.idle < 0 || p.idle > 9500:
		return p, errors.New("-idle must be between 0 and 9500 (a tunnel holds two of the proxy's descriptors, at most 20,000 here)")
	case p.duration <= 0 || p.wsDuration <= 0 || p.streamDuration <= 0 || p.warmup < 0 || p.timeout <= 0:
		return p, errors.New("durations must be positive")
	}
	return p, nil
}

func benchMain(args []string, stdout, stderr io.Writer) int {
	p, err := parseFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "portico-bench: %v\n", err)
		return 2
	}
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "portico-bench: %v\n", err)
		return 1
	}
	runtime.GOMAXPROCS(p.clientProcs)

	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(stderr, "\nportico-bench: %v: stopping, killing every child\n", s)
		cancel()
		killAll()
		<-sigs
		os.Exit(130)
	}()
	defer killAll()

	dir, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "portico-bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Apache's and nginx's workers run as nobody and read their run files.
	os.Chmod(dir, 0o755)

	rep := newReport(p)
	for round := 1; round <= p.runs && ctx.Err() == nil; round++ {
		for _, name := range p.products {
			if ctx.Err() != nil {
				break
			}
			pr := productNamed(p, name)
			fmt.Fprintf(stderr, "== round %d/%d: %s\n", round, p.runs, name)
			r := measure(ctx, p, pr, filepath.Join(dir, fmt.Sprint(round)), stderr)
			rep.add(r)
		}
	}
	table := rep.markdown()
	fmt.Fprintf(stdout, "\n%s", table)
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "portico-bench: stopped early: %v\n", context.Cause(ctx))
		return 1
	}
	if p.out != "" {
		if err := os.WriteFile(p.out, []byte(rep.document(args)), 0o644); err != nil {
			fmt.Fprintf(stderr, "portico-bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "portico-bench: results written to %s\n", p.out)
	}
	return 0
}

func productNamed(p params, name string) product {
	for _, pr := range products(p.portico) {
		if pr.name == name {
			return pr
		}
	}
	panic("unknown product " + name) // parseFlags checked the names
}

// raiseFileLimit raises the soft limit on open files to the hard limit,
// for this process and, inherited, for every child: the idle test holds
// -idle client sockets here and two per tunnel in the proxy.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raising the open-file limit to %d: %w", lim.Max, err)
		}
	}
	return nil
}

// backendMain runs the benchmark's backend until its standard input
// closes or it is signalled. It prints "listening ADDR" once ready.
func backendMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico-bench backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (127.0.0.1 only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "portico-bench backend: %v\n", err)
		return 1
	}
	b, err := startBackend(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "portico-bench backend: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening %s\n", b.Addr())
	stop := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-stop:
	case <-sigs:
	}
	b.Close()
	return 0
}
