// Package proxy is Portico's mod_proxy and mod_proxy_http: it decides
// which requests go to a backend, builds the backend URL, forwards the
// request over HTTP/1.1 and relays the response, with httpd 2.4's rules
// and error statuses.
//
// The server package uses it in three steps per request:
//
//	rt := proxy.NewRouter(cfg.Main, vhost)             // once per server, at load
//	m := rt.Match(&proxy.RouteRequest{…}, proxy.PhaseTranslate)
//	status, err := p.Serve(w, &proxy.Request{…}, m)    // when m.Outcome == proxy.Proxied
//
// Routing (Router.Match) is httpd's proxy_trans: the one-argument
// ProxyPass of the merged <Location> sections first, then the main
// server's ProxyPass and ProxyPassMatch lines, then the virtual host's,
// in config order; the first match decides and "!" stops the search.
// Routes with mapping=encoded are tried in PhasePreTranslate, on the URI
// before decoding. Router.Trace also lists every route tried.
//
// Canon turns a Match into the canonical backend URL (proxy_http_canon);
// Serve calls it itself. Serve picks the worker by longest prefix of that
// URL (directives.FindWorker, or httpd's generic reverse worker with no
// connection reuse), reads up to 16 KiB of the body to choose between
// Content-Length and chunked framing, sends the request head with httpd's
// Host, X-Forwarded-*, Via, Max-Forwards and hop-by-hop rules, handles
// Expect: 100-continue, and relays interim and final responses to the
// ResponseWriter with ProxyPassReverse and the cookie maps applied.
//
// Errors before the response head is written come back as *Error, whose
// Status is what httpd answers (503 for a refused connection, 500 "Proxy
// Error" for a DNS failure, 502 "Proxy Error" for a read timeout, an
// early close or a corrupt status line, 502 for a bad header) or, with
// Override set, the backend status ProxyErrorOverride hands to the
// server's ErrorDocument. Errors after the head mean the client
// connection must be closed.
//
// Each Proxy keeps a pool of kept-alive connections per worker
// (disablereuse, ttl, max, acquire) and closes them on Close.
//
// Protocol upgrades (upgrade.go) follow mod_proxy_http: a client's
// Upgrade field is forwarded, with Connection: Upgrade, when the worker's
// upgrade= list (or, for ws:// and wss://, the WebSocket default) allows
// it; otherwise it is dropped and the request goes on as plain HTTP. A
// 101 for the protocol asked is relayed without Date or Server, and the
// connections go to the server's tunnel through the ResponseWriter's
// Upgrader; any other 101 is httpd's "Unexpected Upgrade" 502. With
// ProxyWebsocketFallbackToProxyHttp Off, ws:// and wss:// take
// mod_proxy_wstunnel's own path instead (upgrade_legacy.go): routes skip
// requests without Upgrade, a missing or wrong Upgrade is 426, and the
// backend's answer is relayed as raw bytes without an idle timeout.
package proxy
