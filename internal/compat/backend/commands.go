package backend

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// commands is what a request asks the backend to do (see the package
// documentation).
type commands struct {
	status     int
	sleep      time.Duration
	close      bool
	garbage    bool
	raw        string
	chunked    bool
	big        int64 // -1: not asked
	echo       bool
	redirect   string
	cookies    []string
	interim    int
	noContinue bool
	upgrade101 bool
	noUpgrade  bool
	headers    []Field
}

// maxSleep bounds sleep/DURATION.
const maxSleep = 30 * time.Second

// parseCommands reads the commands of a request target. Unknown commands
// are ignored, so that an ordinary path containing "/_/" is still answered.
func parseCommands(target string) commands {
	cmd := commands{big: -1}
	path, query, _ := strings.Cut(target, "?")
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		v = unescape(v)
		switch k {
		case "h":
			if name, value, ok := strings.Cut(v, ":"); ok {
				cmd.headers = append(cmd.headers, Field{name, strings.TrimLeft(value, " ")})
			}
		case "to":
			cmd.redirect = v
		case "c":
			cmd.cookies = append(cmd.cookies, v)
		case "r":
			cmd.raw = v
		}
	}
	_, rest, ok := strings.Cut(path, "/_/")
	if !ok {
		cmd.raw = ""
		return cmd
	}
	segs := strings.Split(rest, "/")
	arg := func(i int) string {
		if i+1 < len(segs) {
			return unescape(segs[i+1])
		}
		return ""
	}
	rawAsked := false
	for i := 0; i < len(segs); i++ {
		switch segs[i] {
		case "status":
			cmd.status, _ = strconv.Atoi(arg(i))
			if cmd.status < 100 || cmd.status > 999 {
				cmd.status = 0
			}
			i++
		case "sleep":
			d, err := time.ParseDuration(arg(i))
			if err == nil {
				cmd.sleep = min(max(d, 0), maxSleep)
			}
			i++
		case "big":
			n, err := strconv.ParseInt(arg(i), 10, 64)
			if err == nil && n >= 0 && n <= 64<<20 {
				cmd.big = n
			}
			i++
		case "interim":
			n, _ := strconv.Atoi(arg(i))
			cmd.interim = min(max(n, 0), 20)
			i++
		case "close":
			cmd.close = true
		case "garbage":
			cmd.garbage = true
		case "raw":
			rawAsked = true
		case "chunked":
			cmd.chunked = true
		case "echo":
			cmd.echo = true
		case "redirect":
			if cmd.redirect == "" {
				cmd.redirect = "/"
			}
		case "set-cookie":
		case "no-continue":
			cmd.noContinue = true
		case "101":
			cmd.upgrade101 = true
		case "no-upgrade":
			cmd.noUpgrade = true
		}
	}
	if !rawAsked {
		cmd.raw = ""
	}
	return cmd
}

// unescape decodes %XX escapes and leaves anything else, "+" included, as
// it is.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// reason returns the reason phrase of a status.
func reason(status int) string {
	if r := http.StatusText(status); r != "" {
		return r
	}
	return "Unknown"
}
