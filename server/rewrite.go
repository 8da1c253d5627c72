package server

import (
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/proxy"
)

// What mod_rewrite needs of an exchange: the request variables it reads,
// and the means to act on a rewrite pass's result (serve a file, proxy
// to a URL, restart the request on a new URI).

// Var returns one of httpd's request, connection or server variables by
// its upper-case name, "" when unset.
func (x *Exchange) Var(name string) string {
	switch name {
	case "REQUEST_URI":
		return x.URI
	case "REQUEST_METHOD":
		return x.Req.Method
	case "THE_REQUEST":
		return x.Req.Method + " " + x.Req.Target + " " + x.Req.Proto
	case "SERVER_PROTOCOL":
		return x.Req.Proto
	case "REQUEST_SCHEME":
		return "http"
	case "HTTPS":
		return "off"
	case "SERVER_NAME":
		if x.Hostname != "" {
			if strings.Contains(x.Hostname, ":") {
				return "[" + x.Hostname + "]"
			}
			return x.Hostname
		}
		return x.vh.hostname
	case "SERVER_PORT":
		return strconv.Itoa(x.serverPort())
	case "SERVER_ADDR":
		return x.Local.Addr().Unmap().String()
	case "SERVER_ADMIN":
		return x.vh.admin
	case "SERVER_SOFTWARE":
		if x.c.srv.Software != "" {
			return x.c.srv.Software
		}
		return "Portico"
	case "REMOTE_ADDR", "CONN_REMOTE_ADDR", "REMOTE_HOST":
		return x.Remote.Addr().Unmap().String()
	case "REMOTE_PORT":
		return strconv.Itoa(int(x.Remote.Port()))
	case "IPV6":
		if a := x.Remote.Addr(); a.Is6() && !a.Is4In6() {
			return "on"
		}
		return "off"
	case "DOCUMENT_ROOT", "CONTEXT_DOCUMENT_ROOT":
		return x.vh.dir.DocumentRoot
	}
	return ""
}

// Header returns a request header field, several joined with ", ".
func (x *Exchange) Header(name string) (string, bool) {
	vs := x.Req.Header.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	if len(vs) == 1 {
		return vs[0], true
	}
	return strings.Join(vs, ", "), true
}

// MainServer is the configuration's main server.
func (x *Exchange) MainServer() *directives.Server { return x.gen.cfg.Main }

// LocationSections returns the <Location> and <LocationMatch> sections
// that match the URI, in the order httpd merges them.
func (x *Exchange) LocationSections() []*directives.Section {
	uri := mergeSlashes(x.URI)
	var out []*directives.Section
	for _, sec := range x.vh.sections {
		if (sec.Kind == directives.SectionLocation || sec.Kind == directives.SectionLocationMatch) && locationMatches(sec, uri) {
			out = append(out, sec)
		}
	}
	return out
}

// ServeFile serves the file path fpath as httpd does once translate_name
// set r->filename: no ProxyPass, no Alias.
func (x *Exchange) ServeFile(fpath string) {
	x.filename = fpath
	x.c.srv.serveStatic(x)
}

// ProxyTo forwards the request to url as mod_proxy does for a
// RewriteRule [P] (r->filename "proxy:url"); nocanon is httpd's
// proxy-nocanon note. The DirRewrite hook is not run.
func (x *Exchange) ProxyTo(url string, nocanon bool) {
	x.forward(proxy.Match{Outcome: proxy.Proxied, Index: -1, URL: url, NoCanon: nocanon})
}

// SetURI changes the URI and query the request continues with
// (RewriteRule [PT]) and merges the <Location> sections for it again.
func (x *Exchange) SetURI(uri, args string, hasArgs bool) {
	x.URI, x.Args, x.HasArgs = uri, args, hasArgs
	x.Dir = walkLocations(x.vh.dir, x.vh.sections, uri)
}

// SetArgs changes the query string.
func (x *Exchange) SetArgs(args string, hasArgs bool) { x.Args, x.HasArgs = args, hasArgs }

// RewriteEnded reports whether an [END] rule stopped rewriting for this
// request; EndRewrite sets it.
func (x *Exchange) RewriteEnded() bool { return x.rewriteEnded }

// EndRewrite marks the request as finished with rewriting ([END]).
func (x *Exchange) EndRewrite() { x.rewriteEnded = true }

// AddErrorHeader adds a field sent with error and redirect pages
// (httpd's err_headers_out: mod_rewrite's cookies).
func (x *Exchange) AddErrorHeader(name, value string) { x.errHeader.Add(name, value) }

// maxInternalRedirects is LimitInternalRecursion's default.
const maxInternalRedirects = 10

// InternalRedirect restarts the request on uri with the query args, as
// httpd's ap_internal_redirect does: the sections are merged again and
// the whole pipeline runs from the server rewrite pass on. Past
// LimitInternalRecursion the answer is 500.
func (x *Exchange) InternalRedirect(uri, args string, hasArgs bool) {
	x.redirects++
	if x.redirects > maxInternalRedirects {
		x.Log.Error().Msg("AH00124: Request exceeded the limit of 10 internal redirects due to probable configuration error. Use 'LimitInternalRecursion' to increase the limit if necessary. Use 'LogLevel debug' to get a backtrace.")
		x.Error(500)
		return
	}
	x.filename = ""
	x.SetURI(uri, args, hasArgs)
	s := x.c.srv
	if s.Hooks.Rewrite != nil && s.Hooks.Rewrite(x) {
		return
	}
	s.route(x)
}
