package server

import (
	"strings"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/proxy"
)

// handle runs the pipeline for one request read without error: the
// virtual host, the URI, the sections, then routing.
func (s *Server) handle(x *Exchange) {
	src := requestHost(x.Req)
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

// requestHost is the host a request names, before it is checked: an
// absolute request-target's authority wins over Host (several Host
// fields are joined, and then refused by the strict check, as httpd
// does).
func requestHost(req *http1.Request) string {
	if req.Method == "CONNECT" && !req.Header.Has("Host") {
		// An HTTP/1.0 CONNECT names its host only in the target.
		return req.Target
	}
	if src, fromURL := hostFromTarget(req.Target); fromURL {
		return src
	}
	return strings.Join(req.Header.Values("Host"), ", ")
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
	if x.Req.Method == "CONNECT" {
		// The target is host:port (checked by http1): httpd's URI is
		// then "/", without a query.
		t = "/"
	}
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
	if path == "*" {
		if x.Req.Method == "OPTIONS" {
			return 0
		}
		return 400
	}
	merge := x.vh.dir.MergeSlashes.Get(true)
	// httpd first normalises the path as sent (dot segments, runs of
	// '/', encoded unreserved characters), then walks the <Location>
	// sections to learn AllowEncodedSlashes, then decodes.
	norm, ok := normalizePath(path, merge, true)
	if !ok {
		x.Log.Error().Str("uri", x.Req.Target).Msg("AH10244: invalid URI path (" + x.Req.Target + ")")
		return 400
	}
	dir := walkLocations(x.vh.dir, x.vh.sections, norm)
	if m, ok := x.preTranslate(norm, dir); ok {
		// A mapping=encoded ProxyPass claimed the path still encoded:
		// httpd does not decode it then.
		x.URI, x.preTrans = norm, &m
		return 0
	}
	encodedSlashes := dir.AllowEncodedSlashes.Get("off")
	decoded, status := unescapePath(norm, encodedSlashes)
	if status != 0 {
		if status == 404 && encodedSlashes == "off" {
			x.Log.Info().Msg("AH00026: found %2f (encoded '/') in URI path (" + x.Req.Target + "), returning 404")
		}
		return status
	}
	if encodedSlashes == "on" {
		// Decoded slashes may have made new segments.
		decoded, _ = normalizePath(decoded, merge, false)
	}
	x.URI = decoded
	return 0
}

// preTranslate is mod_proxy's pre_translate_name: the routes with
// mapping=encoded are tried on the normalised path before it is
// decoded.
func (x *Exchange) preTranslate(uri string, dir *directives.DirConf) (proxy.Match, bool) {
	rt := x.vh.router
	if rt == nil {
		return proxy.Match{}, false
	}
	in := &proxy.RouteRequest{URI: uri, RawURI: x.Req.Target, Location: dir.Proxy.Route,
		InterpolateEnv: dir.Proxy.InterpolateEnv.Get(false)}
	m := rt.Match(in, proxy.PhasePreTranslate)
	return m, m.Outcome == proxy.Proxied
}

// normalizePath is httpd's ap_normalize_path for a request path: "."
// segments are removed and ".." segments remove the one before them
// (".." above the root makes the path invalid), runs of '/' become one
// when merge is set, and with decode the percent-encoded unreserved
// characters are decoded first (so "%2e%2e" is a ".." segment). A path
// not starting with '/' or holding a bad percent escape (with decode) is
// invalid.
func normalizePath(p string, merge, decode bool) (string, bool) {
	if p == "" || p[0] != '/' {
		return p, p == "*"
	}
	ok := true
	src := []byte(p)
	out := make([]byte, 0, len(src))
	for l := 0; l < len(src); {
		if decode && src[l] == '%' {
			if l+2 < len(src) && isHex(src[l+1]) && isHex(src[l+2]) {
				if c := unhex(src[l+1])<<4 | unhex(src[l+2]); isUnreserved(c) {
					l += 2
					src[l] = c
				}
			} else {
				ok = false
			}
		}
		if len(out) == 0 || out[len(out)-1] == '/' {
			if merge && src[l] == '/' && len(out) > 0 {
				for l < len(src) && src[l] == '/' {
					l++
				}
				continue
			}
			if src[l] == '.' {
				if l+1 == len(src) || src[l+1] == '/' {
					l += 2
					continue
				}
				n := l + 1
				dots := src[n] == '.'
				if !dots && decode && n+2 < len(src) && src[n] == '%' && src[n+1] == '2' && (src[n+2] == 'e' || src[n+2] == 'E') {
					n += 2
					dots = true
				}
				if dots && (n+1 == len(src) || src[n+1] == '/') {
					if len(out) > 1 {
						out = out[:len(out)-1]
						for len(out) > 0 && out[len(out)-1] != '/' {
							out = out[:len(out)-1]
						}
					} else {
						ok = false
					}
					l = n + 2
					continue
				}
			}
		}
		out = append(out, src[l])
		l++
	}
	return string(out), ok
}

// isUnreserved reports RFC 3986's unreserved characters.
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// unescapePath is ap_unescape_url_ex for a path whose unreserved
// characters are already decoded: a bad escape is 400; an encoded '/'
// is 404 unless AllowEncodedSlashes is On (decoded) or NoDecode (kept
// encoded); an encoded NUL is 404. A bad escape wins over the others.
func unescapePath(p, encodedSlashes string) (string, int) {
	if !strings.ContainsRune(p, '%') {
		return p, 0
	}
	b := make([]byte, 0, len(p))
	badEsc, badPath := false, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			badEsc = true
			b = append(b, c)
			continue
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		switch {
		case v == 0 || v == '/' && encodedSlashes == "off":
			badPath = true
			b = append(b, v)
		case v == '/' && encodedSlashes == "nodecode":
			b = append(b, p[i:i+3]...)
		default:
			b = append(b, v)
		}
		i += 2
	}
	switch {
	case badEsc:
		return "", 400
	case badPath:
		return "", 404
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
