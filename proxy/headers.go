package proxy

import (
	"net/http"
	"strings"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// mergen is apr_table_mergen: a value is appended with ", " to the first
// field of that name, or added as a new field at the end.
func mergen(h *http1.Headers, name, value string) {
	s := *h
	for i := range s {
		if strings.EqualFold(s[i].Name, name) {
			s[i].Value = s[i].Value + ", " + value
			return
		}
	}
	h.Add(name, value)
}

// clearConnection is httpd's ap_proxy_clear_connection: it removes
// Proxy-Connection, Connection and every field Connection names, and
// reports whether Connection held "close".
func clearConnection(h *http1.Headers) (closed bool) {
	h.Del("Proxy-Connection")
	var names []string
	for _, f := range *h {
		if !strings.EqualFold(f.Name, "Connection") {
			continue
		}
		v := f.Value
		for v != "" {
			i := strings.IndexAny(v, ",;")
			tok := v
			if i >= 0 {
				tok, v = v[:i], v[i+1:]
			} else {
				v = ""
			}
			tok = strings.Trim(tok, " \t")
			if tok == "" {
				continue
			}
			if strings.EqualFold(tok, "close") {
				closed = true
			}
			names = append(names, tok)
		}
	}
	if names == nil && !h.Has("Connection") {
		return false
	}
	h.Del("Connection")
	for _, n := range names {
		h.Del(n)
	}
	return closed
}

// hasToken reports whether the comma list v holds tok (any case).
func hasToken(v, tok string) bool {
	for v != "" {
		var t string
		if i := strings.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, ""
		}
		if strings.EqualFold(strings.Trim(t, " \t"), tok) {
			return true
		}
	}
	return false
}

// backendHost is the Host value sent with ProxyPreserveHost Off: the
// backend's host, bracketed when it is an IPv6 literal, with the port
// when the canonical URL names one and it is not 80 (httpd compares with
// 80 whatever the scheme).
func backendHost(bu *BackendURL) string {
	h := bu.Host
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if bu.PortStr != "" && bu.Port != 80 {
		h += ":" + bu.PortStr
	}
	return h
}

// viaValue is the Via element Portico adds: "1.1 name[:port]", with the
// server's version comment for ProxyVia Full. The protocol is the
// client's, as httpd writes r->proto_num.
func viaValue(rq *Request, mode directives.ViaMode) string {
	major, minor := rq.Client.Major, rq.Client.Minor
	if major == 0 && minor == 0 {
		major, minor = 1, 1
	}
	v := string(rune('0'+major)) + "." + string(rune('0'+minor)) + " " + rq.ServerName + rq.ServerPort
	if mode == directives.ViaFull {
		v += " (" + ServerVersion + ")"
	}
	return v
}

// ServerVersion is the product token ProxyVia Full writes (httpd's
// AP_SERVER_BASEVERSION).
const ServerVersion = "Apache/2.4.71"

// reqHeaders builds the header fields sent to the backend, before the
// body framing and Connection fields, as ap_proxy_create_hdrbrgd does.
// It returns them with Host first.
func (f *forward) reqHeaders() http1.Headers {
	rq := f.rq
	h := make(http1.Headers, 0, len(rq.Client.Header)+6)
	h = append(h, rq.Client.Header...)
	savedHost := rq.Client.Header.Get("Host")
	hadHost := rq.Client.Header.Has("Host")

	if f.maxFwd >= 0 {
		h.Set("Max-Forwards", itoa(f.maxFwd))
	}
	h.Del("Transfer-Encoding")
	h.Del("Content-Length")
	clearConnection(&h)
	h.Del("Keep-Alive")
	h.Del("Upgrade")
	h.Del("Trailer")
	h.Del("TE")

	var host string
	if !rq.Dir.PreserveHost.Get(false) {
		host = backendHost(&f.bu)
	} else if hadHost {
		host = savedHost
	} else {
		host = rq.ServerName
		f.logf("AH01092: no HTTP 0.9 request (with no host line) on incoming request and preserve host set forcing hostname to be %s for uri %s", host, rq.URI)
	}

	switch via := f.srv.via; via {
	case directives.ViaBlock:
		h.Del("Via")
	case directives.ViaOn, directives.ViaFull:
		mergen(&h, "Via", viaValue(rq, via))
	}

	if f.do100 {
		if v := h.Get("Expect"); !h.Has("Expect") || !strings.EqualFold(v, "100-Continue") && !hasToken(v, "100-continue") {
			mergen(&h, "Expect", "100-Continue")
		}
	} else {
		h.Del("Expect")
	}

	if rq.Dir.AddHeaders.Get(true) {
		mergen(&h, "X-Forwarded-For", rq.ClientIP)
		if hadHost {
			mergen(&h, "X-Forwarded-Host", savedHost)
		}
		mergen(&h, "X-Forwarded-Server", rq.ServerName)
	}

	if rq.Authenticated {
		if _, ok := rq.env("Proxy-Chain-Auth"); !ok {
			h.Del("Proxy-Authorization")
		}
	}

	h.Del("Host")
	h = append(h, http1.Header{})
	copy(h[1:], h)
	h[0] = http1.Header{Name: "Host", Value: host}
	return h
}

// hopByHopResponse lists the response fields httpd never passes back.
var hopByHopResponse = [...]string{"Keep-Alive", "Proxy-Authenticate", "TE", "Trailer", "Upgrade"}

// dateFields are the response fields whose dates httpd rewrites to the
// RFC 1123 form.
var dateFields = [...]string{"Date", "Expires", "Last-Modified"}

// dateCanon is mod_proxy_http's date_canon: an HTTP date in any of the
// three forms becomes RFC 1123; anything else is kept.
func dateCanon(v string) string {
	t, err := http.ParseTime(v)
	if err != nil {
		return v
	}
	return t.UTC().Format(http.TimeFormat)
}

// respHeaders rewrites the backend's response fields for the client as
// ap_proxy_http_process_response and process_proxy_header do. It reports
// whether the backend connection must close afterwards.
func (f *forward) respHeaders(resp *http1.Response) (closeBackend bool) {
	h := &resp.Header
	if h.Has("Transfer-Encoding") && h.Has("Content-Length") {
		h.Del("Content-Length")
		closeBackend = true
	}
	if clearConnection(h) {
		closeBackend = true
	}
	for _, n := range hopByHopResponse {
		h.Del(n)
	}
	// httpd drops Transfer-Encoding only when a body follows; the
	// backend's value stays on an answer to HEAD and on 204 and 304.
	if f.rq.Client.Method != "HEAD" && resp.Status != 204 && resp.Status != 304 {
		h.Del("Transfer-Encoding")
	}
	for i := range *h {
		fl := &(*h)[i]
		for _, d := range dateFields {
			if strings.EqualFold(fl.Name, d) {
				fl.Value = dateCanon(fl.Value)
			}
		}
		switch {
		case strings.EqualFold(fl.Name, "Location"), strings.EqualFold(fl.Name, "Content-Location"),
			strings.EqualFold(fl.Name, "URI"), strings.EqualFold(fl.Name, "Destination"):
			fl.Value = f.reverseMap(fl.Value)
		case strings.EqualFold(fl.Name, "Set-Cookie"):
			fl.Value = f.cookieMap(fl.Value)
		}
	}
	cookiesLast(h)
	if via := f.srv.via; via == directives.ViaOn || via == directives.ViaFull {
		h.Add("Via", viaValue(f.rq, via))
	}
	return closeBackend
}

// cookiesLast moves the Set-Cookie fields after the others, in their
// order, as httpd does when it sets the backend's cookies aside while
// reading the response head and adds them back at the end.
func cookiesLast(h *http1.Headers) {
	s := *h
	first := -1
	for i := range s {
		if strings.EqualFold(s[i].Name, "Set-Cookie") {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	var cookies []http1.Header
	out := s[:first]
	for _, fl := range s[first:] {
		if strings.EqualFold(fl.Name, "Set-Cookie") {
			cookies = append(cookies, fl)
		} else {
			out = append(out, fl)
		}
	}
	*h = append(out, cookies...)
}

// rules returns the rules to apply, with ${VAR} interpolated in those
// marked interpolate when ProxyPassInterpolateEnv is On.
func (f *forward) rules(list []directives.ReverseMap) []directives.ReverseMap {
	if !f.rq.Dir.InterpolateEnv.Get(false) {
		return list
	}
	in := &RouteRequest{Env: f.rq.Env}
	out := make([]directives.ReverseMap, len(list))
	for i, r := range list {
		out[i] = r
		if r.Interpolate {
			out[i].From, out[i].To = interpolate(in, r.From), interpolate(in, r.To)
		}
	}
	return out
}

// reverseMap is ap_proxy_location_reverse_map: the first
// ProxyPassReverse rule whose URL prefixes the value (any case) replaces
// that prefix by its path; a rule URL starting with '/' is compared with
// the path of an absolute value. A result that is not an absolute URL is
// made one with the server's own scheme, name and port.
func (f *forward) reverseMap(url string) string {
	if len(f.rq.Dir.Reverse) == 0 {
		return url
	}
	for _, r := range f.rules(f.rq.Dir.Reverse) {
		real, fake := r.From, r.To
		if isBalancer(real) {
			b := f.rt.balancer(real)
			if b == nil {
				continue
			}
			urlpart := ""
			if k := strings.IndexByte(real[len("balancer://"):], '/'); k >= 0 {
				urlpart = real[len("balancer://")+k:]
				if urlpart == "/" {
					urlpart = ""
				}
			}
			for _, w := range b.Members {
				name := w.Name
				if urlpart != "" {
					name = strings.TrimSuffix(name, "/")
					l2 := len(name)
					if len(url) >= l2+len(urlpart) && strings.EqualFold(url[:l2], name) && url[l2:l2+len(urlpart)] == urlpart {
						return f.absolute(fake + url[l2+len(urlpart):])
					}
				} else if len(url) >= len(name) && strings.EqualFold(url[:len(name)], name) {
					if fake == "/" && len(url) > len(name) && url[len(name)] == '/' {
						return f.absolute(url[len(name):])
					}
					return f.absolute(fake + url[len(name):])
				}
			}
			continue
		}
		part := url
		if strings.HasPrefix(real, "/") {
			if i := strings.Index(url, "://"); i >= 0 {
				if k := strings.IndexByte(url[i+3:], '/'); k >= 0 {
					part = url[i+3+k:]
				}
			}
		}
		if len(real) > 0 && len(part) >= len(real) && strings.EqualFold(part[:len(real)], real) {
			return f.absolute(fake + part[len(real):])
		}
	}
	return url
}

func isBalancer(s string) bool {
	return len(s) >= 11 && strings.EqualFold(s[:11], "balancer://")
}

// absolute is ap_construct_url for a value that is not already an
// absolute URL (ap_is_url: a scheme of letters, digits, '+', '-', '.'
// followed by ':').
func (f *forward) absolute(u string) string {
	if isURL(u) {
		return u
	}
	return f.rq.BaseURL + u
}

func isURL(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == ':' {
			return i > 0
		}
		if !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return false
}

// cookieMap is ap_proxy_cookie_reverse_map. Among the ';'-separated
// attributes of a Set-Cookie value, only the last path= and the last
// domain= count, as in httpd: the first ProxyPassReverseCookiePath rule
// whose internal path prefixes that path (exactly) replaces it, and the
// first ProxyPassReverseCookieDomain rule whose internal domain prefixes
// that domain (any case) replaces it. "path=/a; Path=/a" (a cookie named
// path) keeps its first /a; "Domain=in; Domain=other" is left alone.
func (f *forward) cookieMap(v string) string {
	paths, domains := f.rq.Dir.CookiePaths, f.rq.Dir.CookieDomains
	if len(paths) == 0 && len(domains) == 0 {
		return v
	}
	paths, domains = f.rules(paths), f.rules(domains)
	type attr struct {
		start, end int // the value's bytes in v
		with       string
		found      bool // a rule matched it
	}
	var path, domain attr
	pos := 0
	for pos < len(v) {
		end := strings.IndexByte(v[pos:], ';')
		if end < 0 {
			end = len(v)
		} else {
			end += pos
		}
		tok := pos
		for tok < end && isSpaceC(v[tok]) {
			tok++
		}
		a := v[tok:end]
		switch {
		case len(a) >= 5 && strings.EqualFold(a[:5], "path="):
			path = attr{start: tok + 5, end: end}
			for _, r := range paths {
				if strings.HasPrefix(a[5:], r.From) {
					path.with, path.found = r.To, true
					break
				}
			}
		case len(a) >= 7 && strings.EqualFold(a[:7], "domain="):
			domain = attr{start: tok + 7, end: end}
			for _, r := range domains {
				if len(a)-7 >= len(r.From) && strings.EqualFold(a[7:7+len(r.From)], r.From) {
					domain.with, domain.found = r.To, true
					break
				}
			}
		}
		pos = end + 1
	}
	if !path.found && !domain.found {
		return v
	}
	first, second := path, domain
	if !path.found || domain.found && domain.start < path.start {
		first, second = domain, path
	}
	var b strings.Builder
	b.Grow(len(v) + len(first.with) + len(second.with))
	b.WriteString(v[:first.start])
	b.WriteString(first.with)
	if !second.found {
		b.WriteString(v[first.end:])
		return b.String()
	}
	b.WriteString(v[first.end:second.start])
	b.WriteString(second.with)
	b.WriteString(v[second.end:])
	return b.String()
}

// isSpaceC is C's isspace in the "C" locale.
func isSpaceC(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}
