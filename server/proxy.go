package server

import (
	"errors"
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/proxy"
)

// The Exchange is the client side of a proxied request.
var _ proxy.ResponseWriter = (*Exchange)(nil)

// serveProxy routes the request through the server's ProxyPass table
// (the merged <Location> route first) and forwards it when a route
// claims it. It reports whether the request was handled.
func (x *Exchange) serveProxy() bool {
	rt := x.vh.router
	if rt == nil {
		return false
	}
	var m proxy.Match
	if x.preTrans != nil {
		m, x.preTrans = *x.preTrans, nil
	} else {
		m = rt.Match(x.routeRequest(), proxy.PhaseTranslate)
		if m.Outcome != proxy.Proxied {
			return false
		}
	}
	if !x.ProxyAccess(m.URL) {
		return true
	}
	if f := x.c.srv.Hooks.DirRewrite; f != nil && f(x, "proxy:"+m.URL) {
		return true
	}
	if x.proxyTraceRefused() {
		return true
	}
	return x.forward(m)
}

// ProxyAccess does what httpd does between routing a request to the
// backend URL url and handling it: the <Proxy> and <ProxyMatch> sections
// that match url are merged, the <Location> walk runs again on top, and
// mod_authz_core checks the merged Require lines. It answers 403 and
// returns false when access is denied.
func (x *Exchange) ProxyAccess(url string) bool {
	x.proxyWalk(url)
	if !x.authorized(x.Dir) {
		x.Log.Error().Msg("AH01630: client denied by server configuration: proxy:" + url)
		x.Error(403)
		return false
	}
	return true
}

// proxyWalk sets Dir for a request routed to the backend URL url: the
// <Proxy> sections that match it, then the <Location> sections again.
func (x *Exchange) proxyWalk(url string) {
	x.Dir = walkLocations(walkProxies(x.vh.dir, x.vh.sections, url), x.vh.sections, x.URI)
}

// routeRequest is what routing reads of the request in the translate
// phase.
func (x *Exchange) routeRequest() *proxy.RouteRequest {
	return &proxy.RouteRequest{URI: x.URI, RawURI: x.Req.Target, Location: x.Dir.Proxy.Route,
		InterpolateEnv: x.Dir.Proxy.InterpolateEnv.Get(false), Env: x.Env,
		SkipWebSocket: !x.Dir.Proxy.WebsocketFallback.Get(true) && !x.Req.Header.Has("Upgrade")}
}

// forward sends the request to the backend m names and relays the
// answer. It reports whether the request was handled.
func (x *Exchange) forward(m proxy.Match) bool {
	rt := x.vh.router
	base := x.selfURL("")
	port := ""
	if p := x.serverPort(); p != 80 {
		port = ":" + strconv.Itoa(p)
	}
	rq := &proxy.Request{
		Client:             x.Req,
		Router:             rt,
		URI:                x.URI,
		Args:               x.Args,
		HasArgs:            x.HasArgs,
		ClientIP:           x.Remote.Addr().Unmap().String(),
		ServerName:         x.vh.hostname,
		ServerPort:         port,
		BaseURL:            base,
		Dir:                &x.Dir.Proxy,
		Timeout:            x.vh.timeout,
		KeepEncodedSlashes: x.Dir.AllowEncodedSlashes.Get("off") == "nodecode",
		Keepalives:         x.keepalives,
		Env:                x.Env,
		Ctx:                x.c.srv.hardStop,
	}
	if f := x.c.srv.Hooks.RequestHeaders; f != nil {
		f(x, &x.Req.Header)
	}
	x.proxyReq = true
	_, err := x.gen.proxy.Serve(x, rq, m)
	if err == nil {
		return true
	}
	var pe *proxy.Error
	switch {
	case errors.As(err, &pe) && !x.wrote:
		if pe.CloseClient {
			x.closeAfter()
			x.wrote = true
			return true
		}
		x.errReason = pe.ReasonPhrase()
		x.errNotes = pe.Notes
		x.errHeader = pe.Header
		x.Error(pe.Status)
	case errors.Is(err, proxy.ErrLocal) && !x.wrote:
		return false
	default:
		// The response was under way: the client connection cannot
		// carry another request.
		x.Log.Debug().Err(err).Msg("proxied response cut short")
		x.closeAfter()
		x.aborted = true
	}
	return true
}

// serverPort is httpd's ap_get_server_port with UseCanonicalName Off
// and UseCanonicalPhysicalPort Off: the port Host gave, else the
// server's own port (from ServerName or the <VirtualHost> address),
// else 80.
func (x *Exchange) serverPort() int {
	switch {
	case x.HostPort != 0:
		return x.HostPort
	case x.vh.port != 0:
		return x.vh.port
	}
	return 80
}

// closeAfter makes the connection close once this exchange ends.
func (x *Exchange) closeAfter() { x.keepAlive, x.mustClose = false, true }

// WriteInterim sends a 1xx response at once.
func (x *Exchange) WriteInterim(resp *http1.Response) error {
	if resp.Status == 100 {
		// httpd sends 100 Continue only to a client that asked for
		// it, and once.
		if !x.expect100 {
			return nil
		}
		x.expect100 = false
	}
	r := *resp
	r.Proto, r.Major, r.Minor = "HTTP/1.1", 1, 1
	if r.Reason == "" {
		r.Reason = reasonPhrase(r.Status)
	}
	if err := http1.WriteResponseHead(x.bw, &r); err != nil {
		return err
	}
	return x.bw.Flush()
}

// WriteHeader sends the final response head of a proxied response: a
// 101 goes out with its fields as they are, others as WriteHead frames
// them.
func (x *Exchange) WriteHeader(resp *http1.Response) error {
	if resp.Status == 101 {
		if x.wrote {
			return errors.New("server: response already written")
		}
		x.wrote, x.Status = true, 101
		h := resp.Header
		if !h.Has("Date") {
			h = append(http1.Headers{{Name: "Date", Value: httpDate(x.Start)}}, h...)
		}
		r := &http1.Response{Proto: "HTTP/1.1", Major: 1, Minor: 1, Status: 101, Reason: resp.Reason, Header: h}
		if r.Reason == "" {
			r.Reason = reasonPhrase(101)
		}
		x.closeAfter()
		return http1.WriteResponseHead(x.bw, r)
	}
	// httpd sends the backend's status line as it came, an empty
	// reason phrase included.
	x.keepReason = true
	return x.WriteHead(resp.Status, resp.Reason, resp.Header, resp.ContentLength)
}

// reasonPhrase is httpd's reason phrase for status.
func reasonPhrase(status int) string {
	r := strings.TrimPrefix(statusLine(status), strconv.Itoa(status))
	return strings.TrimPrefix(r, " ")
}
