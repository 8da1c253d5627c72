package directives

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// The sections of httpd's core: <VirtualHost>, the per-directory sections
// and <Limit>. (<Proxy> belongs to mod_proxy, the conditional sections
// are decided while reading: read.go.)
func init() {
	Register("core_module", "<VirtualHost", buildVirtualHost)
	Register("core_module", "<Directory", dirSection(SectionDirectory, false))
	Register("core_module", "<DirectoryMatch", dirSection(SectionDirectoryMatch, true))
	Register("core_module", "<Location", urlSection(SectionLocation, false))
	Register("core_module", "<LocationMatch", urlSection(SectionLocationMatch, true))
	Register("core_module", "<Files", fileSection(SectionFiles, false))
	Register("core_module", "<FilesMatch", fileSection(SectionFilesMatch, true))
	Register("core_module", "<If", ifSection(SectionIf))
	Register("core_module", "<ElseIf", ifSection(SectionElseIf))
	Register("core_module", "<Else", ifSection(SectionElse))
	Register("core_module", "<Limit", limitSection)
	Register("core_module", "<LimitExcept", limitSection)
}

func buildVirtualHost(c *Cmd) error {
	if err := c.CheckContext(GlobalOnly); err != nil {
		return err
	}
	arg, err := c.SectionArg()
	if err != nil {
		return err
	}
	if c.Server().Virtual {
		return errors.New("<VirtualHost> doesn't nest!")
	}
	s := newServer(c.Pos)
	s.Virtual = true
	for rest := arg; rest != ""; {
		var w string
		w, rest = parser.GetWord(rest)
		if w == "" {
			continue // httpd skips an empty address
		}
		a, err := parseVHostAddr(w)
		if err != nil {
			return err
		}
		s.Addrs = append(s.Addrs, a)
	}
	c.Config().VirtualHosts = append(c.Config().VirtualHosts, s)
	c.WalkBody(nil, s, c.ctx.override)
	return nil
}

// parseVHostAddr reads one <VirtualHost> address as httpd's get_addresses
// does: "*", "_default_", an IP address or a host name, optionally with
// ":port" or ":*"; an IPv6 address in brackets. Port is "*" for ":*" (and
// for a lone "*"), the port number otherwise, or empty when none is given.
func parseVHostAddr(w string) (VHostAddr, error) {
	wild := false
	if strings.HasSuffix(w, "*") {
		if len(w) < 2 {
			wild = true
		} else if w[len(w)-2] == ':' {
			w = w[:len(w)-2]
			wild = true
		}
	}
	host, port, ok := parseAddrPort(w)
	if !ok {
		return VHostAddr{}, errors.New("The address or port is invalid")
	}
	if host == "" {
		return VHostAddr{}, errors.New("Missing address for VirtualHost")
	}
	a := VHostAddr{Host: host}
	switch {
	case port != 0:
		a.Port = strconv.Itoa(port)
	case wild:
		a.Port = "*"
	}
	return a, nil
}

// parseAddrPort splits "host", "host:port", "port", "[v6addr]" or
// "[v6addr]:port" as APR's apr_parse_addr_port does. host is empty when s
// is only a port, port is 0 when s names none; an IPv6 address loses its
// brackets and any "%scope". ok is false for a port outside 1..65535, a
// string that starts with ':' before a port, or a bracketed part that is
// not an IPv6 address.
func parseAddrPort(s string) (host string, port int, ok bool) {
	if s == "" {
		return "", 0, true
	}
	last := len(s) - 1 // the host is s[:last+1]
	i := last
	for i >= 0 && s[i] >= '0' && s[i] <= '9' {
		i--
	}
	if i < 0 { // only digits: a port
		p := atoi(s)
		return "", p, p >= 1 && p <= 65535
	}
	if s[i] == ':' && i < last {
		if i == 0 {
			return "", 0, false
		}
		port = atoi(s[i+1:])
		if port < 1 || port > 65535 {
			return "", 0, false
		}
		last = i - 1
	}
	host = s[:last+1]
	if host[0] != '[' {
		return host, port, true
	}
	end := strings.IndexByte(host, ']')
	if end != len(host)-1 {
		return "", 0, false
	}
	inner := host[1:end]
	if pct := strings.IndexByte(inner, '%'); pct >= 0 {
		if pct == len(inner)-1 {
			return "", 0, false
		}
		inner = inner[:pct]
	}
	if ip, err := netip.ParseAddr(inner); err != nil || !ip.Is6() || ip.Zone() != "" {
		return "", 0, false
	}
	return inner, port, true
}

// dirSection builds <Directory> and <DirectoryMatch>.
func dirSection(kind SectionKind, match bool) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		arg, err := c.SectionArg()
		if err != nil {
			return err
		}
		path, rest := parser.GetWord(arg)
		sec := &Section{Kind: kind, Pos: c.Pos}
		switch {
		case path == "~" || match:
			if path == "~" {
				path, rest = parser.GetWord(rest)
			}
			re, err := compileRegex(path, false)
			if err != nil {
				return errors.New("Regex could not be compiled")
			}
			sec.Regex = re
			if kind == SectionDirectory {
				sec.Kind = SectionDirectoryMatch
			}
		case path != "/":
			if !filepath.IsAbs(path) {
				path = filepath.Join(c.Config().ServerRoot, path)
			}
			if !strings.HasSuffix(path, "/") {
				path += "/"
			}
		}
		sec.Arg = path
		c.Server().Sections = append(c.Server().Sections, sec)
		c.WalkBody(sec, nil, OrAll|AccessConf)
		if rest != "" {
			return fmt.Errorf("Multiple %s> arguments not (yet) supported.", c.Spec.Name)
		}
		return nil
	}
}

// urlSection builds <Location> and <LocationMatch>.
func urlSection(kind SectionKind, match bool) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		arg, err := c.SectionArg()
		if err != nil {
			return err
		}
		path, rest := parser.GetWord(arg)
		sec := &Section{Kind: kind, Pos: c.Pos}
		if path == "~" || match {
			if path == "~" {
				path, rest = parser.GetWord(rest)
			}
			re, err := compileRegex(path, false)
			if err != nil {
				return errors.New("Regex could not be compiled")
			}
			sec.Regex = re
			sec.Kind = SectionLocationMatch
		}
		sec.Arg = path
		c.Server().Sections = append(c.Server().Sections, sec)
		c.WalkBody(sec, nil, OrAll|AccessConf)
		if rest != "" {
			return fmt.Errorf("Multiple %s> arguments not (yet) supported.", c.Spec.Name)
		}
		return nil
	}
}

// fileSection builds <Files> and <FilesMatch>; inside a <Directory> they
// nest in it.
func fileSection(kind SectionKind, match bool) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInLimit | NotInLocation | NotInProxy); err != nil {
			return err
		}
		arg, err := c.SectionArg()
		if err != nil {
			return err
		}
		path, rest := parser.GetWord(arg)
		sec := &Section{Kind: kind, Pos: c.Pos}
		if path == "~" || match {
			if path == "~" {
				path, rest = parser.GetWord(rest)
			}
			re, err := compileRegex(path, false)
			if err != nil {
				return errors.New("Regex could not be compiled")
			}
			sec.Regex = re
			sec.Kind = SectionFilesMatch
		}
		sec.Arg = path
		c.addSection(sec)
		c.WalkBody(sec, nil, OrAll|AccessConf)
		if rest != "" {
			return fmt.Errorf("Multiple %s> arguments not (yet) supported.", c.Spec.Name)
		}
		return nil
	}
}

// addSection files a section under the enclosing one, or the server.
func (c *Cmd) addSection(sec *Section) {
	if p := c.Section(); p != nil {
		p.Nested = append(p.Nested, sec)
		return
	}
	c.Server().Sections = append(c.Server().Sections, sec)
}

// ifSection builds <If>, <ElseIf> and <Else>. The condition is parsed
// when the config is read (httpd's ifsection), and kept on the Section for
// evaluation per request.
func ifSection(kind SectionKind) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInLimit); err != nil {
			return err
		}
		end := strings.LastIndexByte(c.Raw, '>')
		if end < 0 {
			return errors.New(c.Spec.Name + "> directive missing closing '>'")
		}
		arg := strings.TrimSpace(c.Raw[:end])
		sec := &Section{Kind: kind, Arg: arg, Pos: c.Pos}
		var extra string
		if kind == SectionElse {
			if arg != "" {
				return errors.New("<Else> does not take an argument")
			}
		} else {
			if arg == "" {
				return errors.New(c.Spec.Name + "> directive requires additional arguments")
			}
			var cond string
			cond, extra = parser.GetWord(arg)
			e, err := parseExpr(c, cond)
			if err != nil {
				return errors.New("Cannot parse condition clause: " + err.Error())
			}
			sec.Expr = e
		}
		c.WalkBody(sec, nil, OrAll|AccessConf)
		// httpd files the section after walking its body, and only
		// then checks that an <Else>/<ElseIf> follows an <If>, and that
		// the condition was one word.
		if kind != SectionIf && !c.followsIf() {
			return errors.New("<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope")
		}
		c.addSection(sec)
		if extra != "" {
			return errors.New("Multiple " + c.Spec.Name + "> arguments not supported.")
		}
		return nil
	}
}

// followsIf reports whether the last <If>-family section of the same
// scope is an <If> or <ElseIf>.
func (c *Cmd) followsIf() bool {
	var list []*Section
	if p := c.Section(); p != nil {
		list = p.Nested
	} else {
		list = c.Server().Sections
	}
	// httpd keeps the <If> family of a scope in a list of its own: the
	// last of them decides, whatever other sections came between.
	for i := len(list) - 1; i >= 0; i-- {
		switch list[i].Kind {
		case SectionIf, SectionElseIf:
			return true
		case SectionElse:
			return false
		}
	}
	return false
}

// limitSection builds <Limit> and <LimitExcept>: its directives apply as
// if written around it (Portico does not restrict by method).
func limitSection(c *Cmd) error {
	end := strings.LastIndexByte(c.Raw, '>')
	if end < 0 {
		return errors.New(c.Spec.Name + "> directive missing closing '>'")
	}
	if strings.TrimSpace(c.Raw[:end]) == "" {
		return errors.New(c.Spec.Name + "> directive requires additional arguments")
	}
	if c.ctx.limited {
		return errors.New("Can't nest <Limit> or <LimitExcept> sections")
	}
	c.WalkLimited()
	return nil
}
