package rewrite

import (
	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/parser"
)

// Kind says what a rewrite pass decided.
type Kind uint8

// Pass outcomes.
const (
	// Unchanged: no rule changed the request (the engine is off, no
	// rule matched, or only "-" rules did). Env, Cookies, Type and
	// Handler may still be set.
	Unchanged Kind = iota
	// Local: the server pass rewrote the request to a local file path,
	// Filename (DocumentRoot already prefixed when httpd would); the
	// request is served from it without ProxyPass or Alias. Args and
	// HasArgs are the query string.
	Local
	// PassThrough: [PT] in the server pass: URI is the new r->uri, to be
	// routed (Alias, ProxyPass) as if requested. Args and HasArgs are
	// the query string.
	PassThrough
	// InternalRedirect: the per-directory pass rewrote the request to a
	// local URL-path; the server restarts the request with URI and
	// Args (httpd's internal redirect).
	InternalRedirect
	// Redirect: answer Status with Location.
	Redirect
	// Status: answer Status ([F] 403, [G] 410, [R=4xx/5xx], 400 for a
	// result that is no path, 500 for too many [N] rounds …).
	Status
	// Proxy: forward the request to ProxyURL ([P]); NoCanon is true
	// when [NE] asked for it (the query is then already in ProxyURL).
	// Args and HasArgs are the query string mod_proxy appends.
	Proxy
)

var kindNames = [...]string{"unchanged", "local", "passthrough", "internal redirect", "redirect", "status", "proxy"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Result is the outcome of one rewrite pass.
type Result struct {
	Kind Kind
	// Filename is the new file path (Local).
	Filename string
	// URI is the new URL-path (PassThrough, InternalRedirect).
	URI string
	// Args is the query string without '?'; HasArgs is false when there
	// is none (httpd's r->args NULL).
	Args    string
	HasArgs bool
	// Status is the response status (Redirect, Status).
	Status int
	// Location is the redirect target, escaped and with its query.
	Location string
	// ProxyURL is the backend URL of a [P] rule, without "proxy:".
	ProxyURL string
	// NoCanon is httpd's proxy-nocanon note ([P,NE]).
	NoCanon bool
	// End is true when an [END] rule matched: no later pass rewrites
	// this request.
	End bool
	// Env holds the [E=] settings in the order they were made:
	// "NAME:VALUE" sets, "!NAME" unsets.
	Env []string
	// Cookies are Set-Cookie values from [CO=], for the error headers.
	Cookies []string
	// Vary lists the request headers conditions read (for the Vary
	// header of a local response).
	Vary string
	// Type and Handler are [T=] and [H=], lower-cased.
	Type, Handler string
	// Log holds httpd's error-log lines for this pass (AH10410 …).
	Log []string
	// Trace lists every rule and condition tried, when the pass was
	// asked to trace.
	Trace []Step
}

// StepKind says what a trace step is.
type StepKind uint8

// Trace step kinds.
const (
	StepRule StepKind = iota
	StepCond
)

// Step is one rule or condition tried.
type Step struct {
	Kind StepKind
	Rule *directives.RewriteRule
	Cond *directives.RewriteCond // StepCond
	Pos  parser.Pos
	// Input is what was matched: the URI (per-directory: after the
	// prefix was stripped) or the condition's expanded test string.
	Input string
	// Matched is the outcome (after '!' negation).
	Matched bool
	// Output is the substitution's expansion, for a rule that applied.
	Output string
	// Round is the [N] round (1 first).
	Round int
}
