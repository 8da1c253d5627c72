package rewrite

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/expr"
)

// pass is the state of one rewrite pass (httpd's rewrite_ctx plus the
// request fields the rules change).
type pass struct {
	e   *Engine
	sc  *serverConf
	req Request
	res *Result
	// perdir is the directory prefix of a per-directory pass ("" for
	// the server pass).
	perdir string
	// filename is r->filename; args/hasArgs r->args.
	filename string
	args     string
	hasArgs  bool
	// proxyreq is true when the request was already routed to a
	// backend ("proxy:" filename) before the per-directory pass.
	proxyreq bool
	// uri is ctx->uri: what the current rule's pattern is matched with.
	uri        string
	rr, rc     backrefs
	vary       string
	varyThis   string
	uriReduced bool
	// status is r->status: a rule's [R=] code.
	status int
	round  int
	trace  bool
	clock  func() time.Time
	buf    []byte
}

// action is apply_rewrite_list's answer.
type action uint8

const (
	actionNone      action = iota
	actionNormal           // a rule changed the request
	actionNoEscape         // … with [NE]
	actionStatus           // a rule forced a status (r->status)
	actionStatusSet        // an error set r->status
)

// ruleRC is apply_rewrite_rule's answer.
type ruleRC uint8

const (
	ruleNoMatch ruleRC = iota
	ruleMatch
	ruleNoSub
	ruleStatusSet
)

// applyList is apply_rewrite_list: the rules in order, with [C], [S],
// [N], [L], [END], [P] and [PT]; lastsub is the last rule that
// substituted.
func (p *pass) applyList(rules []*directives.RewriteRule) (act action, status int, lastsub *directives.RewriteRule) {
	changed := actionNone
	p.round = 1
loop:
	for i := 0; i < len(rules); i++ {
		r := rules[i]
		p.vary = ""
		rc, st := p.applyRule(r)
		if rc == ruleNoMatch {
			for i < len(rules) && rules[i].Flags.Bits&directives.RuleChain != 0 {
				i++
			}
			continue
		}
		if r.Flags.Bits&directives.RuleNoSub == 0 {
			lastsub = r
		}
		if len(p.filename) > 2*p.sc.limitReqLine {
			p.res.Log = append(p.res.Log, fmt.Sprintf("RewriteRule '%s' and URI '%s' exceeded maximum length (%d)", r.Pattern, p.req.Var("REQUEST_URI"), 2*p.sc.limitReqLine))
			return actionStatus, 500, lastsub
		}
		if p.vary != "" {
			if p.res.Vary == "" {
				p.res.Vary = p.vary
			} else {
				p.res.Vary += ", " + p.vary
			}
		}
		if rc == ruleStatusSet {
			return actionStatusSet, st, lastsub
		}
		if r.Flags.Bits&directives.RuleStatus != 0 {
			return actionStatus, r.Flags.Status, lastsub
		}
		if rc != ruleNoSub {
			changed = actionNormal
			if r.Flags.Bits&directives.RuleNoEscape != 0 {
				changed = actionNoEscape
			}
		}
		if r.Flags.Bits&directives.RulePassThrough != 0 {
			p.filename = "passthrough:" + p.filename
			changed = actionNormal
			break
		}
		if r.Flags.Bits&directives.RuleEnd != 0 {
			p.res.End = true
			break
		}
		if r.Flags.Bits&(directives.RuleProxy|directives.RuleLast) != 0 {
			break
		}
		if r.Flags.Bits&directives.RuleNext != 0 {
			p.round++
			if p.round >= r.Flags.MaxRounds {
				p.res.Log = append(p.res.Log, fmt.Sprintf("AH02596: RewriteRule '%s' and URI '%s' exceeded maximum number of rounds (%d) via the [N] flag", r.Pattern, p.req.Var("REQUEST_URI"), r.Flags.MaxRounds))
				return actionStatus, 500, lastsub
			}
			goto loop
		}
		if r.Flags.Skip > 0 {
			i += r.Flags.Skip
		}
	}
	return changed, 0, lastsub
}

// applyRule is apply_rewrite_rule for one rule.
func (p *pass) applyRule(r *directives.RewriteRule) (ruleRC, int) {
	p.uri = p.filename
	if p.perdir != "" {
		if pi := p.req.Var("PATH_INFO"); pi != "" {
			p.uri += pi
		}
		if !p.proxyreq && strings.HasPrefix(p.uri, p.perdir) {
			p.uri = p.uri[len(p.perdir):]
		}
	}
	m := r.Regex.FindStringMatch(p.uri)
	matched := (m != nil) != r.Negate
	var step int
	if p.trace {
		p.res.Trace = append(p.res.Trace, Step{Kind: StepRule, Rule: r, Pos: r.Pos, Input: p.uri, Matched: matched, Round: p.round})
		step = len(p.res.Trace) - 1
	}
	if !matched {
		return ruleNoMatch, 0
	}
	p.varyThis = ""
	p.rc = backrefs{}
	if r.Negate {
		p.rr = backrefs{}
	} else {
		p.rr = backrefs{groups: m.Groups, ok: m.Matched}
	}
	conds := r.Conds
	for i := 0; i < len(conds); i++ {
		c := conds[i]
		ok := p.applyCond(c)
		if c.Flags&directives.CondNoVary != 0 {
			p.varyThis = ""
		}
		if c.Flags&directives.CondOrNext != 0 {
			if !ok {
				p.varyThis = ""
				continue
			}
			for i < len(conds) && conds[i].Flags&directives.CondOrNext != 0 {
				i++
			}
		} else if !ok {
			if p.trace {
				p.res.Trace[step].Matched = false
			}
			return ruleNoMatch, 0
		}
		if p.varyThis != "" {
			if p.vary == "" {
				p.vary = p.varyThis
			} else {
				p.vary += ", " + p.varyThis
			}
			p.varyThis = ""
		}
	}
	bits := r.Flags.Bits
	var newuri string
	if bits&directives.RuleNoSub == 0 {
		qmark := -1
		if bits&directives.RuleUnsafeAllow3F != 0 {
			newuri = p.expand(r.Substitution, r, nil)
		} else {
			newuri = p.expand(r.Substitution, r, &qmark)
		}
		if p.trace {
			p.res.Trace[step].Output = newuri
		}
		if qmark > 0 {
			p.res.Log = append(p.res.Log, "AH10508: Unsafe URL with %3f URL rewritten without UnsafeAllow3F")
			return ruleStatusSet, 403
		}
	}
	for _, env := range r.Flags.Env {
		p.setEnv(p.expand(env, nil, nil))
	}
	for _, co := range r.Flags.Cookies {
		if c := p.cookie(p.expand(co, nil, nil)); c != "" {
			p.res.Cookies = append(p.res.Cookies, c)
		}
	}
	if bits&directives.RuleNoSub != 0 {
		p.forceTypeHandler(r)
		return ruleNoSub, 0
	}
	prefixAdded := false
	if !p.proxyreq && !strings.HasPrefix(newuri, "/") {
		if n, _ := absoluteURI(newuri); n == 0 {
			switch {
			case p.perdir != "":
				newuri = p.perdir + newuri
				prefixAdded = true
			case bits&(directives.RuleProxy|directives.RuleRedirect) == 0:
				newuri = "/" + newuri
				prefixAdded = true
			}
		}
	}
	p.filename = newuri
	p.splitQuery(bits)
	if bits&directives.RuleProxy != 0 {
		p.fullyQualify()
		p.filename = "proxy:" + p.filename
		return ruleMatch, 0
	}
	if bits&directives.RuleRedirect != 0 {
		p.fullyQualify()
		p.status = r.Flags.Status
		return ruleMatch, 0
	}
	p.reduce()
	if n, _ := absoluteURI(p.filename); n > 0 {
		p.status = r.Flags.Status
		return ruleMatch, 0
	}
	if bits&directives.RuleUNC == 0 && !prefixAdded {
		out := r.Substitution
		if !(len(out) >= 2 && out[0] == '/' && out[1] == '/') {
			for len(p.filename) >= 2 && p.filename[0] == '/' && p.filename[1] == '/' {
				p.filename = p.filename[1:]
			}
		}
	}
	p.forceTypeHandler(r)
	return ruleMatch, 0
}

// forceTypeHandler records [T=] and [H=].
func (p *pass) forceTypeHandler(r *directives.RewriteRule) {
	if r.Flags.Type.Set {
		if v := p.expand(r.Flags.Type.Val, r, nil); v != "" {
			p.res.Type = strings.ToLower(v)
		}
	}
	if r.Flags.Handler.Set {
		if v := p.expand(r.Flags.Handler.Val, r, nil); v != "" {
			p.res.Handler = strings.ToLower(v)
		}
	}
}

// setEnv is one [E=] setting: "!VAR" unsets, "VAR:VAL" sets, "VAR" sets
// to "".
func (p *pass) setEnv(s string) {
	if strings.HasPrefix(s, "!") {
		p.res.Env = append(p.res.Env, s)
		return
	}
	if !strings.Contains(s, ":") {
		s += ":"
	}
	p.res.Env = append(p.res.Env, s)
}

// compareLex is compare_lexicography: the longer string is greater;
// equal lengths compare byte by byte.
func compareLex(a, b string) int {
	if len(a) != len(b) {
		if len(a) > len(b) {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// compareFold is strcasecmp.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

// applyCond is apply_rewrite_cond.
func (p *pass) applyCond(c *directives.RewriteCond) bool {
	var input string
	if c.Kind != directives.CondExpr {
		input = p.expand(c.Input, nil, nil)
	}
	ok := false
	nc := c.Flags&directives.CondNoCase != 0
	cmp := func() int {
		if nc {
			return compareFold(input, c.Pattern)
		}
		return compareLex(input, c.Pattern)
	}
	switch c.Kind {
	case directives.CondFileExists:
		fi, err := os.Stat(input)
		ok = err == nil && fi.Mode().IsRegular()
	case directives.CondFileSize:
		fi, err := os.Stat(input)
		ok = err == nil && fi.Mode().IsRegular() && fi.Size() > 0
	case directives.CondSymlink:
		fi, err := os.Lstat(input)
		ok = err == nil && fi.Mode()&os.ModeSymlink != 0
	case directives.CondDir:
		fi, err := os.Stat(input)
		ok = err == nil && fi.IsDir()
	case directives.CondExecutable:
		fi, err := os.Stat(input)
		ok = err == nil && fi.Mode().Perm()&0o111 != 0
	case directives.CondURLLookup:
		// No sub-request: the URL-path names an existing file or
		// directory below DocumentRoot.
		if input != "" {
			root := p.req.Var("DOCUMENT_ROOT")
			_, err := os.Stat(root + "/" + strings.TrimPrefix(input, "/"))
			ok = err == nil
		}
	case directives.CondFileLookup:
		// No sub-request: the file exists.
		if input != "" {
			_, err := os.Stat(input)
			ok = err == nil
		}
	case directives.CondStrGE:
		ok = cmp() >= 0
	case directives.CondStrGT:
		ok = cmp() >= 1
	case directives.CondStrLE:
		ok = cmp() <= 0
	case directives.CondStrLT:
		ok = cmp() <= -1
	case directives.CondStrEQ:
		if nc {
			ok = strings.EqualFold(input, c.Pattern)
		} else {
			ok = input == c.Pattern
		}
	case directives.CondIntGE:
		ok = atoi(input) >= atoi(c.Pattern)
	case directives.CondIntGT:
		ok = atoi(input) > atoi(c.Pattern)
	case directives.CondIntLE:
		ok = atoi(input) <= atoi(c.Pattern)
	case directives.CondIntLT:
		ok = atoi(input) < atoi(c.Pattern)
	case directives.CondIntEQ:
		ok = atoi(input) == atoi(c.Pattern)
	case directives.CondExpr:
		input = c.Pattern
		if x := p.e.exprs[c]; x != nil {
			var br expr.Backrefs
			res, err := x.EvalBackrefs(exprContext{p}, &br)
			if err != nil {
				p.res.Log = append(p.res.Log, fmt.Sprintf("RewriteCond: expr='%s' evaluation failed: %v", c.Pattern, err))
				res = false
			}
			ok = res
			if ok && !c.Negate {
				groups := make([]string, 10)
				oks := make([]bool, 10)
				for i := range groups {
					groups[i] = br.Group(i)
					oks[i] = groups[i] != ""
				}
				p.rc = backrefs{groups: groups, ok: oks}
			}
		}
	default:
		if m := c.Regex.FindStringMatch(input); m != nil {
			ok = true
			if !c.Negate {
				p.rc = backrefs{groups: m.Groups, ok: m.Matched}
			}
		}
	}
	if c.Negate {
		ok = !ok
	}
	if p.trace {
		p.res.Trace = append(p.res.Trace, Step{Kind: StepCond, Cond: c, Pos: c.Pos, Input: input, Matched: ok, Round: p.round})
	}
	return ok
}

// exprContext lets an expr condition read the request.
type exprContext struct{ p *pass }

func (c exprContext) Var(name string) string {
	switch name {
	case "QUERY_STRING":
		return c.p.args
	case "REQUEST_FILENAME", "SCRIPT_FILENAME":
		return c.p.filename
	}
	return c.p.lookupVar(name)
}

func (c exprContext) Table(table, key string) (string, bool) {
	switch table {
	case "req", "http":
		return c.p.req.Header(key)
	case "reqenv", "env":
		v := c.p.env(key)
		return v, v != ""
	}
	return "", false
}

func (c exprContext) AddVary(h string) {
	if c.p.varyThis == "" {
		c.p.varyThis = h
	} else {
		c.p.varyThis += ", " + h
	}
}
