package expr

import (
	"net/netip"
	"strconv"
	"strings"
)

// subnet is an address with a mask, as apr_ipsubnet_create builds it.
type subnet struct {
	v6        bool
	sub, mask [16]byte // IPv4 uses the first 4 bytes
}

// parseSubnet follows apr_ipsubnet_create: an IPv4 or IPv6 address, a
// legacy partial IPv4 network ("10.1") when no mask is given, and a mask
// given as a bit count or, for IPv4, a dotted netmask.
func parseSubnet(addr, mask string, hasMask bool) (*subnet, bool) {
	if !looksLikeIP(addr) {
		return nil, false
	}
	s := &subnet{}
	for i := range s.mask {
		s.mask[i] = 0xff
	}
	if ip, ok := parseIPv6(addr); ok {
		if ip.Is4In6() {
			return nil, false
		}
		s.v6 = true
		s.sub = ip.As16()
	} else if ip4, ok := parseIPv4(addr); ok {
		copy(s.sub[:], ip4[:])
	} else if hasMask || !parseNetwork(s, addr) {
		return nil, false
	}
	if hasMask {
		maxBits := 32
		if s.v6 {
			maxBits = 128
		}
		if bits, ok := strtolAll(mask); ok && bits > 0 && bits <= int64(maxBits) {
			for i := range s.mask {
				s.mask[i] = 0
			}
			for i := 0; i < int(bits); i++ {
				s.mask[i/8] |= 0x80 >> (i % 8)
			}
		} else if m, ok := parseIPv4(mask); ok && !s.v6 {
			copy(s.mask[:4], m[:])
		} else {
			return nil, false
		}
	}
	for i := range s.sub {
		s.sub[i] &= s.mask[i]
	}
	return s, true
}

// looksLikeIP is APR's filter: anything with a colon, or only digits and
// dots.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	return strings.Trim(s, "0123456789.") == ""
}

// parseIPv4 is inet_pton(AF_INET): four decimal parts of at most 255,
// leading zeros allowed.
func parseIPv4(s string) ([4]byte, bool) {
	var out [4]byte
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return out, false
	}
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return out, false
		}
		v := 0
		for _, c := range p {
			v = v*10 + int(c-'0')
			if v > 255 {
				return out, false
			}
		}
		out[i] = byte(v)
	}
	return out, true
}

// parseIPv6 is inet_pton(AF_INET6): no zone, no brackets.
func parseIPv6(s string) (netip.Addr, bool) {
	if strings.ContainsAny(s, "%[]") || !strings.Contains(s, ":") {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is6() {
		return netip.Addr{}, false
	}
	return ip, true
}

// parseNetwork reads APR's legacy network syntax: "a", "a.b", "a.b.c"
// (and a trailing dot), each part masking 8 more bits.
func parseNetwork(s *subnet, network string) bool {
	if len(network) >= len("255.255.255.255")+1 {
		return false
	}
	s.sub, s.mask = [16]byte{}, [16]byte{}
	rest := network
	for i := 0; rest != ""; i++ {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 || i > 3 {
			return false
		}
		digits := rest[:j]
		rest = rest[j:]
		if rest != "" {
			if rest[0] != '.' {
				return false
			}
			rest = rest[1:]
		}
		v, err := strconv.Atoi(digits)
		if err != nil || v > 255 {
			return false
		}
		s.sub[i] = byte(v)
		s.mask[i] = 0xff
	}
	return true
}

// strtolAll is strtol(s, &end, 10) with *end == '\0'.
func strtolAll(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" {
		return 0, s == t // strtol of "" leaves end at the start: a NUL
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// contains is apr_ipsubnet_test for an address given as text; an
// IPv4-mapped IPv6 address counts as IPv4.
func (s *subnet) contains(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		if s.v6 {
			return false
		}
		b := ip.As4()
		for i := range b {
			if b[i]&s.mask[i] != s.sub[i] {
				return false
			}
		}
		return true
	}
	if !s.v6 {
		return false
	}
	b := ip.As16()
	for i := range b {
		if b[i]&s.mask[i] != s.sub[i] {
			return false
		}
	}
	return true
}
