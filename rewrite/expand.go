package rewrite

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// backrefs are the captures $N (of the rule) or %N (of the last
// condition that matched): nil groups means none.
type backrefs struct {
	groups []string
	ok     []bool
}

func (b *backrefs) get(n int) (string, bool) {
	if n >= len(b.groups) || !b.ok[n] {
		return "", false
	}
	return b.groups[n], true
}

// expand is httpd's do_expand: one pass over s replacing "\c" by c,
// "%{VAR}" by a variable, "${map:key|default}" by a map look-up, "$N" by
// the rule's capture and "%N" by the last condition's; a capture is
// escaped when rule has [B]. With qmark non-nil it records whether the
// '?' that splits off the query ([QSL]: the last one) came from the
// literal text (0) or from an expansion (1); it stays -1 without one.
func (p *pass) expand(s string, rule *directives.RewriteRule, qmark *int) string {
	if strings.IndexAny(s, `\$%`) < 0 {
		if qmark != nil && strings.IndexByte(s, '?') >= 0 {
			*qmark = 0
		}
		return s
	}
	qslast := rule != nil && rule.Flags.Bits&directives.RuleQSLast != 0
	track := qmark != nil
	b := p.buf[:0]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '?' && track:
			*qmark = 0
			if !qslast {
				track = false
			}
			b = append(b, c)
			i++
			continue
		case c != '\\' && c != '$' && c != '%':
			b = append(b, c)
			i++
			continue
		case c == '\\':
			if i+1 >= len(s) {
				b = append(b, c)
				i++
				continue
			}
			b = append(b, s[i+1])
			i += 2
			continue
		}
		// '$' or '%'
		if i+1 < len(s) && s[i+1] == '{' {
			end := closingCurly(s, i+2)
			if end < 0 {
				b = append(b, s[i:i+2]...)
				i += 2
				continue
			}
			var val string
			if c == '%' {
				val = p.lookupVar(s[i+2 : end])
			} else {
				inner := s[i+2 : end]
				colon := charInCurlies(inner, ':')
				if colon < 0 {
					b = append(b, s[i:i+2]...)
					i += 2
					continue
				}
				name, key := inner[:colon], inner[colon+1:]
				dflt, hasDflt := "", false
				if bar := charInCurlies(key, '|'); bar >= 0 {
					key, dflt, hasDflt = key[:bar], key[bar+1:], true
				}
				p.buf = b
				k := p.expandCopy(key, rule)
				v, ok := p.lookupMap(name, k)
				if !ok && hasDflt && dflt != "" {
					v = p.expandCopy(dflt, rule)
				}
				b = p.buf
				val = v
			}
			b = append(b, val...)
			if track && strings.IndexByte(val, '?') >= 0 {
				*qmark = 1
				if !qslast {
					track = false
				}
			}
			i = end + 1
			continue
		}
		if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			n := int(s[i+1] - '0')
			br := &p.rc
			if c == '$' {
				br = &p.rr
			}
			if v, ok := br.get(n); ok && v != "" {
				if rule != nil && rule.Flags.Bits&directives.RuleEscapeBackref != 0 {
					v = escapeBackref(v, rule.Flags.Escapes, rule.Flags.NoEscapes, rule.Flags.Bits)
				}
				b = append(b, v...)
				if track && strings.IndexByte(v, '?') >= 0 {
					*qmark = 1
					if !qslast {
						track = false
					}
				}
			}
			i += 2
			continue
		}
		b = append(b, c)
		i++
	}
	p.buf = b
	return string(b)
}

// expandCopy expands s without disturbing the buffer of an expansion in
// progress (map keys and defaults).
func (p *pass) expandCopy(s string, rule *directives.RewriteRule) string {
	saved := p.buf
	p.buf = make([]byte, 0, len(s)+16)
	out := p.expand(s, rule, nil)
	p.buf = saved
	return out
}

// closingCurly returns the index of the '}' closing a '{' just before
// s[from], counting nested braces; -1 when none.
func closingCurly(s string, from int) int {
	depth := 1
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		case '{':
			depth++
		}
	}
	return -1
}

// charInCurlies returns the index of c in s outside nested braces, -1
// when a '}' closes the level first or c does not occur.
func charInCurlies(s string, c byte) int {
	depth := 1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == c && depth == 1:
			return i
		case s[i] == '}':
			depth--
			if depth == 0 {
				return -1
			}
		case s[i] == '{':
			depth++
		}
	}
	return -1
}

// escapeBackref is mod_rewrite's escape_backref: with [B] every
// character but letters, digits and '_' is %-escaped (a space as '+'
// unless [BNP]); [B=chars] escapes only those; [BNE=chars] leaves those
// alone; [BCTLS] escapes only controls and spaces.
func escapeBackref(s, escapes, noescapes string, flags directives.RuleFlag) string {
	noplus := flags&directives.RuleEscapeNoPlus != 0
	ctls := flags&directives.RuleEscapeCtls != 0
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		var want bool
		if ctls {
			want = !vcharObstext(c)
		} else {
			want = escapes == ""
		}
		if escapes != "" && strings.IndexByte(escapes, c) >= 0 {
			want = true
		}
		if want && (noescapes == "" || strings.IndexByte(noescapes, c) < 0) {
			switch {
			case isAlnum(c) || c == '_':
				b.WriteByte(c)
			case c == ' ' && !noplus:
				b.WriteByte('+')
			default:
				writeHex(&b, c)
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

func writeHex(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// vcharObstext is httpd's T_VCHAR_OBSTEXT: a visible character or
// obs-text, not a control and not a space.
func vcharObstext(c byte) bool { return c > ' ' && c != 0x7f }

// headerVars are the %{NAME} variables that read a request header.
var headerVars = map[string]string{
	"HTTP_HOST":             "Host",
	"HTTP_ACCEPT":           "Accept",
	"HTTP_COOKIE":           "Cookie",
	"HTTP_REFERER":          "Referer",
	"HTTP_FORWARDED":        "Forwarded",
	"HTTP_USER_AGENT":       "User-Agent",
	"HTTP_PROXY_CONNECTION": "Proxy-Connection",
}

// lookupVar is httpd's lookup_variable for %{var}.
func (p *pass) lookupVar(v string) string {
	if len(v) < 4 {
		return ""
	}
	if v[3] == ':' && len(v) > 4 {
		switch {
		case strings.EqualFold(v[:3], "ENV"):
			return p.env(v[4:])
		case strings.EqualFold(v[:3], "SSL"):
			// mod_ssl is not serving: every SSL variable is empty.
			return ""
		}
		return ""
	}
	if len(v) > 5 && v[4] == ':' {
		switch {
		case strings.EqualFold(v[:4], "HTTP"):
			return p.header(v[5:])
		case strings.EqualFold(v[:4], "LA-U"), strings.EqualFold(v[:4], "LA-F"):
			// Look-ahead without a sub-request: the current
			// request's value.
			return p.lookupVar(v[5:])
		}
		return ""
	}
	name := strings.ToUpper(v)
	if h, ok := headerVars[name]; ok {
		return p.header(h)
	}
	switch name {
	case "QUERY_STRING":
		return p.args
	case "REQUEST_FILENAME", "SCRIPT_FILENAME":
		return p.filename
	case "IS_SUBREQ":
		return "false"
	case "API_VERSION":
		return "20120211:140"
	case "SCRIPT_USER", "SCRIPT_GROUP":
		return "<unknown>"
	case "TIME", "TIME_YEAR", "TIME_MON", "TIME_DAY", "TIME_HOUR", "TIME_MIN", "TIME_SEC", "TIME_WDAY":
		return timeVar(name, p.now())
	case "REQUEST_URI", "REQUEST_METHOD", "THE_REQUEST", "SERVER_PROTOCOL", "REQUEST_SCHEME",
		"HTTPS", "SERVER_NAME", "SERVER_PORT", "SERVER_ADDR", "SERVER_ADMIN", "SERVER_SOFTWARE",
		"REMOTE_ADDR", "REMOTE_PORT", "REMOTE_HOST", "REMOTE_USER", "REMOTE_IDENT", "AUTH_TYPE",
		"CONN_REMOTE_ADDR", "IPV6", "DOCUMENT_ROOT", "CONTEXT_PREFIX", "CONTEXT_DOCUMENT_ROOT", "PATH_INFO":
		if name == "HTTPS" {
			if v := p.req.Var(name); v != "" {
				return v
			}
			return "off"
		}
		return p.req.Var(name)
	}
	return ""
}

func (p *pass) now() time.Time {
	if p.clock != nil {
		return p.clock()
	}
	return time.Now()
}

func timeVar(name string, t time.Time) string {
	two := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	switch name {
	case "TIME":
		return t.Format("20060102150405")
	case "TIME_YEAR":
		return t.Format("2006")
	case "TIME_MON":
		return two(int(t.Month()))
	case "TIME_DAY":
		return two(t.Day())
	case "TIME_HOUR":
		return two(t.Hour())
	case "TIME_MIN":
		return two(t.Minute())
	case "TIME_SEC":
		return two(t.Second())
	}
	return strconv.Itoa(int(t.Weekday()))
}

// header reads a request header and notes it for Vary (lookup_header):
// Host is never added.
func (p *pass) header(name string) string {
	v, ok := p.req.Header(name)
	if ok && !strings.EqualFold(name, "Host") {
		if p.varyThis == "" {
			p.varyThis = name
		} else {
			p.varyThis += ", " + name
		}
	}
	return v
}

// env is %{ENV:name}: the values [E=] set in this pass, then the
// request's environment, then the process environment.
func (p *pass) env(name string) string {
	for i := len(p.res.Env) - 1; i >= 0; i-- {
		e := p.res.Env[i]
		if e == "!"+name {
			break
		}
		if strings.HasPrefix(e, name) && len(e) > len(name) && e[len(name)] == ':' {
			return e[len(name)+1:]
		}
	}
	if v, ok := p.req.Env(name); ok {
		return v
	}
	return os.Getenv(name)
}
