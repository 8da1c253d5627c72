package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/parser"
	"github.com/portico-proxy/portico/rewrite"
	"github.com/portico-proxy/portico/server"
)

// traceUsage is the command line of `portico trace`.
const traceUsage = "usage: portico trace [-f FILE] [-d DIR] [-D NAME]... [-X METHOD] [-H 'Name: value']... [--client IP[:port]] [--listen ADDR:PORT] [--format text|json] URL"

// traceArgs is the parsed command line of `portico trace`.
type traceArgs struct {
	opts   options
	method string
	header http1.Headers
	client string
	listen string
	format string
	url    string
}

// runTrace is `portico trace`: the decision the server would make for
// one request, step by step, without sending anything. Exit status 0
// when a decision is reached, 1 for a configuration error, 2 for bad
// usage.
func runTrace(args []string, stdout, stderr io.Writer) int {
	ta, err := parseTraceArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s trace: %v\n%s\n", argv0, err, traceUsage)
		return 2
	}
	cfg, diags := directives.Load(loadOptions(&ta.opts))
	if printHTTPD(stderr, diags) {
		return 1
	}
	srv, err := server.New(cfg, zerolog.Nop())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	eng, err := rewrite.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	tr, err := ta.request(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s trace: %v\n%s\n", argv0, err, traceUsage)
		return 2
	}
	tr.Rewrite = eng
	t := srv.Trace(tr)
	if ta.format == "json" {
		writeTraceJSON(stdout, tr, t)
	} else {
		writeTraceText(stdout, tr, t)
	}
	return 0
}

// parseTraceArgs reads the command line; options take their value as
// the next argument or attached (-DNAME, --format=json).
func parseTraceArgs(args []string) (*traceArgs, error) {
	ta := &traceArgs{format: "text"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" || a[0] != '-' || a == "-" {
			if ta.url != "" {
				return nil, fmt.Errorf("unexpected argument %q after the URL", a)
			}
			ta.url = a
			continue
		}
		name, val, hasVal := a, "", false
		if strings.HasPrefix(a, "--") {
			name, val, hasVal = strings.Cut(a, "=")
		} else if len(a) > 2 {
			name, val, hasVal = a[:2], a[2:], true
		}
		switch name {
		case "-f", "-d", "-D", "-C", "-c", "-X", "-H", "--client", "--listen", "--format":
		default:
			return nil, fmt.Errorf("unknown option %q", a)
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option %s needs a value", name)
			}
			i++
			val = args[i]
		}
		switch name {
		case "-f":
			ta.opts.file = val
		case "-d":
			ta.opts.root = val
		case "-D":
			ta.opts.defines = append(ta.opts.defines, val)
		case "-C":
			ta.opts.before = append(ta.opts.before, val)
		case "-c":
			ta.opts.after = append(ta.opts.after, val)
		case "-X":
			if val == "" || strings.ContainsAny(val, " \t\r\n") {
				return nil, fmt.Errorf("bad method %q", val)
			}
			ta.method = val
		case "-H":
			n, v, ok := strings.Cut(val, ":")
			n = strings.TrimSpace(n)
			if !ok || n == "" || strings.ContainsAny(n, " \t") {
				return nil, fmt.Errorf("bad header %q: want 'Name: value'", val)
			}
			ta.header = append(ta.header, http1.Header{Name: n, Value: strings.TrimSpace(v)})
		case "--client":
			ta.client = val
		case "--listen":
			ta.listen = val
		case "--format":
			if val != "text" && val != "json" {
				return nil, fmt.Errorf("unknown format %q (text or json)", val)
			}
			ta.format = val
		}
	}
	if ta.url == "" {
		return nil, fmt.Errorf("no URL")
	}
	return ta, nil
}

// request builds the traced request: an absolute URL gives the Host and
// the port of the Listen; a path takes Host from -H or from the first
// Listen.
func (ta *traceArgs) request(cfg *directives.Config) (*server.TraceRequest, error) {
	tr := &server.TraceRequest{Method: ta.method, Header: ta.header}
	var urlHost string
	urlPort := 0
	switch {
	case strings.HasPrefix(strings.ToLower(ta.url), "http://"):
		rest := ta.url[len("http://"):]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		target := rest[end:]
		if authority == "" {
			return nil, fmt.Errorf("URL %q names no host", ta.url)
		}
		h, p, err := splitAuthority(authority)
		if err != nil {
			return nil, fmt.Errorf("URL %q: %v", ta.url, err)
		}
		urlHost, urlPort = h, p
		switch {
		case target == "":
			target = "/"
		case target[0] != '/':
			target = "/" + target
		}
		tr.Target = target
		tr.Header = withHost(tr.Header, authority)
	case strings.HasPrefix(ta.url, "/") || ta.url == "*":
		tr.Target = ta.url
	default:
		return nil, fmt.Errorf("URL %q is neither http://host[:port]/path nor a path", ta.url)
	}
	if i := strings.IndexByte(tr.Target, '#'); i >= 0 {
		tr.Target = tr.Target[:i] // a client never sends the fragment
	}

	var err error
	switch {
	case ta.listen != "":
		tr.Local, err = parseListenArg(ta.listen)
		if err != nil {
			return nil, err
		}
	case urlPort != 0:
		ip := netip.IPv4Unspecified()
		if a, err := netip.ParseAddr(strings.Trim(urlHost, "[]")); err == nil {
			ip = a.Unmap()
		}
		tr.Local = netip.AddrPortFrom(ip, uint16(urlPort))
	default:
		if len(cfg.Listen) == 0 {
			return nil, fmt.Errorf("the configuration has no Listen: give an absolute URL or --listen")
		}
		l := cfg.Listen[0]
		port, _ := strconv.Atoi(l.Port)
		ip := netip.IPv4Unspecified()
		if a, err := netip.ParseAddr(l.Addr); err == nil {
			ip = a.Unmap()
		}
		tr.Local = netip.AddrPortFrom(ip, uint16(port))
	}
	if urlPort == 0 && !hasField(tr.Header, "Host") {
		host := "localhost"
		if a := tr.Local.Addr(); !a.IsUnspecified() {
			host = a.String()
			if a.Is6() {
				host = "[" + host + "]"
			}
		}
		if p := tr.Local.Port(); p != 80 {
			host += ":" + strconv.Itoa(int(p))
		}
		tr.Header = withHost(tr.Header, host)
	}

	tr.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)
	if ta.client != "" {
		if ap, err := netip.ParseAddrPort(ta.client); err == nil {
			tr.Remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		} else if a, err := netip.ParseAddr(strings.Trim(ta.client, "[]")); err == nil {
			tr.Remote = netip.AddrPortFrom(a.Unmap(), 0)
		} else {
			return nil, fmt.Errorf("bad --client %q: want IP or IP:port", ta.client)
		}
	}
	return tr, nil
}

// splitAuthority splits "host[:port]" (port 80 when absent).
func splitAuthority(a string) (string, int, error) {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	host, port := a, "80"
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("unclosed '[' in host")
		}
		host = a[:end+1]
		if rest := a[end+1:]; rest != "" {
			if rest[0] != ':' {
				return "", 0, fmt.Errorf("bad port %q", rest)
			}
			port = rest[1:]
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("bad port %q", port)
	}
	return host, n, nil
}

// parseListenArg reads --listen ADDR:PORT ("*:PORT" for an address not
// known).
func parseListenArg(s string) (netip.AddrPort, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad --listen %q: want ADDR:PORT", s)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return netip.AddrPort{}, fmt.Errorf("bad --listen %q: bad port", s)
	}
	ip := netip.IPv4Unspecified()
	if h != "" && h != "*" {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("bad --listen %q: the address must be an IP or *", s)
		}
		ip = a.Unmap()
	}
	return netip.AddrPortFrom(ip, uint16(n)), nil
}

func hasField(h http1.Headers, name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// withHost sets Host to host, replacing any Host field.
func withHost(h http1.Headers, host string) http1.Headers {
	out := http1.Headers{{Name: "Host", Value: host}}
	for _, f := range h {
		if !strings.EqualFold(f.Name, "Host") {
			out = append(out, f)
		}
	}
	return out
}

func posText(p parser.Pos) string {
	if !p.IsValid() {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// clientText is the client address, without a port when none was given.
func clientText(a netip.AddrPort) string {
	if a.Port() == 0 {
		return a.Addr().String()
	}
	return a.String()
}

func methodOf(tr *server.TraceRequest) string {
	if tr.Method == "" {
		return "GET"
	}
	return tr.Method
}

// writeTraceText prints the trace one step a line, with the file:line of
// the directive that decided.
func writeTraceText(w io.Writer, tr *server.TraceRequest, t *server.Trace) {
	fmt.Fprintf(w, "%-14s %s %s from %s\n", "request", methodOf(tr), tr.Target, clientText(tr.Remote))
	for _, f := range tr.Header {
		fmt.Fprintf(w, "%-14s %s: %s\n", "", f.Name, f.Value)
	}
	for _, s := range t.Steps {
		indent := ""
		if s.Depth > 0 {
			indent = "    "
		}
		line := fmt.Sprintf("%-14s %s%s: %s", s.Phase, indent, s.What, s.Result)
		if p := posText(s.Pos); p != "" {
			line += "  (" + p + ")"
		}
		fmt.Fprintln(w, line)
	}
	o := &t.Outcome
	var res string
	switch o.Kind {
	case server.OutcomeProxy:
		res = "proxy to " + o.Backend
		switch {
		case o.Balancer != nil:
			res += " through balancer " + o.Balancer.Name
		case o.Worker != nil:
			res += " through worker " + o.Worker.Name
		default:
			res += " through the generic reverse worker"
		}
		if o.Upgrade != "" {
			res += ", Upgrade: " + o.Upgrade
		}
	case server.OutcomeRedirect:
		res = fmt.Sprintf("%d redirect to %s", o.Status, o.Location)
	case server.OutcomeFile:
		res = fmt.Sprintf("%d file %s", o.Status, o.File)
	case server.OutcomeStatus:
		res = strconv.Itoa(o.Status)
	case server.OutcomeRefused:
		res = "refused"
	}
	if p := posText(o.Pos); p != "" {
		res += "  (" + p + ")"
	}
	fmt.Fprintf(w, "%-14s %s\n", "result", res)
	if o.Note != "" {
		fmt.Fprintf(w, "%-14s %s\n", "", o.Note)
	}
}

type jsonTraceStep struct {
	Phase  string `json:"phase"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	What   string `json:"what"`
	Result string `json:"result"`
	Depth  int    `json:"depth,omitempty"`
}

type jsonTraceOutcome struct {
	Kind       string `json:"kind"`
	Status     int    `json:"status,omitempty"`
	Location   string `json:"location,omitempty"`
	File       string `json:"file,omitempty"`
	Backend    string `json:"backend,omitempty"`
	Worker     string `json:"worker,omitempty"`
	WorkerPos  string `json:"worker_defined_at,omitempty"`
	Balancer   string `json:"balancer,omitempty"`
	Upgrade    string `json:"upgrade,omitempty"`
	Note       string `json:"note,omitempty"`
	ConfigFile string `json:"config_file,omitempty"`
	ConfigLine int    `json:"config_line,omitempty"`
}

type jsonTrace struct {
	Request struct {
		Method string            `json:"method"`
		Target string            `json:"target"`
		Header map[string]string `json:"header,omitempty"`
		Client string            `json:"client"`
		Local  string            `json:"local"`
	} `json:"request"`
	Steps   []jsonTraceStep  `json:"steps"`
	Outcome jsonTraceOutcome `json:"outcome"`
}

// writeTraceJSON prints the trace as one JSON object.
func writeTraceJSON(w io.Writer, tr *server.TraceRequest, t *server.Trace) {
	var j jsonTrace
	j.Request.Method = methodOf(tr)
	j.Request.Target = tr.Target
	j.Request.Client = clientText(tr.Remote)
	j.Request.Local = tr.Local.String()
	if len(tr.Header) > 0 {
		j.Request.Header = map[string]string{}
		for _, f := range tr.Header {
			if v, ok := j.Request.Header[f.Name]; ok {
				j.Request.Header[f.Name] = v + ", " + f.Value
			} else {
				j.Request.Header[f.Name] = f.Value
			}
		}
	}
	j.Steps = make([]jsonTraceStep, 0, len(t.Steps))
	for _, s := range t.Steps {
		j.Steps = append(j.Steps, jsonTraceStep{Phase: s.Phase, File: s.Pos.File, Line: s.Pos.Line, What: s.What, Result: s.Result, Depth: s.Depth})
	}
	o := &t.Outcome
	j.Outcome = jsonTraceOutcome{Kind: o.Kind, Status: o.Status, Location: o.Location, File: o.File, Backend: o.Backend,
		Upgrade: o.Upgrade, Note: o.Note, ConfigFile: o.Pos.File, ConfigLine: o.Pos.Line}
	if o.Worker != nil {
		j.Outcome.Worker = o.Worker.Name
		j.Outcome.WorkerPos = posText(o.Worker.Pos)
	}
	if o.Balancer != nil {
		j.Outcome.Balancer = o.Balancer.Name
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(j)
}
