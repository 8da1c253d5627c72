// Package pcre is the one place Portico compiles regular expressions that
// come from an httpd configuration (ProxyPassMatch, <LocationMatch>,
// RewriteRule, RewriteCond, Header edit …). httpd uses PCRE2; Portico uses
// github.com/dlclark/regexp2, whose syntax is close to PCRE's, with the
// options that give PCRE2's defaults. Known differences are listed in the
// package tests.
package pcre

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// MatchTimeout bounds one match, so a pathological pattern cannot hold a
// request forever.
const MatchTimeout = 100 * time.Millisecond

// Flags modify how a pattern is compiled.
type Flags uint8

// Compile flags.
const (
	// IgnoreCase is httpd's AP_REG_ICASE ([NC], RegexDefaultOptions ICASE).
	IgnoreCase Flags = 1 << iota
	// NoDefault is httpd's AP_REG_NO_DEFAULT: compile without httpd's
	// default options (below).
	NoDefault
)

// Regexp is a compiled pattern.
type Regexp struct {
	src string
	re  *regexp2.Regexp
}

// Compile compiles a PCRE-style pattern with httpd's default options
// (AP_REG_DEFAULT: '.' matches a newline too, and '$' only the very end
// of the subject, not before a final newline), unless flags has
// NoDefault. The error text is regexp2's; callers wrap it in httpd's
// message for the directive.
func Compile(pattern string, flags Flags) (*Regexp, error) {
	opts := regexp2.RegexOptions(0)
	if flags&IgnoreCase != 0 {
		opts |= regexp2.IgnoreCase
	}
	src := translate(pattern, flags&NoDefault == 0)
	if flags&NoDefault == 0 {
		opts |= regexp2.Singleline
	}
	re, err := regexp2.Compile(src, opts)
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", pattern, err)
	}
	re.MatchTimeout = MatchTimeout
	return &Regexp{src: pattern, re: re}, nil
}

// String returns the source pattern.
func (r *Regexp) String() string { return r.src }

// NumSubexp returns the number of capturing groups.
func (r *Regexp) NumSubexp() int {
	return len(r.re.GetGroupNumbers()) - 1
}

// Match is the result of a successful match: group 0 is the whole match.
// A group that did not take part in the match is empty and not Matched.
type Match struct {
	// Index and End are the byte offsets in the subject where the
	// whole match starts and ends.
	Index, End int
	Groups     []string
	Matched    []bool
	Names      map[string]string // named groups that matched
}

// Group returns group i, or "" when there is no such group.
func (m *Match) Group(i int) string {
	if m == nil || i < 0 || i >= len(m.Groups) {
		return ""
	}
	return m.Groups[i]
}

// MatchString reports whether s matches. A match that runs out of time
// counts as no match.
func (r *Regexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

// FindStringMatch returns the first match in s, or nil.
func (r *Regexp) FindStringMatch(s string) *Match {
	m, err := r.re.FindStringMatch(s)
	if err != nil || m == nil {
		return nil
	}
	gs := m.Groups()
	start := byteOffset(s, 0, 0, m.Index)
	out := &Match{Index: start, End: byteOffset(s, start, m.Index, m.Index+m.Length),
		Groups: make([]string, len(gs)), Matched: make([]bool, len(gs))}
	for i, g := range gs {
		if len(g.Captures) > 0 {
			out.Groups[i] = g.String()
			out.Matched[i] = true
		}
		if g.Name != "" && !isDigits(g.Name) && len(g.Captures) > 0 {
			if out.Names == nil {
				out.Names = map[string]string{}
			}
			out.Names[g.Name] = g.String()
		}
	}
	return out
}

// byteOffset turns regexp2's rune index n into a byte offset in s,
// counting on from byte i, which is rune index from. Each byte that is
// not valid UTF-8 is one rune, as in regexp2's []rune(s).
func byteOffset(s string, i, from, n int) int {
	for ; from < n && i < len(s); from++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// translate rewrites PCRE syntax regexp2 spells differently: "(?P<name>"
// becomes "(?<name>", "(?P=name)" becomes `\k<name>`, and, for
// DOLLAR_ENDONLY, a '$' outside a character class becomes `\z` (unless
// the pattern turns multi-line mode on, where PCRE ignores the option).
func translate(p string, dollarEndOnly bool) string {
	if !strings.Contains(p, "(?P") && (!dollarEndOnly || !strings.Contains(p, "$")) {
		return p
	}
	if strings.Contains(p, "(?m") {
		dollarEndOnly = false
	}
	var b strings.Builder
	b.Grow(len(p) + 8)
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == '$' && dollarEndOnly:
			b.WriteString(`\z`)
		case strings.HasPrefix(p[i:], "(?P<"):
			b.WriteString("(?<")
			i += 3
		case strings.HasPrefix(p[i:], "(?P="):
			end := strings.IndexByte(p[i:], ')')
			if end < 0 {
				b.WriteString(p[i:])
				i = len(p)
				break
			}
			b.WriteString(`\k<` + p[i+4:i+end] + ">")
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
