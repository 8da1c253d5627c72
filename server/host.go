package server

import (
	"errors"
	"strconv"
	"strings"
)

// errBadHost is a Host httpd refuses with 400 (its fix_hostname with
// the default HttpProtocolOptions Strict).
var errBadHost = errors.New("client sent malformed Host header")

// parseHost is httpd's fix_hostname for a Host header value (or the host
// part of an absolute request-target): it splits off the port, checks
// the name strictly, lower-cases it and drops one trailing dot. An empty
// value is allowed and names no host.
func parseHost(src string) (host string, port int, err error) {
	if src == "" {
		return "", 0, nil
	}
	if allDigits(src) {
		// A purely numeric host name (RFC 3986 7.4).
		return "", 0, errBadHost
	}
	h, p, v6, ok := splitHostPort(src)
	if !ok {
		return "", 0, errBadHost
	}
	if v6 {
		h, ok = fixV6(h)
	} else {
		h, ok = fixNonV6(h)
		if ok {
			ok = strictHostOK(h)
		}
	}
	if !ok {
		return "", 0, errBadHost
	}
	return h, p, nil
}

// splitHostPort is apr_parse_addr_port for a Host value: "name",
// "name:port", "[v6]" or "[v6]:port". A scope id ("%eth0") is refused.
func splitHostPort(s string) (host string, port int, v6, ok bool) {
	rest := ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, false, false
		}
		host, rest = s[1:end], s[end+1:]
		if host == "" || strings.ContainsRune(host, '%') {
			return "", 0, false, false
		}
		v6 = true
		if rest != "" && rest[0] != ':' {
			return "", 0, false, false
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, rest = s[:i], s[i:]
		if strings.IndexByte(host, ':') >= 0 {
			// An IPv6 address without brackets is not a valid Host.
			return "", 0, false, false
		}
	} else {
		host = s
	}
	if rest != "" {
		ps := rest[1:]
		if !allDigits(ps) {
			return "", 0, false, false
		}
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, false, false
		}
		port = n
	}
	if host == "" {
		return "", 0, false, false
	}
	return host, port, v6, true
}

// fixV6 lower-cases an IPv6 literal and checks its characters.
func fixV6(h string) (string, bool) {
	b := []byte(h)
	double := false
	for i, c := range b {
		switch {
		case isHex(c):
			b[i] = lower(c)
		case c == ':':
			if i+1 < len(b) && b[i+1] == ':' {
				if double {
					return "", false
				}
				double = true
			} else if i+1 < len(b) && b[i+1] == '.' {
				return "", false
			}
		case c == '.':
			if i+1 < len(b) && (b[i+1] == ':' || b[i+1] == '.') {
				return "", false
			}
		default:
			return "", false
		}
	}
	return string(b), true
}

// fixNonV6 lower-cases a host name, refuses "..", '/' and '\', and drops
// a trailing dot.
func fixNonV6(h string) (string, bool) {
	b := []byte(h)
	for i, c := range b {
		switch {
		case c == '.':
			if i+1 < len(b) && b[i+1] == '.' {
				return "", false
			}
		case 'A' <= c && c <= 'Z':
			b[i] = lower(c)
		case c == '/' || c == '\\':
			return "", false
		}
	}
	if n := len(b); n > 0 && b[n-1] == '.' {
		b = b[:n-1]
	}
	return string(b), true
}

// strictHostOK is httpd's strict_hostname_check: letters, digits, '-',
// '_' and '.'; a dotted-decimal name must be four numbers without
// leading zeroes; the last label of a name must start with a letter.
func strictHostOK(h string) bool {
	dotted, zeroes, dots := true, false, 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isAlpha(c) || c == '-' || c == '_':
			dotted = false
		case c == '.':
			dots++
			if i+2 < len(h) && h[i+1] == '0' && isDigit(h[i+2]) {
				zeroes = true
			}
		case !isDigit(c):
			return false
		}
	}
	if dotted {
		if h == "" || h[0] == '.' || (len(h) > 1 && h[0] == '0' && isDigit(h[1])) {
			zeroes = true
		}
		return !zeroes && dots == 3
	}
	i := strings.LastIndexByte(h, '.')
	if i >= 0 && i+1 < len(h) && !isAlpha(h[i+1]) {
		return false
	}
	return true
}

// hostFromTarget returns the authority of an absolute-form request-target
// ("http://host:port/path"), and whether there is one.
func hostFromTarget(target string) (string, bool) {
	i := strings.Index(target, "://")
	if i <= 0 || strings.IndexByte(target[:i], '/') >= 0 {
		return "", false
	}
	rest := target[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	return rest, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
