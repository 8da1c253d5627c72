package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// result is one product's row.
type result struct {
	name    string
	version string
	proxied bool   // a proxy was measured, not the backend alone
	skipped string // why it was not measured at all
	failed  string // why a test stopped; the figures before it stand

	http      *loadResult
	httpSecs  float64
	cpuTicks  uint64 // the proxy's, over the small-GET window; 0 for direct
	hasCPU    bool
	ws        *loadResult
	wsSecs    float64
	down, up  *streamResult
	streamSec float64
	idle      *idleResult
}

// measure runs every test on one product. Errors end up in the result,
// so that the table still shows what was measured.
func measure(ctx context.Context, p params, pr product, dir string, log io.Writer) (r result) {
	r.name = pr.name
	if err := pr.installed(); err != nil {
		r.skipped = err.Error()
		fmt.Fprintf(log, "%s: skipped: %s\n", pr.name, r.skipped)
		return r
	}
	if pr.version != nil {
		v, err := pr.version(pr.bin)
		if err != nil {
			r.skipped = err.Error()
			fmt.Fprintf(log, "%s: skipped: %s\n", pr.name, r.skipped)
			return r
		}
		r.version = v
	} else {
		r.version = "portico-bench backend"
	}
	run := filepath.Join(dir, pr.name)
	if err := os.MkdirAll(run, 0o755); err != nil {
		r.skipped = err.Error()
		return r
	}
	be, err := startBackendChild(run)
	if err != nil {
		r.failed = err.Error()
		fmt.Fprintf(log, "%s: failed: %s\n", pr.name, r.failed)
		return r
	}
	defer be.stop()

	target := be.addr
	var proxy *child
	if pr.bin != "" {
		listen, err := freeAddr()
		if err == nil {
			proxy, err = pr.start(p.configs, run, listen, be.addr)
		}
		if err == nil {
			defer proxy.stop(5 * time.Second)
			err = waitListening(proxy, listen, 15*time.Second)
		}
		if err != nil {
			r.failed = "failed to start: " + err.Error()
			fmt.Fprintf(log, "%s: %s\n", pr.name, r.failed)
			return r
		}
		target = listen
		r.proxied = true
	}
	// cost reads the product's processes (the backend's for direct,
	// whose CPU is not reported).
	costOf := be.pid()
	if proxy != nil {
		costOf = proxy.pid()
	}
	cost := func() (usage, error) { return treeUsage(costOf) }
	blame := func(err error) string {
		if proxy != nil {
			return proxy.failure(err).Error()
		}
		return be.failure(err).Error()
	}

	if err := sanity(ctx, target, p.wsSize); err != nil {
		r.failed = blame(fmt.Errorf("sanity check through %s: %w", target, err))
		fmt.Fprintf(log, "%s: %s\n", pr.name, r.failed)
		return r
	}

	// Small GETs, with the product's CPU read at the window's edges.
	fmt.Fprintf(log, "%s: small GETs, %d connections, %v + %v\n", pr.name, p.conns, p.warmup, p.duration)
	w := newWindow(p.warmup, p.duration)
	cpu := make(chan cpuSpan, 1)
	go func() { cpu <- cpuOver(ctx, w, cost) }()
	h := httpLoad(ctx, target, p.conns, w, p.maxOps)
	span := <-cpu
	r.http, r.httpSecs = &h, w.seconds()
	if proxy != nil && span.err == nil {
		r.cpuTicks, r.hasCPU = span.ticks, true
	}
	if span.err != nil {
		r.failed = blame(fmt.Errorf("reading CPU time: %w", span.err))
		return r
	}
	if ctx.Err() != nil {
		return r
	}

	fmt.Fprintf(log, "%s: WebSocket echo, %d connections, %v + %v\n", pr.name, p.wsConns, p.warmup, p.wsDuration)
	w = newWindow(p.warmup, p.wsDuration)
	e := wsEchoLoad(ctx, target, p.wsConns, p.wsSize, w, p.maxOps)
	r.ws, r.wsSecs = &e, w.seconds()

	fmt.Fprintf(log, "%s: one WebSocket streaming %d-byte messages each way, %v + %v\n", pr.name, p.streamSize, p.warmup, p.streamDuration)
	w = newWindow(p.warmup, p.streamDuration)
	d := streamDown(ctx, target, p.streamSize, w)
	r.down, r.streamSec = &d, w.seconds()
	w = newWindow(p.warmup, p.streamDuration)
	u := streamUp(ctx, target, p.streamSize, 4, w)
	r.up = &u

	if p.idle > 0 && ctx.Err() == nil {
		fmt.Fprintf(log, "%s: %d idle WebSockets, %v settle\n", pr.name, p.idle, p.settle)
		// What the earlier tests left must not count: let their
		// connections close first.
		pause(ctx, time.Second)
		ir, err := idleTunnels(ctx, target, p.idle, p.settle, cost)
		r.idle = &ir
		if err != nil {
			r.failed = blame(fmt.Errorf("idle test: %w", err))
		}
	}
	if proxy != nil && proxy.exited() {
		r.failed = proxy.failure(errors.New("exited during the run")).Error()
	}
	fmt.Fprintf(log, "%s: done\n", pr.name)
	return r
}

// cpuSpan is a process tree's CPU time over a window.
type cpuSpan struct {
	ticks uint64
	err   error
}

// cpuOver reads cost at w.start and at w.end and returns the CPU time
// between.
func cpuOver(ctx context.Context, w window, cost func() (usage, error)) cpuSpan {
	pause(ctx, time.Until(w.start))
	a, err := cost()
	if err != nil {
		return cpuSpan{err: err}
	}
	pause(ctx, time.Until(w.end))
	b, err := cost()
	if err != nil {
		return cpuSpan{err: err}
	}
	if b.cpu < a.cpu { // a process went, taking its time along
		return cpuSpan{err: fmt.Errorf("the CPU time fell from %d to %d ticks: a process exited during the window", a.cpu, b.cpu)}
	}
	return cpuSpan{ticks: b.cpu - a.cpu}
}

// sanity checks one GET (200 and the backend's body) and one WebSocket
// echo through addr, retrying for a few seconds while the product
// finishes starting.
func sanity(ctx context.Context, addr string, wsSize int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := sanityOnce(addr, wsSize)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		pause(ctx, 200*time.Millisecond)
	}
}

func sanityOnce(addr string, wsSize int) error {
	c, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(opTimeout))
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	h, err := readHead(br, true)
	if err != nil {
		return fmt.Errorf("GET /: %w", err)
	}
	if h.status != 200 {
		return fmt.Errorf("GET /: %q, want 200", h.first)
	}
	body := make([]byte, len(smallBody))
	if h.contentLength != int64(len(smallBody)) && !h.chunked {
		return fmt.Errorf("GET /: Content-Length %d, want %d", h.contentLength, len(smallBody))
	}
	if !h.chunked {
		if _, err := io.ReadFull(br, body); err != nil || string(body) != smallBody {
			return fmt.Errorf("GET /: body %q (%v), want %q", body, err, smallBody)
		}
	}
	ws, err := wsDial(addr, "/ws/echo", 4<<10)
	if err != nil {
		return err
	}
	defer ws.c.Close()
	payload := echoPayload(wsSize)
	return ws.echo(appendFrame(nil, wsframe.OpBinary, payload, true, ws.key), payload, make([]byte, wsSize))
}
