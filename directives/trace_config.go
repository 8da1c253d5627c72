package directives

import (
	"errors"
	"strings"
)

// TraceEnable of the core (server/core.c): whether TRACE is answered,
// and whether a request body is echoed.
func init() {
	Register("core_module", "TraceEnable", buildTraceEnable)
}

// buildTraceEnable is httpd's set_trace_enable: on, off or extended, in
// any case.
func buildTraceEnable(c *Cmd) error {
	v := strings.ToLower(c.Args[0])
	switch v {
	case "on", "off", "extended":
	default:
		return errors.New("TraceEnable must be one of 'on', 'off', or 'extended'")
	}
	c.Server().TraceEnable.Put(v, c.Pos)
	return nil
}
