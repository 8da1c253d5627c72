package directives

import (
	"errors"
	"time"
)

// PorticoModule is the module Portico's own directives belong to. It is
// always loaded, so <IfModule portico_module> is true in Portico and
// false in httpd.
const PorticoModule = "portico_module"

func init() {
	RegisterSpec(Spec{
		Name:     "PorticoTunnelIdleTimeout",
		Module:   PorticoModule,
		Args:     Take1,
		Override: RsrcConf | AccessConf,
		Help:     "Idle timeout of upgraded (WebSocket) connections: a number of seconds, or with a unit (ms, s, mi, h); 0 disables it",
		Build:    buildTunnelIdleTimeout,
	})
}

// buildTunnelIdleTimeout reads PorticoTunnelIdleTimeout: a time in
// ap_timeout_parameter_parse's syntax, seconds by default.
func buildTunnelIdleTimeout(c *Cmd) error {
	d, err := parseTimeout(c.Args[0], "s")
	if err != nil || d < 0 {
		return errors.New("PorticoTunnelIdleTimeout must be a number of seconds (or a time with a unit: ms, s, mi, h), 0 for none")
	}
	c.Dir().Proxy.TunnelIdleTimeout.Put(time.Duration(d), c.Pos)
	return nil
}
