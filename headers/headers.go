// Package headers is mod_headers at run time: it applies the Header and
// RequestHeader actions of a merged per-directory configuration
// (directives.DirConf.Headers) to a request's fields and to a response's
// fields, as httpd 2.4's modules/metadata/mod_headers.c does.
//
// httpd runs the actions in three places, and a State carries one
// request through them:
//
//   - Early, when the request has been read (post_read_request): only the
//     actions with the "early" condition, of the server level (main
//     server, then virtual host), on the request fields, on
//     err_headers_out and on headers_out.
//   - Fixup, just before the handler (fixups, last): the RequestHeader
//     actions of the merged sections on the request fields.
//   - Response, when the response head is written: "Header always" on
//     err_headers_out, then "Header [onsuccess]" on headers_out; the
//     fields go out as err_headers_out followed by headers_out. On an
//     error page the server makes itself (ap_send_error_response) only
//     the "always" actions run, on a fresh err_headers_out, and what a
//     handler set for a normal answer is gone.
package headers

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/internal/http1"
)

// Request is what the actions read of the request being served.
type Request interface {
	// Var returns one of httpd's request, connection or server
	// variables by its upper-case name (REQUEST_URI, HTTPS …), "" when
	// unset; expr= conditions and values read them.
	Var(name string) string
	// Env returns a variable of the request environment
	// (r->subprocess_env): %{VAR}e and env= read it.
	Env(name string) (string, bool)
}

// State is one request's mod_headers state between its passes: the
// tables the early pass filled, the notes, and which passes have run.
// The zero value is not usable; use NewState.
type State struct {
	req   Request
	start time.Time

	// Now returns the current time for %D; nil means time.Now.
	Now func() time.Time
	// SSLVar returns a mod_ssl variable for %{VAR}s, "" when there is
	// none; nil (no TLS) makes every %{VAR}s "(null)".
	SSLVar func(name string) string
	// Load returns the idle and busy workers for %i and %b; nil gives
	// 0 and 0.
	Load func() (idle, busy int)
	// Log receives httpd's error-log lines (expression failures); nil
	// discards them.
	Log func(msg string)
	// Proxied is set when the response comes from a backend: the
	// headers_out the early pass filled is then replaced by the
	// backend's fields (mod_proxy_http builds a new table).
	Proxied bool

	errOut  http1.Headers // err_headers_out from the early pass
	out     http1.Headers // headers_out from the early pass and fixups
	notes   http1.Headers // r->notes
	early   bool          // the early pass has run
	fixedUp bool          // the fixup pass has run

	// During a pass: the request fields, and the headers_out table
	// that echo and Vary write to and "resp" reads.
	in      *http1.Headers
	curOut  *http1.Headers
	curErr  *http1.Headers
	backref expr.Backrefs
	// ctype is httpd's r->content_type during a response pass of a
	// response that has one among its fields: "set" and "edit" of
	// Content-Type change it, whichever table they act on, and the
	// header filter writes it last over the tables' Content-Type.
	ctype        *string
	ctypeChanged bool
}

// NewState starts the mod_headers state of a request that began at
// start.
func NewState(req Request, start time.Time) *State {
	return &State{req: req, start: start}
}

// Early runs the actions with the "early" condition among acts (the
// server level's: main server, then the virtual host) on the request
// fields in, once per request; later calls do nothing.
func (st *State) Early(acts []directives.HeaderAction, in *http1.Headers) {
	if st.early {
		return
	}
	st.early = true
	st.in = in
	defer st.done()
	st.curOut, st.curErr = &st.out, &st.errOut
	st.run(acts, tableRequest, true, in)
	st.run(acts, tableAlways, true, &st.errOut)
	st.run(acts, tableOnSuccess, true, &st.out)
}

// Fixup runs the RequestHeader actions of acts (the merged sections'),
// other than early ones, on the request fields in.
func (st *State) Fixup(acts []directives.HeaderAction, in *http1.Headers) {
	st.fixedUp = true
	st.in = in
	defer st.done()
	st.curOut, st.curErr = &st.out, &st.errOut
	st.run(acts, tableRequest, false, in)
}

// FixedUp reports whether Fixup has run.
func (st *State) FixedUp() bool { return st.fixedUp }

// Response returns the response fields after the Header actions of acts:
// fields are what the handler set (headers_out, or for an error page
// the fields httpd's page keeps: Location, Allow, the err_headers_out of
// earlier phases), in is the request's fields (for echo and the
// expressions). errorPage is true for a page the server makes itself
// for an error or redirect.
func (st *State) Response(acts []directives.HeaderAction, in *http1.Headers, errorPage bool, fields http1.Headers) http1.Headers {
	st.in = in
	defer st.done()
	var errT, out http1.Headers
	switch {
	case errorPage:
		// ap_send_error_response: headers_out becomes the old
		// err_headers_out, err_headers_out starts empty.
		out = append(append(out, st.errOut...), fields...)
	case st.Proxied:
		errT = append(errT, st.errOut...)
		out = fields
	default:
		errT = append(errT, st.errOut...)
		out = append(append(out, st.out...), fields...)
	}
	st.curOut, st.curErr = &out, &errT
	if ct, ok := get(out, "Content-Type"); ok && !errorPage {
		st.ctype, st.ctypeChanged = &ct, false
	}
	st.run(acts, tableAlways, false, &errT)
	if !errorPage {
		st.run(acts, tableOnSuccess, false, &out)
	}
	// The header filter: err_headers_out overlaid before headers_out,
	// then the content type.
	res := append(errT, out...)
	if st.ctype != nil && st.ctypeChanged {
		res.Set("Content-Type", *st.ctype)
	}
	return res
}

// Note returns a note set by a "note" action.
func (st *State) Note(name string) (string, bool) {
	for _, f := range st.notes {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

func (st *State) done() { st.in, st.curOut, st.curErr, st.ctype = nil, nil, nil, nil }

// setContentType is ap_set_content_type from a set of Content-Type.
func (st *State) setContentType(name, v string) {
	if st.ctype != nil && equalFold(name, "Content-Type") {
		*st.ctype, st.ctypeChanged = v, true
	}
}

// table is which of httpd's three action lists an action is on.
type table int

const (
	tableRequest   table = iota // RequestHeader: fixup_in
	tableAlways                 // Header always: fixup_err
	tableOnSuccess              // Header [onsuccess]: fixup_out
)

func actionTable(a *directives.HeaderAction) table {
	switch {
	case a.Request:
		return tableRequest
	case a.Always:
		return tableAlways
	}
	return tableOnSuccess
}

// run is do_headers_fixup: the actions of one list, in order, on h.
func (st *State) run(acts []directives.HeaderAction, t table, early bool, h *http1.Headers) {
	for i := range acts {
		a := &acts[i]
		if actionTable(a) != t || a.Early != early {
			continue
		}
		if !st.applies(a, early) {
			continue
		}
		st.apply(a, h)
	}
}

// applies tests an action's condition: expr= (an evaluation error is
// logged and the action still runs, as httpd does), or env=[!]VAR.
func (st *State) applies(a *directives.HeaderAction, early bool) bool {
	switch {
	case a.Cond != nil:
		ok, err := a.Cond.Eval(exprCtx{st})
		if err != nil {
			st.log("AH01501: Failed to evaluate expression (" + err.Error() + ") - ignoring")
			return true
		}
		return ok
	case a.EnvVar != "" && !early:
		_, set := st.req.Env(a.EnvVar)
		return set != a.EnvNegated
	}
	return true
}

func (st *State) apply(a *directives.HeaderAction, h *http1.Headers) {
	name := a.Header
	switch a.Op {
	case directives.HeaderAdd:
		h.Add(name, st.value(a))
	case directives.HeaderAppend:
		mergeField(h, name, st.value(a))
	case directives.HeaderMerge:
		v := st.value(a)
		cur, ok := get(*h, name)
		switch {
		case !ok:
			h.Add(name, v)
		case !hasToken(cur, v):
			mergeField(h, name, v)
		}
	case directives.HeaderSet:
		v := st.value(a)
		st.setContentType(name, v)
		h.Set(name, v)
	case directives.HeaderSetIfEmpty:
		if _, ok := get(*h, name); !ok {
			v := st.value(a)
			st.setContentType(name, v)
			h.Set(name, v)
		}
	case directives.HeaderUnset:
		h.Del(name)
	case directives.HeaderEcho:
		if st.in == nil || st.curOut == nil {
			return
		}
		for _, f := range *st.in {
			if a.Regex.MatchString(f.Name) {
				st.curOut.Add(f.Name, f.Value)
			}
		}
	case directives.HeaderEdit, directives.HeaderEditAll:
		if st.ctype != nil && equalFold(name, "Content-Type") {
			st.setContentType(name, st.edit(a, *st.ctype))
		}
		if _, ok := get(*h, name); !ok {
			return
		}
		var edited http1.Headers
		for _, f := range *h {
			if equalFold(f.Name, name) {
				edited = append(edited, http1.Header{Name: f.Name, Value: st.edit(a, f.Value)})
			}
		}
		h.Del(name)
		*h = append(*h, edited...)
	case directives.HeaderNote:
		key := st.value(a)
		st.notes.Del(key)
		if v, ok := get(*h, name); ok {
			st.notes.Add(key, v)
		}
	}
}

// edit is process_regexp: the first match (edit) or every match, each
// looked for again in what follows the last one (edit*), replaced by
// the value with $0 … $9 taken from the match. httpd recurses forever
// on a pattern that matches the empty string at the start of what is
// left; Portico then keeps one character and goes on.
func (st *State) edit(a *directives.HeaderAction, value string) string {
	var b strings.Builder
	for {
		m := a.Regex.FindStringMatch(value)
		if m == nil {
			b.WriteString(value)
			return b.String()
		}
		b.WriteString(value[:m.Index])
		b.WriteString(regsub(st.value(a), m.Groups))
		rest := value[m.End:]
		if a.Op == directives.HeaderEdit {
			b.WriteString(rest)
			return b.String()
		}
		if m.End == 0 {
			if rest == "" {
				return b.String()
			}
			b.WriteByte(rest[0])
			rest = rest[1:]
		}
		value = rest
	}
}

// regsub is ap_pregsub: $0 … $9 become the match's groups (empty when
// absent), a backslash takes the next character literally.
func regsub(tmpl string, groups []string) string {
	if !strings.ContainsAny(tmpl, `$\`) {
		return tmpl
	}
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '$' && i+1 < len(tmpl) && tmpl[i+1] >= '0' && tmpl[i+1] <= '9' {
			if n := int(tmpl[i+1] - '0'); n < len(groups) {
				b.WriteString(groups[n])
			}
			i++
			continue
		}
		if c == '\\' && i+1 < len(tmpl) {
			i++
			c = tmpl[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// value is process_tags: the action's value (for edit, its
// replacement), from its format or its expr= string expression.
func (st *State) value(a *directives.HeaderAction) string {
	if a.ValueExpr != nil {
		st.backref = expr.Backrefs{}
		v, err := a.ValueExpr.String(exprCtx{st}, &st.backref)
		if err != nil {
			st.log("AH02557: Can't evaluate value expression: " + err.Error())
			return ""
		}
		return v
	}
	if len(a.Format) == 1 && a.Format[0].Tag == 0 {
		return a.Format[0].Literal
	}
	var b strings.Builder
	for _, it := range a.Format {
		b.WriteString(st.tag(it))
	}
	return b.String()
}

// tag is one format item's text.
func (st *State) tag(it directives.HeaderFormatItem) string {
	switch it.Tag {
	case 0:
		return it.Literal
	case 'D':
		return "D=" + strconv.FormatInt(st.now().Sub(st.start).Microseconds(), 10)
	case 't':
		return "t=" + strconv.FormatInt(st.start.UnixMicro(), 10)
	case 'e':
		if v, ok := st.req.Env(it.Arg); ok {
			return unwrap(v)
		}
		return "(null)"
	case 's':
		if st.SSLVar != nil {
			if v := st.SSLVar(it.Arg); v != "" {
				return unwrap(v)
			}
		}
		return "(null)"
	case 'l':
		a, b, c := loadAvg()
		return "l=" + a + "/" + b + "/" + c
	case 'i', 'b':
		idle, busy := 0, 0
		if st.Load != nil {
			idle, busy = st.Load()
		}
		if it.Tag == 'i' {
			return "i=" + strconv.Itoa(idle)
		}
		return "b=" + strconv.Itoa(busy)
	}
	return ""
}

func (st *State) now() time.Time {
	if st.Now != nil {
		return st.Now()
	}
	return time.Now()
}

func (st *State) log(msg string) {
	if st.Log != nil {
		st.Log(msg)
	}
}

// unwrap is unwrap_header: CR and LF become spaces.
func unwrap(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// loadAvg reads the 1, 5 and 15 minute load averages with two decimals
// (ap_get_loadavg); "-1.00" each where the system does not tell.
func loadAvg() (string, string, string) {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return "-1.00", "-1.00", "-1.00"
	}
	var out [3]string
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			v = -1
		}
		out[i] = strconv.FormatFloat(v, 'f', 2, 64)
	}
	return out[0], out[1], out[2]
}

// get is apr_table_get: the first field called name.
func get(h http1.Headers, name string) (string, bool) {
	for _, f := range h {
		if equalFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// mergeField is apr_table_mergen: ", value" is added to the first field
// called name, or a new field appended.
func mergeField(h *http1.Headers, name, value string) {
	for i := range *h {
		if equalFold((*h)[i].Name, name) {
			(*h)[i].Value += ", " + value
			return
		}
	}
	h.Add(name, value)
}

// hasToken is merge's test: whether the comma-separated list holds tok
// exactly, a quoted string counting as part of its token (commas inside
// it do not split), leading spaces skipped and trailing ones kept.
func hasToken(list, tok string) bool {
	i := 0
	for i < len(list) {
		for i < len(list) && isSpace(list[i]) {
			i++
		}
		start := i
		for i < len(list) && list[i] != ',' {
			c := list[i]
			i++
			if c == '"' {
				for i < len(list) {
					c = list[i]
					i++
					if c == '"' {
						break
					}
				}
			}
		}
		if list[start:i] == tok {
			return true
		}
		if i < len(list) {
			i++
		}
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// equalFold compares header names without regard to ASCII case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// exprCtx is what an expr= condition or value reads: the request's
// variables and fields, the response tables of the pass under way, the
// notes and the request environment. Expressions that read request
// fields add them to the response's Vary, as httpd's ap_expr_exec does.
type exprCtx struct{ st *State }

func (c exprCtx) Var(name string) string { return c.st.req.Var(name) }

func (c exprCtx) Table(table, key string) (string, bool) {
	st := c.st
	switch table {
	case "req", "http":
		if st.in == nil {
			return "", false
		}
		vs := st.in.Values(key)
		if len(vs) == 0 {
			return "", false
		}
		return strings.Join(vs, ", "), true
	case "resp":
		if st.curOut != nil {
			if v, ok := get(*st.curOut, key); ok {
				return v, true
			}
		}
		if st.curErr != nil {
			return get(*st.curErr, key)
		}
	case "note":
		return st.Note(key)
	case "reqenv":
		return st.req.Env(key)
	}
	return "", false
}

func (c exprCtx) AddVary(h string) {
	if c.st.curOut != nil {
		mergeField(c.st.curOut, "Vary", h)
	}
}

func (c exprCtx) Now() time.Time { return c.st.now() }

var (
	_ expr.Context = exprCtx{}
	_ expr.Varier  = exprCtx{}
	_ expr.Clock   = exprCtx{}
)
