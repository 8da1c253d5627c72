package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// idleResult is the outcome of the idle-tunnel test.
type idleResult struct {
	want     int
	opened   int   // WebSockets that completed the handshake and a first echo
	verified int   // of those, how many still echoed after the measurement
	before   int64 // proxy RSS before opening, bytes
	after    int64 // proxy RSS with every WebSocket open and idle, bytes
	procs    int   // proxy processes at the measurement
	first    string
}

// perTunnel is the RSS growth per open WebSocket, in bytes.
func (r idleResult) perTunnel() float64 {
	if r.opened == 0 {
		return 0
	}
	return float64(r.after-r.before) / float64(r.opened)
}

// errors counts the WebSockets that failed to open or to echo afterwards.
func (r idleResult) errors() int { return r.want - r.verified }

// errSkip marks an item idleTunnels neither counts nor reports.
var errSkip = errors.New("skipped")

// idleParallel is how many WebSockets the test opens or checks at once.
const idleParallel = 64

// idleTunnels opens n WebSockets through addr (each checked with one
// echo), lets them sit idle for settle, reads the proxy's memory with
// measure, checks every one still echoes, and closes them all.
func idleTunnels(ctx context.Context, addr string, n int, settle time.Duration, measure func() (usage, error)) (idleResult, error) {
	res := idleResult{want: n}
	base, err := measure()
	if err != nil {
		return res, err
	}
	res.before = base.rss
	conns := make([]*wsConn, n)
	payload := echoPayload(16)
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if res.first == "" {
			res.first = err.Error()
		}
		mu.Unlock()
	}
	each := func(f func(i int) error) int {
		var ok atomic.Int64
		var next atomic.Int64
		var wg sync.WaitGroup
		for range idleParallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if err := f(i); err != nil {
						if err != errSkip {
							fail(err)
						}
						continue
					}
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		return int(ok.Load())
	}
	defer func() {
		for _, ws := range conns {
			if ws != nil {
				ws.c.Close()
			}
		}
	}()
	echo := func(ws *wsConn) error {
		buf := make([]byte, len(payload))
		err := ws.echo(appendFrame(nil, wsframe.OpBinary, payload, true, ws.key), payload, buf)
		ws.c.SetDeadline(time.Time{})
		return err
	}
	res.opened = each(func(i int) error {
		ws, err := wsDial(addr, "/ws/echo", 1<<10)
		if err != nil {
			return fmt.Errorf("websocket %d: %w", i, err)
		}
		if err := echo(ws); err != nil {
			ws.c.Close()
			return fmt.Errorf("websocket %d: %w", i, err)
		}
		conns[i] = ws
		return nil
	})
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	pause(ctx, settle)
	u, err := measure()
	if err != nil {
		return res, err
	}
	res.after, res.procs = u.rss, u.procs
	res.verified = each(func(i int) error {
		if conns[i] == nil {
			return errSkip // counted when it failed to open
		}
		if err := echo(conns[i]); err != nil {
			return fmt.Errorf("websocket %d after idling: %w", i, err)
		}
		return nil
	})
	return res, ctx.Err()
}
