package directives

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/parser"
)

// Directives of httpd's core (core.c) and http_core.c that Portico acts on.
// The sections live in sections.go.
func init() {
	Register("core_module", "ServerName", buildServerName)
	Register("core_module", "ServerAlias", buildServerAlias)
	Register("core_module", "ServerAdmin", serverString(func(s *Server, v string) { s.ServerAdmin = v }))
	Register("core_module", "DocumentRoot", buildDocumentRoot)
	Register("core_module", "Timeout", buildTimeout)
	Register("core_module", "LimitRequestLine", limitInt("LimitRequestLine", func(s *Server) *Opt[int] { return &s.LimitRequestLine }))
	Register("core_module", "LimitRequestFieldSize", limitInt("LimitRequestFieldsize", func(s *Server) *Opt[int] { return &s.LimitRequestFieldSize }))
	Register("core_module", "LimitRequestFields", limitInt("LimitRequestFields", func(s *Server) *Opt[int] { return &s.LimitRequestFields }))
	Register("core_module", "LimitRequestBody", buildLimitRequestBody)
	Register("core_module", "ErrorDocument", buildErrorDocument)
	Register("core_module", "AllowEncodedSlashes", buildAllowEncodedSlashes)
	Register("core_module", "MergeSlashes", func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		c.Server().Dir.MergeSlashes.Put(c.On, c.Pos)
		return nil
	})
	Register("core_module", "UseCanonicalName", buildUseCanonicalName)
	Register("core_module", "Options", func(c *Cmd) error {
		c.Dir().Options = append(c.Dir().Options, c.Args...)
		return nil
	})
	Register("core_module", "SetHandler", func(c *Cmd) error {
		c.Dir().SetHandler.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("core_module", "ForceType", func(c *Cmd) error {
		c.Dir().ForceType.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("core_module", "AddDefaultCharset", func(c *Cmd) error {
		c.Dir().AddDefaultCharset.Put(strings.Join(c.Args, " "), c.Pos)
		return nil
	})
	Register("core_module", "ErrorLog", serverString(func(s *Server, v string) { s.ErrorLog = v }))
	Register("core_module", "LogLevel", buildLogLevel)
	Register("core_module", "PidFile", func(c *Cmd) error {
		if err := c.CheckContext(GlobalOnly); err != nil {
			return err
		}
		c.Config().Global.PidFile = c.Args[0]
		return nil
	})
	Register("http_module", "KeepAlive", func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		c.Server().KeepAlive.Put(c.On, c.Pos)
		return nil
	})
	Register("http_module", "KeepAliveTimeout", func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		d, err := parseTimeout(c.Args[0], "s")
		if err != nil {
			return errors.New("KeepAliveTimeout has wrong format")
		}
		c.Server().KeepAliveTimeout.Put(d, c.Pos)
		return nil
	})
	Register("http_module", "MaxKeepAliveRequests", func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		c.Server().MaxKeepAliveRequests.Put(atoi(c.Args[0]), c.Pos)
		return nil
	})
	for _, mpm := range []string{"mpm_event_module", "mpm_worker_module", "mpm_prefork_module"} {
		Register(mpm, "Listen", buildListen)
		Register(mpm, "GracefulShutdownTimeout", func(c *Cmd) error {
			if err := c.CheckContext(GlobalOnly); err != nil {
				return err
			}
			c.Config().Global.GracefulShutdownTimeout = time.Duration(atoi(c.Args[0])) * time.Second
			return nil
		})
	}
}

// logLevels are the level keywords of LogLevel, as httpd's
// ap_parse_log_level knows them.
var logLevels = []string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
	"trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7", "trace8"}

const logLevelError = "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"

func isLogLevel(s string) bool {
	for _, l := range logLevels {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}

// buildLogLevel is one word of LogLevel (an ITERATE directive): a level
// for every module, or "module:level" for one module, which must be
// loaded; httpd looks the module up by its source file name
// ("mod_proxy.c"), then by its identifier with or without "_module".
// The server level keeps the words in force, a plain level first.
func buildLogLevel(c *Cmd) error {
	word := c.Args[0]
	i := strings.LastIndexByte(word, ':')
	if i < 0 {
		if !isLogLevel(word) {
			return errors.New(logLevelError)
		}
		if !c.InDirContext() {
			c.Server().LogLevel = word
		}
		return nil
	}
	mod, level := word[:i], word[i+1:]
	if level == "" {
		return fmt.Errorf("Module specifier '%s' must be followed by a log level keyword", mod)
	}
	if !isLogLevel(level) {
		return fmt.Errorf("%s:%s: %s", mod, level, logLevelError)
	}
	if !c.w.l.moduleBySourceOrID(mod) && !c.w.l.moduleBySourceOrID(mod+"_module") {
		return fmt.Errorf("Cannot find module %s", mod)
	}
	if !c.InDirContext() {
		s := c.Server()
		if s.LogLevel != "" {
			s.LogLevel += " "
		}
		s.LogLevel += word
	}
	return nil
}

// atoi converts like C's atoi: leading blanks, an optional sign, digits
// up to the first non-digit; 0 when there are none.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
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

// parseTimeout is ap_timeout_parameter_parse: a number with an optional
// unit (ms, s, mi, h); defUnit applies when there is none.
func parseTimeout(s, defUnit string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New("bad number")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	unit := s[i:]
	if unit == "" {
		unit = defUnit
	}
	var d time.Duration
	switch strings.ToLower(unit) {
	case "ms":
		d = time.Millisecond
	case "s":
		d = time.Second
	case "mi":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		return 0, errors.New("bad unit")
	}
	return time.Duration(n) * d, nil
}

func serverString(set func(*Server, string)) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		set(c.Server(), c.Args[0])
		return nil
	}
}

func buildServerName(c *Cmd) error {
	if err := c.CheckContext(NotInDirContext); err != nil {
		return err
	}
	arg := c.Args[0]
	if hasWildcard(arg) {
		return fmt.Errorf("Invalid ServerName \"%s\" use ServerAlias to set multiple server names.", arg)
	}
	part := arg
	if i := strings.Index(part, "://"); i >= 0 {
		part = part[i+3:]
	}
	if i := strings.IndexByte(part, ':'); i >= 0 {
		port := atoi(part[i+1:])
		if port <= 0 || port >= 65536 {
			return fmt.Errorf("The port number \"%s\" is outside the appropriate range (i.e., 1..65535).", arg)
		}
	}
	s := c.Server()
	s.ServerName = arg
	s.ServerNamePos = c.Pos
	return nil
}

func buildServerAlias(c *Cmd) error {
	if !c.Server().Virtual {
		return errors.New("ServerAlias only used in <VirtualHost>")
	}
	c.Server().ServerAlias = append(c.Server().ServerAlias, parser.Words(c.Raw)...)
	return nil
}

func buildDocumentRoot(c *Cmd) error {
	if err := c.CheckContext(NotInDirContext); err != nil {
		return err
	}
	root := c.Config().ServerRoot
	p := c.Args[0]
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		if !c.Server().Virtual {
			return fmt.Errorf("DocumentRoot '%s' is not a directory, or is not readable", p)
		}
		c.Warn("AH00112", "core", "Warning: DocumentRoot [%s] does not exist", p)
	}
	c.Server().Dir.DocumentRoot = filepath.Clean(p)
	return nil
}

func buildTimeout(c *Cmd) error {
	if err := c.CheckContext(NotInDirContext); err != nil {
		return err
	}
	c.Server().Timeout.Put(time.Duration(atoi(c.Args[0]))*time.Second, c.Pos)
	return nil
}

func limitInt(name string, field func(*Server) *Opt[int]) func(*Cmd) error {
	return func(c *Cmd) error {
		if err := c.CheckContext(NotInDirContext); err != nil {
			return err
		}
		n := atoi(c.Args[0])
		if n < 0 {
			return fmt.Errorf("%s \"%s\" must be a non-negative integer", name, c.Args[0])
		}
		field(c.Server()).Put(n, c.Pos)
		return nil
	}
}

func buildLimitRequestBody(c *Cmd) error {
	n, err := strconv.ParseInt(c.Args[0], 10, 64)
	if err != nil || n < 0 {
		return errors.New("LimitRequestBody argument is not parsable.")
	}
	c.Dir().LimitRequestBody.Put(n, c.Pos)
	return nil
}

func buildErrorDocument(c *Cmd) error {
	code := atoi(c.Args[0])
	if code != 500 && statusText(code) == "" {
		return fmt.Errorf("Unsupported HTTP response code %s", c.Args[0])
	}
	msg := c.Args[1]
	if code == 401 && !strings.Contains(msg, " ") && !strings.HasPrefix(msg, "/") && IsURL(msg) {
		c.Note("AH00113", "%s:%d cannot use a full URL in a 401 ErrorDocument directive --- ignoring!", c.Pos.File, c.Line())
		return nil
	}
	d := c.Dir()
	if d.ErrorDocuments == nil {
		d.ErrorDocuments = map[int]ErrorDocument{}
	}
	d.ErrorDocuments[code] = ErrorDocument{Code: code, Target: msg, Pos: c.Pos}
	return nil
}

// IsURL is ap_is_url: a scheme of letters, digits, '+', '-' or '.'
// followed by ':'.
func IsURL(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func buildAllowEncodedSlashes(c *Cmd) error {
	v := strings.ToLower(c.Args[0])
	switch v {
	case "on", "off", "nodecode":
	default:
		return errors.New(c.Spec.Name + " must be On, Off, or NoDecode")
	}
	c.Dir().AllowEncodedSlashes.Put(v, c.Pos)
	return nil
}

func buildUseCanonicalName(c *Cmd) error {
	v := strings.ToLower(c.Args[0])
	switch v {
	case "on", "off", "dns":
	default:
		return errors.New("parameter must be 'on', 'off', or 'dns'")
	}
	if c.InDirContext() {
		return nil
	}
	c.Server().UseCanonicalName.Put(v, c.Pos)
	return nil
}

// buildListen is mpm_common's Listen: [addr:]port [protocol].
func buildListen(c *Cmd) error {
	if err := c.CheckContext(GlobalOnly); err != nil {
		return err
	}
	if len(c.Args) > 2 {
		return errors.New("Listen requires 1 or 2 arguments.")
	}
	host, port, err := parseHostPort(c.Args[0])
	if err != nil {
		return err
	}
	if port == "" {
		return errors.New("Port must be specified")
	}
	n, perr := strconv.Atoi(port)
	if perr != nil || n < 1 || n > 65535 {
		return errors.New("Port must be specified")
	}
	proto := ""
	if len(c.Args) == 2 {
		proto = strings.ToLower(c.Args[1])
	}
	c.Config().Listen = append(c.Config().Listen, Listen{Addr: host, Port: port, Protocol: proto, Pos: c.Pos})
	return nil
}

// parseHostPort splits "[addr:]port", "[v6]:port" or "addr" the way
// apr_parse_addr_port does.
func parseHostPort(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", fmt.Errorf("Invalid address or port")
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", "", fmt.Errorf("Invalid address or port")
		}
		return host, rest[1:], nil
	}
	if isAllDigits(s) {
		return "", s, nil
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if ip := net.ParseIP(s); ip != nil {
			return s, "", nil
		}
		return s[:i], s[i+1:], nil
	}
	return s, "", nil
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
