package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/parser"
	"github.com/portico-proxy/portico/proxy"
	"github.com/portico-proxy/portico/rewrite"
)

// Tracing runs the request pipeline's decisions without a connection and
// without sending anything: the same virtual-host selection, URI parsing,
// <Location> walk, mod_rewrite passes, ProxyPass routing and file mapping
// the server runs for a request, each recorded with the directive that
// decided.

// TraceRequest is the request to trace.
type TraceRequest struct {
	// Method is the request method; "" means GET.
	Method string
	// Target is the request-target as the client sends it: a path
	// ("/a/b?q") or an absolute URL ("http://host:port/a/b?q").
	Target string
	// Header holds the request's fields (Host, Upgrade …).
	Header http1.Headers
	// Local is the address the connection arrives on. An unspecified
	// IP (0.0.0.0) means the address is not known: only virtual hosts
	// on wildcard addresses can then be chosen.
	Local netip.AddrPort
	// Remote is the client's address.
	Remote netip.AddrPort
	// Rewrite is the configuration's mod_rewrite engine, nil when no
	// rewrite rule is to be tried.
	Rewrite *rewrite.Engine
}

// Trace is the decision the server makes for one request.
type Trace struct {
	// Steps are the decisions in the order the server makes them.
	Steps []TraceStep
	// Outcome is what the request comes to.
	Outcome TraceOutcome
}

// TraceStep is one decision.
type TraceStep struct {
	// Phase names the stage: listen, host, vhost, uri, location,
	// rewrite, rewrite-dir, route, authz, file, proxy, upgrade,
	// error-document or log.
	Phase string
	// Pos is the directive that decided; the zero Pos when none did.
	Pos parser.Pos
	// What is the item considered (a directive as written, a section,
	// a value); Result what came of it.
	What, Result string
	// Depth is 1 for a detail of the step before (a RewriteCond of a
	// RewriteRule).
	Depth int
}

// Outcome kinds.
const (
	OutcomeProxy    = "proxy"    // forwarded to Backend
	OutcomeRedirect = "redirect" // answered Status with Location
	OutcomeFile     = "file"     // File served with Status
	OutcomeStatus   = "status"   // answered Status (an error, OPTIONS *)
	OutcomeRefused  = "refused"  // no Listen takes the connection
)

// TraceOutcome is the end of a trace.
type TraceOutcome struct {
	// Kind is one of the Outcome constants.
	Kind string
	// Status is the status the client gets; 0 for a proxied request
	// (the backend answers).
	Status int
	// Location is a redirect's target.
	Location string
	// File is the file served.
	File string
	// Backend is the canonical backend URL (proxy.Canon's), with
	// Worker or Balancer the backend it goes through; Worker nil means
	// httpd's generic reverse worker (no connection reuse).
	Backend  string
	Worker   *directives.Worker
	Balancer *directives.Balancer
	// Upgrade is the request's Upgrade field, "" when none.
	Upgrade string
	// Pos is the directive that decided the outcome.
	Pos parser.Pos
	// Note says more: why the status, what the live server adds.
	Note string
}

// maxTraceSteps bounds a trace whose rules keep restarting the request.
const maxTraceSteps = 10000

// tracer is one trace under way.
type tracer struct {
	s   *Server
	eng *rewrite.Engine
	t   *Trace
	x   *Exchange
	log bytes.Buffer
}

// Trace reports, without sending anything, what the server would do with
// the request tr describes.
func (s *Server) Trace(tr *TraceRequest) *Trace {
	g := s.gen.Load()
	method := tr.Method
	if method == "" {
		method = "GET"
	}
	req := &http1.Request{Method: method, Target: tr.Target, Proto: "HTTP/1.1", Major: 1, Minor: 1, Header: tr.Header}
	tc := &tracer{s: s, eng: tr.Rewrite, t: &Trace{}}
	x := &Exchange{Req: req, Local: tr.Local, Remote: tr.Remote, Start: time.Now(),
		c: &conn{srv: s, gen: g}, gen: g, vh: g.main, keepAlive: true}
	x.Log = zerolog.New(&tc.log).Level(zerolog.DebugLevel)
	x.Server = g.main.srv
	x.Dir = g.main.dir
	tc.x = x
	if !tc.listen(g) {
		return tc.t
	}
	tc.handle()
	tc.flushLog()
	return tc.t
}

func (tc *tracer) step(phase string, pos parser.Pos, what, result string) {
	tc.flushLog()
	if len(tc.t.Steps) < maxTraceSteps {
		tc.t.Steps = append(tc.t.Steps, TraceStep{Phase: phase, Pos: pos, What: what, Result: result})
	}
}

func (tc *tracer) detail(phase string, pos parser.Pos, what, result string) {
	tc.step(phase, pos, what, result)
	if n := len(tc.t.Steps); n > 0 {
		tc.t.Steps[n-1].Depth = 1
	}
}

// flushLog turns the error-log lines the pipeline wrote into steps.
func (tc *tracer) flushLog() {
	for _, line := range bytes.Split(tc.log.Bytes(), []byte("\n")) {
		var rec struct {
			Message string `json:"message"`
		}
		if len(line) == 0 || json.Unmarshal(line, &rec) != nil || rec.Message == "" {
			continue
		}
		if len(tc.t.Steps) < maxTraceSteps {
			tc.t.Steps = append(tc.t.Steps, TraceStep{Phase: "log", What: "error log", Result: rec.Message})
		}
	}
	tc.log.Reset()
}

// listen finds the Listen that accepts the connection.
func (tc *tracer) listen(g *generation) bool {
	local := tc.x.Local
	for _, l := range g.cfg.Listen {
		if l.Port != strconv.Itoa(int(local.Port())) {
			continue
		}
		if l.Addr != "" && local.Addr().IsValid() && !local.Addr().IsUnspecified() {
			ip, err := netip.ParseAddr(l.Addr)
			if err == nil && ip.Unmap() != local.Addr().Unmap() {
				continue
			}
		}
		addr := "*:" + l.Port
		if l.Addr != "" {
			addr = net.JoinHostPort(l.Addr, l.Port)
		}
		result := "the connection arrives on " + addr
		if !local.Addr().IsValid() || local.Addr().IsUnspecified() {
			if l.Addr != "" {
				if ip, err := netip.ParseAddr(l.Addr); err == nil {
					tc.x.Local = netip.AddrPortFrom(ip.Unmap(), local.Port())
				}
			} else {
				result += " (local address unknown: only virtual hosts on * and _default_ addresses apply)"
			}
		}
		tc.step("listen", l.Pos, "Listen "+listenText(l), result)
		return true
	}
	tc.step("listen", parser.Pos{}, "Listen", "no Listen accepts connections on "+local.String())
	tc.t.Outcome = TraceOutcome{Kind: OutcomeRefused, Note: "connection refused: no Listen for " + local.String()}
	return false
}

func listenText(l directives.Listen) string {
	s := l.Port
	if l.Addr != "" {
		s = net.JoinHostPort(l.Addr, l.Port)
	}
	if l.Protocol != "" {
		s += " " + l.Protocol
	}
	return s
}

// handle is Server.handle's decisions.
func (tc *tracer) handle() {
	x, g := tc.x, tc.x.gen
	src := requestHost(x.Req)
	host, port, err := parseHost(src)
	if err != nil {
		tc.step("host", parser.Pos{}, fmt.Sprintf("Host %q", src), "malformed (AH00550)")
		tc.answer(400, "", parser.Pos{}, "AH00550: Client sent malformed Host header")
		return
	}
	x.Hostname, x.HostPort = host, port
	if src == "" {
		tc.step("host", parser.Pos{}, "Host", "the request names no host")
	} else {
		tc.step("host", parser.Pos{}, fmt.Sprintf("Host %q", src), fmt.Sprintf("host %q", host))
	}

	chain := g.table.connChain(x.Local)
	x.vh = g.table.selectServer(chain, host, int(x.Local.Port()))
	x.Server = x.vh.srv
	tc.vhost(chain, host)

	status := x.parseURI()
	x.Dir = walkLocations(x.vh.dir, x.vh.sections, x.URI)
	if status != 0 {
		tc.step("uri", parser.Pos{}, "request-target "+strconv.Quote(x.Req.Target), "refused with "+strconv.Itoa(status))
		tc.answer(status, "", parser.Pos{}, "the request-target is refused while it is parsed")
		return
	}
	tc.uri()
	tc.locations()
	if x.preTrans != nil {
		tc.step("route", x.preTrans.Route.Pos, x.preTrans.Route.Describe(), "mapping=encoded route matched before the path was decoded")
	}
	if tc.rewriteServer() {
		return
	}
	tc.route()
}

// vhost explains the virtual host selectServer chose.
func (tc *tracer) vhost(ic *ipChain, host string) {
	x := tc.x
	vh := x.vh
	name := x.gen.cfg.Name(vh.srv)
	if ic == nil {
		tc.step("vhost", parser.Pos{}, "main server "+name, "no <VirtualHost> is on "+x.Local.String())
		return
	}
	what := fmt.Sprintf("<VirtualHost %s> %s", vh.srv.AddrText(), name)
	at := chainAddrText(ic)
	switch {
	case ic.names == nil:
		tc.step("vhost", vh.srv.Pos, what, "IP-based: the only virtual host on "+at+" (Host is not looked at)")
	case host == "":
		tc.step("vhost", vh.srv.Pos, what, "name-based on "+at+": no host named, the first virtual host listed for it")
	default:
		if why := nameMatch(vh, host); why != "" && tc.nameChosen(ic, vh) {
			tc.step("vhost", vh.srv.Pos, what, fmt.Sprintf("name-based on %s: %q matches %s", at, host, why))
			return
		}
		if vh != ic.def {
			tc.step("vhost", vh.srv.Pos, what, fmt.Sprintf("name-based on %s: %q is the host its <VirtualHost> address names", at, host))
			return
		}
		tc.step("vhost", vh.srv.Pos, what, fmt.Sprintf("name-based on %s: no ServerName or ServerAlias matches %q, the first virtual host listed for it (the default)", at, host))
	}
}

// nameChosen reports whether vh can have been chosen by name on ic: it
// is on the chain for the connection's port.
func (tc *tracer) nameChosen(ic *ipChain, vh *vhost) bool {
	port := int(tc.x.Local.Port())
	for _, e := range ic.names {
		if e.vh == vh && (e.addr.port == 0 || e.addr.port == port) {
			return true
		}
	}
	return false
}

// nameMatch says which of vh's names matches host, "" when none does.
func nameMatch(vh *vhost, host string) string {
	if strings.EqualFold(host, vh.hostname) {
		return "ServerName " + vh.hostname
	}
	for _, n := range vh.aliases {
		if strings.EqualFold(host, n) {
			return "ServerAlias " + n
		}
	}
	for _, n := range vh.wildAliases {
		if wildMatch(host, n) {
			return "ServerAlias " + n
		}
	}
	return ""
}

func chainAddrText(ic *ipChain) string {
	ip := ic.addr.ip.String()
	if ic.addr.wildcard() {
		ip = "*"
	} else if ic.addr.ip.Is6() {
		ip = "[" + ip + "]"
	}
	if ic.addr.port == 0 {
		return ip + ":*"
	}
	return ip + ":" + strconv.Itoa(ic.addr.port)
}

func (tc *tracer) uri() {
	x := tc.x
	res := "URI " + strconv.Quote(x.URI)
	if x.HasArgs {
		res += ", query " + strconv.Quote(x.Args)
	}
	tc.step("uri", parser.Pos{}, "request-target "+strconv.Quote(x.Req.Target), res)
}

// locations lists the <Location> sections merged for the URI.
func (tc *tracer) locations() {
	x := tc.x
	secs := x.LocationSections()
	if len(secs) == 0 {
		tc.step("location", parser.Pos{}, "<Location>", "no <Location> or <LocationMatch> matches "+strconv.Quote(x.URI))
		return
	}
	for _, sec := range secs {
		res := "matches, merged"
		if r := sec.Dir.Proxy.Route; r != nil && r.Section == sec {
			res += "; holds " + r.Describe()
		}
		tc.step("location", sec.Pos, sectionText(sec), res)
	}
}

func sectionText(sec *directives.Section) string {
	return fmt.Sprintf("<%s %s>", sec.Kind, sec.Arg)
}

// answer ends the trace with an error or redirect status, as
// Exchange.Error and ErrorLocation answer it.
func (tc *tracer) answer(status int, loc string, pos parser.Pos, note string) {
	x := tc.x
	out := TraceOutcome{Kind: OutcomeStatus, Status: status, Location: loc, Pos: pos, Note: note}
	if loc != "" {
		out.Kind = OutcomeRedirect
	}
	dir := x.Dir
	if dir == nil {
		dir = x.vh.dir
	}
	if doc, ok := dir.ErrorDocuments[status]; ok && loc == "" {
		tc.step("error-document", doc.Pos, fmt.Sprintf("ErrorDocument %d %s", status, doc.Target), "the response is this ErrorDocument's")
	}
	tc.t.Outcome = out
}

// rewriteServer is mod_rewrite's server pass and what the server does
// with its result; it reports whether the request was decided.
func (tc *tracer) rewriteServer() bool {
	x, eng := tc.x, tc.eng
	if eng == nil || x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Server(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target, Trace: true})
	tc.rewriteSteps("rewrite", &res)
	switch res.Kind {
	case rewrite.Unchanged:
		return false
	case rewrite.Local:
		x.SetArgs(res.Args, res.HasArgs)
		tc.step("rewrite", tc.lastRule(&res), "server pass", "local file "+strconv.Quote(res.Filename))
		if tc.rewriteDir(res.Filename) {
			return true
		}
		x.filename = res.Filename
		tc.static()
		return true
	case rewrite.PassThrough:
		tc.step("rewrite", tc.lastRule(&res), "server pass", "passed through as URI "+strconv.Quote(res.URI))
		x.SetURI(res.URI, res.Args, res.HasArgs)
		tc.locations()
		return false
	case rewrite.Proxy:
		x.SetArgs(res.Args, res.HasArgs)
		tc.step("rewrite", tc.lastRule(&res), "server pass", "proxy to "+res.ProxyURL)
		if tc.rewriteDir("proxy:" + res.ProxyURL) {
			return true
		}
		tc.forward(proxy.Match{Outcome: proxy.Proxied, Index: -1, URL: res.ProxyURL, NoCanon: res.NoCanon}, tc.lastRule(&res))
		return true
	}
	tc.rewriteAnswer(&res)
	return true
}

// rewriteDir is mod_rewrite's per-directory pass for r->filename
// filename; it reports whether the request was decided.
func (tc *tracer) rewriteDir(filename string) bool {
	x, eng := tc.x, tc.eng
	if eng == nil || x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Dir(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target, Filename: filename, Trace: true})
	tc.rewriteSteps("rewrite-dir", &res)
	switch res.Kind {
	case rewrite.Unchanged:
		return false
	case rewrite.InternalRedirect:
		tc.step("rewrite-dir", tc.lastRule(&res), "per-directory pass", "internal redirect to "+strconv.Quote(res.URI))
		x.redirects++
		if x.redirects > maxInternalRedirects {
			tc.answer(500, "", tc.lastRule(&res), "AH00124: Request exceeded the limit of 10 internal redirects due to probable configuration error.")
			return true
		}
		x.filename = ""
		x.SetURI(res.URI, res.Args, res.HasArgs)
		tc.locations()
		if tc.rewriteServer() {
			return true
		}
		tc.route()
		return true
	case rewrite.Proxy:
		x.SetArgs(res.Args, res.HasArgs)
		tc.step("rewrite-dir", tc.lastRule(&res), "per-directory pass", "proxy to "+res.ProxyURL)
		tc.forward(proxy.Match{Outcome: proxy.Proxied, Index: -1, URL: res.ProxyURL, NoCanon: res.NoCanon}, tc.lastRule(&res))
		return true
	}
	tc.rewriteAnswer(&res)
	return true
}

// rewriteSteps records the rules and conditions a pass tried.
func (tc *tracer) rewriteSteps(phase string, res *rewrite.Result) {
	if len(res.Trace) == 0 && phase == "rewrite" {
		tc.step(phase, parser.Pos{}, "server pass", "no rule tried (RewriteEngine off or no rules here)")
	}
	for i, st := range res.Trace {
		if st.Kind == rewrite.StepCond {
			c := st.Cond
			what := "RewriteCond " + c.Input + " " + c.Written
			if c.FlagsRaw != "" {
				what += " " + c.FlagsRaw
			}
			tc.detail(phase, st.Pos, what, fmt.Sprintf("test string %q: %s", st.Input, truth(st.Matched)))
			continue
		}
		r := st.Rule
		pattern := r.Pattern
		if r.Negate {
			pattern = "!" + pattern
		}
		what := "RewriteRule " + pattern + " " + r.Substitution
		if r.Flags.Raw != "" {
			what += " " + r.Flags.Raw
		}
		var result string
		condsFollow := i+1 < len(res.Trace) && res.Trace[i+1].Kind == rewrite.StepCond
		switch {
		case st.Matched:
			result = fmt.Sprintf("%q matches; rewritten to %q", st.Input, st.Output)
		case condsFollow:
			result = fmt.Sprintf("%q matches the pattern; the conditions fail", st.Input)
		default:
			result = fmt.Sprintf("%q does not match", st.Input)
		}
		if st.Round > 1 {
			result += fmt.Sprintf(" (round %d)", st.Round)
		}
		tc.step(phase, st.Pos, what, result)
	}
	for _, l := range res.Log {
		tc.step("log", parser.Pos{}, "error log", l)
	}
	if res.End {
		tc.x.EndRewrite()
	}
}

func truth(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// lastRule is the position of the last rule that applied in a pass.
func (tc *tracer) lastRule(res *rewrite.Result) parser.Pos {
	for i := len(res.Trace) - 1; i >= 0; i-- {
		if st := res.Trace[i]; st.Kind == rewrite.StepRule && st.Matched {
			return st.Pos
		}
	}
	return parser.Pos{}
}

// rewriteAnswer ends the trace with a rewrite pass's redirect or status.
func (tc *tracer) rewriteAnswer(res *rewrite.Result) {
	note := ""
	if len(res.Cookies) > 0 {
		note = "with Set-Cookie: " + strings.Join(res.Cookies, "; ")
	}
	if res.Kind == rewrite.Redirect {
		tc.answer(res.Status, res.Location, tc.lastRule(res), note)
		return
	}
	tc.answer(res.Status, "", tc.lastRule(res), note)
}

// route is Server.route: the proxy, or else the file system.
func (tc *tracer) route() {
	if tc.routeProxy() {
		return
	}
	tc.static()
}

// routeProxy is Exchange.serveProxy's routing; it reports whether a
// route claimed the request.
func (tc *tracer) routeProxy() bool {
	x := tc.x
	rt := x.vh.router
	if rt == nil {
		return false
	}
	var m proxy.Match
	if x.preTrans != nil {
		m, x.preTrans = *x.preTrans, nil
	} else {
		var steps []proxy.Step
		m, steps = rt.Trace(x.routeRequest(), proxy.PhaseTranslate)
		tc.routeSteps(steps, m)
		if m.Outcome != proxy.Proxied {
			switch m.Outcome {
			case proxy.Excluded:
				tc.shadowed(m.Route)
			case proxy.Declined:
				tc.step("route", parser.Pos{}, "ProxyPass", "not a request mod_proxy routes")
			default:
				if len(steps) == 0 {
					tc.step("route", parser.Pos{}, "ProxyPass", "no route")
				} else {
					tc.step("route", parser.Pos{}, "ProxyPass", "no route matches")
				}
			}
			return false
		}
	}
	tc.shadowed(m.Route)
	x.proxyWalk(m.URL)
	if !x.authorized(x.Dir) {
		tc.step("authz", parser.Pos{}, "Require "+strings.Join(x.Dir.Require, " | "), "denies "+x.Remote.Addr().String())
		tc.answer(403, "", parser.Pos{}, "AH01630: client denied by server configuration: proxy:"+m.URL)
		return true
	}
	if tc.rewriteDir("proxy:" + m.URL) {
		return true
	}
	tc.forward(m, m.Route.Pos)
	return true
}

// shadowed records the later routes that route r, which decided, hides
// from every request (lint's shadowed-route finding).
func (tc *tracer) shadowed(r *directives.Route) {
	if r == nil {
		return
	}
	for _, d := range directives.Lint(tc.x.gen.cfg) {
		if d.Code == "shadowed-route" && d.Related == r.Pos {
			tc.detail("route", d.Pos, "shadowed", d.Msg)
		}
	}
}

// routeSteps records the routes tried.
func (tc *tracer) routeSteps(steps []proxy.Step, m proxy.Match) {
	for _, st := range steps {
		r := st.Route
		var res string
		switch {
		case st.Skipped:
			res = "skipped: mapping=encoded routes are tried before the path is decoded"
		case !st.Matched:
			res = fmt.Sprintf("%q does not match", tc.x.URI)
		case r == m.Route && m.Outcome == proxy.Proxied:
			res = fmt.Sprintf("%q matches → %s", tc.x.URI, m.URL)
		case r == m.Route:
			res = fmt.Sprintf("%q matches: excluded, not proxied, no later route tried", tc.x.URI)
		default:
			res = fmt.Sprintf("%q matches, but the route passes the request on", tc.x.URI)
		}
		tc.step("route", r.Pos, r.Describe(), res)
	}
}

// forward is Exchange.forward up to the point where Serve connects: the
// canonical backend URL and the worker or balancer it goes through.
func (tc *tracer) forward(m proxy.Match, pos parser.Pos) {
	x := tc.x
	rt := x.vh.router
	if b := rt.Balancer(m.URL); b != nil {
		members := make([]string, 0, len(b.Members))
		for _, w := range b.Members {
			members = append(members, w.Name)
		}
		tc.step("proxy", b.Pos, "balancer "+b.Name, fmt.Sprintf("lbmethod=%s, members %s", b.LBMethod.Get("byrequests"), strings.Join(members, " ")))
		tc.t.Outcome = TraceOutcome{Kind: OutcomeProxy, Backend: m.URL, Balancer: b, Upgrade: x.Req.Header.Get("Upgrade"), Pos: pos,
			Note: "Portico does not forward to balancer:// yet: the running server answers 500 (AH01144)"}
		return
	}
	bu, ok, err := proxy.Canon(&m, &proxy.CanonRequest{Args: x.Args, HasArgs: x.HasArgs,
		KeepEncodedSlashes: x.Dir.AllowEncodedSlashes.Get("off") == "nodecode"})
	if err != nil {
		ce := err.(*proxy.CanonError)
		tc.step("proxy", pos, "backend URL "+m.URL, "refused: "+ce.Log)
		tc.answer(ce.Status, "", pos, ce.Log)
		return
	}
	if !ok {
		tc.step("proxy", pos, "backend URL "+m.URL, "no protocol handler for its scheme")
		tc.answer(500, "", pos, "AH01144: No protocol handler was valid for the URL "+x.URI)
		return
	}
	if m.NoCanonDropped {
		tc.step("log", parser.Pos{}, "error log", "AH01136: Unescaped URL path matched ProxyPass; ignoring unsafe nocanon")
	}
	out := TraceOutcome{Kind: OutcomeProxy, Backend: bu.URL, Upgrade: x.Req.Header.Get("Upgrade"), Pos: pos}
	w := rt.Worker(bu.URL)
	out.Worker = w
	if w == nil {
		tc.step("proxy", parser.Pos{}, "worker", "no worker's URL is a prefix of "+bu.URL+": httpd's generic reverse worker (no connection reuse)")
	} else {
		tc.step("proxy", w.Pos, "worker "+w.Name, "longest prefix of "+bu.URL)
		if !w.Status.Val.Usable() {
			tc.t.Outcome = out
			tc.answer(503, "", w.Pos, fmt.Sprintf("AH00940: HTTP: disabled connection for (%s:%d)", w.Host, w.Port))
			return
		}
	}
	tc.t.Outcome = out
	tc.upgrade(w, bu)
}

// upgrade states what governs an Upgrade request on this backend.
func (tc *tracer) upgrade(w *directives.Worker, bu proxy.BackendURL) {
	x := tc.x
	up, has := x.Req.Header.Get("Upgrade"), x.Req.Header.Has("Upgrade")
	ws := bu.Scheme == "ws" || bu.Scheme == "wss"
	setting := "upgrade= unset"
	var pos parser.Pos
	if w != nil {
		pos = w.Pos
		if w.Upgrade.Set {
			setting = "upgrade=" + w.Upgrade.Val
		}
	}
	rule := setting
	switch {
	case w != nil && w.Upgrade.Set:
		rule += ": the worker tunnels the protocols it lists (* or ANY for every one)"
	case ws:
		rule += ": a ws:// or wss:// backend tunnels WebSocket"
	default:
		rule += ": an http:// backend tunnels nothing; Upgrade is dropped"
	}
	if ws && !x.Dir.Proxy.WebsocketFallback.Get(true) {
		rule += "; ProxyWebsocketFallbackToProxyHttp Off: mod_proxy_wstunnel's own handler (426 without Upgrade)"
	}
	switch {
	case has:
		tc.step("upgrade", pos, fmt.Sprintf("Upgrade: %s", up), rule)
	case ws:
		tc.step("upgrade", pos, "no Upgrade field", rule)
	}
}

// static is Server.serveStatic's decisions.
func (tc *tracer) static() {
	x := tc.x
	if x.URI == "*" {
		tc.step("file", parser.Pos{}, "OPTIONS *", "answered by the server itself")
		tc.t.Outcome = TraceOutcome{Kind: OutcomeStatus, Status: 200, Note: "OPTIONS * without Allow"}
		return
	}
	fpath, a, status, loc := x.mapFile()
	switch {
	case a != nil:
		what := a.Kind + " " + a.From + " " + a.To
		if status != 0 {
			tc.step("file", a.Pos, what, "redirects")
			tc.answer(status, loc, a.Pos, "")
			return
		}
		tc.step("file", a.Pos, what, "maps the URI to "+strconv.Quote(fpath))
	case x.filename != "":
		tc.step("file", parser.Pos{}, "file", "mod_rewrite chose "+strconv.Quote(fpath))
	default:
		tc.step("file", parser.Pos{}, "DocumentRoot "+x.vh.dir.DocumentRoot, "maps the URI to "+strconv.Quote(fpath))
	}
	dir := walkDirectories(x.Dir, x.vh.sections, fpath)
	x.Dir = walkLocations(dir, x.vh.sections, x.URI)
	if !x.authorized(x.Dir) {
		tc.step("authz", parser.Pos{}, "Require "+strings.Join(x.Dir.Require, " | "), "denies "+x.Remote.Addr().String())
		tc.answer(403, "", parser.Pos{}, "AH01630: client denied by server configuration: "+fpath)
		return
	}
	if tc.rewriteDir(fpath) {
		return
	}
	file, _, status, loc := tc.s.findFile(x, fpath)
	if status != 0 {
		tc.step("file", parser.Pos{}, "file "+strconv.Quote(fpath), "answered "+strconv.Itoa(status))
		tc.answer(status, loc, parser.Pos{}, "")
		return
	}
	switch x.Req.Method {
	case "GET", "HEAD", "POST":
		tc.t.Outcome = TraceOutcome{Kind: OutcomeFile, Status: 200, File: file}
	case "OPTIONS":
		tc.t.Outcome = TraceOutcome{Kind: OutcomeStatus, Status: 200, File: file, Note: "Allow: OPTIONS,HEAD,GET,POST,TRACE"}
	default:
		tc.step("file", parser.Pos{}, "file "+strconv.Quote(file), x.Req.Method+" is not allowed on a file")
		tc.answer(405, "", parser.Pos{}, "")
	}
}
