package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/rewrite"
	"github.com/portico-proxy/portico/server"
)

// serve runs the server in the foreground, as httpd -DFOREGROUND does:
// the configuration is loaded and checked (errors as -t prints them),
// the error log opened, then every Listen served until SIGTERM or
// SIGINT, which stop accepting and let the requests in flight finish (up
// to GracefulShutdownTimeout); a second signal stops at once.
func serve(o *options, stdout, stderr io.Writer) int {
	switch o.signal {
	case "", "start":
	default:
		fmt.Fprintf(stderr, "%s: -k %s: Portico runs in the foreground only; stop it with SIGTERM\n", argv0, o.signal)
		return 1
	}
	cfg, diags := directives.Load(loadOptions(o))
	if printHTTPD(stderr, diags) {
		return 1
	}
	if cfg.Main.ServerName == "" {
		fmt.Fprintf(stderr, "AH00558: %s: Could not reliably determine the server's fully qualified domain name, using %s. Set the 'ServerName' directive globally to suppress this message\n", argv0, cfg.DefaultServerName)
	}
	logw, closeLog, err := openErrorTarget(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: could not open error log file %s: %v\nAH00015: Unable to open logs\n", argv0, cfg.Main.ErrorLog, err)
		return 1
	}
	defer closeLog()
	elog := newErrorLog(logw, cfg.Main.LogLevel)
	log := zerolog.New(elog).Level(elog.zerologLevel())

	srv, err := server.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	srv.Software = "Portico/" + version
	eng, err := rewrite.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	rewriteHooks(eng, srv)
	closeAccess := startAccessLogs(cfg, srv, log, stderr)
	if closeAccess == nil {
		return 1
	}
	defer closeAccess()
	headersHooks(srv)
	if pf := cfg.Global.PidFile; pf != "" {
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(cfg.ServerRoot, pf)
		}
		if err := os.WriteFile(pf, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err == nil {
			defer os.Remove(pf)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		// Notices pass any LogLevel, as httpd's do: the event carries
		// no zerolog level, the error log gives it httpd's.
		log.Log().Str("signal", sig.String()).Msg("AH00491: caught " + signalName(sig) + ", shutting down")
		cancel()
		<-sigs
		log.Warn().Msg("second signal: closing every connection")
		srv.Close()
	}()
	log.Log().Str("version", version).Msg("AH00489: " + srv.Software + " configured -- resuming normal operations")
	if err := srv.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		if strings.HasPrefix(err.Error(), "AH00072") {
			fmt.Fprintln(stderr, "no listening sockets available, shutting down")
			fmt.Fprintln(stderr, "AH00015: Unable to open logs")
		}
		return 1
	}
	return 0
}

// signalName spells a signal as httpd's log does ("SIGTERM").
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}
