package directives

import (
	"errors"
	"strings"

	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// Header and RequestHeader of mod_headers (modules/metadata/mod_headers.c).
func init() {
	Register("headers_module", "Header", buildHeader(false))
	Register("headers_module", "RequestHeader", buildHeader(true))
}

// HeaderOp is what a Header or RequestHeader directive does to a header.
type HeaderOp string

// Header operations, as written in the configuration (lower case).
const (
	HeaderSet        HeaderOp = "set"
	HeaderSetIfEmpty HeaderOp = "setifempty"
	HeaderAdd        HeaderOp = "add"
	HeaderAppend     HeaderOp = "append"
	HeaderMerge      HeaderOp = "merge"
	HeaderUnset      HeaderOp = "unset"
	HeaderEcho       HeaderOp = "echo"
	HeaderEdit       HeaderOp = "edit"
	HeaderEditAll    HeaderOp = "edit*"
	HeaderNote       HeaderOp = "note"
)

var headerOps = []HeaderOp{HeaderSet, HeaderSetIfEmpty, HeaderAdd, HeaderAppend,
	HeaderMerge, HeaderUnset, HeaderEcho, HeaderEdit, HeaderEditAll, HeaderNote}

// HeaderAction is one Header or RequestHeader directive. The actions of a
// DirConf are kept in config order; httpd appends a section's actions to
// those of the enclosing level when it merges.
type HeaderAction struct {
	// Request is true for RequestHeader (the request's headers, at
	// fixups), false for Header (the response's).
	Request bool
	// Always is true for "Header always": the action applies to
	// err_headers_out, so also to error responses httpd makes itself.
	Always bool
	Op     HeaderOp
	// Header is the header name, without a trailing ':' and anything
	// after it. For echo it is the pattern of request headers to copy
	// (compiled in Regex).
	Header string
	// Value is the value as written: the format string for set, add,
	// append, merge, setifempty and note; the pattern for edit and
	// edit* (compiled in Regex); empty for unset and echo.
	Value string
	// Format is the compiled format of the value (for edit and edit*,
	// of the replacement); nil when ValueExpr is set or there is no
	// value.
	Format []HeaderFormatItem
	// ValueExpr is the string expression of a value written
	// "expr=…" (for edit and edit*, of the replacement).
	ValueExpr *expr.Expr
	// Replacement is the replacement of edit and edit*, as written.
	Replacement string
	// Regex is the compiled pattern of edit, edit* and echo.
	Regex *pcre.Regexp
	// Early is true for the "early" condition: the action runs when the
	// request has been read, before it is mapped.
	Early bool
	// EnvVar is the variable of an "env=[!]var" condition; EnvNegated
	// is true for "env=!var".
	EnvVar     string
	EnvNegated bool
	// Cond is the expression of an "expr=…" condition.
	Cond *expr.Expr
	Pos  parser.Pos
}

// HeaderFormatItem is one piece of a mod_headers value format: literal
// text (Tag 0) or a %-tag with its optional {argument}.
type HeaderFormatItem struct {
	Literal string
	// Tag is the tag letter: 'D' (time taken, µs), 't' (request time),
	// 'e' (environment variable Arg), 's' (SSL variable Arg), 'l' (load
	// average), 'i' (idle workers), 'b' (busy workers). 0 for literal
	// text.
	Tag byte
	Arg string
}

// headerFormatTags are the tags mod_headers registers.
const headerFormatTags = "Dteslib"

func buildHeader(request bool) func(*Cmd) error {
	return func(c *Cmd) error {
		args := c.Raw
		always := false
		action, args := parser.GetWord(args)
		if !request {
			switch {
			case strings.EqualFold(action, "always"):
				always = true
				action, args = parser.GetWord(args)
			case strings.EqualFold(action, "onsuccess"):
				action, args = parser.GetWord(args)
			}
		}
		var hdr string
		hdr, args = parser.GetWord(args)
		var words [3]*string // value, replacement, condition
		for i := range words {
			if args == "" {
				break
			}
			var w string
			w, args = parser.GetWord(args)
			words[i] = &w
		}
		if args != "" {
			return errors.New(c.Spec.Name + " has too many arguments")
		}
		h, err := parseHeaderAction(c, request, always, action, hdr, words[0], words[1], words[2])
		if err != nil {
			return err
		}
		h.Pos = c.Pos
		c.Dir().Headers = append(c.Dir().Headers, *h)
		return nil
	}
}

// parseHeaderAction checks one directive's words as mod_headers'
// header_inout_cmd does, in its order, with its messages. value, subs and
// cond are nil when absent.
func parseHeaderAction(c *Cmd, request, always bool, action, hdr string, value, subs, cond *string) (*HeaderAction, error) {
	h := &HeaderAction{Request: request, Always: always}
	for _, op := range headerOps {
		if strings.EqualFold(action, string(op)) {
			h.Op = op
		}
	}
	if h.Op == "" {
		return nil, errors.New("first argument must be 'add', 'set', 'setifempty', 'append', 'merge', " +
			"'unset', 'echo', 'note', 'edit', or 'edit*'.")
	}
	format := value
	if h.Op == HeaderEdit || h.Op == HeaderEditAll {
		if subs == nil {
			return nil, errors.New("Header edit requires a match and a substitution")
		}
		re, err := compileRegex(*value, false)
		if err != nil {
			return nil, errors.New("Header edit regex could not be compiled")
		}
		h.Regex = re
		h.Replacement = *subs
		format = subs
	} else {
		if cond != nil {
			return nil, errors.New("Too many arguments to directive")
		}
		cond = subs
	}
	switch {
	case h.Op == HeaderUnset:
		if value != nil {
			if cond != nil {
				return nil, errors.New("header unset takes two arguments")
			}
			cond, value, format = value, nil, nil
		}
	case h.Op == HeaderEcho:
		if value != nil {
			if cond != nil {
				return nil, errors.New("Header echo takes two arguments")
			}
			cond, value, format = value, nil, nil
		}
		if request {
			return nil, errors.New("Header echo only valid on Header directives")
		}
		re, err := compileRegex(hdr, false)
		if err != nil {
			return nil, errors.New("Header echo regex could not be compiled")
		}
		h.Regex = re
	case value == nil:
		return nil, errors.New("Header requires three arguments")
	}
	if cond != nil {
		cl := *cond
		switch {
		case strings.EqualFold(cl, "early"):
			h.Early = true
		case len(cl) >= 4 && strings.EqualFold(cl[:4], "env="):
			v := cl[4:]
			if v == "" || v == "!" {
				return nil, errors.New("error: missing environment variable name. " +
					"envclause should be in the form env=envar ")
			}
			if v[0] == '!' {
				h.EnvNegated, v = true, v[1:]
			}
			h.EnvVar = v
		case len(cl) >= 5 && strings.EqualFold(cl[:5], "expr="):
			e, err := parseExpr(c, cl[5:])
			if err != nil {
				return nil, errors.New("Can't parse envclause/expression: " + err.Error())
			}
			h.Cond = e
		default:
			return nil, errors.New("Unknown parameter: " + cl)
		}
	}
	if i := strings.IndexByte(hdr, ':'); i >= 0 {
		hdr = hdr[:i]
	}
	h.Header = hdr
	if value != nil {
		h.Value = *value
	}
	if format == nil {
		return h, nil
	}
	if strings.HasPrefix(*format, "expr=") {
		e, err := parseStringExpr(c, (*format)[5:])
		if err != nil {
			return nil, errors.New("Can't parse value expression : " + err.Error())
		}
		h.ValueExpr = e
		return h, nil
	}
	items, err := parseHeaderFormat(*format)
	if err != nil {
		return nil, err
	}
	h.Format = items
	return h, nil
}

// parseHeaderFormat splits a mod_headers value into literal text and
// %-tags (parse_format_string): %% and a '%' at the end are a literal
// '%'; in literal text \\, \r, \n and \t are escapes and any other
// backslash is kept.
func parseHeaderFormat(s string) ([]HeaderFormatItem, error) {
	var items []HeaderFormatItem
	for s != "" {
		if s[0] != '%' {
			lit, rest := formatLiteral(s)
			items = append(items, HeaderFormatItem{Literal: lit})
			s = rest
			continue
		}
		s = s[1:]
		if s == "" || s[0] == '%' {
			items = append(items, HeaderFormatItem{Literal: "%"})
			if s != "" {
				s = s[1:]
			}
			continue
		}
		arg := ""
		if s[0] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				// ap_getword takes the rest; the tag is then the
				// end of the string.
				return nil, errors.New("Unrecognized header format %")
			}
			arg, s = s[1:end], s[end+1:]
		}
		if s == "" {
			return nil, errors.New("Unrecognized header format %")
		}
		tag := s[0]
		if !strings.ContainsRune(headerFormatTags, rune(tag)) {
			return nil, errors.New("Unrecognized header format %" + string(tag))
		}
		items = append(items, HeaderFormatItem{Tag: tag, Arg: arg})
		s = s[1:]
	}
	return items, nil
}

// formatLiteral reads literal text up to the next '%', resolving the
// backslash escapes mod_headers and mod_log_config share.
func formatLiteral(s string) (lit, rest string) {
	var b strings.Builder
	i := 0
	for i < len(s) && s[i] != '%' {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		i++
		if i >= len(s) {
			b.WriteByte('\\')
			break
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 'n':
			b.WriteByte('\n')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		default:
			b.WriteByte('\\')
		}
	}
	return b.String(), s[i:]
}

// parseStringExpr parses a string-valued ap_expr expression
// (AP_EXPR_FLAG_STRING_RESULT: a Header value, the one-argument Alias and
// the short Redirect forms in <Location>) with the names of the modules
// loaded, as parseExpr does for conditions.
func parseStringExpr(c *Cmd, s string) (*expr.Expr, error) {
	return expr.ParseOptions(s, expr.Options{
		SSL:         c.ModuleLoaded("ssl_module"),
		HealthCheck: c.ModuleLoaded("proxy_hcheck_module"),
		String:      true,
	})
}
