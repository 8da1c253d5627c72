package rewrite

import (
	"os"
	"strings"
	"time"
)

// statFn is os.Stat; tests replace it.
var statFn = os.Stat

// cookie is add_cookie for one expanded [CO=] value:
// "NAME:VALUE:DOMAIN[:lifetime[:path[:secure[:httponly[:samesite]]]]]"
// (';' separates instead when the value starts with one). It returns
// the Set-Cookie value, "" when NAME, VALUE or DOMAIN is missing or the
// cookie was already set in this pass.
func (p *pass) cookie(s string) string {
	sep := ":"
	if strings.HasPrefix(s, ";") {
		sep, s = ";", s[1:]
	}
	var tok []string
	for _, t := range strings.Split(s, sep) {
		if t != "" {
			tok = append(tok, t)
		}
	}
	if len(tok) < 3 {
		return ""
	}
	for _, c := range p.res.Cookies {
		if strings.HasPrefix(c, tok[0]+"=") {
			return ""
		}
	}
	get := func(i int) string {
		if i < len(tok) {
			return tok[i]
		}
		return ""
	}
	path := get(4)
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(tok[0] + "=" + tok[1] + "; path=" + path + "; domain=" + tok[2])
	if exp := get(3); exp != "" {
		if min := atoi(exp); min != 0 {
			t := p.now().UTC().Add(time.Duration(min) * time.Minute)
			b.WriteString("; expires=" + t.Format("Mon, 02-Jan-2006 15:04:05 GMT"))
		}
	}
	truthy := func(v, word string) bool {
		return strings.EqualFold(v, "true") || v == "1" || strings.EqualFold(v, word)
	}
	if truthy(get(5), "secure") {
		b.WriteString("; secure")
	}
	if truthy(get(6), "HttpOnly") {
		b.WriteString("; HttpOnly")
	}
	if ss := get(7); ss != "" && ss != "0" && !strings.EqualFold(ss, "false") {
		b.WriteString("; SameSite=" + ss)
	}
	return b.String()
}
