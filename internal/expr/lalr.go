package expr

import (
	"slices"
	"strconv"
	"strings"
)

// The parser is an LALR(1) automaton built at start-up from httpd's
// grammar (util_expr_parse.y), with bison's rules for resolving conflicts
// by precedence and for default reductions. httpd's syntax errors are
// bison's "syntax error, unexpected X, expecting Y or Z" messages, whose
// lists depend on exactly those rules, so the automaton is built the way
// bison builds it rather than written by hand.

// nTerm is the number of terminal symbols; nonterminals follow them.
const nTerm = int(tColon) + 1

// Nonterminals, numbered after the terminals.
const (
	ntAccept = nTerm + iota
	ntRoot
	ntExpr
	ntComparison
	ntWordlist
	ntWords
	ntString
	ntStrpart
	ntVar
	ntWord
	ntRegex
	ntBackref
	ntLstfunccall
	ntStrfunccall
	nSyms
)

// rule is one production; rules are numbered in the grammar file's order,
// which decides reduce/reduce conflicts and ties between default
// reductions, as in bison.
type rule struct {
	lhs int
	rhs []int
}

// r is shorthand for a rule's right-hand side of tokens and nonterminals.
func r(lhs int, rhs ...any) rule {
	out := make([]int, len(rhs))
	for i, x := range rhs {
		switch v := x.(type) {
		case tok:
			out[i] = int(v)
		case int:
			out[i] = v
		}
	}
	return rule{lhs, out}
}

// Rule numbers used by the semantic actions.
const (
	rAccept = iota
	rRootBool
	rRootString
	rRootError
	rTrue
	rFalse
	rNot
	rOr
	rAnd
	rComparison
	rUnary
	rBinary
	rParen
	rExprError
	rEQ
	rNE
	rLT
	rLE
	rGT
	rGE
	rStrEQ
	rStrNE
	rStrLT
	rStrLE
	rStrGT
	rStrGE
	rIn
	rReg
	rNRE
	rWordlistFunc
	rWordlistBrace
	rWordsOne
	rWordsMore
	rStringConcat
	rStringPart
	rStringError
	rStrpartString
	rStrpartVar
	rStrpartBackref
	rVar
	rVarFunc
	rWordDigit
	rWordConcat
	rWordVar
	rWordBackref
	rWordFunc
	rWordString
	rWordEmpty
	rRegex
	rRegexI
	rBackref
	rLstfunccall
	rStrfunccall
)

var rules = []rule{
	rAccept:         r(ntAccept, ntRoot, tEnd),
	rRootBool:       r(ntRoot, tExprBool, ntExpr),
	rRootString:     r(ntRoot, tExprString, ntString),
	rRootError:      r(ntRoot, tError),
	rTrue:           r(ntExpr, tTrue),
	rFalse:          r(ntExpr, tFalse),
	rNot:            r(ntExpr, tOpNot, ntExpr),
	rOr:             r(ntExpr, ntExpr, tOpOr, ntExpr),
	rAnd:            r(ntExpr, ntExpr, tOpAnd, ntExpr),
	rComparison:     r(ntExpr, ntComparison),
	rUnary:          r(ntExpr, tOpUnary, ntWord),
	rBinary:         r(ntExpr, ntWord, tOpBinary, ntWord),
	rParen:          r(ntExpr, tLParen, ntExpr, tRParen),
	rExprError:      r(ntExpr, tError),
	rEQ:             r(ntComparison, ntWord, tOpEQ, ntWord),
	rNE:             r(ntComparison, ntWord, tOpNE, ntWord),
	rLT:             r(ntComparison, ntWord, tOpLT, ntWord),
	rLE:             r(ntComparison, ntWord, tOpLE, ntWord),
	rGT:             r(ntComparison, ntWord, tOpGT, ntWord),
	rGE:             r(ntComparison, ntWord, tOpGE, ntWord),
	rStrEQ:          r(ntComparison, ntWord, tOpStrEQ, ntWord),
	rStrNE:          r(ntComparison, ntWord, tOpStrNE, ntWord),
	rStrLT:          r(ntComparison, ntWord, tOpStrLT, ntWord),
	rStrLE:          r(ntComparison, ntWord, tOpStrLE, ntWord),
	rStrGT:          r(ntComparison, ntWord, tOpStrGT, ntWord),
	rStrGE:          r(ntComparison, ntWord, tOpStrGE, ntWord),
	rIn:             r(ntComparison, ntWord, tOpIn, ntWordlist),
	rReg:            r(ntComparison, ntWord, tOpReg, ntRegex),
	rNRE:            r(ntComparison, ntWord, tOpNRE, ntRegex),
	rWordlistFunc:   r(ntWordlist, ntLstfunccall),
	rWordlistBrace:  r(ntWordlist, tLBrace, ntWords, tRBrace),
	rWordsOne:       r(ntWords, ntWord),
	rWordsMore:      r(ntWords, ntWords, tComma, ntWord),
	rStringConcat:   r(ntString, ntString, ntStrpart),
	rStringPart:     r(ntString, ntStrpart),
	rStringError:    r(ntString, tError),
	rStrpartString:  r(ntStrpart, tString),
	rStrpartVar:     r(ntStrpart, ntVar),
	rStrpartBackref: r(ntStrpart, ntBackref),
	rVar:            r(ntVar, tVarBegin, tID, tVarEnd),
	rVarFunc:        r(ntVar, tVarBegin, tID, tColon, ntString, tVarEnd),
	rWordDigit:      r(ntWord, tDigit),
	rWordConcat:     r(ntWord, ntWord, tOpConcat, ntWord),
	rWordVar:        r(ntWord, ntVar),
	rWordBackref:    r(ntWord, ntBackref),
	rWordFunc:       r(ntWord, ntStrfunccall),
	rWordString:     r(ntWord, tStrBegin, ntString, tStrEnd),
	rWordEmpty:      r(ntWord, tStrBegin, tStrEnd),
	rRegex:          r(ntRegex, tRegex),
	rRegexI:         r(ntRegex, tRegexI),
	rBackref:        r(ntBackref, tBackref),
	rLstfunccall:    r(ntLstfunccall, tID, tLParen, ntWord, tRParen),
	rStrfunccall:    r(ntStrfunccall, tID, tLParen, ntWord, tRParen),
}

// tokPrec is the grammar's %right declarations: a higher level binds
// tighter; every level is right-associative.
var tokPrec = map[tok]int{tOpOr: 1, tOpAnd: 2, tOpNot: 3, tOpConcat: 4}

// rulePrec is a rule's precedence: that of its last terminal (bison's
// rule), 0 when that terminal has none.
func rulePrec(ru rule) int {
	for i := len(ru.rhs) - 1; i >= 0; i-- {
		if ru.rhs[i] < nTerm {
			return tokPrec[tok(ru.rhs[i])]
		}
	}
	return 0
}

// Actions in a state's row: 0 is "none" (take the default), a positive
// value shifts to state v-1, a negative value reduces by rule -v-1.
type action int32

func shiftTo(s int) action  { return action(s + 1) }
func reduceBy(r int) action { return action(-r - 1) }

// lrState is one state of the automaton.
type lrState struct {
	act [nTerm]action // explicit actions (bison's yytable row)
	// def is the default reduction (bison's yydefact), -1 for none.
	def  int
	gots map[int]int // nonterminal transitions (yygoto)
	// accept is set on the state that shifts $end after the root.
	accept bool
	// expected lists the explicit tokens in order, for error messages.
	expected []tok
}

type item struct{ rule, dot int }

type lookahead uint64

// automaton is the LALR(1) parser built from rules.
var automaton = buildAutomaton()

func buildAutomaton() []*lrState {
	byLHS := make(map[int][]int)
	for i, ru := range rules {
		byLHS[ru.lhs] = append(byLHS[ru.lhs], i)
	}
	first := firstSets()

	// LR(0) states, identified by their kernels.
	type state struct {
		kernel []item
		la     map[item]lookahead // lookaheads of kernel items
		trans  map[int]int
	}
	var states []*state
	index := map[string]int{}
	key := func(k []item) string {
		var b strings.Builder
		for _, it := range k {
			b.WriteString(strconv.Itoa(it.rule) + "." + strconv.Itoa(it.dot) + ",")
		}
		return b.String()
	}
	add := func(k []item) int {
		slices.SortFunc(k, func(a, b item) int {
			if a.rule != b.rule {
				return a.rule - b.rule
			}
			return a.dot - b.dot
		})
		ks := key(k)
		if i, ok := index[ks]; ok {
			return i
		}
		states = append(states, &state{kernel: k, la: map[item]lookahead{}, trans: map[int]int{}})
		index[ks] = len(states) - 1
		return len(states) - 1
	}
	// closure returns the kernel's closure, with lookaheads when la is
	// given (LALR propagation: a closure item's lookahead is FIRST of what
	// follows its nonterminal, or the parent's lookahead at the end).
	closure := func(kernel []item, la map[item]lookahead) ([]item, map[item]lookahead) {
		items := slices.Clone(kernel)
		out := map[item]lookahead{}
		for _, it := range kernel {
			out[it] = la[it]
		}
		for changed := true; changed; {
			changed = false
			for i := 0; i < len(items); i++ {
				it := items[i]
				rhs := rules[it.rule].rhs
				if it.dot >= len(rhs) || rhs[it.dot] < nTerm {
					continue
				}
				var follow lookahead
				if it.dot+1 < len(rhs) {
					follow = first[rhs[it.dot+1]]
				} else {
					follow = out[it]
				}
				for _, ri := range byLHS[rhs[it.dot]] {
					n := item{ri, 0}
					old, seen := out[n]
					if !seen {
						items = append(items, n)
					}
					if !seen || old|follow != old {
						out[n] = old | follow
						changed = true
					}
				}
			}
		}
		return items, out
	}

	add([]item{{rAccept, 0}})
	for si := 0; si < len(states); si++ {
		items, _ := closure(states[si].kernel, states[si].la)
		next := map[int][]item{}
		var order []int
		for _, it := range items {
			rhs := rules[it.rule].rhs
			if it.dot < len(rhs) {
				x := rhs[it.dot]
				if _, ok := next[x]; !ok {
					order = append(order, x)
				}
				next[x] = append(next[x], item{it.rule, it.dot + 1})
			}
		}
		for _, x := range order {
			states[si].trans[x] = add(next[x])
		}
	}

	// LALR(1) lookaheads: propagate to a fixpoint.
	for changed := true; changed; {
		changed = false
		for _, st := range states {
			items, la := closure(st.kernel, st.la)
			for _, it := range items {
				rhs := rules[it.rule].rhs
				if it.dot >= len(rhs) {
					continue
				}
				to := states[st.trans[rhs[it.dot]]]
				adv := item{it.rule, it.dot + 1}
				if old := to.la[adv]; old|la[it] != old {
					to.la[adv] = old | la[it]
					changed = true
				}
			}
		}
	}

	out := make([]*lrState, len(states))
	for si, st := range states {
		ls := &lrState{def: -1, gots: map[int]int{}}
		out[si] = ls
		shifts := 0
		for x, to := range st.trans {
			if x < nTerm {
				if tok(x) == tEnd {
					ls.accept = true
					continue
				}
				ls.act[x] = shiftTo(to)
				shifts++
			} else {
				ls.gots[x] = to
			}
		}
		if ls.accept {
			ls.expected = []tok{tEnd}
			continue
		}
		// Reductions, in rule order (kernel items are sorted).
		var reds []int
		for _, it := range st.kernel {
			if it.dot == len(rules[it.rule].rhs) {
				reds = append(reds, it.rule)
			}
		}
		if len(reds) == 1 && shifts == 0 {
			// A consistent state: reduce without reading a token.
			ls.def = reds[0]
			continue
		}
		// Fill reductions from the last rule to the first, so the first
		// rule wins a reduce/reduce conflict; a shift/reduce conflict is
		// settled by precedence, else in favour of the shift.
		for i := len(reds) - 1; i >= 0; i-- {
			ru := reds[i]
			la := st.la[item{ru, len(rules[ru].rhs)}]
			rp := rulePrec(rules[ru])
			for t := range nTerm {
				if la&(1<<t) == 0 {
					continue
				}
				if a := ls.act[t]; a > 0 {
					tp := tokPrec[tok(t)]
					if rp == 0 || tp == 0 || tp >= rp { // equal: %right shifts
						continue
					}
				}
				ls.act[t] = reduceBy(ru)
			}
		}
		// The most frequent reduction becomes the default.
		best, max := -1, 0
		for _, ru := range reds {
			n := 0
			for t := range nTerm {
				if ls.act[t] == reduceBy(ru) {
					n++
				}
			}
			if n > max {
				best, max = ru, n
			}
		}
		if best >= 0 {
			ls.def = best
			for t := range nTerm {
				if ls.act[t] == reduceBy(best) {
					ls.act[t] = 0
				}
			}
		}
		for t := range nTerm {
			if ls.act[t] != 0 {
				ls.expected = append(ls.expected, tok(t))
			}
		}
	}
	return out
}

// firstSets computes FIRST of every symbol (the grammar has no empty
// rules).
func firstSets() [nSyms]lookahead {
	var first [nSyms]lookahead
	for t := range nTerm {
		first[t] = 1 << t
	}
	for changed := true; changed; {
		changed = false
		for _, ru := range rules {
			if f := first[ru.rhs[0]]; first[ru.lhs]|f != first[ru.lhs] {
				first[ru.lhs] |= f
				changed = true
			}
		}
	}
	return first
}
