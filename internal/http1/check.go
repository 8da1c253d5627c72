package http1

import (
	"net/netip"
	"strings"
)

// check applies httpd's checks on a request once its head is read
// (ap_read_request and ap_check_request_header): the target's form, the
// host, Content-Length and Transfer-Encoding, Expect.
func (r *Request) check() error {
	urlHost, err := checkTarget(r.Method, r.Target)
	if err != nil {
		return err
	}
	if r.Method == "CONNECT" {
		return r.checkConnect()
	}
	h := r.Header
	if cl, ok := lookup(h, "Content-Length"); ok {
		if _, ok := parseLength(cl); !ok {
			return badRequest("client sent invalid Content-Length (" + cl + "): " + r.Target)
		}
	}
	if te, ok := lookup(h, "Transfer-Encoding"); ok && !isChunked(te) {
		return badRequest("client sent unknown Transfer-Encoding (" + te + "): " + r.Target)
	}
	hostname := ""
	if urlHost != "" {
		if err := checkHost(urlHost); err != nil {
			return err
		}
		hostname = urlHost
		if h.Has("Host") {
			r.Header.Set("Host", urlHost)
		}
	} else if host, ok := lookup(h, "Host"); ok && host != "" {
		if err := checkHost(host); err != nil {
			return err
		}
		hostname = host
	}
	if hostname == "" && (r.Major > 1 || r.Major == 1 && r.Minor >= 1) || r.Major == 1 && r.Minor == 1 && !h.Has("Host") {
		return badRequest("client sent HTTP/1.1 request without hostname (see RFC2616 section 14.23): " + r.Target)
	}
	if e := h.Get("Expect"); e != "" && !equalFold(e, "100-continue") {
		return &StatusError{417, "client sent an unrecognized expectation value of Expect: " + e}
	}
	return nil
}

// checkConnect is check for a CONNECT request, whose target httpd reads
// as host:port (apr_uri_parse_hostinfo): the host up to the first ':'
// (or a bracketed IPv6 literal), then a port strtol reads whole. Any
// other target is refused with 400. The host is checked as a Host value
// and replaces the Host field, with the port as sent.
func (r *Request) checkConnect() error {
	host, port, v6, ok := splitConnectTarget(r.Target)
	if !ok {
		return badRequest("HTTP Request Line; Unable to parse URI: '" + clip([]byte(r.Target)) + "'")
	}
	if host != "" {
		check := host
		if v6 {
			check = "[" + host + "]"
		}
		if err := checkHost(check); err != nil {
			return err
		}
	}
	h := r.Header
	if r.Major == 1 && r.Minor == 1 && !h.Has("Host") {
		return badRequest("client sent HTTP/1.1 request without hostname (see RFC2616 section 14.23): /")
	}
	if h.Has("Host") {
		v := strings.ToLower(host)
		if v6 {
			v = "[" + v + "]"
		}
		r.Header.Set("Host", v+":"+port)
	}
	if e := h.Get("Expect"); e != "" && !equalFold(e, "100-continue") {
		return &StatusError{417, "client sent an unrecognized expectation value of Expect: " + e}
	}
	return nil
}

// splitConnectTarget splits a CONNECT target as apr_uri_parse_hostinfo
// does; v6 reports a bracketed host (returned without its brackets).
func splitConnectTarget(t string) (host, port string, v6, ok bool) {
	var rest string
	if strings.HasPrefix(t, "[") {
		end := strings.IndexByte(t, ']')
		if end < 0 || end+1 >= len(t) || t[end+1] != ':' {
			return "", "", false, false
		}
		host, rest, v6 = t[1:end], t[end+2:], true
	} else {
		var found bool
		host, rest, found = strings.Cut(t, ":")
		if !found {
			return "", "", false, false
		}
	}
	if !strtolWhole(rest) {
		return "", "", false, false
	}
	return host, rest, v6, true
}

// strtolWhole reports whether C's strtol in base 10 reads all of s:
// leading white space, an optional sign, at least one digit, nothing
// after.
func strtolWhole(s string) bool {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > start && i == len(s)
}

// lookup returns the value of the field called name and whether there is one.
func lookup(h Headers, name string) (string, bool) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// checkTarget checks the request-target as httpd parses it (ap_parse_uri
// with the Strict checks) and returns the host:port of an absolute http
// URI, "" for other forms.
func checkTarget(method, target string) (host string, err error) {
	bad := func(why string) (string, error) {
		return "", badRequest("HTTP Request Line; " + why)
	}
	if method == "CONNECT" {
		// checkConnect parses the authority form.
		return "", nil
	}
	u := target
	for len(u) > 1 && u[0] == '/' && u[1] == '/' {
		u = u[1:]
	}
	if strings.IndexByte(u, '#') >= 0 {
		return bad("URI must not contain a fragment")
	}
	if u == "*" {
		if method != "OPTIONS" {
			return bad("Unable to parse URI: '*'")
		}
		return "", nil
	}
	if u[0] == '/' {
		return "", nil
	}
	// scheme ":" hier-part
	i := 0
	for i < len(u) && (isAlnum(u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.') {
		i++
	}
	if i == 0 || i == len(u) || u[i] != ':' {
		return bad("Unable to parse URI: '" + clip([]byte(target)) + "'")
	}
	scheme, rest := u[:i], u[i+1:]
	if !strings.HasPrefix(rest, "//") {
		if rest != "" && rest[0] != '/' && rest[0] != '?' {
			return bad("Unable to parse URI: '" + clip([]byte(target)) + "'")
		}
		return "", nil
	}
	rest = rest[2:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if strings.IndexByte(authority, '@') >= 0 {
		return bad("URI must not contain a username/password")
	}
	if equalFold(scheme, "http") && authority != "" {
		return authority, nil
	}
	return "", nil
}

// checkHost checks a Host value (host[:port]) as httpd's fix_hostname does
// in Strict mode.
func checkHost(hostport string) error {
	bad := badRequest("Client sent malformed Host header: " + hostport)
	for i := 0; i < len(hostport); i++ {
		if !isDigit(hostport[i]) {
			break
		}
		if i == len(hostport)-1 {
			return badRequest("[strict] purely numeric host names not allowed: " + hostport)
		}
	}
	host := hostport
	// A port is the digits after the last ':', 1 to 65535.
	j := len(host) - 1
	for j >= 0 && isDigit(host[j]) {
		j--
	}
	if j >= 0 && host[j] == ':' && j < len(host)-1 {
		port := 0
		for _, c := range []byte(host[j+1:]) {
			port = port*10 + int(c-'0')
			if port > 65535 {
				return bad
			}
		}
		if port < 1 {
			return bad
		}
		host = host[:j]
	} else if j == 0 && host[0] == ':' {
		return bad
	}
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return bad
		}
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return bad
		}
		return nil
	}
	if host == "" {
		return bad
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c == '.' && i+1 < len(host) && host[i+1] == '.' || c == '/' || c == '\\' {
			return bad
		}
	}
	host = strings.TrimSuffix(host, ".")
	dotted := true
	dots := 0
	zeros := false
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case isAlpha(c) || c == '-' || c == '_':
			dotted = false
		case c == '.':
			dots++
			if i+2 < len(host) && host[i+1] == '0' && isDigit(host[i+2]) {
				zeros = true
			}
		case !isDigit(c):
			return badRequest("[strict] Invalid host name '" + host + "'")
		}
	}
	if dotted {
		if host == "" || host[0] == '.' || len(host) > 1 && host[0] == '0' && isDigit(host[1]) {
			zeros = true
		}
		if zeros || dots != 3 {
			return badRequest("[strict] Invalid host name '" + host + "'")
		}
		return nil
	}
	if k := strings.LastIndexByte(host, '.'); k >= 0 && k+1 < len(host) && !isAlpha(host[k+1]) {
		return badRequest("[strict] Invalid host name '" + host + "'")
	}
	return nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// parseLength parses a Content-Length value as httpd's
// ap_parse_strict_length: decimal digits only, no sign, no overflow.
func parseLength(v string) (int64, bool) {
	if v == "" {
		return -1, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isDigit(c) {
			return -1, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return -1, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isChunked reports whether chunked is the final coding of a
// Transfer-Encoding value (ap_is_chunked).
func isChunked(v string) bool {
	const tok = "chunked"
	if equalFold(v, tok) {
		return true
	}
	i := len(v) - len(tok)
	if i <= 0 || !equalFold(v[i:], tok) {
		return false
	}
	j := i - 1
	if !(isSpace(v[j]) || v[j] == ',') {
		return false
	}
	for j > 0 && v[j] == ' ' {
		j--
	}
	return v[j] == ',' || v[j] == ' '
}

// hasToken reports whether the comma-separated list v contains token,
// ignoring case.
func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if equalFold(strings.Trim(t, " \t"), token) {
			return true
		}
	}
	return false
}
