package directives

import (
	"fmt"
	"strings"
)

// mod_rewrite splits the arguments of RewriteRule and RewriteCond itself
// rather than with httpd's word rules: a backslash before a blank keeps the
// blank in the word (and the backslash too), quotes are not unescaped, and
// whatever follows the third word is ignored. This file reproduces that
// reader and the reader of the [flag,flag=value] field byte for byte, so
// that odd input gets httpd's answer.

// rewriteArgs is a RewriteRule or RewriteCond argument line split as
// mod_rewrite splits it.
type rewriteArgs struct {
	a1, a2, a3 string
	hasA3      bool
	// a2Last is the byte httpd finds just before the end of the second
	// word: its last byte, or 0 (or the opening quote) when it is empty.
	a2Last byte
}

// cSpace is C's isspace in the "C" locale.
func cSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// cString cuts s at its first NUL, as C would read it.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// scanRewriteWord reads one word of a rewrite argument line starting at i
// (blanks already skipped): an optional opening quote, then bytes up to a
// blank (unquoted) or the same quote. It returns the word's bounds and
// where the scan stopped (len(s) at the end of the line).
func scanRewriteWord(s string, i int) (start, stop int) {
	var quote byte
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		quote = s[i]
		i++
	}
	start = i
	for i < len(s) {
		c := s[i]
		if (quote == 0 && cSpace(c)) || (quote != 0 && c == quote) {
			break
		}
		if c == '\\' && i+1 < len(s) && cSpace(s[i+1]) {
			i += 2
			continue
		}
		i++
	}
	return start, i
}

func skipCSpace(s string, i int) int {
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	return i
}

// parseRewriteArgs is mod_rewrite's parseargline: two words are required,
// a third is optional. ok is false when the line ends inside the first
// word.
func parseRewriteArgs(line string) (args rewriteArgs, ok bool) {
	s := cString(line)
	i := skipCSpace(s, 0)
	start, stop := scanRewriteWord(s, i)
	if stop >= len(s) {
		return args, false
	}
	args.a1 = s[start:stop]

	i = skipCSpace(s, stop+1)
	start, stop = scanRewriteWord(s, i)
	args.a2 = s[start:stop]
	if stop > start {
		args.a2Last = s[stop-1]
	}
	if stop >= len(s) {
		return args, true
	}

	i = skipCSpace(s, stop+1)
	if i >= len(s) {
		return args, true
	}
	start, stop = scanRewriteWord(s, i)
	args.a3, args.hasA3 = s[start:stop], true
	return args, true
}

// parseFlagField is mod_rewrite's cmd_parseflagfield: field must be
// "[…]"; each comma-separated flag, trimmed of blanks and split at its
// first '=', goes to set as key and value (value "" when there is no
// '='). It works on a copy of the field with NUL bytes written where httpd
// writes them, so that empty flags, blanks before commas and the like
// come out as httpd reads them.
func parseFlagField(field string, set func(key, val string) error) error {
	if field == "" || field[0] != '[' || field[len(field)-1] != ']' {
		return errString("bad flag delimiters")
	}
	buf := []byte(field)
	buf[len(buf)-1] = ','
	buf = append(buf, 0)
	str := func(i int) string {
		end := i
		for buf[end] != 0 {
			end++
		}
		return string(buf[i:end])
	}
	key := 1
	for buf[key] != 0 {
		for cSpace(buf[key]) {
			key++
		}
		if buf[key] == 0 {
			break
		}
		next := strings.IndexByte(str(key), ',')
		if next < 0 {
			break
		}
		next += key
		end := next - 1
		for cSpace(buf[end]) {
			end--
		}
		end++
		buf[end] = 0
		val := ""
		if eq := strings.IndexByte(str(key), '='); eq >= 0 {
			buf[key+eq] = 0
			val = str(key + eq + 1)
		} else {
			val = str(end)
		}
		if err := set(str(key), val); err != nil {
			return err
		}
		key = next + 1
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// setCondFlag is mod_rewrite's cmd_rewritecond_setflag.
func setCondFlag(flags *CondFlag) func(key, val string) error {
	return func(key, _ string) error {
		switch {
		case strings.EqualFold(key, "nocase"), strings.EqualFold(key, "NC"):
			*flags |= CondNoCase
		case strings.EqualFold(key, "ornext"), strings.EqualFold(key, "OR"):
			*flags |= CondOrNext
		case strings.EqualFold(key, "novary"), strings.EqualFold(key, "NV"):
			*flags |= CondNoVary
		default:
			return fmt.Errorf("unknown flag '%s'", key)
		}
		return nil
	}
}

// newRuleFlags returns the flags of a rule before its flag field is read.
func newRuleFlags() RuleFlags {
	return RuleFlags{Status: 302, MaxRounds: DefaultMaxRounds}
}

// setRuleFlag is mod_rewrite's cmd_rewriterule_setflag: one flag of a
// RewriteRule, with its value.
func (rf *RuleFlags) setRuleFlag(key, val string) error {
	unknown := fmt.Errorf("unknown flag '%s'", key)
	if key == "" {
		return unknown
	}
	rest := key[1:]
	is := func(names ...string) bool {
		for _, n := range names {
			if strings.EqualFold(rest, n) {
				return true
			}
		}
		return false
	}
	switch key[0] | 0x20 {
	case 'b':
		switch {
		case is("", "ackrefescaping"):
			rf.Bits |= RuleEscapeBackref
			if val != "" {
				rf.Escapes = val
			}
		case is("NE"):
			if val == "" {
				return errString("flag 'BNE' wants a list of characters (i.e. [BNE=...])")
			}
			rf.NoEscapes = val
		case is("NP", "ackrefernoplus"):
			rf.Bits |= RuleEscapeNoPlus
		case is("CTLS"):
			rf.Bits |= RuleEscapeCtls | RuleEscapeBackref
		default:
			return unknown
		}
	case 'c':
		switch {
		case is("", "hain"):
			rf.Bits |= RuleChain
		case is("O", "ookie"):
			rf.Cookies = append(rf.Cookies, val)
		default:
			return unknown
		}
	case 'd':
		// httpd accepts any flag starting with D; only these mean DPI.
		if is("", "PI", "iscardpath") {
			rf.Bits |= RuleDiscardPathInfo
		}
	case 'e':
		switch {
		case is("", "nv"):
			rf.Env = append(rf.Env, val)
		case is("nd"):
			rf.Bits |= RuleEnd
		default:
			return unknown
		}
	case 'f':
		if !is("", "orbidden") {
			return unknown
		}
		rf.Bits |= RuleStatus | RuleNoSub
		rf.Status = 403
	case 'g':
		if !is("", "one") {
			return unknown
		}
		rf.Bits |= RuleStatus | RuleNoSub
		rf.Status = 410
	case 'h':
		if !is("", "andler") {
			return unknown
		}
		rf.Handler.Val, rf.Handler.Set = val, true
	case 'l':
		if !is("", "ast") {
			return unknown
		}
		rf.Bits |= RuleLast
	case 'n':
		switch {
		case is("E", "oescape"):
			rf.Bits |= RuleNoEscape
		case is("", "ext"):
			rf.Bits |= RuleNext
			if val != "" {
				rf.MaxRounds = cAtoi(val)
			}
		case is("S", "osubreq"):
			rf.Bits |= RuleNoSubreq
		case is("C", "ocase"):
			rf.Bits |= RuleNoCase
		default:
			return unknown
		}
	case 'p':
		switch {
		case is("", "roxy"):
			rf.Bits |= RuleProxy
		case is("T", "assthrough"):
			rf.Bits |= RulePassThrough
		default:
			return unknown
		}
	case 'q':
		switch {
		case is("SA", "sappend"):
			rf.Bits |= RuleQSAppend
		case is("SD", "sdiscard"):
			rf.Bits |= RuleQSDiscard
		case is("SL", "slast"):
			rf.Bits |= RuleQSLast
		default:
			return unknown
		}
	case 'r':
		if !is("", "edirect") {
			return unknown
		}
		return rf.setRedirect(val)
	case 's':
		if !is("", "kip") {
			return unknown
		}
		rf.Skip = cAtoi(val)
	case 't':
		if !is("", "ype") {
			return unknown
		}
		rf.Type.Val, rf.Type.Set = val, true
	case 'u':
		switch {
		case is("nsafePrefixStat"):
			rf.Bits |= RuleUnsafePrefixStat
		case is("nsafeAllow3F"):
			rf.Bits |= RuleUnsafeAllow3F
		case is("NC"):
			rf.Bits |= RuleUNC
		default:
			return unknown
		}
	default:
		return unknown
	}
	return nil
}

// setRedirect reads [R] and [R=code]: a name (permanent, temp,
// seeother), or a number httpd knows as a status (any 3xx redirects, other
// codes answer with that status and no substitution).
func (rf *RuleFlags) setRedirect(val string) error {
	rf.Bits |= RuleRedirect
	if val == "" {
		return nil
	}
	status := 0
	switch {
	case strings.EqualFold(val, "permanent"):
		status = 301
	case strings.EqualFold(val, "temp"):
		status = 302
	case strings.EqualFold(val, "seeother"):
		status = 303
	case val[0] >= '0' && val[0] <= '9':
		status = cAtoi(val)
		if status != 500 && !knownStatus(status) {
			return fmt.Errorf("invalid HTTP response code '%s' for flag 'R'", val)
		}
		if status < 300 || status > 399 {
			rf.Bits |= RuleStatus | RuleNoSub
		}
	}
	rf.Status = status
	return nil
}

// knownStatus reports whether httpd 2.4.71 has a status line for the
// code (its ap_index_of_response does not fall back to 500). Recorded from
// the live apache2 with [R=100] … [R=1000].
func knownStatus(code int) bool {
	switch {
	case code >= 100 && code <= 103,
		code >= 200 && code <= 208, code == 226,
		code >= 300 && code <= 308 && code != 306,
		code >= 400 && code <= 417, code >= 421 && code <= 424, code == 426,
		code == 428, code == 429, code == 431, code == 451,
		code >= 500 && code <= 508, code == 510, code == 511:
		return true
	}
	return false
}
