package directives

import (
	"errors"
	"strconv"
	"strings"
)

// aprURI is APR's apr_uri_t: a URL split the way apr_uri_parse splits it.
// mod_proxy names workers and balancers with it, so its leniency (any
// port number, kept as written) is part of what a configuration means.
type aprURI struct {
	Scheme   string
	User     string
	Password string
	HasUser  bool // user (and maybe password) present, even if empty
	HasPass  bool
	Hostinfo string
	Hostname string
	HasHost  bool // an authority ("//…") was present
	PortStr  string
	HasPort  bool
	Port     uint16 // as APR stores it: the number truncated to 16 bits
	Path     string
	Query    string
	HasQuery bool
	Fragment string
	HasFrag  bool
}

var errURIParse = errors.New("unable to parse URL")

func isAlphaASCII(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// parseAprURI is apr_uri_parse (apr-util 1.6).
func parseAprURI(uri string) (aprURI, error) {
	var u aprURI
	s := uri
	if strings.HasPrefix(s, "/") {
		if len(s) > 1 && s[1] == '/' && (len(s) < 3 || s[2] != '/') {
			return u, u.authority(s[2:])
		}
		u.path(s)
		return u, nil
	}
	i := 0
	if i < len(s) && isAlphaASCII(s[i]) {
		i++
		for i < len(s) && (isAlphaASCII(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '+' || s[i] == '.') {
			i++
		}
	}
	rest := s
	if i > 0 && i < len(s) && s[i] == ':' {
		u.Scheme = s[:i]
		rest = s[i+1:]
	}
	if !strings.HasPrefix(rest, "//") {
		if u.Scheme == "" {
			// RFC 3986 3.3: without a scheme and an authority, the
			// first segment of a relative path cannot hold ':'.
			first := s
			if k := strings.IndexByte(s, '/'); k >= 0 {
				first = s[:k]
			}
			if strings.IndexByte(first, ':') >= 0 {
				return u, errURIParse
			}
		}
		u.path(rest)
		return u, nil
	}
	return u, u.authority(rest[2:])
}

// authority parses "[user[:password]@]host[:port]" and what follows.
func (u *aprURI) authority(s string) error {
	end := 0
	for end < len(s) && s[end] != '/' && s[end] != '?' && s[end] != '#' {
		end++
	}
	hostinfo := s[:end]
	u.Hostinfo = hostinfo
	u.HasHost = true
	if at := strings.LastIndexByte(hostinfo, '@'); at >= 0 {
		ui := hostinfo[:at]
		u.HasUser = true
		if c := strings.IndexByte(ui, ':'); c >= 0 {
			u.User, u.Password, u.HasPass = ui[:c], ui[c+1:], true
		} else {
			u.User = ui
		}
		hostinfo = hostinfo[at+1:]
	}
	var port string
	hasPort := false
	if strings.HasPrefix(hostinfo, "[") {
		rb := strings.IndexByte(hostinfo, ']')
		if rb < 0 {
			return errURIParse
		}
		u.Hostname = hostinfo[1:rb]
		if rb+1 < len(hostinfo) && hostinfo[rb+1] == ':' {
			port, hasPort = hostinfo[rb+2:], true
		}
	} else if c := strings.IndexByte(hostinfo, ':'); c >= 0 {
		u.Hostname, port, hasPort = hostinfo[:c], hostinfo[c+1:], true
	} else {
		u.Hostname = hostinfo
	}
	if hasPort {
		u.PortStr, u.HasPort = port, true
		if port != "" {
			n, rest := cStrtol(port)
			if rest != "" {
				return errURIParse
			}
			u.Port = uint16(n)
		} else {
			u.Port = uint16(aprPortOfScheme(u.Scheme))
		}
	}
	u.path(s[end:])
	return nil
}

// path parses "path[?query][#fragment]".
func (u *aprURI) path(s string) {
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		u.Path = s
		return
	}
	u.Path = s[:end]
	if s[end] == '?' {
		q := s[end+1:]
		u.HasQuery = true
		if h := strings.IndexByte(q, '#'); h >= 0 {
			u.Query, u.Fragment, u.HasFrag = q[:h], q[h+1:], true
		} else {
			u.Query = q
		}
		return
	}
	u.Fragment, u.HasFrag = s[end+1:], true
}

// unparse is apr_uri_unparse with APR_URI_UNP_REVEALPASSWORD: the port
// is written (as its original text) only when it is not the scheme's
// default.
func (u *aprURI) unparse() string {
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.HasHost {
		b.WriteString("//")
		if u.HasUser || u.HasPass {
			b.WriteString(u.User)
			if u.HasPass {
				b.WriteByte(':')
				b.WriteString(u.Password)
			}
			b.WriteByte('@')
		}
		if strings.IndexByte(u.Hostname, ':') >= 0 {
			b.WriteString("[" + u.Hostname + "]")
		} else {
			b.WriteString(u.Hostname)
		}
		if u.HasPort && u.Port != 0 && int(u.Port) != aprPortOfScheme(u.Scheme) {
			b.WriteByte(':')
			b.WriteString(u.PortStr)
		}
	}
	b.WriteString(u.Path)
	if u.HasQuery {
		b.WriteByte('?')
		b.WriteString(u.Query)
	}
	if u.HasFrag {
		b.WriteByte('#')
		b.WriteString(u.Fragment)
	}
	return b.String()
}

// aprSchemePorts is APR's table of default ports (apr_uri_port_of_scheme).
var aprSchemePorts = map[string]int{
	"http": 80, "ftp": 21, "https": 443, "gopher": 70, "ldap": 389,
	"nntp": 119, "snews": 563, "imap": 143, "pop": 110, "sip": 5060,
	"rtsp": 554, "wais": 210, "z39.50r": 210, "z39.50s": 210,
	"prospero": 191, "nfs": 2049, "tip": 3372, "acap": 674,
	"telnet": 23, "ssh": 22,
}

// proxySchemePorts adds mod_proxy's own schemes (ap_proxy_port_of_scheme).
var proxySchemePorts = map[string]int{
	"fcgi": 8000, "ajp": 8009, "scgi": 4000, "h2c": 80, "h2": 443,
	"ws": 80, "wss": 443,
}

func aprPortOfScheme(scheme string) int {
	return aprSchemePorts[strings.ToLower(scheme)]
}

// proxyPortOfScheme is ap_proxy_port_of_scheme: APR's default port, else
// mod_proxy's, else 0.
func proxyPortOfScheme(scheme string) int {
	if p := aprPortOfScheme(scheme); p != 0 {
		return p
	}
	return proxySchemePorts[strings.ToLower(scheme)]
}

// deSocketfy is ap_proxy_de_socketfy: for "unix:/path|scheme://host/…"
// the URL after '|' ("scheme:" and "scheme://" alone become
// "scheme://localhost"); other URLs unchanged. ok is false for a unix:
// URL whose part after '|' has no ':'.
func deSocketfy(url string) (string, bool) {
	if len(url) < 5 || !strings.EqualFold(url[:5], "unix:") {
		return url, true
	}
	bar := strings.IndexByte(url[5:], '|')
	if bar < 0 {
		return url, true
	}
	ret := url[5+bar+1:]
	c := strings.IndexByte(ret, ':')
	if c < 0 {
		return "", false
	}
	switch ret[c+1:] {
	case "":
		return ret + "//localhost", true
	case "//":
		return ret + "localhost", true
	}
	return ret, true
}

// splitSchemeHost returns the "scheme://host[:port]" part of a URL (up
// to the first '/' after "://"), or ok false when the URL has no
// "scheme://x" form: the check httpd makes before looking up workers and
// balancers.
func splitSchemeHost(url string) (head string, ok bool) {
	c := strings.IndexByte(url, ':')
	if c < 0 || !strings.HasPrefix(url[c:], "://") || len(url) == c+3 {
		return "", false
	}
	if k := strings.IndexByte(url[c+3:], '/'); k >= 0 {
		return url[:c+3+k], true
	}
	return url, true
}

// portString formats a port for messages.
func portString(p int) string { return strconv.Itoa(p) }
