package expr

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// strFunc runs a string function on its evaluated argument.
func (ev *evaluator) strFunc(n *node, arg string) string {
	switch n.ext {
	case extSSL:
		return ev.ctx.Var(arg)
	case extHC:
		if arg != "" && strings.EqualFold(arg, "BODY") {
			return ev.ctx.Var("HC_BODY")
		}
		return ""
	}
	switch n.s {
	case "osenv":
		v, _ := lookupEnv(arg)
		return v
	case "env":
		// notes, then the request environment, then the process's.
		if v, ok := ev.ctx.Table("note", arg); ok {
			return v
		}
		if v, ok := ev.ctx.Table("reqenv", arg); ok {
			return v
		}
		v, _ := lookupEnv(arg)
		return v
	case "req", "http":
		if !strings.EqualFold(arg, "Host") {
			ev.vary = append(ev.vary, arg)
		}
		v, _ := ev.ctx.Table("req", arg)
		return v
	case "req_novary":
		v, _ := ev.ctx.Table("req", arg)
		return v
	case "resp", "note", "reqenv":
		v, _ := ev.ctx.Table(n.s, arg)
		return v
	case "tolower":
		return asciiMap(arg, 'A', 'Z', 'a'-'A')
	case "toupper":
		return asciiMap(arg, 'a', 'z', 'A'-'a')
	case "escape":
		return escapePath(arg)
	case "unescape":
		return unescapeURL(arg)
	case "file":
		return ev.readFile(arg)
	case "filesize":
		fi, err := os.Stat(arg)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() <= 0 {
			return "0"
		}
		return strconv.FormatInt(fi.Size(), 10)
	case "base64":
		return base64.StdEncoding.EncodeToString([]byte(arg))
	case "unbase64":
		return cString(unbase64(arg))
	case "sha1":
		sum := sha1.Sum([]byte(arg))
		return hex.EncodeToString(sum[:])
	case "md5":
		sum := md5.Sum([]byte(arg))
		return hex.EncodeToString(sum[:])
	case "ldap":
		return escapeLDAP(arg)
	}
	ev.err = fmt.Errorf("Internal evaluation error: unknown function %q", n.s)
	return ""
}

// listFunc runs a list-returning function (only mod_ssl's PeerExtList,
// whose values come from the client certificate, which a Context
// offers as the SSL_PEER_EXT_LIST: variables, one value a line).
func (ev *evaluator) listFunc(n *node) []string {
	arg := ev.word(n.a)
	v := ev.ctx.Var("SSL_PEER_EXT_LIST:" + arg)
	if v == "" {
		return nil
	}
	return strings.Split(v, "\n")
}

// maxFileSize is the largest file file() reads.
const maxFileSize = 10 * 1024 * 1024

func (ev *evaluator) readFile(name string) string {
	f, err := os.Open(name)
	if err != nil {
		ev.err = fmt.Errorf("Cannot open file %s", name)
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && fi.Size() > maxFileSize {
		ev.err = fmt.Errorf("File %s too large", name)
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize))
	if err != nil {
		ev.err = fmt.Errorf("Cannot read from file %s", name)
		return ""
	}
	return cString(string(b))
}

func (ev *evaluator) unary(n *node) bool {
	arg := ev.word(n.a)
	switch n.s {
	case "n":
		return arg != ""
	case "z":
		return arg == ""
	case "R":
		return n.sub.contains(ev.ctx.Var("REMOTE_ADDR"))
	case "T":
		switch {
		case arg == "":
			return false
		case arg[0] == 'o' || arg[0] == 'O':
			return !strings.EqualFold(arg, "off")
		case arg[0] == 'n' || arg[0] == 'N':
			return !strings.EqualFold(arg, "no")
		case arg[0] == 'f' || arg[0] == 'F':
			return !strings.EqualFold(arg, "false")
		case arg[0] == '0':
			return len(arg) > 1
		}
		return true
	case "d", "e", "f", "s":
		fi, err := os.Stat(arg)
		if err != nil {
			return false
		}
		switch n.s {
		case "d":
			return fi.IsDir()
		case "f":
			return fi.Mode().IsRegular()
		case "s":
			return fi.Mode().IsRegular() && fi.Size() > 0
		}
		return true
	case "L", "h":
		fi, err := os.Lstat(arg)
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	case "x":
		fi, err := os.Lstat(arg)
		return err == nil && fi.Mode().Perm()&0o111 != 0
	case "F", "U", "A":
		if s, ok := ev.ctx.(Subrequester); ok {
			return s.SubrequestOK(n.s[0], arg)
		}
		return false
	}
	return false
}

func (ev *evaluator) binary(n *node) bool {
	a, b := ev.word(n.a), ev.word(n.b)
	switch n.s {
	case "ipmatch":
		return n.sub.contains(a)
	case "fnmatch":
		return fnmatch(b, a, fnmPathname)
	case "strmatch":
		return fnmatch(b, a, 0)
	case "strcmatch":
		return fnmatch(b, a, fnmCaseBlind)
	}
	return false
}

func asciiMap(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, c := range b {
		if c >= lo && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}

// escapePath is ap_escape_uri: every byte but letters, digits and
// $-_.+!*'(),:;@&=/~ becomes %xx (lower-case hex).
func escapePath(s string) string {
	const keep = "$-_.+!*'(),:;@&=/~"
	const hexd = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescapeURL is ap_unescape_url_keep2f without decoding slashes: "%2F"
// stays encoded; a bad escape or an encoded NUL gives "".
func unescapeURL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		var hi, lo byte
		ok := i+2 < len(s)
		if ok {
			var ok1, ok2 bool
			hi, ok1 = unhex(s[i+1])
			lo, ok2 = unhex(s[i+2])
			ok = ok1 && ok2
		}
		if !ok {
			return ""
		}
		c := hi<<4 | lo
		switch c {
		case 0:
			return ""
		case '/':
			b.WriteString(s[i : i+3])
		default:
			b.WriteByte(c)
		}
		i += 2
	}
	return b.String()
}

// unbase64 is apr_base64_decode: it decodes the leading run of base64
// characters and ignores the rest; a final group of two or three
// characters gives one or two bytes.
func unbase64(s string) string {
	n := 0
	for n < len(s) && b64val(s[n]) >= 0 {
		n++
	}
	in := s[:n]
	var out []byte
	for len(in) >= 4 {
		v := b64val(in[0])<<18 | b64val(in[1])<<12 | b64val(in[2])<<6 | b64val(in[3])
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
		in = in[4:]
	}
	if len(in) > 1 {
		out = append(out, byte(b64val(in[0])<<2|b64val(in[1])>>4))
	}
	if len(in) > 2 {
		out = append(out, byte(b64val(in[1])<<4|b64val(in[2])>>2))
	}
	return string(out)
}

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// escapeLDAP is apr_pescape_ldap with APR_ESCAPE_LDAP_ALL: the characters
// special in a distinguished name or a search filter become \xx.
func escapeLDAP(s string) string {
	const special = "\\,+\"<>;=*()"
	const hexd = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(special, c) >= 0 {
			b.WriteByte('\\')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// apr_fnmatch flags.
const (
	fnmPathname  = 1 << iota // wildcards do not match '/'
	fnmCaseBlind             // compare letters case-insensitively
)

// fnmatch is apr_fnmatch(pattern, s, flags): '*', '?', '[...]' classes
// (negated by '!' or '^', with ranges) and backslash escapes. It
// backtracks only to the last '*', so it is linear in practice.
func fnmatch(pattern, s string, flags int) bool {
	fold := func(c byte) byte {
		if flags&fnmCaseBlind != 0 && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	p, i := 0, 0
	starP, starI := -1, 0
	for {
		if p < len(pattern) {
			c := pattern[p]
			switch c {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				starP, starI = p, i
				continue
			case '?':
				if i < len(s) && !(flags&fnmPathname != 0 && s[i] == '/') {
					p++
					i++
					continue
				}
			case '[':
				if i < len(s) && !(flags&fnmPathname != 0 && s[i] == '/') {
					if ok, next, valid := classMatch(pattern, p, fold(s[i]), fold); valid {
						if ok {
							p, i = next, i+1
							continue
						}
						break
					}
				}
				if !(i < len(s) && s[i] == '[') {
					break
				}
				p++
				i++
				continue
			default:
				lit := c
				np := p + 1
				if c == '\\' && p+1 < len(pattern) {
					lit, np = pattern[p+1], p+2
				}
				if i < len(s) && fold(s[i]) == fold(lit) {
					p, i = np, i+1
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		// Mismatch: let the last '*' take one more byte.
		if starP < 0 || starI >= len(s) || (flags&fnmPathname != 0 && s[starI] == '/') {
			return false
		}
		starI++
		p, i = starP, starI
	}
}

// classMatch matches c against the class starting at pattern[p] ('[').
func classMatch(pattern string, p int, c byte, fold func(byte) byte) (ok bool, next int, valid bool) {
	i := p + 1
	neg := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(pattern) {
		if pattern[i] == ']' && !first {
			return ok != neg, i + 1, true
		}
		first = false
		lo := pattern[i]
		if lo == '\\' && i+1 < len(pattern) {
			i++
			lo = pattern[i]
		}
		hi := lo
		if i+2 < len(pattern) && pattern[i+1] == '-' && pattern[i+2] != ']' {
			hi = pattern[i+2]
			i += 2
			if hi == '\\' && i+1 < len(pattern) {
				i++
				hi = pattern[i]
			}
		}
		if fold(lo) <= c && c <= fold(hi) {
			ok = true
		}
		i++
	}
	return false, p, false
}
