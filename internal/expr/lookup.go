package expr

import (
	"strings"
)

// httpd looks every variable, function and operator up while it parses
// (util_expr_eval.c core_expr_lookup, then the hooks of mod_ssl and
// mod_proxy_hcheck). A failed look-up does not stop the parse: it leaves
// an error text that is reported if nothing worse happens, and a later
// failure replaces an earlier one.

// Variables, in httpd's table order (misc, request headers, request,
// connection). Names match case-insensitively.
var varNames = []string{
	"TIME_YEAR", "TIME_MON", "TIME_DAY", "TIME_HOUR", "TIME_MIN", "TIME_SEC",
	"TIME_WDAY", "TIME", "SERVER_SOFTWARE", "API_VERSION",

	"HTTP_USER_AGENT", "HTTP_PROXY_CONNECTION", "HTTP_REFERER", "HTTP_COOKIE",
	"HTTP_FORWARDED", "HTTP_HOST", "HTTP_ACCEPT",

	"REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI", "REQUEST_FILENAME",
	"REMOTE_HOST", "REMOTE_IDENT", "REMOTE_USER", "SERVER_ADMIN",
	"SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SCRIPT_FILENAME",
	"PATH_INFO", "QUERY_STRING", "IS_SUBREQ", "DOCUMENT_ROOT", "AUTH_TYPE",
	"THE_REQUEST", "CONTENT_TYPE", "HANDLER", "REQUEST_LOG_ID",
	"SCRIPT_USER", "SCRIPT_GROUP", "DOCUMENT_URI", "LAST_MODIFIED",
	"CONTEXT_PREFIX", "CONTEXT_DOCUMENT_ROOT", "REQUEST_STATUS",
	"REMOTE_ADDR", "REMOTE_PORT",

	"HTTPS", "IPV6", "CONN_LOG_ID", "CONN_REMOTE_ADDR", "HTTP2",
}

// headerVars maps the HTTP_* variables to the request header they read.
var headerVars = map[string]string{
	"HTTP_USER_AGENT": "User-Agent", "HTTP_PROXY_CONNECTION": "Proxy-Connection",
	"HTTP_REFERER": "Referer", "HTTP_COOKIE": "Cookie",
	"HTTP_FORWARDED": "Forwarded", "HTTP_HOST": "Host", "HTTP_ACCEPT": "Accept",
}

// String functions; restricted ones read files. Names match
// case-insensitively.
var strFuncs = []struct {
	name       string
	restricted bool
}{
	{"osenv", false}, {"env", false}, {"resp", false}, {"req", false},
	{"http", false}, {"note", false}, {"reqenv", false}, {"req_novary", false},
	{"tolower", false}, {"toupper", false}, {"escape", false},
	{"unescape", false}, {"file", true}, {"filesize", true}, {"base64", false},
	{"unbase64", false}, {"sha1", false}, {"md5", false}, {"ldap", false},
}

// Unary operators; names match case-sensitively.
var unaryOps = []struct {
	name       string
	restricted bool
}{
	{"n", false}, {"z", false}, {"R", false}, {"T", false}, {"d", true},
	{"e", true}, {"f", true}, {"s", true}, {"L", true}, {"h", true},
	{"x", true}, {"F", false}, {"U", false}, {"A", false},
}

// Binary operators; names match case-insensitively.
var binaryOps = []string{"ipmatch", "fnmatch", "strmatch", "strcmatch"}

func (p *parser) fail(msg string) *node {
	p.sc.err2 = msg
	return nil
}

func (p *parser) variable(name string) *node {
	for _, v := range varNames {
		if strings.EqualFold(v, name) {
			return &node{op: opVar, s: v}
		}
	}
	// mod_ssl compares its names case-insensitively too.
	if p.opts.SSL && len(name) >= 4 && strings.EqualFold(name[:4], "SSL_") {
		return &node{op: opVar, s: "SSL_" + name[4:], ext: extSSL}
	}
	if p.opts.HealthCheck && len(name) >= 3 && strings.EqualFold(name[:3], "HC_") {
		return &node{op: opVar, s: name[3:], ext: extHC}
	}
	return p.fail("Variable '" + name + "' does not exist")
}

func (p *parser) strFunc(name string, arg *node) *node {
	for _, f := range strFuncs {
		if strings.EqualFold(f.name, name) {
			if f.restricted && p.opts.Restricted {
				return p.fail(f.name + " not available in restricted context")
			}
			return &node{op: opFunc, s: f.name, a: arg}
		}
	}
	if p.opts.SSL && strings.EqualFold(name, "SSL") {
		return &node{op: opFunc, s: name, ext: extSSL, a: arg}
	}
	if p.opts.HealthCheck && strings.EqualFold(name, "HC") {
		return &node{op: opFunc, s: name, ext: extHC, a: arg}
	}
	return p.fail("Function '" + name + "' does not exist")
}

func (p *parser) listFunc(name string, arg *node) *node {
	if p.opts.SSL && strings.EqualFold(name, "PeerExtList") {
		return &node{op: opListFunc, s: "PeerExtList", ext: extSSL, a: arg}
	}
	return p.fail("List-returning function '" + name + "' does not exist")
}

// constArg is httpd's parms->arg: the operand's text when it is a plain
// string literal, else nil.
func constArg(n *node) *string {
	if n != nil && n.op == opString {
		return &n.s
	}
	return nil
}

func (p *parser) unaryOp(name string, arg *node) *node {
	for _, o := range unaryOps {
		if o.name != name {
			continue
		}
		if o.restricted && p.opts.Restricted {
			return p.fail("-" + o.name + " not available in restricted context")
		}
		n := &node{op: opUnary, s: o.name, a: arg}
		if name == "R" {
			sub, msg := subnetArg(name, constArg(arg))
			if msg != "" {
				return p.fail(msg)
			}
			n.sub = sub
		}
		return n
	}
	return p.fail("Unary operator '-" + name + "' does not exist")
}

func (p *parser) binaryOp(name string, a, b *node) *node {
	for _, o := range binaryOps {
		if !strings.EqualFold(o, name) {
			continue
		}
		n := &node{op: opBinary, s: o, a: a, b: b}
		if o == "ipmatch" {
			sub, msg := subnetArg(name, constArg(b))
			if msg != "" {
				return p.fail(msg)
			}
			n.sub = sub
		}
		return n
	}
	return p.fail("Binary operator '-" + name + "' does not exist")
}

// subnetArg is httpd's subnet_parse_arg: the constant "addr[/mask]"
// operand of -R and -ipmatch.
func subnetArg(name string, arg *string) (*subnet, string) {
	if arg == nil {
		return nil, "-" + name + " requires subnet/netmask as constant argument"
	}
	addr, mask, hasMask := strings.Cut(*arg, "/")
	sub, ok := parseSubnet(addr, mask, hasMask)
	if !ok {
		return nil, "parsing of subnet/netmask failed"
	}
	return sub, ""
}
