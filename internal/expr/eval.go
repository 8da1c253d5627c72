package expr

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Context is what an expression reads from the request being served.
// The server implements it; every method must be safe to call with any
// name.
type Context interface {
	// Var returns one of httpd's request, connection or server
	// variables by its upper-case name (REQUEST_URI, QUERY_STRING,
	// THE_REQUEST, REMOTE_ADDR, SERVER_NAME, HTTPS, SERVER_SOFTWARE …),
	// "" when it is unset. With mod_ssl, SSL_* names are asked for too,
	// and with mod_proxy_hcheck, HC_* names.
	Var(name string) string
	// Table returns an entry of one of the request's tables, looked up
	// case-insensitively: "req" the request headers, "resp" the
	// response headers (then the error headers), "note" the notes,
	// "reqenv" the request's environment variables.
	Table(table, key string) (string, bool)
}

// Varier is implemented by a Context that wants to know which request
// headers a true or false answer depended on: httpd adds them to the
// response's Vary header.
type Varier interface {
	AddVary(headers string)
}

// Clock is implemented by a Context that supplies the time for the
// TIME_* variables; time.Now is used otherwise.
type Clock interface {
	Now() time.Time
}

// Subrequester is implemented by a Context that can run httpd's
// subrequests: -U and -A (by URL) and -F (by file name) are true when
// the subrequest's status is below 400 (-U, -A) or 300 (-F, for an
// existing file). Without it they are false.
type Subrequester interface {
	SubrequestOK(kind byte, arg string) bool
}

// Backrefs are the captures $0 … $9 an expression reads. A caller may
// pass the captures of an earlier match; a successful =~ or !~ whose
// regex has capturing groups replaces them, a failed one clears them.
type Backrefs struct {
	groups []string
	set    bool
}

// SetGroups sets the captures, group 0 first.
func (b *Backrefs) SetGroups(groups []string) {
	b.groups = append(b.groups[:0], groups...)
	b.set = true
}

// Group returns $n, "" when unset.
func (b *Backrefs) Group(n int) string {
	if b == nil || !b.set || n < 0 || n >= len(b.groups) || n >= maxBackrefs {
		return ""
	}
	return b.groups[n]
}

// maxBackrefs is AP_MAX_REG_MATCH.
const maxBackrefs = 10

// maxRecursion is AP_EXPR_MAX_RECURSION.
const maxRecursion = 20

var errRecursion = errors.New("Recursion limit reached")

// evaluator holds one evaluation's state.
type evaluator struct {
	ctx  Context
	re   *Backrefs
	lvl  int
	err  error
	vary []string
}

// Eval evaluates a boolean expression for a request.
func (e *Expr) Eval(ctx Context) (bool, error) {
	return e.EvalBackrefs(ctx, &Backrefs{})
}

// EvalBackrefs evaluates a boolean expression with the captures br,
// which the expression's regex matches update.
func (e *Expr) EvalBackrefs(ctx Context, br *Backrefs) (bool, error) {
	if e.str {
		return false, errors.New("expr: Eval of a string expression")
	}
	ev := &evaluator{ctx: ctx, re: br}
	ok := ev.cond(e.root)
	if ev.err != nil {
		return false, ev.err
	}
	if v, isV := ctx.(Varier); isV && len(ev.vary) > 0 {
		v.AddVary(strings.Join(ev.vary, ", "))
	}
	return ok, nil
}

// String evaluates a string expression (one parsed with Options.String).
func (e *Expr) String(ctx Context, br *Backrefs) (string, error) {
	if !e.str {
		return "", errors.New("expr: String of a boolean expression")
	}
	if br == nil {
		br = &Backrefs{}
	}
	ev := &evaluator{ctx: ctx, re: br}
	s := ev.word(e.root)
	if ev.err != nil {
		return "", ev.err
	}
	return s, nil
}

// enter counts one level of recursion; false once httpd's limit is hit.
func (ev *evaluator) enter() bool {
	if ev.err != nil {
		return false
	}
	if ev.lvl < maxRecursion {
		ev.lvl++
		return true
	}
	ev.err = errRecursion
	return false
}

// cond evaluates a condition the way ap_expr_eval walks it: "not" and
// the right-hand side of and/or chains in a loop, the rest recursively.
func (ev *evaluator) cond(n *node) bool {
	if !ev.enter() {
		return false
	}
	defer func() { ev.lvl-- }()
	neg := false
	for {
		switch n.op {
		case opTrue:
			return !neg
		case opFalse:
			return neg
		case opNot:
			neg = !neg
			n = n.a
		case opOr, opAnd:
			op := n.op
			for n.op == op {
				l, want := n.a, op == opOr
				r := false
				if l.op == opNot {
					r = !ev.cond(l.a)
				} else {
					r = ev.cond(l)
				}
				if ev.err != nil {
					return false
				}
				if r == want {
					return want != neg
				}
				n = n.b
			}
		case opUnary:
			return ev.unary(n) != neg
		case opBinary:
			return ev.binary(n) != neg
		default:
			return ev.comp(n) != neg
		}
	}
}

func (ev *evaluator) comp(n *node) bool {
	switch n.op {
	case opEQ, opNE, opLT, opLE, opGT, opGE:
		c := cmpInt(atoi64(ev.word(n.a)), atoi64(ev.word(n.b)))
		return cmpResult(n.op-opEQ, c)
	case opStrEQ, opStrNE, opStrLT, opStrLE, opStrGT, opStrGE:
		c := strings.Compare(ev.word(n.a), ev.word(n.b))
		return cmpResult(n.op-opStrEQ, c)
	case opIn:
		needle := ev.word(n.a)
		switch n.b.op {
		case opList:
			// httpd keeps the list last element first.
			for i := len(n.b.list) - 1; i >= 0; i-- {
				if ev.word(n.b.list[i]) == needle {
					return true
				}
			}
		case opListFunc:
			for _, v := range ev.listFunc(n.b) {
				if v == needle {
					return true
				}
			}
		}
		return false
	case opReg, opNRE:
		s := ev.word(n.a)
		re := n.b.re
		var ok bool
		if re.NumSubexp() > 0 {
			m := re.FindStringMatch(s)
			ok = m != nil
			if ok {
				ev.re.SetGroups(m.Groups)
			} else {
				ev.re.groups, ev.re.set = ev.re.groups[:0], false
			}
		} else {
			ok = re.MatchString(s)
		}
		return ok == (n.op == opReg)
	}
	ev.err = errors.New("Internal evaluation error: Unknown comp expression node")
	return false
}

// cmpResult applies the k-th comparison of eq, ne, lt, le, gt, ge to c.
func cmpResult(k opcode, c int) bool {
	switch k {
	case 0:
		return c == 0
	case 1:
		return c != 0
	case 2:
		return c < 0
	case 3:
		return c <= 0
	case 4:
		return c > 0
	}
	return c >= 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// word evaluates a string-valued node.
func (ev *evaluator) word(n *node) string {
	if !ev.enter() {
		return ""
	}
	defer func() { ev.lvl-- }()
	switch n.op {
	case opDigit, opString:
		return n.s
	case opVar:
		return ev.variable(n)
	case opConcat:
		// ap_expr_eval_word flattens a chain of concatenations and
		// evaluates its parts one level down.
		var parts []*node
		if n.a.op != opConcat && n.b.op != opConcat {
			parts = []*node{n.a, n.b}
		} else if n.a.op == opConcat {
			for c := n; c.op == opConcat; c = c.a {
				parts = append(parts, c.b)
				if c.a.op != opConcat {
					parts = append(parts, c.a)
				}
			}
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
		} else {
			for c := n; c.op == opConcat; c = c.b {
				parts = append(parts, c.a)
				if c.b.op != opConcat {
					parts = append(parts, c.b)
				}
			}
		}
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(ev.word(p))
		}
		return b.String()
	case opFunc:
		return ev.strFunc(n, ev.word(n.a))
	case opBackref:
		return ev.re.Group(n.n)
	}
	ev.err = errors.New("Internal evaluation error: Unknown word expression node")
	return ""
}

func (ev *evaluator) variable(n *node) string {
	switch n.ext {
	case extSSL:
		return ev.ctx.Var(n.s)
	case extHC:
		return ev.ctx.Var("HC_" + n.s)
	}
	if h, ok := headerVars[n.s]; ok {
		if !strings.EqualFold(h, "Host") {
			ev.vary = append(ev.vary, h)
		}
		v, _ := ev.ctx.Table("req", h)
		return v
	}
	if strings.HasPrefix(n.s, "TIME") {
		return timeVar(n.s, ev.now())
	}
	return ev.ctx.Var(n.s)
}

func (ev *evaluator) now() time.Time {
	if c, ok := ev.ctx.(Clock); ok {
		return c.Now()
	}
	return time.Now()
}

// timeVar formats the TIME_* variables in local time, as httpd does.
func timeVar(name string, t time.Time) string {
	t = t.Local()
	switch name {
	case "TIME_YEAR":
		return fmt.Sprintf("%04d", t.Year())
	case "TIME_MON":
		return fmt.Sprintf("%02d", int(t.Month()))
	case "TIME_DAY":
		return fmt.Sprintf("%02d", t.Day())
	case "TIME_HOUR":
		return fmt.Sprintf("%02d", t.Hour())
	case "TIME_MIN":
		return fmt.Sprintf("%02d", t.Minute())
	case "TIME_SEC":
		return fmt.Sprintf("%02d", t.Second())
	case "TIME_WDAY":
		return fmt.Sprintf("%d", int(t.Weekday()))
	}
	return t.Format("20060102150405")
}

// atoi64 is apr_atoi64 (strtoll in base 10): leading white space, a
// sign, then digits; values out of range saturate.
func atoi64(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	const limit = 1 << 63
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if !over {
			v = v*10 + uint64(s[i]-'0')
			if v > limit {
				over = true
			}
		}
	}
	switch {
	case neg && (over || v >= limit):
		return -1 << 63
	case neg:
		return -int64(v)
	case over || v >= limit:
		return 1<<63 - 1
	}
	return int64(v)
}

// lookupEnv is the process environment, httpd's getenv.
var lookupEnv = os.LookupEnv
