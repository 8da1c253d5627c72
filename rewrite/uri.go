package rewrite

import (
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/directives"
)

// absSchemes are the schemes mod_rewrite's is_absolute_uri knows, with
// whether a query string makes sense for them.
var absSchemes = []struct {
	prefix string
	query  bool
}{
	{"ajp://", true}, {"balancer://", true}, {"ftp://", false}, {"fcgi://", true},
	{"gopher://", false}, {"http://", true}, {"https://", true}, {"h2://", true},
	{"h2c://", true}, {"ldap://", false}, {"mailto:", true}, {"news:", false},
	{"nntp://", false}, {"scgi://", true}, {"ws://", true}, {"wss://", true},
}

// absoluteURI is is_absolute_uri: the length of the scheme part
// ("http://" is 7) when uri is an absolute URI of a known scheme, else 0;
// query reports whether the scheme takes a query string.
func absoluteURI(uri string) (n int, query bool) {
	if uri == "" || uri[0] == '/' || len(uri) <= 5 {
		return 0, false
	}
	for _, s := range absSchemes {
		if len(uri) >= len(s.prefix) && strings.EqualFold(uri[:len(s.prefix)], s.prefix) {
			return len(s.prefix), s.query
		}
	}
	if len(uri) >= 5 && strings.EqualFold(uri[:5], "unix:") {
		if len(uri) >= 7 && uri[5] == '/' && uri[6] == '/' {
			return 7, true
		}
		return 5, true
	}
	return 0, false
}

// escapeURI is ap_escape_uri (ap_os_escape_path, partial): every byte
// but letters, digits and $-_.+!*'(),:;@&=/~ is %-escaped.
func escapeURI(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !pathSafe(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; pathSafe(c) {
			b.WriteByte(c)
		} else {
			writeHex(&b, c)
		}
	}
	return b.String()
}

func pathSafe(c byte) bool {
	return isAlnum(c) || strings.IndexByte("$-_.+!*'(),:;@&=/~", c) >= 0 && c != 0
}

// escapeAbsoluteURI is escape_absolute_uri: the part after the host is
// escaped (for ldap: each '?'-separated part).
func escapeAbsoluteURI(uri string, scheme int) string {
	if scheme == 0 || len(uri) < scheme {
		return uri
	}
	cp := scheme
	if uri[cp-1] == '/' {
		for cp < len(uri) && uri[cp] != '/' {
			cp++
		}
		if cp >= len(uri) || cp+1 >= len(uri) {
			return uri
		}
		cp++
		scheme = cp
		if len(uri) >= 4 && strings.EqualFold(uri[:4], "ldap") {
			parts := strings.SplitN(uri[cp:], "?", 5)
			for i := range parts {
				parts[i] = escapeURI(parts[i])
			}
			return uri[:scheme] + strings.Join(parts, "?")
		}
	}
	return uri[:scheme] + escapeURI(uri[cp:])
}

// splitQuery is splitout_queryargs: it takes the query string out of
// p.filename according to the rule's flags and sets p.args.
func (p *pass) splitQuery(flags directives.RuleFlag) {
	if flags&directives.RuleQSNone != 0 {
		p.args, p.hasArgs = "", false
		return
	}
	skip, query := absoluteURI(p.filename)
	if skip > 0 && !query {
		p.args, p.hasArgs = "", false
		return
	}
	if flags&directives.RuleQSDiscard != 0 {
		p.args, p.hasArgs = "", false
	}
	var q int
	if flags&directives.RuleQSLast != 0 {
		q = strings.LastIndexByte(p.filename[skip:], '?')
	} else {
		q = strings.IndexByte(p.filename[skip:], '?')
	}
	if q < 0 {
		return
	}
	q += skip
	newq := p.filename[q+1:]
	p.filename = p.filename[:q]
	if flags&directives.RuleQSAppend != 0 {
		if newq != "" {
			if p.hasArgs {
				p.args = newq + "&" + p.args
			} else {
				p.args = newq + "&"
			}
			p.hasArgs = true
		}
	} else {
		p.args, p.hasArgs = newq, true
	}
	if p.hasArgs {
		if p.args == "" {
			p.hasArgs = false
		} else if p.args[len(p.args)-1] == '&' {
			p.args = p.args[:len(p.args)-1]
		}
	}
}

// selfURL is the "scheme://name[:port]" fully_qualify_uri prefixes.
func (p *pass) selfURL() string {
	scheme := p.req.Var("REQUEST_SCHEME")
	if scheme == "" {
		scheme = "http"
	}
	port, _ := strconv.Atoi(p.req.Var("SERVER_PORT"))
	s := scheme + "://" + p.req.Var("SERVER_NAME")
	if !(scheme == "http" && port == 80 || scheme == "https" && port == 443) {
		s += ":" + strconv.Itoa(port)
	}
	return s
}

// fullyQualify is fully_qualify_uri.
func (p *pass) fullyQualify() {
	if p.req.Var("REQUEST_METHOD") == "CONNECT" {
		return
	}
	if n, _ := absoluteURI(p.filename); n > 0 {
		return
	}
	sep := "/"
	if strings.HasPrefix(p.filename, "/") {
		sep = ""
	}
	p.filename = p.selfURL() + sep + p.filename
}

// reduce is reduce_uri: "scheme://ourhost[:port]/path" of this server
// becomes "/path".
func (p *pass) reduce() {
	scheme := p.req.Var("REQUEST_SCHEME")
	if scheme == "" {
		scheme = "http"
	}
	l := len(scheme)
	f := p.filename
	if len(f) <= l+3 || !strings.EqualFold(f[:l], scheme) || f[l:l+3] != "://" {
		return
	}
	def := 80
	if scheme == "https" {
		def = 443
	}
	rest := f[l+3:]
	end := strings.IndexAny(rest, "/:")
	var host, url string
	port := def
	switch {
	case end < 0:
		host, url = rest, "/"
	case rest[end] == ':':
		host = rest[:end]
		pe := strings.IndexByte(rest[end:], '/')
		if pe < 0 {
			port = atoi(rest[end+1:])
			url = "/"
		} else {
			port = atoi(rest[end+1 : end+pe])
			url = rest[end+pe:]
		}
		port &= 0xffff
	default:
		host, url = rest[:end], rest[end:]
	}
	if p.sc.matchesVHost(host, port) {
		p.filename = url
		if p.sc.opts&directives.RewriteLegacyPrefixDocRoot == 0 {
			p.uriReduced = true
		}
	}
}

// atoi is C's atoi: leading blanks, a sign, then digits; 0 when none.
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			n = 1 << 31
		}
	}
	if neg {
		return -n
	}
	return n
}

// substPrefixPath is subst_prefix_path: when input starts with the
// directory match (its trailing '/' ignored) followed by '/', that part
// is replaced by subst (RewriteBase), joined with one '/'.
func substPrefixPath(input, match, subst string) string {
	l := len(match)
	if l > 0 && match[l-1] == '/' {
		l--
	}
	if !strings.HasPrefix(input, match[:l]) || len(input) <= l || input[l] != '/' {
		return input
	}
	rest := input[l+1:]
	if subst != "" && subst[len(subst)-1] != '/' {
		return subst + "/" + rest
	}
	return subst + rest
}
