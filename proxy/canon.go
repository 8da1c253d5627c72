package proxy

import (
	"fmt"
	"strconv"
	"strings"
)

// CanonRequest is what backend URL canonicalisation reads of a request
// besides the routing Match.
type CanonRequest struct {
	// Args is r->args, the query string without '?', as received;
	// HasArgs is false when the request-target had no '?'.
	Args    string
	HasArgs bool
	// KeepEncodedSlashes is true under "AllowEncodedSlashes NoDecode":
	// %2F stays encoded in the path sent to the backend.
	KeepEncodedSlashes bool
}

// BackendURL is a canonical backend URL split the way forwarding needs it.
type BackendURL struct {
	// Scheme is "http", "https", "ws" or "wss".
	Scheme string
	// Host is the lower-cased host, without brackets; Port the port
	// connections go to. PortStr is the port as written ("" when none),
	// which the Host header repeats.
	Host    string
	Port    int
	PortStr string
	// Target is the request-target sent to the backend: "/path[?query]".
	Target string
	// URL is the whole canonical URL (httpd's r->filename without
	// "proxy:"); workers are looked up with it.
	URL string
}

// CanonError is a backend URL httpd refuses: Status is its status (400 or
// 403), Log the error-log text (with its AH number).
type CanonError struct {
	Status int
	Log    string
}

func (e *CanonError) Error() string { return e.Log }

// urlScheme is mod_proxy_http's get_url_scheme: the scheme, whether it is
// a TLS one, and the rest after "scheme:"; ok false for other schemes.
func urlScheme(u string) (scheme string, tls bool, rest string, ok bool) {
	switch {
	case len(u) >= 5 && strings.EqualFold(u[:4], "http") && u[4] == ':':
		return "http", false, u[5:], true
	case len(u) >= 6 && strings.EqualFold(u[:5], "https") && u[5] == ':':
		return "https", true, u[6:], true
	case len(u) >= 3 && strings.EqualFold(u[:2], "ws") && u[2] == ':':
		return "ws", false, u[3:], true
	case len(u) >= 4 && strings.EqualFold(u[:3], "wss") && u[3] == ':':
		return "wss", true, u[4:], true
	}
	return "", false, "", false
}

// Canon builds the backend URL of a matched request as mod_proxy_http's
// proxy_http_canon does for a reverse proxy. ok is false when the URL's
// scheme is not one mod_proxy_http handles.
func Canon(m *Match, cr *CanonRequest) (BackendURL, bool, error) {
	scheme, tls, rest, ok := urlScheme(m.URL)
	if !ok {
		return BackendURL{}, false, nil
	}
	def := 80
	if tls {
		def = 443
	}
	host, port, _, path, errText := canonNetloc(rest)
	if errText != "" {
		return BackendURL{}, true, &CanonError{Status: 400, Log: fmt.Sprintf("AH01083: error parsing URL %s: %s", m.URL, errText)}
	}
	if port == 0 {
		port = def
	}
	var search string
	hasSearch := false
	raw := false
	switch {
	case m.NoCanon:
		raw = true
	case m.Encoded:
		raw = true
		search, hasSearch = cr.Args, cr.HasArgs
	default:
		enc, ok := canonEncPath(path, cr.KeepEncodedSlashes)
		if !ok {
			return BackendURL{}, true, &CanonError{Status: 400, Log: fmt.Sprintf("AH01083: error parsing URL %s: Bad %%-escape in path", m.URL)}
		}
		path = enc
		search, hasSearch = cr.Args, cr.HasArgs
	}
	if raw && !vcharObstext(path) {
		return BackendURL{}, true, &CanonError{Status: 403, Log: "AH10415: To be forwarded path contains control characters or spaces"}
	}
	if hasSearch && !vcharObstext(search) {
		return BackendURL{}, true, &CanonError{Status: 403, Log: "AH10408: To be forwarded query string contains control characters or spaces"}
	}
	var b strings.Builder
	b.Grow(len(scheme) + len(host) + len(path) + len(search) + 16)
	b.WriteString(scheme)
	b.WriteString("://")
	if strings.IndexByte(host, ':') >= 0 {
		b.WriteByte('[')
		b.WriteString(host)
		b.WriteByte(']')
	} else {
		b.WriteString(host)
	}
	if port != def {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(port))
	}
	hostEnd := b.Len()
	b.WriteByte('/')
	b.WriteString(path)
	if hasSearch {
		b.WriteByte('?')
		b.WriteString(search)
	}
	url := b.String()
	ps := ""
	if port != def {
		ps = strconv.Itoa(port)
	}
	return BackendURL{Scheme: scheme, Host: host, Port: port, PortStr: ps, Target: url[hostEnd:], URL: url}, true, nil
}

// canonNetloc is ap_proxy_canon_netloc without user info (mod_proxy_http
// allows none to be returned, but accepts and drops it): rest is
// "//host[:port]/path"; path is returned without its leading '/'.
func canonNetloc(rest string) (host string, port int, portStr, path, errText string) {
	if !strings.HasPrefix(rest, "//") {
		return "", 0, "", "", "Malformed URL"
	}
	hostinfo := rest[2:]
	if i := strings.IndexByte(hostinfo, '/'); i >= 0 {
		hostinfo, path = hostinfo[:i], hostinfo[i+1:]
	}
	if at := strings.LastIndexByte(hostinfo, '@'); at >= 0 {
		user := hostinfo[:at]
		if c := strings.IndexByte(user, ':'); c >= 0 {
			if !validEscapes(user[c+1:]) {
				return "", 0, "", "", "Bad %-escape in URL (password)"
			}
			user = user[:c]
		}
		if !validEscapes(user) {
			return "", 0, "", "", "Bad %-escape in URL (username)"
		}
		hostinfo = hostinfo[at+1:]
	}
	addr, p, ps, ok := parseAddrPort(hostinfo)
	if !ok || addr == "" {
		return "", 0, "", "", "Invalid host/port"
	}
	return strings.ToLower(addr), p, ps, path, ""
}

// validEscapes reports whether every '%' in s starts a %XX escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isXDigit(s[i+1]) || !isXDigit(s[i+2]) {
				return false
			}
		}
	}
	return true
}

// parseAddrPort is apr_parse_addr_port: "host", "host:port", "[v6]" or
// "[v6]:port"; the port must be 1…65535. A scope id ("%eth0") is refused.
func parseAddrPort(s string) (addr string, port int, portStr string, ok bool) {
	end := len(s)
	k := end - 1
	for k >= 0 && s[k] >= '0' && s[k] <= '9' {
		k--
	}
	if k < 0 {
		return "", 0, "", false // only digits (or empty): a port without a host
	}
	if s[k] == ':' {
		if k+1 == end {
			return "", 0, "", false
		}
		n, err := strconv.Atoi(s[k+1:])
		if err != nil || n < 1 || n > 65535 {
			return "", 0, "", false
		}
		port, portStr, end = n, s[k+1:], k
	}
	a := s[:end]
	if strings.HasPrefix(a, "[") {
		if len(a) < 3 || a[len(a)-1] != ']' {
			return "", 0, "", false
		}
		a = a[1 : len(a)-1]
		if strings.IndexByte(a, '%') >= 0 || !isIPv6(a) {
			return "", 0, "", false
		}
		return a, port, portStr, true
	}
	if end == 0 {
		return "", 0, "", false
	}
	return a, port, portStr, true
}

// isIPv6 is a loose check that s is an IPv6 literal (hex digits, ':' and
// dots for an embedded IPv4 address, at least one ':').
func isIPv6(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isXDigit(c) && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

func isXDigit(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// pathAllowed is ap_proxy_canonenc's "allowed" set for enc_path: bytes
// besides alphanumerics left unencoded.
const pathAllowed = "~$-_.+!*'(),;:@&="

// canonEncPath is ap_proxy_canonenc_ex(enc_path) for a reverse proxy: the
// path is already decoded, so every byte that is not alphanumeric, '/' or
// in pathAllowed is %-encoded with upper-case hex (a '%' too). With
// keepSlashes (AllowEncodedSlashes NoDecode) a "%2F" stays as it is, any
// other '%' must start a valid escape (ok false otherwise) and is encoded.
func canonEncPath(p string, keepSlashes bool) (string, bool) {
	clean := true
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '/' && !isAlnum(c) && strings.IndexByte(pathAllowed, c) < 0 {
			clean = false
			break
		}
	}
	if clean {
		return p, true
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' {
			b = append(b, c)
			continue
		}
		if keepSlashes && c == '%' {
			if i+2 >= len(p) || !isXDigit(p[i+1]) || !isXDigit(p[i+2]) {
				return "", false
			}
			if unhex(p[i+1])<<4|unhex(p[i+2]) == '/' {
				b = append(b, p[i:i+3]...)
				i += 2
				continue
			}
		}
		if isAlnum(c) || strings.IndexByte(pathAllowed, c) >= 0 && c != 0 {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b), true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	default:
		return c | 0x20 - 'a' + 10
	}
}

// vcharObstext reports whether s holds only visible characters and
// obs-text (httpd's ap_scan_vchar_obstext reaching the end): no control
// character, space or DEL.
func vcharObstext(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
