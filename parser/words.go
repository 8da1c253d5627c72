package parser

import "strings"

// isSpace reports whether c is white space as httpd's configuration reader
// sees it (apr_isspace in the C locale): space, \t, \n, \v, \f and \r.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// trimSpace removes leading and trailing white space as isSpace defines it.
func trimSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := len(s)
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// skipSpace returns s without its leading white space.
func skipSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

// GetWord splits the first word off s the way httpd's ap_getword_conf does,
// and returns it together with the rest of s.
//
// Leading white space is skipped. A word that starts with a double or a
// single quote runs to the next unescaped quote of the same kind, or to the
// end of s if there is none; inside it \\ stands for one backslash and a
// backslash before that quote for the quote itself, and every other
// backslash is kept. Text right after the closing quote starts a new word.
// Any other word runs to the next white space, and in it \\ stands for one
// backslash while \" and \' are kept as written. A quote in the middle of a
// word is an ordinary character.
//
// rest is the remainder of s after the word with its leading white space
// skipped; it is always a suffix of s. If s holds only white space, word
// and rest are both empty.
//
// httpd reads C strings, so s is expected to hold no NUL byte (Parse ends a
// physical line at one, as httpd does); GetWord treats NUL as an ordinary
// character.
func GetWord(s string) (word, rest string) {
	s = skipSpace(s)
	if s == "" {
		return "", ""
	}
	var end int
	if q := s[0]; q == '"' || q == '\'' {
		i := 1
		for i < len(s) && s[i] != q {
			if s[i] == '\\' && i+1 < len(s) && (s[i+1] == q || s[i+1] == '\\') {
				i += 2
			} else {
				i++
			}
		}
		word = unescape(s[1:i], q)
		end = i
		if end < len(s) {
			end++ // the closing quote
		}
	} else {
		i := 0
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		word = unescape(s[:i], 0)
		end = i
	}
	return word, skipSpace(s[end:])
}

// unescape does what httpd's substring_conf does to the text of a word:
// \\ becomes \ and, when quote is not 0, a backslash before quote becomes
// quote. All other characters, backslashes included, are kept.
func unescape(s string, quote byte) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || (quote != 0 && s[i+1] == quote)) {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Words splits s into all its words by calling GetWord until nothing is
// left. An empty quoted word ("" or ”) is a word; white space alone is
// none.
func Words(s string) []string {
	var words []string
	rest := skipSpace(s)
	for rest != "" {
		var w string
		w, rest = GetWord(rest)
		words = append(words, w)
	}
	return words
}

// SplitDirective splits a logical line into a directive name and its raw
// argument text, as httpd's ap_build_config_sub does once ${VAR}
// substitution has been applied to the line.
//
// The name is the first word, read with GetWord. Unless its second
// character is '/', a trailing '>' is removed from it, and a name starting
// with '<' that has no argument text gets args ">" (so "<Location>" yields
// "<Location", ">"). A closing tag such as "</Location>" is returned
// unchanged. args is the text after the first word with leading white
// space skipped; it is not split further.
//
// A line whose first word is empty (a blank line, or one that starts with
// "" or ”) yields an empty name and args; httpd ignores such a line. A
// first word of just ">" also yields an empty name, which httpd does not
// ignore but reports as the invalid command ”; GetWord tells the two
// cases apart.
func SplitDirective(line string) (name, args string) {
	name, args = GetWord(line)
	if name == "" {
		return "", ""
	}
	if len(name) < 2 || name[1] != '/' {
		name = stripTag(name)
		if name != "" && name[0] == '<' && args == "" {
			args = ">"
		}
	}
	return name, args
}

// stripTag removes a trailing '>' from a first word whose second character
// is not '/', as ap_build_config_sub does: "<Location>" becomes
// "<Location", and "</Location>" stays as it is.
func stripTag(word string) string {
	if len(word) < 2 || word[1] != '/' {
		return strings.TrimSuffix(word, ">")
	}
	return word
}

// equalFoldASCII reports whether a and b are equal under ASCII case
// folding, as httpd's ap_cstr_casecmp compares them.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// GetWord2 is httpd's ap_getword_conf2: GetWord, except that a word
// starting with '{' runs to the matching '}' (braces nest; \\ stands for
// one backslash), for expressions written in braces.
func GetWord2(s string) (word, rest string) {
	s = skipSpace(s)
	if s == "" || s[0] != '{' {
		return GetWord(s)
	}
	depth, i := 1, 1
	for ; i < len(s); i++ {
		if s[i] == '}' {
			depth--
			if depth == 0 {
				break
			}
		}
		if s[i] == '{' {
			depth++
		}
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			i++
		}
	}
	word = unescape(s[1:i], 0)
	if i < len(s) {
		i++ // the closing brace
	}
	return word, skipSpace(s[i:])
}
