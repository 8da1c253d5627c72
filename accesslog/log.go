package accesslog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/server"
)

// Logs are the open access logs of one configuration: for each server
// (the main one and every virtual host) the logs a request it answers
// goes to, as mod_log_config's multi_log_transaction chooses them.
type Logs struct {
	servers map[*directives.Server]*serverLogs
	main    *serverLogs
	sinks   map[string]sink
	errLog  zerolog.Logger
	bufs    sync.Pool
}

// serverLogs is one server's multi_log_state after the merge.
type serverLogs struct {
	logs          []*config
	defaultFormat *Format
}

// config is one CustomLog, TransferLog or GlobalLog opened.
type config struct {
	target string
	format *Format // nil: the request's server's default format
	envVar string
	envNeg bool
	cond   *expr.Expr
	out    sink
}

// sink is an open log file or pipe.
type sink interface {
	io.Writer
	Close() error
}

// Open opens every access log of cfg, relative paths under ServerRoot,
// "|program" targets as piped logs. errLog receives what httpd writes
// to the error log about them (a piped program that died, a failed
// write).
func Open(cfg *directives.Config, errLog zerolog.Logger) (*Logs, error) {
	l := &Logs{servers: map[*directives.Server]*serverLogs{}, sinks: map[string]sink{}, errLog: errLog}
	l.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	ssl := false
	for _, m := range cfg.Modules {
		if m.ID == "ssl_module" {
			ssl = true
		}
	}
	o := Options{SSL: ssl}
	mainLogs, err := l.openServer(cfg, cfg.Main, nil, o)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.main = mainLogs
	l.servers[cfg.Main] = mainLogs
	for _, vh := range cfg.VirtualHosts {
		sl, err := l.openServer(cfg, vh, mainLogs, o)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.servers[vh] = sl
	}
	return l, nil
}

// formatsOf is a server's LogFormat nicknames merged over the main
// server's, with httpd's built-in "CLF".
func formatsOf(cfg *directives.Config, s *directives.Server) map[string]string {
	m := map[string]string{"CLF": DefaultFormat}
	for _, srv := range []*directives.Server{cfg.Main, s} {
		for k, v := range srv.LogFormats {
			m[k] = v.Format
		}
	}
	return m
}

func (l *Logs) openServer(cfg *directives.Config, s *directives.Server, main *serverLogs, o Options) (*serverLogs, error) {
	formats := formatsOf(cfg, s)
	sl := &serverLogs{}
	def := s.DefaultLogFormat
	if def == nil && s != cfg.Main {
		def = cfg.Main.DefaultLogFormat
	}
	defText := DefaultFormat
	if def != nil {
		defText = def.Format
		if f, ok := formats[def.Format]; ok {
			defText = f
		}
	}
	var err error
	if sl.defaultFormat, err = Compile(defText, o); err != nil {
		return nil, err
	}
	for _, cl := range s.CustomLogs {
		c := &config{target: cl.Target, envVar: cl.EnvVar, envNeg: cl.EnvNegated, cond: cl.Cond}
		if cl.Format != "" {
			text := cl.Format
			if f, ok := formats[cl.Format]; ok {
				text = f
			}
			if c.format, err = Compile(text, o); err != nil {
				return nil, err
			}
		}
		if c.out, err = l.sink(cfg, cl.Target); err != nil {
			return nil, err
		}
		sl.logs = append(sl.logs, c)
	}
	if main != nil {
		// A virtual host logs to the main server's GlobalLogs, and to
		// all of its logs when it has none of its own.
		own := len(sl.logs)
		for _, c := range main.logs {
			if c.inherit(cfg) || own == 0 {
				sl.logs = append(sl.logs, c)
			}
		}
	}
	return sl, nil
}

func (c *config) inherit(cfg *directives.Config) bool {
	for _, cl := range cfg.Main.CustomLogs {
		if cl.Target == c.target && cl.Inherit {
			return true
		}
	}
	return false
}

// sink opens a target once: logs naming the same file or program share it.
func (l *Logs) sink(cfg *directives.Config, target string) (sink, error) {
	key := target
	if !strings.HasPrefix(target, "|") && !filepath.IsAbs(target) {
		key = filepath.Join(cfg.ServerRoot, target)
	}
	if s, ok := l.sinks[key]; ok {
		return s, nil
	}
	var s sink
	if strings.HasPrefix(target, "|") {
		p, err := startPipe(target[1:], l.errLog)
		if err != nil {
			return nil, err
		}
		s = p
	} else {
		f, err := os.OpenFile(key, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("AH00649: could not open transfer log file %s.", key)
		}
		s = &file{f: f}
	}
	l.sinks[key] = s
	return s, nil
}

// Log writes r to every log of its server whose condition holds
// (server.Hooks.Log).
func (l *Logs) Log(r *server.LogRecord) {
	sl := l.servers[r.Server]
	if sl == nil {
		sl = l.main
	}
	if sl == nil || len(sl.logs) == 0 {
		return
	}
	bp := l.bufs.Get().(*[]byte)
	for _, c := range sl.logs {
		if !c.wanted(r, l.errLog) {
			continue
		}
		f := c.format
		if f == nil {
			f = sl.defaultFormat
		}
		b := f.Append((*bp)[:0], r)
		if _, err := c.out.Write(b); err != nil {
			l.errLog.Warn().Err(err).Msg("AH00646: Error writing to " + c.target)
		}
		*bp = b
	}
	if cap(*bp) <= 64<<10 {
		l.bufs.Put(bp)
	}
}

// wanted checks a log's env= or expr= condition.
func (c *config) wanted(r *server.LogRecord, errLog zerolog.Logger) bool {
	if c.envVar != "" {
		_, set := r.Env(c.envVar)
		return set != c.envNeg
	}
	if c.cond != nil {
		ok, err := c.cond.Eval(exprContext{r})
		if err != nil {
			errLog.Warn().Msg("AH00644: Error evaluating log condition: " + err.Error())
			return false
		}
		return ok
	}
	return true
}

// Close closes every file and stops every piped program.
func (l *Logs) Close() error {
	var errs []error
	for _, s := range l.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// file is a log file: one write per line, as httpd's unbuffered
// writer does, so lines from concurrent requests never interleave.
type file struct {
	mu sync.Mutex
	f  *os.File
}

func (f *file) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Write(p)
}

func (f *file) Close() error { return f.f.Close() }

// exprContext gives an expr= condition what it reads of a request.
type exprContext struct{ r *server.LogRecord }

func (c exprContext) Var(name string) string {
	r := c.r
	switch name {
	case "REQUEST_METHOD":
		return r.Method
	case "REQUEST_URI":
		return r.URI
	case "QUERY_STRING":
		return r.Args
	case "THE_REQUEST":
		if r.Proto == "HTTP/0.9" {
			return r.Method + " " + r.Target
		}
		return r.Method + " " + r.Target + " " + r.Proto
	case "REMOTE_ADDR":
		return r.Remote.Addr().Unmap().String()
	case "REMOTE_PORT":
		return strconv.Itoa(int(r.Remote.Port()))
	case "SERVER_ADDR":
		return r.Local.Addr().Unmap().String()
	case "SERVER_PORT":
		return strconv.Itoa(int(r.Local.Port()))
	case "SERVER_NAME":
		if r.Hostname != "" {
			return r.Hostname
		}
		return r.ServerHostname
	case "SERVER_PROTOCOL":
		return r.Proto
	case "REQUEST_STATUS":
		return strconv.Itoa(r.Status)
	case "REQUEST_FILENAME", "SCRIPT_FILENAME":
		return r.Filename
	case "HTTPS":
		return "off"
	case "REQUEST_SCHEME":
		return "http"
	case "HANDLER":
		if r.Proxied {
			return "proxy-server"
		}
		return ""
	}
	if v, ok := strings.CutPrefix(name, "HTTP_"); ok {
		return r.Header.Get(strings.ReplaceAll(v, "_", "-"))
	}
	return ""
}

func (c exprContext) Table(table, key string) (string, bool) {
	switch table {
	case "req", "http":
		return lookup(c.r.Header, key)
	case "resp":
		return lookup(c.r.ResponseHeader, key)
	case "reqenv", "env":
		return c.r.Env(key)
	}
	return "", false
}
