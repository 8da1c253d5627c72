// Package expr is httpd's ap_expr expression language, the language of
// <If>, <ElseIf>, "Header … expr=", "RewriteCond expr", "Require expr",
// SetEnvIfExpr and ProxyHCExpr: a parser that accepts and rejects exactly
// what httpd 2.4 does, with httpd's error texts, and an evaluator.
package expr

import (
	"strings"

	"github.com/portico-proxy/portico/internal/pcre"
)

// Expr is a parsed ap_expr expression.
type Expr struct {
	// Src is the expression as written.
	Src  string
	root *node
	str  bool // a string-valued expression (AP_EXPR_FLAG_STRING_RESULT)
}

// Options select what a parse may look up, which in httpd depends on the
// modules loaded and on the caller. The zero value is core httpd's set.
type Options struct {
	// SSL adds mod_ssl's SSL_* variables, SSL() and PeerExtList().
	SSL bool
	// HealthCheck adds mod_proxy_hcheck's HC_* variables and HC().
	HealthCheck bool
	// Restricted is AP_EXPR_FLAG_RESTRICTED: no function or operator
	// that reads files.
	Restricted bool
	// String parses a string-valued expression (AP_EXPR_FLAG_STRING_RESULT,
	// as for "Header … expr=" values) instead of a condition.
	String bool
}

// Error is a parse error. Msg is what httpd prints after the caller's
// prefix ("Cannot parse condition clause: ", …).
type Error struct {
	Msg string
	// Fatal is set for input httpd's scanner has no rule for: httpd
	// prints "flex scanner jammed" and exits with status 2.
	Fatal bool
}

func (e *Error) Error() string { return e.Msg }

// Parse parses a boolean ap_expr expression as <If> does, with core
// httpd's variables and functions.
func Parse(s string) (*Expr, error) { return ParseOptions(s, Options{}) }

// ParseOptions parses an ap_expr expression with the given options.
func ParseOptions(s string, o Options) (*Expr, error) {
	p := &parser{sc: scanner{src: s, strRes: o.String}, opts: o}
	root, ok := p.run()
	switch {
	case p.sc.jammed:
		return nil, &Error{Msg: errJammed, Fatal: true}
	case p.err != "" && p.sc.err2 != "":
		return nil, &Error{Msg: p.err + ": " + p.sc.err2}
	case p.err != "":
		return nil, &Error{Msg: p.err}
	case p.sc.err2 != "":
		return nil, &Error{Msg: p.sc.err2}
	case !ok:
		return nil, &Error{Msg: "syntax error"}
	}
	return &Expr{Src: s, root: root, str: o.String}, nil
}

// opcode is a node's operation.
type opcode uint8

const (
	// conditions
	opTrue opcode = iota
	opFalse
	opNot
	opOr
	opAnd
	opUnary
	opBinary
	opEQ
	opNE
	opLT
	opLE
	opGT
	opGE
	opStrEQ
	opStrNE
	opStrLT
	opStrLE
	opStrGT
	opStrGE
	opIn
	opReg
	opNRE
	// words
	opDigit
	opString
	opConcat
	opVar
	opFunc
	opBackref
	// operands of -in and =~
	opList
	opListFunc
	opRegex
)

// node is one node of the expression tree. Children a and b are nil
// only in a tree whose parse failed.
type node struct {
	op   opcode
	a, b *node
	// s is the literal text, or the variable, function or operator name
	// as httpd's table spells it.
	s    string
	ext  ext // which module provides the variable or function
	n    int // back-reference number
	re   *pcre.Regexp
	sub  *subnet // -R and -ipmatch
	list []*node // -in {…}, in the order written
}

// ext tells which module provides a variable or function.
type ext uint8

const (
	extCore ext = iota
	extSSL
	extHC
)

// parser drives the LALR automaton over the scanner's tokens and builds
// the tree, doing httpd's parse-time look-ups in the same order.
type parser struct {
	sc   scanner
	opts Options
	err  string // bison's message (httpd's ctx->error)
}

// value is a stack entry: a shifted token or a reduced node.
type value struct {
	t    token
	n    *node
	list []*node
}

// maxDepth is bison's YYMAXDEPTH: a deeper parser stack is "memory
// exhausted".
const maxDepth = 10000

func (p *parser) run() (*node, bool) {
	states := []int{0}
	vals := []value{{}}
	var la token
	have := false
	started := false
	lex := func() token {
		if !started {
			started = true
			if p.opts.String {
				p.sc.state = stStr
				return token{t: tExprString}
			}
			return token{t: tExprBool}
		}
		return p.sc.next()
	}
	for {
		st := automaton[states[len(states)-1]]
		var a action
		if len(st.expected) > 0 {
			if !have {
				la, have = lex(), true
			}
			if st.accept {
				if la.t == tEnd {
					return vals[len(vals)-1].n, true
				}
			} else {
				a = st.act[la.t]
			}
		}
		if a > 0 {
			states = append(states, int(a)-1)
			vals = append(vals, value{t: la})
			have = false
			if len(states) >= maxDepth {
				p.err = "memory exhausted"
				return nil, false
			}
			continue
		}
		ru := st.def
		if a < 0 {
			ru = int(-a - 1)
		}
		if ru < 0 {
			p.err = syntaxError(la, have, st.expected)
			return nil, false
		}
		n := len(rules[ru].rhs)
		v, ok := p.reduce(ru, vals[len(vals)-n:])
		if !ok {
			return nil, false
		}
		states, vals = states[:len(states)-n], vals[:len(vals)-n]
		states = append(states, automaton[states[len(states)-1]].gots[rules[ru].lhs])
		vals = append(vals, v)
		if len(states) >= maxDepth {
			p.err = "memory exhausted"
			return nil, false
		}
	}
}

// syntaxError is bison's verbose message: the unexpected token and, when
// there are at most four, the tokens the state could take.
func syntaxError(la token, have bool, expected []tok) string {
	if !have {
		return "syntax error"
	}
	msg := "syntax error, unexpected " + la.t.String()
	if len(expected) == 0 || len(expected) > 4 {
		return msg
	}
	names := make([]string, len(expected))
	for i, t := range expected {
		names[i] = t.String()
	}
	return msg + ", expecting " + strings.Join(names, " or ")
}

var compOps = map[int]opcode{
	rEQ: opEQ, rNE: opNE, rLT: opLT, rLE: opLE, rGT: opGT, rGE: opGE,
	rStrEQ: opStrEQ, rStrNE: opStrNE, rStrLT: opStrLT, rStrLE: opStrLE,
	rStrGT: opStrGT, rStrGE: opStrGE, rReg: opReg, rNRE: opNRE,
}

// reduce runs rule ru's action on its right-hand side values. ok is false
// when the action ends the parse (httpd's YYABORT and YYERROR).
func (p *parser) reduce(ru int, v []value) (value, bool) {
	mk := func(op opcode, a, b *node) value { return value{n: &node{op: op, a: a, b: b}} }
	switch ru {
	case rRootBool, rRootString:
		return value{n: v[1].n}, true
	case rRootError, rExprError, rStringError:
		return value{}, false
	case rTrue:
		return mk(opTrue, nil, nil), true
	case rFalse:
		return mk(opFalse, nil, nil), true
	case rNot:
		return mk(opNot, v[1].n, nil), true
	case rOr:
		return mk(opOr, v[0].n, v[2].n), true
	case rAnd:
		return mk(opAnd, v[0].n, v[2].n), true
	case rComparison, rWordlistFunc, rStrpartVar, rStrpartBackref, rWordVar,
		rWordBackref, rWordFunc:
		return v[0], true
	case rUnary:
		return value{n: p.unaryOp(v[0].t.s, v[1].n)}, true
	case rBinary:
		return value{n: p.binaryOp(v[1].t.s, v[0].n, v[2].n)}, true
	case rParen:
		return v[1], true
	case rIn:
		return mk(opIn, v[0].n, v[2].n), true
	case rWordlistBrace:
		return mk(opList, nil, nil).withList(v[1].list), true
	case rWordsOne:
		return value{list: []*node{v[0].n}}, true
	case rWordsMore:
		return value{list: append(v[0].list, v[2].n)}, true
	case rStringConcat:
		return mk(opConcat, v[0].n, v[1].n), true
	case rStringPart:
		return v[0], true
	case rStrpartString:
		return value{n: &node{op: opString, s: cString(v[0].t.s)}}, true
	case rVar:
		return value{n: p.variable(v[1].t.s)}, true
	case rVarFunc:
		return value{n: p.strFunc(v[1].t.s, v[3].n)}, true
	case rWordDigit:
		return value{n: &node{op: opDigit, s: v[0].t.s}}, true
	case rWordConcat:
		return mk(opConcat, v[0].n, v[2].n), true
	case rWordString:
		return v[1], true
	case rWordEmpty:
		return value{n: &node{op: opString}}, true
	case rRegex, rRegexI:
		var f pcre.Flags
		if ru == rRegexI {
			f = pcre.IgnoreCase
		}
		re, err := pcre.Compile(v[0].t.s, f)
		if err != nil {
			p.err = "Failed to compile regular expression"
			return value{}, false
		}
		return value{n: &node{op: opRegex, re: re}}, true
	case rBackref:
		return value{n: &node{op: opBackref, n: v[0].t.num}}, true
	case rLstfunccall:
		return value{n: p.listFunc(v[0].t.s, v[2].n)}, true
	case rStrfunccall:
		return value{n: p.strFunc(v[0].t.s, v[2].n)}, true
	}
	if op, ok := compOps[ru]; ok {
		return mk(op, v[0].n, v[2].n), true
	}
	panic("expr: no action for rule " + rules[ru].String())
}

func (v value) withList(l []*node) value {
	v.n.list = l
	return v
}

func (ru rule) String() string {
	var b strings.Builder
	for _, x := range ru.rhs {
		if x < nTerm {
			b.WriteString(tok(x).String() + " ")
		}
	}
	return b.String()
}

// cString cuts s at its first NUL, as httpd's C strings end there.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
