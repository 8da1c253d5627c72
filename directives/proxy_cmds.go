package directives

import "strings"

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
	case SectionProxy, SectionProxyMatch:
		p := sec.Arg
		if len(p) >= 6 && strings.EqualFold(p[:6], "proxy:") {
			p = p[6:]
		}
		return p, true
	}
	return sec.Arg, true
}
