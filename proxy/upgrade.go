package proxy

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// Upgrader is what a ResponseWriter offers besides Hijack for protocol
// upgrades. The server implements it; a ResponseWriter without it
// cannot carry a tunnel, and upgrade requests are then refused with 500
// before anything is sent.
type Upgrader interface {
	// StartTunnel runs the byte tunnel between the hijacked client
	// connection and the backend connection. clientBuf holds bytes the
	// client sent past the request, backendBuf bytes the backend sent
	// past its response head; each goes to the other side first. The
	// tunnel owns both connections from the call on; done, if not nil,
	// is called once when it ends.
	StartTunnel(client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt TunnelOptions, done func()) error
	// WriteBareError ends the exchange with only the body of the
	// server's error page for status, no status line or fields, and
	// closes the client connection: what the client of
	// mod_proxy_wstunnel's own path gets when the backend sent nothing.
	WriteBareError(status int) error
}

// TunnelOptions tune one tunnel.
type TunnelOptions struct {
	// IdleTimeout closes the tunnel after this long without a byte in
	// either direction; 0 means never.
	IdleTimeout time.Duration
	// NoHalfClose ends the tunnel when either side finishes sending
	// (mod_proxy_wstunnel's own path) instead of passing the FIN on.
	NoHalfClose bool
	// HoldClientBuf delivers the bytes the client sent past the request
	// only with its next bytes (mod_proxy_wstunnel's own path).
	HoldClientBuf bool
	// Protocol is the protocol upgraded to, for logs.
	Protocol string
}

// canUpgrade is httpd's ap_proxy_worker_can_upgrade: the worker's
// upgrade= list ("*" for ANY) allows the client's Upgrade value when it
// is "*", equals the value, or holds a token that starts the value
// (ap_find_token compares a token's length only); without upgrade=, the
// value must be dflt ("WebSocket" for ws:// and wss://), in any case.
func canUpgrade(w *directives.Worker, upgrade, dflt string) bool {
	if list := workerUpgrade(w); list != "" {
		return list == "*" || strings.EqualFold(list, upgrade) || findToken(list, upgrade)
	}
	return dflt != "" && strings.EqualFold(dflt, upgrade)
}

// workerUpgrade is the worker's own upgrade= value, "" when it has none
// (the ws:// default is not the worker's own: httpd keeps it apart).
func workerUpgrade(w *directives.Worker) string {
	if w == nil || !w.Upgrade.Set {
		return ""
	}
	return w.Upgrade.Val
}

// findToken is httpd's ap_find_token: whether some token of line
// (tokens end at any character that is not a token character) matches
// the start of tok, without regard to case, over the token's length.
func findToken(line, tok string) bool {
	i := 0
	for {
		for i < len(line) && !isTokenChar(line[i]) {
			i++
		}
		if i == len(line) {
			return false
		}
		start := i
		for i < len(line) && isTokenChar(line[i]) {
			i++
		}
		n := i - start
		// ap_cstr_casecmpn stops at tok's end: a token longer than tok
		// differs at tok's terminating NUL.
		if n <= len(tok) && strings.EqualFold(line[start:i], tok[:n]) {
			return true
		}
		if i == len(line) {
			return false
		}
	}
}

func isTokenChar(c byte) bool {
	return isAlnum(c) || c != 0 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// wsScheme reports whether the backend URL is ws:// or wss://.
func (f *forward) wsScheme() bool { return f.bu.Scheme == "ws" || f.bu.Scheme == "wss" }

// upgradeDefault is the protocol a worker without upgrade= allows.
func (f *forward) upgradeDefault() string {
	if f.wsScheme() {
		return "WebSocket"
	}
	return ""
}

// decideUpgrade sets f.upgrade to the client's Upgrade value when the
// route allows it (proxy_http_handler): only the Upgrade field is
// looked at, not Connection; an Upgrade the worker does not allow is
// dropped with the other hop-by-hop fields.
func (f *forward) decideUpgrade() {
	if f.force10 {
		return
	}
	h := f.rq.Client.Header
	if !h.Has("Upgrade") {
		return
	}
	if workerUpgrade(f.wk) == "" && !f.wsScheme() {
		return
	}
	if up := h.Get("Upgrade"); canUpgrade(f.wk, up, f.upgradeDefault()) {
		f.upgrade = up
	}
}

// switchProtocols handles a 101 from the backend: it is accepted only
// for the protocol the client asked for and the route allowed, then the
// 101 goes to the client (HTTP/1.1 clients only, as httpd sends interim
// responses) and the connections become a tunnel.
func (f *forward) switchProtocols(c *conn, resp *http1.Response) (int, error) {
	up, has := resp.Header.Get("Upgrade"), resp.Header.Has("Upgrade")
	if !has || f.upgrade == "" || !strings.EqualFold(f.upgrade, up) {
		if !has {
			up = "n/a"
		}
		want := f.upgrade
		if want == "" {
			want = "n/a"
		}
		e := proxyError(502, "Unexpected Upgrade: "+up+" (expecting "+want+")", f.rq.URI, nil)
		f.logf("%s", e.Log)
		return 502, e
	}
	u, ok := f.w.(Upgrader)
	if !ok {
		e := statusError(500, "AH10240: can't create tunnel for "+up, errors.New("proxy: the response writer cannot tunnel"))
		f.logf("%s", e.Log)
		return 500, e
	}
	f.respHeaders(resp)
	resp.Header.Set("Connection", "Upgrade")
	resp.Header.Set("Upgrade", up)
	client, rw, err := f.w.Hijack()
	if err != nil {
		return 0, err
	}
	cli := f.rq.Client
	if cli.Major > 1 || cli.Major == 1 && cli.Minor >= 1 {
		head := &http1.Response{Proto: "HTTP/1.1", Major: 1, Minor: 1, Status: resp.Status, Reason: resp.Reason, Header: resp.Header}
		if head.Reason == "" {
			head.Reason = "Switching Protocols"
		}
		if err := http1.WriteResponseHead(rw.Writer, head); err != nil {
			client.Close()
			return 0, err
		}
		if err := rw.Writer.Flush(); err != nil {
			client.Close()
			return 0, err
		}
	}
	opt := TunnelOptions{IdleTimeout: f.tunnelIdle(), Protocol: up}
	return 101, f.handOver(u, client, rw.Reader, c, opt)
}

// handOver gives both connections to the tunnel with the bytes their
// readers hold. The backend connection leaves its pool: the pool's
// record of it is left with a stand-in, so that releasing it frees the
// pool slot without closing the socket the tunnel now owns.
func (f *forward) handOver(u Upgrader, client net.Conn, cr *bufio.Reader, c *conn, opt TunnelOptions) error {
	clientBuf := buffered(cr)
	backendBuf := buffered(c.br)
	backend := c.nc
	backend.SetDeadline(time.Time{})
	c.nc = tunnelled{backend}
	return u.StartTunnel(client, clientBuf, backend, backendBuf, opt, nil)
}

// tunnelled stands for a backend connection a tunnel took over: closing
// it does nothing.
type tunnelled struct{ net.Conn }

func (tunnelled) Close() error { return nil }

// buffered copies out what r has read but not yet delivered.
func buffered(r *bufio.Reader) []byte {
	if r == nil || r.Buffered() == 0 {
		return nil
	}
	b, _ := r.Peek(r.Buffered())
	return append([]byte(nil), b...)
}

// tunnelIdle is the tunnel's idle timeout through mod_proxy_http: the
// larger of the client's Timeout and the backend's I/O timeout
// (timeout=, else ProxyTimeout, else Timeout), unless
// PorticoTunnelIdleTimeout says otherwise.
func (f *forward) tunnelIdle() time.Duration {
	if d := f.rq.Dir.TunnelIdleTimeout; d.Set {
		return d.Val
	}
	client := f.rq.Timeout
	if client <= 0 {
		client = 60 * time.Second
	}
	return max(client, f.timeout)
}

// upgradeResponse passes a backend's Upgrade field on with a final
// (non-101) response, with Connection: Upgrade, when the route allows
// that protocol (a 426, for one).
func (f *forward) upgradeResponse(resp *http1.Response, up string, has bool) {
	if has && canUpgrade(f.wk, up, f.upgradeDefault()) {
		resp.Header.Set("Connection", "Upgrade")
		resp.Header.Set("Upgrade", up)
	}
}
