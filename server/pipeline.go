package server

import (
	"strings"
)

// handle runs the pipeline for one request read without error: the
// virtual host, the URI, the sections, then routing.
func (s *Server) handle(x *Exchange) {
	req := x.Req
	// The host: an absolute request-target's authority wins over Host
	// (several Host fields are joined, and then refused by the strict
	// check, as httpd does).
	src, fromURL := hostFromTarget(req.Target)
	if !fromURL {
		src = strings.Join(req.Header.Values("Host"), ", ")
	}
	host, port, err := parseHost(src)
	if err != nil {
		x.Log.Debug().Str("host", src).Msg("AH00550: Client sent malformed Host header")
		x.Server = x.vh.srv
		x.Error(400)
		return
	}
	x.Hostname, x.HostPort = host, port

	chain := x.gen.table.connChain(x.Local)
	x.vh = x.gen.table.selectServer(chain, host, int(x.Local.Port()))
	x.Server = x.vh.srv
	x.Log = x.Log.With().Str("server", x.vh.hostname).Logger()

	status := x.parseURI()
	x.Dir = walkLocations(x.vh.dir, x.vh.sections, x.URI)
	if status != 0 {
		x.Error(status)
		return
	}
	if s.Hooks.Rewrite != nil && s.Hooks.Rewrite(x) {
		return
	}
	s.route(x)
}

// route sends a request whose URI is decided to the proxy, or else to
// the file system.
func (s *Server) route(x *Exchange) {
	if x.serveProxy() {
		return
	}
	if x.wrote {
		return
	}
	s.serveStatic(x)
}

// parseURI sets URI and Args from the request-target as httpd's
// ap_parse_uri, ap_unescape_url, ap_getparents and MergeSlashes do. It
// returns the error status for a target httpd refuses, else 0.
func (x *Exchange) parseURI() int {
	t := x.Req.Target
	if i := strings.Index(t, "://"); i > 0 && !strings.HasPrefix(t, "/") {
		rest := t[i+3:]
		j := strings.IndexAny(rest, "/?")
		if j < 0 {
			t = "/"
		} else {
			t = rest[j:]
			if t[0] == '?' {
				t = "/" + t
			}
		}
	}
	if i := strings.IndexByte(t, '#'); i >= 0 {
		t = t[:i]
	}
	path := t
	if i := strings.IndexByte(t, '?'); i >= 0 {
		path, x.Args, x.HasArgs = t[:i], t[i+1:], true
	}
	x.URI = path
	if path == "*" && x.Req.Method == "OPTIONS" {
		return 0
	}
	if !strings.HasPrefix(path, "/") {
		return 400
	}
	slashes := x.Dir
	if slashes == nil {
		slashes = x.vh.dir
	}
	decoded, status := unescapePath(path, slashes.AllowEncodedSlashes.Get("off"))
	if status != 0 {
		return status
	}
	decoded = getParents(decoded)
	if slashes.MergeSlashes.Get(true) {
		decoded = mergeSlashes(decoded)
	}
	x.URI = decoded
	return 0
}

// unescapePath is ap_unescape_url_ex for a path: a bad escape is 400; an
// encoded '/' is 404 unless AllowEncodedSlashes is On (decoded) or
// NoDecode (kept encoded); an encoded NUL is 404.
func unescapePath(p, encodedSlashes string) (string, int) {
	if !strings.ContainsRune(p, '%') {
		return p, 0
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", 400
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		switch {
		case v == 0:
			return "", 404
		case v == '/' && encodedSlashes == "nodecode":
			b = append(b, p[i:i+3]...)
		case v == '/' && encodedSlashes != "on":
			return "", 404
		default:
			b = append(b, v)
		}
		i += 2
	}
	return string(b), 0
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// getParents is ap_getparents: it removes "." segments and resolves
// ".." segments, never going above the root.
func getParents(p string) string {
	if !strings.Contains(p, "/.") {
		return p
	}
	trailing := strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		switch {
		case s == "." && i > 0:
		case s == ".." && i > 0:
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if trailing && !strings.HasSuffix(r, "/") {
		r += "/"
	}
	if r == "" {
		r = "/"
	}
	return r
}
