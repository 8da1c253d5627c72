package proxy

import (
	"fmt"
	"strings"
	"time"

	"github.com/portico-proxy/portico/internal/http1"
)

// mod_proxy_wstunnel's own path, taken for ws:// and wss:// URLs when
// ProxyWebsocketFallbackToProxyHttp is Off: the Upgrade field is
// required (426 otherwise), the request goes to the backend with the
// worker's protocol in Upgrade, and from then on bytes are relayed both
// ways without looking at the backend's answer, without an idle timeout,
// until either side finishes.

// legacyWebSocket reports whether mod_proxy_wstunnel's own handler takes
// the request.
func (f *forward) legacyWebSocket() bool {
	return f.wsScheme() && !f.rq.Dir.WebsocketFallback.Get(true)
}

// webSocketOnly is mod_proxy_wstunnel's check_trans: with
// RouteRequest.SkipWebSocket set (ProxyWebsocketFallbackToProxyHttp Off
// and no Upgrade field), a route to a ws:// or wss:// URL does not claim
// the request and routing goes on with the next one.
func webSocketOnly(in *RouteRequest, url string) bool {
	if !in.SkipWebSocket {
		return false
	}
	s, _, _, ok := urlScheme(url)
	return ok && (s == "ws" || s == "wss")
}

// wstunnel is proxy_wstunnel_handler.
func (f *forward) wstunnel() (int, error) {
	h := f.rq.Client.Header
	up, has := h.Get("Upgrade"), h.Has("Upgrade")
	want := workerUpgrade(f.wk)
	if want == "" {
		want = "WebSocket"
	}
	if !has || !canUpgrade(f.wk, up, "WebSocket") {
		got := up
		if !has {
			got = "missing"
		}
		f.p.Log.Info().Msg(fmt.Sprintf("AH02900: require upgrade for URL %s (Upgrade header is %s, expecting %s)", f.bu.URL, got, want))
		return 426, &Error{Status: 426, Header: http1.Headers{{Name: "Connection", Value: "Upgrade"}, {Name: "Upgrade", Value: want}}}
	}
	u, ok := f.w.(Upgrader)
	if !ok {
		e := statusError(500, "AH02443: the response writer cannot tunnel", nil)
		f.logf("%s", e.Log)
		return 500, e
	}
	// The worker's protocol is sent, not the client's spelling; NONE
	// sends WebSocket, and ANY, stored as "*", sends "*".
	send := want
	if strings.EqualFold(send, "NONE") {
		send = "WebSocket"
	}
	pl := f.p.pool(f.wk)
	c, e := f.connect(pl)
	if e != nil {
		return e.Status, e
	}
	hdr := f.reqHeaders()
	hdr.Add("Upgrade", send)
	hdr.Add("Connection", "Upgrade")
	req := &http1.Request{Method: f.rq.Client.Method, Target: f.bu.Target, Proto: "HTTP/1.1", Header: hdr}
	c.nc.SetWriteDeadline(time.Now().Add(f.timeout))
	if err := http1.WriteRequestHead(c.bw, req); err != nil {
		pl.release(c)
		return f.sendError(err)
	}
	if err := c.bw.Flush(); err != nil {
		pl.release(c)
		return f.sendError(err)
	}
	// Wait for the backend's first bytes without a time limit: a
	// backend that closes before sending any gets the client a bare
	// 502 page.
	c.nc.SetDeadline(time.Time{})
	if _, err := c.br.Peek(1); err != nil {
		pl.release(c)
		f.logf("wstunnel: %s closed the connection before answering", f.bu.Host)
		return 502, u.WriteBareError(502)
	}
	client, rw, err := f.w.Hijack()
	if err != nil {
		pl.release(c)
		return 0, err
	}
	// What the client sent past the request head (a body included)
	// goes to the backend with the client's next bytes.
	opt := TunnelOptions{NoHalfClose: true, HoldClientBuf: true, Protocol: send}
	if d := f.rq.Dir.TunnelIdleTimeout; d.Set {
		opt.IdleTimeout = d.Val
	}
	err = f.handOver(u, client, rw.Reader, c, opt)
	pl.release(c)
	return 101, err
}
