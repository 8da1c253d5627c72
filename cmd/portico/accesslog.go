package main

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/accesslog"
	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/server"
)

// startAccessLogs opens the access logs of cfg and attaches them to
// srv's Log hook. It returns what closes them; on failure it prints
// httpd's message and returns nil.
func startAccessLogs(cfg *directives.Config, srv *server.Server, log zerolog.Logger, stderr io.Writer) func() {
	logs, err := accesslog.Open(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "%v\nAH00015: Unable to open logs\n", err)
		return nil
	}
	srv.Hooks.Log = logs.Log
	return func() { logs.Close() }
}
