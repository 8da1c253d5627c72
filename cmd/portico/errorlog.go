package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/accesslog"
	"github.com/portico-proxy/portico/directives"
)

// The error log is written as httpd 2.4 writes it without an
// ErrorLogFormat:
//
//	[Fri Nov 27 11:18:59.141627 2026] [proxy:error] [pid 123:tid 456] (111)Connection refused: [client 127.0.0.1:5555] AH00957: …
//
// zerolog stays the engine: the server logs events with fields, and
// errorLog, the writer under it, turns each JSON event into httpd's
// line, filtered by LogLevel, per module.

// httpd's log levels, most severe first.
var levelNames = []string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
	"trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7", "trace8"}

const (
	levelWarn   = 4
	levelNotice = 5
)

func levelIndex(s string) (int, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return i, true
		}
	}
	return 0, false
}

// moduleOf is the module httpd logs each AH message under (the source
// file that logs it), for the messages Portico gives.
var moduleOf = map[string]string{
	"00015": "core", "00026": "core", "00037": "core", "00052": "core", "00072": "core", "00104": "core", "00105": "core", "00106": "core", "00111": "core", "00112": "core", "00113": "core", "00117": "core", "00124": "core", "00128": "core", "00131": "core", "00132": "core", "00489": "mpm_event", "00491": "mpm_event", "00526": "core", "00534": "core", "00547": "core", "00550": "core", "00558": "core", "00644": "log_config", "00646": "log_config", "00649": "log_config", "00661": "rewrite", "00664": "rewrite", "00665": "rewrite", "00669": "rewrite", "00671": "alias", "00898": "proxy", "00940": "proxy", "00941": "proxy", "00957": "proxy", "01083": "proxy_http", "01085": "proxy_http", "01089": "proxy", "01090": "proxy", "01092": "proxy", "01093": "proxy_http", "01095": "proxy", "01097": "proxy_http", "01102": "proxy_http", "01106": "proxy_http", "01108": "proxy_http", "01110": "proxy_http", "01114": "proxy_http", "01136": "proxy", "01144": "proxy", "01146": "proxy", "01150": "proxy", "01276": "autoindex", "01574": "so", "01588": "http", "01591": "http", "01596": "mime", "01630": "authz_core", "02443": "proxy_wstunnel", "02532": "ssl", "02596": "rewrite", "02900": "proxy_wstunnel", "10188": "proxy", "10239": "proxy_http", "10240": "proxy_http", "10244": "core", "10366": "proxy", "10408": "proxy_http", "10410": "rewrite", "10411": "rewrite", "10415": "proxy_http", "10508": "rewrite", "10510": "core",
}

// noticeCodes are the messages httpd logs at level notice, which pass
// any LogLevel.
var noticeCodes = map[string]bool{"00489": true, "00491": true, "00052": true, "00094": true, "00169": true, "00492": true, "00493": true, "00494": true}

// errorLog is the error log writer.
type errorLog struct {
	mu      sync.Mutex
	w       io.Writer
	level   int            // LogLevel's default
	modules map[string]int // LogLevel's module:level
	pid     string
}

// newErrorLog parses LogLevel ("warn", "info proxy:debug rewrite:trace3").
func newErrorLog(w io.Writer, logLevel string) *errorLog {
	e := &errorLog{w: w, level: levelWarn, modules: map[string]int{}, pid: strconv.Itoa(os.Getpid())}
	for _, word := range strings.Fields(logLevel) {
		mod, lv, ok := strings.Cut(word, ":")
		if !ok {
			if i, ok := levelIndex(word); ok {
				e.level = i
			}
			continue
		}
		if i, ok := levelIndex(lv); ok {
			e.modules[strings.TrimSuffix(strings.TrimPrefix(mod, "mod_"), "_module")] = i
		}
	}
	return e
}

// zerologLevel is the most verbose level any module logs at: the
// logger's own threshold, the writer filters per module.
func (e *errorLog) zerologLevel() zerolog.Level {
	max := e.level
	for _, l := range e.modules {
		if l > max {
			max = l
		}
	}
	switch {
	case max >= 8:
		return zerolog.TraceLevel
	case max == 7:
		return zerolog.DebugLevel
	case max >= 5:
		return zerolog.InfoLevel
	case max == 4:
		return zerolog.WarnLevel
	}
	return zerolog.ErrorLevel
}

// Write takes one zerolog JSON event and writes httpd's line.
func (e *errorLog) Write(p []byte) (int, error) {
	var ev map[string]any
	if err := json.Unmarshal(p, &ev); err != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.w.Write(p)
	}
	line := e.format(time.Now(), ev)
	if line == nil {
		return len(p), nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

func str(ev map[string]any, k string) string {
	s, _ := ev[k].(string)
	return s
}

// format renders an event, or returns nil when LogLevel filters it out.
func (e *errorLog) format(now time.Time, ev map[string]any) []byte {
	msg := str(ev, zerolog.MessageFieldName)
	code := ""
	if strings.HasPrefix(msg, "AH") && len(msg) >= 7 {
		code = msg[2:7]
	}
	level := 3
	switch str(ev, zerolog.LevelFieldName) {
	case "trace":
		level = 8
	case "debug":
		level = 7
	case "info":
		level = 6
	case "warn":
		level = 4
	case "fatal", "panic":
		level = 2
	}
	if noticeCodes[code] {
		level = levelNotice
	}
	module := str(ev, "module")
	if module == "" {
		module = moduleOf[code]
	}
	if module == "" {
		module = "core"
	}
	threshold := e.level
	if l, ok := e.modules[module]; ok {
		threshold = l
	}
	if level > threshold && level != levelNotice {
		return nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	b.WriteString(now.Format("Mon Jan 02 15:04:05.000000 2006"))
	b.WriteString("] [")
	b.WriteString(module)
	b.WriteByte(':')
	b.WriteString(levelNames[level])
	b.WriteString("] [pid ")
	b.WriteString(e.pid)
	b.WriteString(":tid ")
	b.WriteString(strconv.Itoa(syscall.Gettid()))
	b.WriteString("] ")
	if err := str(ev, zerolog.ErrorFieldName); err != "" {
		b.WriteString(aprStatus(err))
		b.WriteString(": ")
	}
	if c := str(ev, "client"); c != "" {
		b.WriteString("[client ")
		b.WriteString(c)
		b.WriteString("] ")
	}
	b.WriteString(escapeErrorItem(msg))
	b.WriteByte('\n')
	return b.Bytes()
}

// aprStatus spells an error as httpd prints an APR status: "(111)
// Connection refused" when it ends in a system error's text.
func aprStatus(err string) string {
	for n := syscall.Errno(1); n < 134; n++ {
		t := n.Error()
		if strings.HasSuffix(err, t) && !strings.HasPrefix(t, "errno ") {
			return "(" + strconv.Itoa(int(n)) + ")" + strings.ToUpper(t[:1]) + t[1:]
		}
	}
	return "(70014)" + err
}

// escapeErrorItem is ap_escape_errorlog_item: control characters and
// bytes above 126 as \xhh (quotes and backslashes stay).
func escapeErrorItem(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				c := s[j]
				if c >= 0x20 && c <= 0x7e {
					b.WriteByte(c)
					continue
				}
				fmt.Fprintf(&b, "\\x%02x", c)
			}
			return b.String()
		}
	}
	return s
}

// openErrorTarget opens the main server's ErrorLog: a file (relative
// to ServerRoot), "|program" as a piped log, or stderr for syslog
// (Portico has no syslog writer: it says so once) and when none is set.
func openErrorTarget(cfg *directives.Config, stderr io.Writer) (io.Writer, func(), error) {
	name := cfg.Main.ErrorLog
	switch {
	case name == "" || name == "/dev/stderr":
		return stderr, func() {}, nil
	case strings.HasPrefix(name, "syslog"):
		fmt.Fprintf(stderr, "%s: ErrorLog %s: Portico does not write to syslog; the error log goes to stderr\n", argv0, name)
		return stderr, func() {}, nil
	case strings.HasPrefix(name, "|"):
		p, err := accesslog.OpenPipe(name, zerolog.New(stderr))
		if err != nil {
			return nil, nil, err
		}
		return p, func() { p.Close() }, nil
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(cfg.ServerRoot, name)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
