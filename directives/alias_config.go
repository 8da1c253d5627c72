package directives

import (
	"errors"
	"fmt"
	"strings"

	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_alias (modules/mappers/mod_alias.c).
func init() {
	Register("alias_module", "Alias", buildAlias(""))
	Register("alias_module", "ScriptAlias", buildAlias("cgi-script"))
	Register("alias_module", "AliasMatch", buildAliasMatch(""))
	Register("alias_module", "ScriptAliasMatch", buildAliasMatch("cgi-script"))
	Register("alias_module", "Redirect", buildRedirect(302, false))
	Register("alias_module", "RedirectMatch", buildRedirect(302, true))
	Register("alias_module", "RedirectTemp", buildRedirect(302, false))
	Register("alias_module", "RedirectPermanent", buildRedirect(301, false))
}

// Alias is one Alias, ScriptAlias, AliasMatch, ScriptAliasMatch,
// Redirect, RedirectMatch, RedirectTemp or RedirectPermanent.
//
// At server level (Server.Dir.Aliases) From is the URL-path (or the
// pattern, compiled in Regex) and To the target. Inside a section
// (Section.Dir.Aliases) a Redirect keeps the same shape, except the
// one- and two-argument forms inside <Location>, which apply to the
// section's own path: their From is empty and To, if any, is a string
// expression (ToExpr set).
type Alias struct {
	// Kind is the directive's name as httpd spells it ("Alias",
	// "RedirectMatch" …).
	Kind  string
	From  string
	Regex *pcre.Regexp
	To    string
	// ToExpr is true when To is an ap_expr string expression (the
	// one-argument Alias and the short Redirect forms in <Location>);
	// Expr is its parsed form.
	ToExpr bool
	Expr   *expr.Expr
	// Handler is "cgi-script" for ScriptAlias and ScriptAliasMatch.
	Handler string
	// Status is the redirect's status (0 for aliases): 301, 302, 303,
	// 410, or the number written.
	Status int
	Pos    parser.Pos
}

// IsRedirect reports whether the entry is one of the Redirect
// directives.
func (a *Alias) IsRedirect() bool { return strings.HasPrefix(a.Kind, "Redirect") }

func buildAlias(handler string) func(*Cmd) error {
	return func(c *Cmd) error {
		if len(c.Args) == 2 {
			return addAlias(c, handler, c.Args[0], c.Args[1], false)
		}
		if err := c.CheckContext(NotInDirectory | NotInFiles); err != nil {
			return err
		}
		if !c.InDirContext() {
			return errors.New(c.Spec.Name + " must have two arguments when used globally")
		}
		// The one-argument form in <Location> is a string expression.
		e, err := parseStringExpr(c, c.Args[0])
		if err != nil {
			return fmt.Errorf("Cannot parse alias expression '%s': %s", c.Args[0], err)
		}
		c.Dir().Aliases = append(c.Dir().Aliases, Alias{Kind: c.Spec.Name, To: c.Args[0],
			ToExpr: true, Expr: e, Handler: handler, Pos: c.Pos})
		return nil
	}
}

func buildAliasMatch(handler string) func(*Cmd) error {
	return func(c *Cmd) error {
		return addAlias(c, handler, c.Args[0], c.Args[1], true)
	}
}

// addAlias is mod_alias's add_alias_internal: server-level aliases, with
// the AH00671 warning when an earlier alias of the same server already
// covers the new one.
func addAlias(c *Cmd, handler, fake, real string, useRegex bool) error {
	if err := c.CheckContext(NotInDirContext); err != nil {
		return err
	}
	a := Alias{Kind: c.Spec.Name, From: fake, To: real, Handler: handler, Pos: c.Pos}
	if useRegex {
		re, err := compileRegex(fake, false)
		if err != nil {
			return errors.New("Regular expression could not be compiled.")
		}
		a.Regex = re
	}
	d := c.Server().Dir
	if !useRegex {
		for i := range d.Aliases {
			old := &d.Aliases[i]
			if old.IsRedirect() {
				continue
			}
			var hit bool
			if old.Regex != nil {
				hit = old.Regex.MatchString(fake)
			} else {
				hit = aliasMatches(fake, old.From) > 0
			}
			if hit {
				script, match := "", ""
				if old.Handler != "" {
					script = "Script"
				}
				if old.Regex != nil {
					match = "Match"
				}
				serverWarn(c, "AH00671", "alias", "The %s directive in %s at line %d will probably never match because it overlaps an earlier %sAlias%s.",
					c.Spec.Name, c.Pos.File, c.Line(), script, match)
				break
			}
		}
	}
	d.Aliases = append(d.Aliases, a)
	return nil
}

// aliasMatches is mod_alias's alias_matches: how many bytes of uri the
// alias path covers (a '/' in the alias matches one or more in the URI,
// and the last component must match whole), 0 if it does not.
func aliasMatches(uri, alias string) int {
	a, u := 0, 0
	for a < len(alias) {
		if alias[a] == '/' {
			if u >= len(uri) || uri[u] != '/' {
				return 0
			}
			for a < len(alias) && alias[a] == '/' {
				a++
			}
			for u < len(uri) && uri[u] == '/' {
				u++
			}
			continue
		}
		if u >= len(uri) || uri[u] != alias[a] {
			return 0
		}
		a++
		u++
	}
	if len(alias) > 0 && alias[len(alias)-1] != '/' && u < len(uri) && uri[u] != '/' {
		return 0
	}
	return u
}

// isRedirectStatus is ap_is_HTTP_REDIRECT.
func isRedirectStatus(n int) bool { return n >= 300 && n <= 399 }

// buildRedirect is mod_alias's add_redirect_internal for Redirect (one
// to three words), RedirectMatch (two or three), RedirectTemp and
// RedirectPermanent (two), whose default status is status.
func buildRedirect(defStatus int, useRegex bool) func(*Cmd) error {
	return func(c *Cmd) error {
		status := defStatus
		arg1 := c.Args[0]
		var arg2, arg3 *string
		if len(c.Args) > 1 {
			arg2 = &c.Args[1]
		}
		if len(c.Args) > 2 {
			arg3 = &c.Args[2]
		}
		grok := 1
		switch {
		case strings.EqualFold(arg1, "permanent"):
			status = 301
		case strings.EqualFold(arg1, "temp"):
			status = 302
		case strings.EqualFold(arg1, "seeother"):
			status = 303
		case strings.EqualFold(arg1, "gone"):
			status, grok = 410, -1
		case arg1 != "" && arg1[0] >= '0' && arg1[0] <= '9':
			status = atoi(arg1)
			if !isRedirectStatus(status) {
				grok = -1
			}
		default:
			grok = 0
		}
		if arg3 != nil && grok == 0 {
			return errors.New("Redirect: invalid first argument (of three)")
		}
		a := Alias{Kind: c.Spec.Name, Status: status, Pos: c.Pos}
		if c.InDirContext() {
			switch {
			case (grok > 0 && arg2 != nil && arg3 == nil) || (grok == 0 && arg2 == nil):
				url := arg1
				if grok != 0 {
					url = *arg2
				}
				e, err := parseStringExpr(c, url)
				if err != nil {
					return fmt.Errorf("Cannot parse redirect expression '%s': %s", url, err)
				}
				a.To, a.ToExpr, a.Expr = url, true, e
				c.Dir().Aliases = append(c.Dir().Aliases, a)
				return nil
			case grok < 0 && arg2 == nil:
				c.Dir().Aliases = append(c.Dir().Aliases, a)
				return nil
			}
		}
		fake, url := arg2, arg3
		if arg3 == nil && grok == 0 {
			fake, url = &arg1, arg2
		}
		if fake == nil {
			// "Redirect 301" or "Redirect gone" at server level: httpd
			// keeps an entry whose path is unset.
			empty := ""
			fake = &empty
		}
		if useRegex {
			re, err := compileRegex(*fake, false)
			if err != nil {
				return errors.New("Regular expression could not be compiled.")
			}
			a.Regex = re
		}
		if isRedirectStatus(status) {
			if url == nil {
				return errors.New("URL to redirect to is missing")
			}
			if !useRegex && !IsURL(*url) && !strings.HasPrefix(*url, "/") {
				return errors.New("Redirect to non-URL")
			}
		} else if url != nil {
			return errors.New("Redirect URL not valid for this status")
		}
		a.From = *fake
		if url != nil {
			a.To = *url
		}
		if c.InDirContext() {
			c.Dir().Aliases = append(c.Dir().Aliases, a)
		} else {
			c.Server().Dir.Aliases = append(c.Server().Dir.Aliases, a)
		}
		return nil
	}
}

// serverWarn is a warning httpd logs against the directive's server
// (ap_log_error with cmd->server). While httpd reads its configuration
// only the main server's messages reach stderr: a virtual host has no
// log level or error log yet, so its warnings are dropped. For a
// virtual host the finding is kept as a note, for lint.
func serverWarn(c *Cmd, code, module, format string, args ...any) {
	if c.Server().Virtual {
		c.Note(code, format, args...)
		return
	}
	c.Warn(code, module, format, args...)
}
