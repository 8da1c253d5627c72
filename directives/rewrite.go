package directives

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_rewrite (modules/mappers/mod_rewrite.c). The
// argument lines of RewriteRule and RewriteCond are read by
// rewrite_args.go; the typed result is in rewrite_config.go.
func init() {
	Register("rewrite_module", "RewriteEngine", buildRewriteEngine)
	Register("rewrite_module", "RewriteOptions", buildRewriteOptions)
	Register("rewrite_module", "RewriteBase", buildRewriteBase)
	Register("rewrite_module", "RewriteMap", buildRewriteMap)
	Register("rewrite_module", "RewriteCond", buildRewriteCond)
	Register("rewrite_module", "RewriteRule", buildRewriteRule)
}

// serverRewrite is the rewrite configuration of the directive's server,
// made on first use.
func serverRewrite(c *Cmd) *RewriteConf {
	s := c.Server()
	if s.Rewrite == nil {
		s.Rewrite = &RewriteConf{}
	}
	return s.Rewrite
}

// dirRewrite is the per-directory rewrite configuration the directive
// sets (its section's, or the server level's), made on first use.
func dirRewrite(c *Cmd) *RewriteConf {
	d := c.Dir()
	if d.Rewrite == nil {
		d.Rewrite = &RewriteConf{PerDir: true}
	}
	return d.Rewrite
}

// ruleRewrite is where RewriteRule and RewriteCond go: the server's
// configuration outside any section (httpd's cmd->path unset), the
// section's inside one.
func ruleRewrite(c *Cmd) *RewriteConf {
	if c.InDirContext() {
		return dirRewrite(c)
	}
	return serverRewrite(c)
}

func buildRewriteEngine(c *Cmd) error {
	if !c.InDirContext() {
		serverRewrite(c).Engine.Put(c.On, c.Pos)
	}
	dirRewrite(c).Engine.Put(c.On, c.Pos)
	return nil
}

// buildRewriteOptions reads one word of RewriteOptions (an ITERATE
// directive). httpd splits each word again, so a quoted "Inherit
// MergeBase" gives two options.
func buildRewriteOptions(c *Cmd) error {
	var opts RewriteOption
	rest := c.Args[0]
	for rest != "" {
		var w string
		w, rest = parser.GetWord(rest)
		found := false
		for _, n := range rewriteOptionNames {
			if strings.EqualFold(w, n.name) {
				opts |= n.opt
				found = true
				break
			}
		}
		switch {
		case found:
		case len(w) >= 13 && strings.EqualFold(w[:13], "MaxRedirects="):
			c.Warn("AH00664", "rewrite", "RewriteOptions: MaxRedirects option has been removed in favor of the global LimitInternalRecursion directive and will be ignored.")
		default:
			return fmt.Errorf("RewriteOptions: unknown option '%s'", w)
		}
	}
	add := func(rc *RewriteConf) {
		rc.Options.Put(rc.Options.Val|opts, c.Pos)
	}
	if !c.InDirContext() {
		add(serverRewrite(c))
	}
	add(dirRewrite(c))
	return nil
}

func buildRewriteBase(c *Cmd) error {
	if !c.InDirContext() {
		return errors.New("RewriteBase: only valid in per-directory config files")
	}
	base := c.Args[0]
	if base == "" {
		return errors.New("RewriteBase: empty URL not allowed")
	}
	if base[0] != '/' {
		return errors.New("RewriteBase: argument is not a valid URL")
	}
	dirRewrite(c).Base.Put(base, c.Pos)
	return nil
}

// rewriteMapFuncs are the int: maps httpd registers.
var rewriteMapFuncs = map[string]bool{"toupper": true, "tolower": true, "escape": true, "unescape": true}

// dbmTypes are the DBM flavours Debian's APR can open ("default" is db).
var dbmTypes = map[string]bool{"default": true, "db": true, "gdbm": true, "sdbm": true}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func buildRewriteMap(c *Cmd) error {
	name, src := c.Args[0], c.Args[1]
	m := &RewriteMap{Name: name, Source: src, Pos: c.Pos}
	root := c.Config().ServerRoot
	check := ""
	switch {
	case hasPrefixFold(src, "txt:"), hasPrefixFold(src, "rnd:"):
		m.Type = MapTxt
		if hasPrefixFold(src, "rnd:") {
			m.Type = MapRnd
		}
		m.File = aprServerRootRelative(root, src[4:])
		check = m.File
	case hasPrefixFold(src, "dbm"):
		m.Type = MapDBM
		file, ok := "", false
		switch {
		case len(src) > 3 && src[3] == ':':
			m.DBMType, file, ok = "default", src[4:], true
		case len(src) > 3 && src[3] == '=':
			if i := strings.IndexByte(src[4:], ':'); i >= 0 {
				m.DBMType, file, ok = src[4:4+i], src[4+i+1:], true
			}
		}
		if !ok {
			return fmt.Errorf("RewriteMap: bad map:%s", src)
		}
		m.File = aprServerRootRelative(root, file)
		if !dbmTypes[strings.ToLower(m.DBMType)] {
			return fmt.Errorf("RewriteMap: dbm type %s is invalid", m.DBMType)
		}
		check = m.File
		if strings.EqualFold(m.DBMType, "sdbm") {
			check += ".dir"
		}
	case hasPrefixFold(src, "dbd:"), hasPrefixFold(src, "fastdbd:"):
		if !c.ModuleLoaded("dbd_module") {
			return errors.New("RewriteMap types dbd and fastdbd require mod_dbd!")
		}
		if src[0] == 'd' || src[0] == 'D' {
			m.Type, m.Query = MapDBD, src[4:]
		} else {
			m.Type, m.Query = MapFastDBD, src[8:]
		}
	case hasPrefixFold(src, "prg:"):
		m.Type = MapPrg
		m.Argv = tokenizeToArgv(src[4:])
		prog := ""
		if len(m.Argv) > 0 {
			prog = m.Argv[0]
		}
		prog = aprServerRootRelative(root, prog)
		if len(m.Argv) > 0 {
			m.Argv[0] = prog
		} else {
			m.Argv = []string{prog}
		}
		check = prog
		if len(c.Args) > 2 {
			m.User, m.Group = splitUserGroup(c.Args[2])
		}
	case hasPrefixFold(src, "int:"):
		m.Type, m.Func = MapInt, src[4:]
		if !rewriteMapFuncs[m.Func] {
			return fmt.Errorf("RewriteMap: internal map not found:%s", m.Func)
		}
	default:
		m.Type = MapTxt
		m.File = aprServerRootRelative(root, src)
		check = m.File
	}
	if check != "" {
		if _, err := os.Stat(check); err != nil {
			return fmt.Errorf("RewriteMap: file for map %s not found:%s", name, check)
		}
	}
	rc := serverRewrite(c)
	if rc.Maps == nil {
		rc.Maps = map[string]*RewriteMap{}
	}
	rc.Maps[name] = m
	return nil
}

// splitUserGroup reads a prg map's "user:group" as apr_strtok does:
// empty fields are skipped.
func splitUserGroup(s string) (user, group string) {
	var parts []string
	for _, p := range strings.Split(s, ":") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) > 0 {
		user = parts[0]
	}
	if len(parts) > 1 {
		group = parts[1]
	}
	return user, group
}

// aprServerRootRelative is ap_server_root_relative as APR merges paths:
// relative paths go under root, "." and ".." segments and repeated slashes
// are resolved, a trailing slash is kept (an empty path gives the root
// with a slash).
func aprServerRootRelative(root, p string) string {
	if p == "" {
		// APR merges an empty path into the root directory, slash kept.
		return strings.TrimSuffix(root, "/") + "/"
	}
	out := p
	if !filepath.IsAbs(p) {
		out = filepath.Join(root, p)
	}
	out = filepath.Clean(out)
	if strings.HasSuffix(p, "/") && out != "/" {
		out += "/"
	}
	return out
}

// tokenizeToArgv is apr_tokenize_to_argv: words split at blanks and tabs,
// double or single quotes group, a backslash escapes the next character.
func tokenizeToArgv(s string) []string {
	var argv []string
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	skip()
	for i < len(s) {
		var quote byte
		if s[i] == '"' || s[i] == '\'' {
			quote = s[i]
			i++
		}
		start := i
		for i < len(s) {
			ch := s[i]
			if ch == '\\' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t' || s[i+1] == '"' || s[i+1] == '\'') {
				i += 2
				continue
			}
			if (quote == 0 && (ch == ' ' || ch == '\t')) || (quote != 0 && ch == quote) {
				break
			}
			i++
		}
		var b strings.Builder
		escaped := false
		for _, ch := range []byte(s[start:i]) {
			if !escaped && ch == '\\' {
				escaped = true
				continue
			}
			escaped = false
			b.WriteByte(ch)
		}
		argv = append(argv, b.String())
		if i < len(s) {
			i++
		}
		skip()
	}
	return argv
}

func buildRewriteCond(c *Cmd) error {
	rc := ruleRewrite(c)
	args, ok := parseRewriteArgs(c.Raw)
	if !ok {
		return fmt.Errorf("RewriteCond: bad argument line '%s'", cString(c.Raw))
	}
	cond := &RewriteCond{Input: args.a1, Written: args.a2, Pos: c.Pos}
	if args.hasA3 {
		cond.FlagsRaw = args.a3
		if err := parseFlagField(args.a3, setCondFlag(&cond.Flags)); err != nil {
			return fmt.Errorf("RewriteCond: %s", err)
		}
	}
	p := args.a2
	if strings.HasPrefix(p, "!") {
		cond.Negate = true
		p = p[1:]
	}
	cond.Kind, p = condKind(args.a1, p, &cond.Negate)
	if cond.Kind != CondRegex && !cond.Kind.IsStringCompare() && cond.Flags&CondNoCase != 0 {
		c.Warn("AH00665", "rewrite", "RewriteCond: NoCase option for non-regex pattern '%s' is not supported and will be ignored. (%s:%d)",
			p, c.Pos.File, c.Line())
		cond.Flags &^= CondNoCase
	}
	cond.Pattern = p
	switch cond.Kind {
	case CondRegex:
		re, err := compileRegex(p, cond.Flags&CondNoCase != 0)
		if err != nil {
			return fmt.Errorf("RewriteCond: cannot compile regular expression '%s'", p)
		}
		cond.Regex = re
	case CondExpr:
		if err := checkExpr(p); err != nil {
			return fmt.Errorf("RewriteCond: cannot compile expression \"%s\" %s", p, err)
		}
	}
	rc.Pending = append(rc.Pending, cond)
	return nil
}

// condKind reads the operator at the start of a RewriteCond pattern (the
// '!' already taken off) and returns the kind with the rest of the
// pattern, as httpd decides it: "expr" as test string makes an
// expression; -f, -s, -d, -x, -h, -l, -L, -U, -F stand alone; -lt, -le,
// -eq, -ne, -gt, -ge need something after them; <, <=, >, >=, = prefix a
// string ("=" followed by exactly `""` compares with the empty string).
// Anything else is a regular expression.
func condKind(input, p string, negate *bool) (CondKind, string) {
	if strings.EqualFold(input, "expr") {
		return CondExpr, p
	}
	if len(p) < 2 {
		return CondRegex, p
	}
	if p[0] == '-' {
		if len(p) == 2 {
			switch p[1] {
			case 'f':
				return CondFileExists, p
			case 's':
				return CondFileSize, p
			case 'd':
				return CondDir, p
			case 'x':
				return CondExecutable, p
			case 'h', 'L', 'l':
				return CondSymlink, p
			case 'U':
				return CondURLLookup, p
			case 'F':
				return CondFileLookup, p
			}
			return CondRegex, p
		}
		if len(p) < 4 {
			return CondRegex, p
		}
		switch p[1:3] {
		case "lt":
			return CondIntLT, p[3:]
		case "le":
			return CondIntLE, p[3:]
		case "gt":
			return CondIntGT, p[3:]
		case "ge":
			return CondIntGE, p[3:]
		case "eq":
			return CondIntEQ, p[3:]
		case "ne":
			*negate = !*negate
			return CondIntEQ, p[3:]
		}
		return CondRegex, p
	}
	switch p[0] {
	case '>':
		if p[1] == '=' {
			return CondStrGE, p[2:]
		}
		return CondStrGT, p[1:]
	case '<':
		if p[1] == '=' {
			return CondStrLE, p[2:]
		}
		return CondStrLT, p[1:]
	case '=':
		if p[1:] == `""` {
			return CondStrEQ, ""
		}
		return CondStrEQ, p[1:]
	}
	return CondRegex, p
}

func buildRewriteRule(c *Cmd) error {
	rc := ruleRewrite(c)
	args, ok := parseRewriteArgs(c.Raw)
	if !ok {
		return fmt.Errorf("RewriteRule: bad argument line '%s'", cString(c.Raw))
	}
	r := &RewriteRule{Flags: newRuleFlags(), Pos: c.Pos}
	if args.hasA3 {
		r.Flags.Raw = args.a3
		if err := parseFlagField(args.a3, r.Flags.setRuleFlag); err != nil {
			return fmt.Errorf("RewriteRule: %s", err)
		}
	}
	pat := args.a1
	if strings.HasPrefix(pat, "!") {
		r.Negate = true
		pat = pat[1:]
	}
	re, err := compileRegex(pat, r.Flags.Has(RuleNoCase))
	if err != nil {
		return fmt.Errorf("RewriteRule: cannot compile regular expression '%s'", pat)
	}
	r.Pattern, r.Regex = pat, re

	r.Substitution = args.a2
	if r.Substitution == "-" {
		r.Flags.Bits |= RuleNoSub
	}
	switch {
	case args.a2Last == '?':
		if r.Flags.Has(RuleQSAppend) {
			// With QSA, the query string written in the substitution
			// goes last.
			r.Flags.Bits |= RuleQSLast
		} else {
			// A trailing '?' drops the request's query string; httpd
			// removes the '?' itself.
			r.Flags.Bits |= RuleQSNone
			r.Substitution = r.Substitution[:len(r.Substitution)-1]
		}
	case r.Flags.Has(RuleQSDiscard) && !strings.Contains(r.Substitution, "?"):
		r.Flags.Bits |= RuleQSNone
	}
	r.Conds, rc.Pending = rc.Pending, nil
	rc.Rules = append(rc.Rules, r)
	return nil
}
