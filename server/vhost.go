package server

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/directives"
)

// The virtual-host table is built and searched as httpd's server/vhost.c
// does it:
//
//   - Each address of each <VirtualHost> is an (IP, port) pair; port 0
//     means any port (":*", or no port when the main server's ServerName
//     gives none). "*", "_default_", 0.0.0.0 and :: are wildcard
//     addresses.
//   - Addresses with an IP form chains keyed by IP and port: every
//     virtual host on the same pair joins the same chain, whose default
//     server is the first of them in config order. A chain with a
//     single server is IP-based (Host is never looked at); with two or
//     more it is name-based. Wildcard addresses form the same kind of
//     chains in a separate default list, keyed by port.
//   - A connection picks the chain of its local IP and port (an exact
//     port before a wildcard port), else the default list's chain for
//     its port (exact before wildcard), else the main server.
//   - A request on a name-based chain picks, in config order among the
//     entries whose port is wildcard or the connection's port, the first
//     server whose ServerName or ServerAlias matches the Host; failing
//     that the first whose <VirtualHost> address was written as that
//     host; failing that the chain's default server.

// vhostAddr is one address of a <VirtualHost> after resolution.
type vhostAddr struct {
	ip       netip.Addr // unspecified (0.0.0.0 or ::) for wildcards
	port     int        // 0: any port
	virthost string     // the host as written, for the fallback match
}

func (a vhostAddr) wildcard() bool { return a.ip.IsUnspecified() }

// nameEntry is one server on a chain, through one of its addresses.
type nameEntry struct {
	vh   *vhost
	addr vhostAddr
}

// ipChain is the set of virtual hosts sharing one address and port.
type ipChain struct {
	addr vhostAddr
	// def is the server for requests that match no name (the first in
	// config order).
	def *vhost
	// names lists the servers in config order when there are at least
	// two; it is nil for an IP-based chain.
	names []nameEntry
	// initial holds the first entry until a second one makes the chain
	// name-based (httpd's initialnames).
	initial *nameEntry
}

// vhostTable finds the server for a connection and a request.
type vhostTable struct {
	specific []*ipChain // chains of explicit addresses
	defaults []*ipChain // chains of wildcard addresses
	main     *vhost
}

// resolver turns a <VirtualHost> host name into addresses; tests replace
// it. It follows getaddrinfo's order.
type resolver func(host string) ([]netip.Addr, error)

func systemResolver(host string) ([]netip.Addr, error) {
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

// resolveVHostAddrs expands the addresses of a <VirtualHost> as httpd's
// get_addresses does. defPort applies to an address written without a
// port. Names that do not resolve are skipped, as httpd skips them with
// AH00547.
func resolveVHostAddrs(addrs []directives.VHostAddr, defPort int, resolve resolver) []vhostAddr {
	var out []vhostAddr
	for _, a := range addrs {
		port := defPort
		switch a.Port {
		case "":
		case "*":
			port = 0
		default:
			port, _ = strconv.Atoi(a.Port)
		}
		host := a.Host
		if host == "*" || strings.EqualFold(host, "_default_") {
			out = append(out, vhostAddr{ip: netip.IPv4Unspecified(), port: port, virthost: host})
			continue
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			out = append(out, vhostAddr{ip: ip.Unmap(), port: port, virthost: host})
			continue
		}
		ips, err := resolve(host)
		if err != nil {
			continue
		}
		for _, ip := range ips {
			out = append(out, vhostAddr{ip: ip, port: port, virthost: host})
		}
	}
	return out
}

// buildVHostTable builds the table from the servers in config order;
// each vhost carries its resolved addresses.
func buildVHostTable(main *vhost, vhosts []*vhost) *vhostTable {
	t := &vhostTable{main: main}
	// httpd walks the virtual hosts last to first, so that the first
	// one in config order ends up as each chain's default server.
	for i := len(vhosts) - 1; i >= 0; i-- {
		vh := vhosts[i]
		var prev *vhostAddr
		for j := range vh.addrs {
			a := vh.addrs[j]
			if a.wildcard() {
				ic := t.findDefault(a.port)
				if ic != nil && a.port == ic.addr.port {
					if prev == nil || !prev.wildcard() || prev.port != a.port {
						ic.add(vh, a)
					}
				} else {
					// No chain for this port, or only one whose port
					// is a wildcard where ours is not (or the
					// reverse): two IP-based servers, not one
					// name-based group.
					ic = &ipChain{addr: a}
					t.defaults = append([]*ipChain{ic}, t.defaults...)
					ic.add(vh, a)
				}
			} else {
				ic := t.findIP(a.ip, a.port)
				if ic == nil || a.port != ic.addr.port {
					ic = &ipChain{addr: a}
					t.specific = append([]*ipChain{ic}, t.specific...)
				}
				ic.add(vh, a)
			}
			prev = &vh.addrs[j]
		}
	}
	return t
}

// add puts a server at the front of the chain (the walk goes backwards,
// so the chain ends in config order) and makes it the default.
func (ic *ipChain) add(vh *vhost, a vhostAddr) {
	e := nameEntry{vh: vh, addr: a}
	ic.def = vh
	switch {
	case ic.names == nil && ic.initial == nil:
		ic.initial = &e
	case ic.names == nil:
		ic.names = []nameEntry{e, *ic.initial}
		ic.initial = nil
	default:
		ic.names = append([]nameEntry{e}, ic.names...)
	}
}

// findIP is httpd's find_ipaddr: the chain of this IP and port, else one
// of this IP where either port is a wildcard.
func (t *vhostTable) findIP(ip netip.Addr, port int) *ipChain {
	var wild *ipChain
	for _, ic := range t.specific {
		if ic.addr.ip != ip {
			continue
		}
		if ic.addr.port == port {
			return ic
		}
		if wild == nil && (ic.addr.port == 0 || port == 0) {
			wild = ic
		}
	}
	return wild
}

// findDefault is httpd's find_default_server: the wildcard-address chain
// of this port, else the first one of any port.
func (t *vhostTable) findDefault(port int) *ipChain {
	var wild *ipChain
	for _, ic := range t.defaults {
		if ic.addr.port == port {
			return ic
		}
		if wild == nil && ic.addr.port == 0 {
			wild = ic
		}
	}
	return wild
}

// connChain is httpd's ap_update_vhost_given_ip: the chain a connection
// arriving on local belongs to, or nil for the main server.
func (t *vhostTable) connChain(local netip.AddrPort) *ipChain {
	ip := local.Addr().Unmap()
	if ic := t.findIP(ip, int(local.Port())); ic != nil {
		return ic
	}
	return t.findDefault(int(local.Port()))
}

// selectServer picks the server for a request whose (already checked and
// lower-cased) host name is host, "" when the request named none, on a
// connection to local port port within chain ic.
func (t *vhostTable) selectServer(ic *ipChain, host string, port int) *vhost {
	if ic == nil {
		return t.main
	}
	if ic.names == nil || host == "" {
		return ic.def
	}
	var last, byAddr *vhost
	for _, e := range ic.names {
		if e.addr.port != 0 && e.addr.port != port {
			continue
		}
		if e.vh != last && e.vh.matchesName(host) {
			return e.vh
		}
		if byAddr == nil && strings.EqualFold(host, e.addr.virthost) {
			byAddr = e.vh
		}
		last = e.vh
	}
	if byAddr != nil {
		return byAddr
	}
	return ic.def
}

// matchesName is httpd's matches_aliases: the ServerName, a plain
// ServerAlias (ignoring case), or a ServerAlias with '*' or '?'.
func (vh *vhost) matchesName(host string) bool {
	if strings.EqualFold(host, vh.hostname) {
		return true
	}
	for _, n := range vh.aliases {
		if strings.EqualFold(host, n) {
			return true
		}
	}
	for _, n := range vh.wildAliases {
		if wildMatch(host, n) {
			return true
		}
	}
	return false
}

// isMatchExp is ap_is_matchexp: the name holds '*' or '?'.
func isMatchExp(s string) bool { return strings.ContainsAny(s, "*?") }

// wildMatch is ap_strcasecmp_match: '*' matches any run of characters,
// '?' any one character, everything else itself ignoring case.
func wildMatch(s, pat string) bool {
	// Iterative matcher with backtracking on the last '*'.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pat) && (pat[pi] == '?' || lower(pat[pi]) == lower(s[si])):
			si++
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
