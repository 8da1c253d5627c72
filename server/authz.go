package server

import (
	"net/netip"
	"strings"

	"github.com/portico-proxy/portico/directives"
)

// authorized is mod_authz_core's check of the merged Require lines of
// dir, which httpd ORs (an implicit <RequireAny>): no Require grants;
// otherwise one line must grant. Lines whose provider needs an
// authenticated user, an environment or an expression never grant here,
// and negated lines never grant on their own.
func (x *Exchange) authorized(dir *directives.DirConf) bool {
	if len(dir.Require) == 0 {
		return true
	}
	for _, line := range dir.Require {
		if x.requireGrants(line) {
			return true
		}
	}
	return false
}

func (x *Exchange) requireGrants(line string) bool {
	words := strings.Fields(line)
	if len(words) == 0 {
		return false
	}
	provider, args := strings.ToLower(words[0]), words[1:]
	switch provider {
	case "all":
		return len(args) > 0 && strings.EqualFold(args[0], "granted")
	case "ip":
		client := x.Remote.Addr().Unmap()
		for _, a := range args {
			if ipMatches(a, client) {
				return true
			}
		}
	case "local":
		client := x.Remote.Addr().Unmap()
		return client.IsLoopback() || client == x.Local.Addr().Unmap()
	case "method":
		for _, m := range args {
			if m == x.Req.Method || m == "GET" && x.Req.Method == "HEAD" {
				return true
			}
		}
	}
	return false
}

// ipMatches is mod_authz_host's "Require ip" test of one argument: a
// full address, a CIDR prefix, or the leading octets of an IPv4 address
// ("10.1").
func ipMatches(arg string, client netip.Addr) bool {
	if p, err := netip.ParsePrefix(arg); err == nil {
		return p.Contains(client)
	}
	if a, err := netip.ParseAddr(arg); err == nil {
		return a.Unmap() == client
	}
	if client.Is4() && !strings.Contains(arg, ":") {
		partial := strings.TrimSuffix(arg, ".") + "."
		return strings.HasPrefix(client.String()+".", partial)
	}
	return false
}
