package directives

import "strings"

// hasWildcard reports whether a path segment holds an fnmatch pattern, as
// apr_fnmatch_test decides: '*' or '?', or '[' with a ']' after it; a
// backslash escapes the next character.
func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return true
			}
		}
	}
	return false
}

// fnmatch matches one file name against a pattern the way apr_fnmatch
// does with APR_FNM_PERIOD: '*' and '?' do not match a leading '.';
// '[...]' classes with ranges, negated by '!' or '^'; '\' escapes.
func fnmatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
		return false
	}
	return fnmatchAt(pattern, name)
}

func fnmatchAt(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if fnmatchAt(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			if s == "" {
				return false
			}
			ok, rest, valid := matchClass(p, s[0])
			if !valid { // no closing ']': a literal '['
				if s[0] != '[' {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			if !ok {
				return false
			}
			p, s = rest, s[1:]
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// matchClass matches c against the class at the start of p ("[...]").
func matchClass(p string, c byte) (matched bool, rest string, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return matched != negate, p[i+1:], true
		}
		first = false
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			if hi == '\\' && i+3 < len(p) {
				i++
				hi = p[i+2]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
		i++
	}
	return false, p, false
}

// FnMatch matches s against an fnmatch pattern as apr_fnmatch does with
// no flags: '*' and '?' match any character, '/' and a leading '.'
// included ('[...]' classes and '\' escapes as in fnmatch).
func FnMatch(pattern, s string) bool { return fnmatchAt(pattern, s) }

// HasWildcard is apr_fnmatch_test: whether s holds an fnmatch pattern.
func HasWildcard(s string) bool { return hasWildcard(s) }

// MatchesProxyURL is proxy_walk's test of a <Proxy> or <ProxyMatch>
// section against the backend URL a request was routed to: a regular
// expression for <ProxyMatch> (and "~"), fnmatch over the whole URL for a
// path with a wildcard, else a prefix.
func (s *Section) MatchesProxyURL(url string) bool {
	switch {
	case s.Regex != nil:
		return s.Regex.MatchString(url)
	case hasWildcard(s.Arg):
		return fnmatchAt(s.Arg, url)
	}
	return strings.HasPrefix(url, s.Arg)
}
