package directives

import (
	"errors"
	"fmt"
	"path/filepath"
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
	for _, w := range parser.Words(arg) {
		if w == "" {
			break
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

// parseVHostAddr reads one <VirtualHost> address: "*", "_default_", an
// IP address or a host name, with ":port" or ":*".
func parseVHostAddr(w string) (VHostAddr, error) {
	if strings.EqualFold(w, "_default_") || w == "*" {
		return VHostAddr{Host: w}, nil
	}
	host, port := w, ""
	if strings.HasPrefix(w, "[") {
		end := strings.IndexByte(w, ']')
		if end < 0 {
			return VHostAddr{}, fmt.Errorf("Could not resolve host name %s -- ignoring!", w)
		}
		host, port = w[1:end], strings.TrimPrefix(w[end+1:], ":")
	} else if i := strings.LastIndexByte(w, ':'); i >= 0 && strings.Count(w, ":") == 1 {
		host, port = w[:i], w[i+1:]
	}
	if port != "" && port != "*" && !isAllDigits(port) {
		return VHostAddr{}, fmt.Errorf("The address or port is invalid")
	}
	return VHostAddr{Host: host, Port: port}, nil
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

// ifSection builds <If>, <ElseIf> and <Else>. The expression is kept as
// written; it is evaluated per request.
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
		if kind == SectionElse {
			if arg != "" {
				return errors.New("<Else> does not take an argument")
			}
		} else if arg == "" {
			return errors.New(c.Spec.Name + "> directive requires additional arguments")
		}
		sec := &Section{Kind: kind, Arg: arg, Pos: c.Pos}
		c.WalkBody(sec, nil, OrAll|AccessConf)
		// httpd files the section after walking its body, and only
		// then checks that an <Else>/<ElseIf> follows an <If>.
		if kind != SectionIf && !c.followsIf() {
			return errors.New("<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope")
		}
		c.addSection(sec)
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
