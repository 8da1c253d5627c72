package directives

import (
	"errors"
	"strings"

	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_log_config (modules/loggers/mod_log_config.c),
// which httpd has built in.
func init() {
	Register("log_config_module", "LogFormat", buildLogFormat)
	Register("log_config_module", "CustomLog", func(c *Cmd) error { return addCustomLog(c, false) })
	Register("log_config_module", "GlobalLog", func(c *Cmd) error {
		if err := c.CheckContext(GlobalOnly); err != nil {
			return err
		}
		return addCustomLog(c, true)
	})
	Register("log_config_module", "TransferLog", func(c *Cmd) error { return addCustomLog(c, false) })
	Register("log_config_module", "BufferedLogs", func(c *Cmd) error {
		c.Config().Global.BufferedLogs.Put(c.On, c.Pos)
		return nil
	})
}

// LogFormat is a compiled access-log format: a LogFormat directive, or
// the inline format of a CustomLog.
type LogFormat struct {
	// Format is the format string as written.
	Format string
	Items  []LogFormatItem
	Pos    parser.Pos
}

// LogFormatItem is one piece of a log format: literal text (Tag empty)
// or a %-directive.
type LogFormatItem struct {
	Literal string
	// Tag is the directive's letter ("h", "s", "I" …) or its three
	// character '^' form ("^ti", "^to", "^FB").
	Tag string
	// Arg is the {argument}, if any.
	Arg string
	// Statuses lists the status codes of a "%400,501{…}i" condition;
	// Negated is true for "%!…": log only for the other statuses.
	Statuses []int
	Negated  bool
	// Original is set by '<' (the original request), Final by '>' (the
	// final one, after internal redirects); neither means the tag's
	// default.
	Original bool
	Final    bool
}

// CustomLog is a CustomLog, GlobalLog or TransferLog directive.
type CustomLog struct {
	// Directive is the name: "CustomLog", "GlobalLog" or "TransferLog".
	Directive string
	Target    string // file path or "|pipe"
	// Format is the second word as written: a LogFormat nickname or an
	// inline format; empty for TransferLog, which uses the server's
	// default format. Items is its compiled form (a nickname compiles
	// to literal text: which it is is decided when the log is opened).
	Format string
	Items  []LogFormatItem
	// Inherit is true for GlobalLog: virtual hosts log there too, even
	// with logs of their own.
	Inherit bool
	// EnvVar is the variable of an "env=[!]var" condition; EnvNegated
	// is true for "env=!var". Cond is an "expr=…" condition.
	EnvVar     string
	EnvNegated bool
	Cond       *expr.Expr
	Pos        parser.Pos
}

// logTags are the %-directives of mod_log_config and of mod_logio, which
// Debian's httpd has built in; mod_ssl adds "c" and "x" when loaded.
var logTags = map[string]bool{
	"h": true, "a": true, "A": true, "l": true, "u": true, "t": true, "f": true,
	"b": true, "B": true, "i": true, "o": true, "n": true, "L": true, "e": true,
	"V": true, "v": true, "p": true, "P": true, "H": true, "m": true, "q": true,
	"X": true, "C": true, "k": true, "r": true, "D": true, "T": true, "U": true,
	"s": true, "R": true, "^ti": true, "^to": true,
	"I": true, "O": true, "S": true, "^FB": true,
}

func buildLogFormat(c *Cmd) error {
	items, err := parseLogFormat(c.Args[0], c.ModuleLoaded("ssl_module"))
	if err != nil {
		return err
	}
	f := LogFormat{Format: c.Args[0], Items: items, Pos: c.Pos}
	s := c.Server()
	if len(c.Args) == 1 {
		s.DefaultLogFormat = &f
		return nil
	}
	if s.LogFormats == nil {
		s.LogFormats = map[string]LogFormat{}
	}
	s.LogFormats[c.Args[1]] = f
	return nil
}

// addCustomLog is mod_log_config's add_custom_log.
func addCustomLog(c *Cmd, inherit bool) error {
	l := CustomLog{Directive: c.Spec.Name, Target: c.Args[0], Inherit: inherit, Pos: c.Pos}
	if len(c.Args) == 3 {
		cond := c.Args[2]
		switch {
		case len(cond) >= 4 && strings.EqualFold(cond[:4], "env="):
			v := cond[4:]
			if v == "" || v == "!" {
				return errors.New("missing environment variable name")
			}
			if v[0] == '!' {
				l.EnvNegated, v = true, v[1:]
			}
			l.EnvVar = v
		case len(cond) >= 5 && strings.EqualFold(cond[:5], "expr="):
			if cond[5:] == "" {
				return errors.New("missing condition")
			}
			e, err := parseExpr(c, cond[5:])
			if err != nil {
				return err
			}
			l.Cond = e
		default:
			return errors.New("error in condition clause")
		}
	}
	if len(c.Args) >= 2 {
		items, err := parseLogFormat(c.Args[1], c.ModuleLoaded("ssl_module"))
		if err != nil {
			return err
		}
		l.Format, l.Items = c.Args[1], items
	}
	s := c.Server()
	s.CustomLogs = append(s.CustomLogs, l)
	return nil
}

// parseLogFormat compiles a log format as mod_log_config's
// parse_log_string does, with its messages.
func parseLogFormat(s string, ssl bool) ([]LogFormatItem, error) {
	var items []LogFormatItem
	for s != "" {
		var it LogFormatItem
		var err error
		it, s, err = parseLogItem(s, ssl)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

func parseLogItem(s string, ssl bool) (LogFormatItem, string, error) {
	var it LogFormatItem
	if s[0] != '%' {
		lit, rest := formatLiteral(s)
		it.Literal = lit
		return it, rest, nil
	}
	s = s[1:]
	if s != "" && s[0] == '%' {
		it.Literal = "%"
		return it, s[1:], nil
	}
	for s != "" {
		switch ch := s[0]; {
		case ch == '!':
			it.Negated = !it.Negated
			s = s[1:]
		case ch == '<':
			it.Original, it.Final = true, false
			s = s[1:]
		case ch == '>':
			it.Original, it.Final = false, true
			s = s[1:]
		case ch == ',':
			s = s[1:]
		case ch == '{':
			end := strings.IndexByte(s, '}')
			if end < 0 {
				it.Arg, s = s[1:], ""
			} else {
				it.Arg, s = s[1:end], s[end+1:]
			}
		case ch >= '0' && ch <= '9':
			n := 0
			for s != "" && s[0] >= '0' && s[0] <= '9' {
				n = n*10 + int(s[0]-'0')
				s = s[1:]
			}
			it.Statuses = append(it.Statuses, n)
		default:
			if ch == '^' && len(s) >= 3 && logTags[s[:3]] {
				it.Tag = s[:3]
				return it, s[3:], nil
			}
			tag := s[:1]
			if !logTags[tag] && !(ssl && (tag == "c" || tag == "x")) {
				return it, s, errors.New("Unrecognized LogFormat directive %" + tag)
			}
			it.Tag = tag
			return it, s[1:], nil
		}
	}
	return it, s, errors.New("Ran off end of LogFormat parsing args to some directive")
}
