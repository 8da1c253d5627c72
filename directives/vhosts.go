package directives

import "strings"

// AddrGroup is one address:port of the virtual-host table: the
// <VirtualHost> sections that listen on it, in config order. With more
// than one, it is name-based: the first is the default server and Host
// picks among them.
type AddrGroup struct {
	Addr  string // "*" for any address, else the IP or name as written
	Port  string // "*" for any port
	Hosts []*Server
}

// Wildcard reports whether the group's address is "*" or _default_.
func (g *AddrGroup) Wildcard() bool { return g.Addr == "*" }

// NameBased reports whether Host decides among several servers.
func (g *AddrGroup) NameBased() bool { return len(g.Hosts) > 1 }

// AddrGroups groups the virtual hosts by address and port as httpd's
// vhost table does: the specific addresses first, then the wildcard ones,
// each in config order.
func (cfg *Config) AddrGroups() []*AddrGroup {
	var specific, wild []*AddrGroup
	find := func(list []*AddrGroup, addr, port string) *AddrGroup {
		for _, g := range list {
			if g.Addr == addr && g.Port == port {
				return g
			}
		}
		return nil
	}
	for _, vh := range cfg.VirtualHosts {
		for _, a := range vh.Addrs {
			addr := a.Host
			if strings.EqualFold(addr, "_default_") || addr == "0.0.0.0" || addr == "::" {
				addr = "*"
			}
			port := a.Port
			if port == "" {
				port = "*"
			}
			list := &specific
			if addr == "*" {
				list = &wild
			}
			g := find(*list, addr, port)
			if g == nil {
				g = &AddrGroup{Addr: addr, Port: port}
				*list = append(*list, g)
			}
			g.Hosts = append(g.Hosts, vh)
		}
	}
	return append(specific, wild...)
}

// Name is the server's ServerName without scheme and port, or the main
// server's when the virtual host sets none, or DefaultServerName when
// neither does (as httpd fills it in).
func (cfg *Config) Name(s *Server) string {
	n := s.ServerName
	if n == "" {
		n = cfg.Main.ServerName
	}
	if n == "" {
		n = cfg.DefaultServerName
	}
	if i := strings.Index(n, "://"); i >= 0 {
		n = n[i+3:]
	}
	if i := strings.LastIndexByte(n, ':'); i >= 0 && !strings.HasSuffix(n, "]") {
		n = n[:i]
	}
	return n
}

// AddrText spells a virtual host's addresses as its <VirtualHost> line
// does: "host[:port]" each, separated by spaces.
func (s *Server) AddrText() string {
	parts := make([]string, 0, len(s.Addrs))
	for _, a := range s.Addrs {
		if a.Port != "" {
			parts = append(parts, a.Host+":"+a.Port)
		} else {
			parts = append(parts, a.Host)
		}
	}
	return strings.Join(parts, " ")
}
