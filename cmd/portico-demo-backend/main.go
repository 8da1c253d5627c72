// Command portico-demo-backend is the backend of `make run`: the
// compatibility harness's test backend (HTTP answers that name the
// request, WebSocket and raw Upgrade echo) on a fixed address, logging
// every request it receives.
//
//	portico-demo-backend [-addr 127.0.0.1:8081]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico-proxy/portico/internal/compat/backend"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	b, err := backend.StartOn("demo", *addr, func(ev backend.Event) {
		switch {
		case ev.Request != nil:
			fmt.Fprintf(os.Stderr, "backend: conn %d: %s\n", ev.Conn, ev.Request.Line)
		case ev.Note != "":
			fmt.Fprintf(os.Stderr, "backend: conn %d: %s\n", ev.Conn, ev.Note)
		}
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "portico-demo-backend: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "backend: listening on %s (HTTP and WebSocket echo)\n", b.Addr())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	b.Stop()
}
