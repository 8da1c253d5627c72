package directives

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_proxy (modules/proxy/mod_proxy.c's command table)
// and mod_proxy_wstunnel. BalancerMember is in balancer.go, the
// mod_proxy_hcheck directives in proxy_hcheck.go.
func init() {
	Register("proxy_module", "<Proxy", proxySection(false))
	Register("proxy_module", "<ProxyMatch", proxySection(true))
	Register("proxy_module", "ProxyPass", func(c *Cmd) error { return buildProxyPass(c, false) })
	Register("proxy_module", "ProxyPassMatch", func(c *Cmd) error { return buildProxyPass(c, true) })
	Register("proxy_module", "ProxyPassReverse", buildProxyPassReverse)
	Register("proxy_module", "ProxyPassReverseCookiePath", cookieMap(func(d *ProxyDir) *[]ReverseMap { return &d.CookiePaths }))
	Register("proxy_module", "ProxyPassReverseCookieDomain", cookieMap(func(d *ProxyDir) *[]ReverseMap { return &d.CookieDomains }))
	Register("proxy_module", "ProxySet", buildProxySet)
	Register("proxy_module", "ProxyRequests", proxyFlag(func(ps *ProxyServer) *Opt[bool] { return &ps.Requests }))
	Register("proxy_module", "ProxyRemote", func(c *Cmd) error { return buildProxyRemote(c, false) })
	Register("proxy_module", "ProxyRemoteMatch", func(c *Cmd) error { return buildProxyRemote(c, true) })
	Register("proxy_module", "ProxyPassInterpolateEnv", dirFlag(func(d *ProxyDir) *Opt[bool] { return &d.InterpolateEnv }))
	Register("proxy_module", "ProxyPreserveHost", dirFlag(func(d *ProxyDir) *Opt[bool] { return &d.PreserveHost }))
	Register("proxy_module", "ProxyAddHeaders", dirFlag(func(d *ProxyDir) *Opt[bool] { return &d.AddHeaders }))
	Register("proxy_module", "Proxy100Continue", dirFlag(func(d *ProxyDir) *Opt[bool] { return &d.Continue100 }))
	Register("proxy_module", "ProxyErrorOverride", buildProxyErrorOverride)
	Register("proxy_module", "ProxyBlock", func(c *Cmd) error {
		ps := &c.Server().Proxy
		ps.Block = appendUniqueFold(ps.Block, c.Args[0])
		return nil
	})
	Register("proxy_module", "NoProxy", func(c *Cmd) error {
		ps := &c.Server().Proxy
		ps.NoProxy = appendUniqueFold(ps.NoProxy, c.Args[0])
		return nil
	})
	Register("proxy_module", "ProxyReceiveBufferSize", func(c *Cmd) error {
		n := cAtoi(c.Args[0])
		if n < 512 && n != 0 {
			return errors.New("ProxyReceiveBufferSize must be >= 512 bytes, or 0 for system default.")
		}
		c.Server().Proxy.ReceiveBufferSize.Put(n, c.Pos)
		return nil
	})
	Register("proxy_module", "ProxyIOBufferSize", func(c *Cmd) error {
		n := cAtol(c.Args[0])
		if n < 512 && n != 0 {
			return errors.New("ProxyIOBufferSize must be >= 512 bytes, or 0 for system default.")
		}
		if n == 0 {
			n = 8192
		}
		c.Server().Proxy.IOBufferSize.Put(int(n), c.Pos)
		return nil
	})
	Register("proxy_module", "ProxyMaxForwards", func(c *Cmd) error {
		c.Server().Proxy.MaxForwards.Put(cAtol(c.Args[0]), c.Pos)
		return nil
	})
	Register("proxy_module", "ProxyDomain", func(c *Cmd) error {
		if !strings.HasPrefix(c.Args[0], ".") {
			return errors.New("ProxyDomain: domain name must start with a dot.")
		}
		c.Server().Proxy.Domain.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("proxy_module", "ProxyVia", proxyChoice("ProxyVia must be one of: off | on | full | block",
		map[string]ViaMode{"off": ViaOff, "on": ViaOn, "block": ViaBlock, "full": ViaFull},
		func(ps *ProxyServer) *Opt[ViaMode] { return &ps.Via }))
	Register("proxy_module", "ProxyBadHeader", proxyChoice("ProxyBadHeader must be one of: IsError | Ignore | StartBody",
		map[string]BadHeaderMode{"iserror": BadHeaderIsError, "ignore": BadHeaderIgnore, "startbody": BadHeaderStartBody},
		func(ps *ProxyServer) *Opt[BadHeaderMode] { return &ps.BadHeader }))
	Register("proxy_module", "ProxyStatus", proxyChoice("ProxyStatus must be one of: off | on | full",
		map[string]StatusMode{"off": StatusOff, "on": StatusOn, "full": StatusFull},
		func(ps *ProxyServer) *Opt[StatusMode] { return &ps.Status }))
	Register("proxy_module", "ProxyTimeout", func(c *Cmd) error {
		n := cAtoi(c.Args[0])
		if n < 1 {
			return errors.New("Proxy Timeout must be at least 1 second.")
		}
		c.Server().Proxy.Timeout.Put(time.Duration(n)*time.Second, c.Pos)
		return nil
	})
	Register("proxy_module", "BalancerGrowth", func(c *Cmd) error {
		n := cAtoi(c.Args[0])
		if n < 0 || n > 1000 {
			return errors.New("BalancerGrowth must be between 0 and 1000")
		}
		c.Server().Proxy.BalancerGrowth.Put(n, c.Pos)
		return nil
	})
	Register("proxy_module", "BalancerPersist", proxyFlag(func(ps *ProxyServer) *Opt[bool] { return &ps.BalancerPersist }))
	Register("proxy_module", "BalancerInherit", proxyFlag(func(ps *ProxyServer) *Opt[bool] { return &ps.BalancerInherit }))
	Register("proxy_module", "ProxyPassInherit", proxyFlag(func(ps *ProxyServer) *Opt[bool] { return &ps.PassInherit }))
	Register("proxy_module", "ProxySourceAddress", func(c *Cmd) error {
		// httpd resolves the address with apr_sockaddr_info_get; only
		// literal addresses are accepted without a lookup here.
		if net.ParseIP(strings.Trim(c.Args[0], "[]")) == nil {
			if _, err := net.LookupHost(c.Args[0]); err != nil {
				return errors.New("ProxySourceAddress invalid value")
			}
		}
		c.Server().Proxy.SourceAddress.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("proxy_wstunnel_module", "ProxyWebsocketFallbackToProxyHttp",
		dirFlag(func(d *ProxyDir) *Opt[bool] { return &d.WebsocketFallback }))
}

// proxyCmdPath is httpd's cmd->path as mod_proxy reads it: the path of
// the innermost section around the directive ("*If" for the <If>
// family), and false outside any section.
func proxyCmdPath(c *Cmd) (string, bool) {
	sec := c.Section()
	if sec == nil {
		return "", false
	}
	switch sec.Kind {
	case SectionIf, SectionElseIf, SectionElse:
		return "*If", true
	}
	return sec.Arg, true
}

func proxyFlag(field func(*ProxyServer) *Opt[bool]) func(*Cmd) error {
	return func(c *Cmd) error {
		field(&c.Server().Proxy).Put(c.On, c.Pos)
		return nil
	}
}

func dirFlag(field func(*ProxyDir) *Opt[bool]) func(*Cmd) error {
	return func(c *Cmd) error {
		field(&c.Dir().Proxy).Put(c.On, c.Pos)
		return nil
	}
}

// proxyChoice builds a TAKE1 directive whose value is one of a few words
// (any case).
func proxyChoice[T any](msg string, values map[string]T, field func(*ProxyServer) *Opt[T]) func(*Cmd) error {
	return func(c *Cmd) error {
		v, ok := values[strings.ToLower(c.Args[0])]
		if !ok {
			return errors.New(msg)
		}
		field(&c.Server().Proxy).Put(v, c.Pos)
		return nil
	}
}

// appendUniqueFold appends s unless the list holds it already (any case).
func appendUniqueFold(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

// proxySection builds <Proxy url [k=v …]> and <ProxyMatch regex>.
func proxySection(match bool) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		end := strings.LastIndexByte(c.Raw, '>')
		if end < 0 {
			return errors.New(c.Spec.Name + "> directive missing closing '>'")
		}
		arg := c.Raw[:end]
		path, rest := parser.GetWord(arg)
		if len(path) >= 6 && strings.EqualFold(path[:6], "proxy:") {
			path = path[6:]
		}
		kind := SectionProxy
		sec := &Section{Kind: kind, Arg: path, Pos: c.Pos}
		if match {
			sec.Kind = SectionProxyMatch
			re, err := compileRegex(path, false)
			if err != nil {
				return errors.New("Regex could not be compiled")
			}
			sec.Regex = re
		}
		c.WalkBody(sec, nil, OrAll|AccessConf|ProxyConf)
		if c.w.l.diags.Err() != nil {
			return nil
		}
		c.Server().Sections = append(c.Server().Sections, sec)
		if rest == "" {
			return nil
		}
		if match {
			return errors.New("Multiple <ProxyMatch> arguments not (yet) supported.")
		}
		if fnmatchTest(path) {
			return errors.New(c.Spec.Name + "> arguments are not supported for wildchar url.")
		}
		if !strings.Contains(path, ":") {
			return errors.New(c.Spec.Name + "> arguments are not supported for non url.")
		}
		ps := &c.Server().Proxy
		pd := &sec.Dir.Proxy
		if isBalancerURL(path) {
			b := getBalancer(ps, path)
			if b == nil {
				var err error
				if b, err = defineBalancer(c, ps, path, "/"); err != nil {
					return errors.New(c.Spec.Name + " " + err.Error())
				}
			}
			if b.Section == nil {
				b.Section = sec
			}
			pd.Balancer = b
		} else {
			real, ok := deSocketfy(path)
			if !ok {
				return errors.New(`<Proxy/ProxyMatch > uses an invalid "unix:" URL`)
			}
			w := FindWorker(ps.Workers, real, true, false)
			if w == nil {
				var err error
				if w, err = defineWorker(c, path, false, nil); err != nil {
					return errors.New(c.Spec.Name + " " + err.Error())
				}
				ps.Workers = append(ps.Workers, w)
			}
			if w.Section == nil {
				w.Section = sec
			}
			pd.Worker = w
		}
		for rest != "" {
			var word string
			word, rest = parser.GetWord(rest)
			key, val, ok := strings.Cut(word, "=")
			if !ok {
				return errors.New("Invalid Proxy parameter. Parameter must be in the form 'key=value'")
			}
			var err error
			if pd.Worker != nil {
				err = setWorkerParam(c, pd.Worker, key, val)
			} else {
				err = setBalancerParam(c, pd.Balancer, key, val)
			}
			if err != nil {
				return fmt.Errorf("%s %s %s=%s; %s", c.Spec.Name, err, key, val, path)
			}
		}
		return nil
	}
}

// buildProxyPass is ProxyPass and ProxyPassMatch (httpd's add_pass).
func buildProxyPass(c *Cmd, isRegex bool) error {
	if err := c.CheckContext(NotInDirectory | NotInFiles); err != nil {
		return err
	}
	fake, inSection := proxyCmdPath(c)
	hasFake := inSection
	var real string
	hasReal := false
	match := isRegex
	rt := &Route{Directive: c.Spec.Name, Pos: c.Pos}
	var params []Param
	for rest := c.Raw; rest != ""; {
		var word string
		word, rest = parser.GetWord(rest)
		switch {
		case !hasFake:
			if word == "~" {
				if isRegex {
					return errors.New("ProxyPassMatch invalid syntax ('~' usage).")
				}
				match = true
				continue
			}
			fake, hasFake = word, true
		case !hasReal:
			real, hasReal = word, true
		case strings.EqualFold(word, "nocanon"):
			rt.NoCanon = true
		case strings.EqualFold(word, "interpolate"):
			rt.Interpolate = true
		case strings.EqualFold(word, "noquery"):
			rt.NoQuery = true
		default:
			key, val, ok := strings.Cut(word, "=")
			if !ok {
				if inSection && strings.HasPrefix(real, "/") {
					return errors.New("ProxyPass|ProxyPassMatch can not have a path when defined in a location.")
				}
				return errors.New("Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.")
			}
			if strings.EqualFold(key, "mapping") {
				switch {
				case strings.EqualFold(val, "encoded"):
					rt.Mapping = "encoded"
				case strings.EqualFold(val, "servlet"):
					rt.Mapping = "servlet"
				default:
					return errors.New("unknown mapping")
				}
				continue
			}
			params = setParam(params, key, val)
		}
	}
	if !hasReal {
		return errors.New("ProxyPass|ProxyPassMatch needs a path when not defined in a location")
	}
	target, ok := deSocketfy(real)
	if !ok {
		return errors.New(`ProxyPass|ProxyPassMatch uses an invalid "unix:" URL`)
	}
	ps := &c.Server().Proxy
	if inSection {
		rt.Section = c.Section()
		c.Dir().Proxy.Route = rt
		if fnmatchTest(fake) {
			match = true
		}
	} else {
		ps.Routes = append(ps.Routes, rt)
	}
	rt.Path, rt.URL, rt.RawURL, rt.Params = fake, target, real, params
	if match {
		re, err := compileRegex(fake, false)
		if err != nil {
			return errors.New("Regular expression could not be compiled.")
		}
		rt.Regex = re
	}
	if real == "!" {
		rt.Exclude = true
		return nil
	}
	if isBalancerURL(real) {
		alias := fake
		if match {
			alias = ""
		}
		b := getBalancer(ps, real)
		if b == nil {
			var err error
			if b, err = defineBalancer(c, ps, real, alias); err != nil {
				return errors.New("ProxyPass " + err.Error())
			}
		} else if alias != "" {
			if err := b.updateVPath(alias); err != nil {
				return errors.New("ProxyPass " + err.Error())
			}
		}
		for _, p := range params {
			if err := setBalancerParam(c, b, p.Key, p.Value); err != nil {
				return errors.New("ProxyPass " + err.Error())
			}
		}
		rt.Balancer = b
		return nil
	}
	w := FindWorker(ps.Workers, target, !match, match)
	if w == nil {
		var err error
		if w, err = defineWorker(c, real, match, nil); err != nil {
			return errors.New("ProxyPass " + err.Error())
		}
		ps.Workers = append(ps.Workers, w)
		w.copyServerParams(ps)
	} else {
		rt.Shared = true
	}
	rt.Worker = w
	for _, p := range params {
		if rt.Shared {
			rt.Ignored = append(rt.Ignored, p)
			c.Warn("AH01146", "proxy", "Ignoring parameter '%s=%s' for worker '%s' because of worker sharing", p.Key, p.Value, w.DisplayName())
			continue
		}
		if err := setWorkerParam(c, w, p.Key, p.Value); err != nil {
			return errors.New("ProxyPass " + err.Error())
		}
	}
	return nil
}

// buildProxyPassReverse is ProxyPassReverse [path] url [interpolate].
func buildProxyPassReverse(c *Cmd) error {
	if err := c.CheckContext(NotInDirectory | NotInFiles); err != nil {
		return err
	}
	arg := func(i int) (string, bool) {
		if i < len(c.Args) {
			return c.Args[i], true
		}
		return "", false
	}
	f, _ := arg(0)
	r, hasR := arg(1)
	i, hasI := arg(2)
	m := ReverseMap{Pos: c.Pos}
	if path, inSection := proxyCmdPath(c); !inSection {
		if !hasR || strings.EqualFold(r, "interpolate") {
			return errors.New("ProxyPassReverse needs a path when not defined in a location")
		}
		m.To, m.From, m.Interpolate = f, r, hasI
		_ = i
	} else {
		if hasR && !strings.EqualFold(r, "interpolate") {
			return errors.New("ProxyPassReverse can not have a path when defined in a location")
		}
		m.To, m.From, m.Interpolate = path, f, hasR
	}
	d := &c.Dir().Proxy
	d.Reverse = append(d.Reverse, m)
	return nil
}

// cookieMap builds ProxyPassReverseCookiePath and -Domain: internal
// public [interpolate] (any third word means interpolate, as in httpd).
func cookieMap(list func(*ProxyDir) *[]ReverseMap) func(*Cmd) error {
	return func(c *Cmd) error {
		l := list(&c.Dir().Proxy)
		*l = append(*l, ReverseMap{From: c.Args[0], To: c.Args[1], Interpolate: len(c.Args) > 2, Pos: c.Pos})
		return nil
	}
}

// buildProxySet is ProxySet [url] key=value …: inside <Proxy url> it
// sets that worker or balancer.
func buildProxySet(c *Cmd) error {
	if err := c.CheckContext(NotInHtaccess); err != nil {
		return err
	}
	ps := &c.Server().Proxy
	rest := c.Raw
	var name string
	inSection, prefix, match := false, false, false
	if n := len(c.ctx.parents); n > 0 && len(c.ctx.parents[n-1].name) >= 5 && strings.EqualFold(c.ctx.parents[n-1].name[:5], "Proxy") {
		parent := c.ctx.parents[n-1]
		name, _ = parser.GetWord(parent.args)
		if gt := strings.IndexByte(name, '>'); gt >= 0 {
			name = name[:gt]
		}
		if len(parent.name) >= 10 && strings.EqualFold(parent.name[5:10], "Match") {
			match = true
		} else {
			prefix = true
		}
		inSection = true
	} else {
		name, rest = parser.GetWord(rest)
	}
	var w *Worker
	var b *Balancer
	if isBalancerURL(name) {
		b = getBalancer(ps, name)
		if b == nil {
			if !inSection {
				return fmt.Errorf("ProxySet can not find '%s' Balancer.", name)
			}
			var err error
			if b, err = defineBalancer(c, ps, name, "/"); err != nil {
				return errors.New("ProxySet " + err.Error())
			}
		}
	} else {
		real, ok := deSocketfy(name)
		if !ok {
			return errors.New(`ProxySet uses an invalid "unix:" URL`)
		}
		w = FindWorker(ps.Workers, real, prefix, match)
		if w == nil {
			if !inSection {
				return fmt.Errorf("ProxySet can not find '%s' Worker.", name)
			}
			var err error
			if w, err = defineWorker(c, name, match, nil); err != nil {
				return errors.New("ProxySet " + err.Error())
			}
			ps.Workers = append(ps.Workers, w)
		}
	}
	if inSection {
		if sec := c.Section(); sec != nil && (sec.Kind == SectionProxy || sec.Kind == SectionProxyMatch) {
			if w != nil {
				sec.Dir.Proxy.Worker = w
			} else {
				sec.Dir.Proxy.Balancer = b
			}
		}
	}
	for rest != "" {
		var word string
		word, rest = parser.GetWord(rest)
		key, val, ok := strings.Cut(word, "=")
		if !ok {
			return errors.New("Invalid ProxySet parameter. Parameter must be in the form 'key=value'")
		}
		var err error
		if w != nil {
			err = setWorkerParam(c, w, key, val)
		} else {
			err = setBalancerParam(c, b, key, val)
		}
		if err != nil {
			return fmt.Errorf("ProxySet: %s %s=%s; %s", err, key, val, name)
		}
		d := &c.Dir().Proxy
		d.Set = append(d.Set, Param{Key: key, Value: val})
	}
	return nil
}

// buildProxyErrorOverride is ProxyErrorOverride On|Off [code …].
func buildProxyErrorOverride(c *Cmd) error {
	d := &c.Dir().Proxy
	arg := c.Args[0]
	switch {
	case strings.EqualFold(arg, "off"):
		d.ErrorOverride.Put(false, c.Pos)
	case strings.EqualFold(arg, "on"):
		d.ErrorOverride.Put(true, c.Pos)
	case d.ErrorOverride.Set:
		if arg == "" || arg[0] < '0' || arg[0] > '9' {
			return errors.New("ProxyErrorOverride: status codes to intercept must be numeric")
		}
		if !d.ErrorOverride.Val {
			return errors.New("ProxyErrorOverride: status codes must follow a value of 'on'")
		}
		code, _ := cStrtol(arg)
		if code < 400 || code > 599 {
			return errors.New("ProxyErrorOverride: status codes to intercept must be valid HTTP Status Codes >=400 && <600")
		}
		d.ErrorOverrideCodes = append(d.ErrorOverrideCodes, int(code))
		sort.Ints(d.ErrorOverrideCodes)
	default:
		return errors.New("ProxyErrorOverride first parameter must be one of: off | on")
	}
	return nil
}

// buildProxyRemote is ProxyRemote / ProxyRemoteMatch match remote-url
// [credentials].
func buildProxyRemote(c *Cmd, regex bool) error {
	name := "ProxyRemote"
	if regex {
		name = "ProxyRemoteMatch"
	}
	f, r := c.Args[0], c.Args[1]
	colon := strings.IndexByte(r, ':')
	if colon < 0 || !strings.HasPrefix(r[colon:], "://") || len(r) == colon+3 {
		return errors.New(name + ": Bad syntax for a remote proxy server")
	}
	rp := RemoteProxy{Match: f, Protocol: r[:colon], Pos: c.Pos}
	host := r[colon+3:]
	port := -1
	if q := strings.IndexByte(host, ':'); q >= 0 {
		n, err := scanUnsigned(host[q+1:])
		if err != nil || n > 65535 {
			return errors.New(name + ": Bad syntax for a remote proxy server (bad port number)")
		}
		port = n
		host = host[:q]
	}
	if regex {
		re, err := compileRegex(f, false)
		if err != nil {
			return errors.New("Regular expression for ProxyRemoteMatch could not be compiled.")
		}
		rp.Regex = re
	} else if !strings.Contains(f, ":") {
		rp.Match = strings.ToLower(f)
	}
	rp.Host = strings.ToLower(host)
	if port == -1 {
		port = aprPortOfScheme(rp.Protocol)
	}
	rp.Port = port
	if len(c.Args) > 2 {
		rp.Credentials = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Args[2]))
	}
	ps := &c.Server().Proxy
	ps.Remotes = append(ps.Remotes, rp)
	return nil
}

// scanUnsigned is sscanf's "%u": optional blanks and sign, then digits;
// text after them is ignored.
func scanUnsigned(s string) (int, error) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, errors.New("no digits")
	}
	n, err := strconv.ParseUint(s[:end], 10, 32)
	if err != nil {
		return 0, err
	}
	if neg {
		return int(uint32(-int64(n))), nil
	}
	return int(n), nil
}
