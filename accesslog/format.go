// Package accesslog writes httpd's access logs: mod_log_config's
// CustomLog, TransferLog and GlobalLog with LogFormat formats (and
// mod_logio's %I, %O, %S, %^FB), to files or piped programs, as httpd
// 2.4 writes them.
//
// A format is compiled once (Compile) into a list of items; Append
// renders one request's line into a caller's buffer.
package accesslog

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/server"
)

// DefaultFormat is httpd's default format (the Common Log Format), the
// format of TransferLog without a LogFormat and of the "CLF" nickname.
const DefaultFormat = `%h %l %u %t "%r" %>s %b`

// Format is a compiled log format.
type Format struct {
	items []item
}

type kind uint8

const (
	kLiteral kind = iota
	kRemoteHost
	kRemoteAddr
	kLocalAddr
	kLogname
	kUser
	kTime
	kFilename
	kBytesCLF
	kBytes
	kHeaderIn
	kHeaderOut
	kNote
	kLogID
	kEnv
	kServerName // %V
	kVirtualHost
	kPort
	kPid
	kProtocol
	kMethod
	kQuery
	kConnStatus
	kCookie
	kKeepalives
	kRequestLine
	kDurationUS
	kDuration
	kURI
	kStatus
	kHandler
	kTrailerIn
	kTrailerOut
	kBytesIn
	kBytesOut
	kBytesBoth
	kTTFB
	kSSL
)

var tags = map[string]kind{
	"h": kRemoteHost, "a": kRemoteAddr, "A": kLocalAddr, "l": kLogname, "u": kUser,
	"t": kTime, "f": kFilename, "b": kBytesCLF, "B": kBytes, "i": kHeaderIn,
	"o": kHeaderOut, "n": kNote, "L": kLogID, "e": kEnv, "V": kServerName,
	"v": kVirtualHost, "p": kPort, "P": kPid, "H": kProtocol, "m": kMethod,
	"q": kQuery, "X": kConnStatus, "C": kCookie, "k": kKeepalives, "r": kRequestLine,
	"D": kDurationUS, "T": kDuration, "U": kURI, "s": kStatus, "R": kHandler,
	"^ti": kTrailerIn, "^to": kTrailerOut,
	"I": kBytesIn, "O": kBytesOut, "S": kBytesBoth, "^FB": kTTFB,
}

// the time forms of %{…}t
const (
	tCLF uint8 = iota
	tCustom
	tSec
	tMsec
	tUsec
	tMsecFrac
	tUsecFrac
)

type item struct {
	kind     kind
	arg      string
	statuses []int
	negated  bool
	// for %t: the form, whether the request's end is wanted, and the
	// strftime format compiled
	tform   uint8
	tend    bool
	strfmt  []strfItem
	literal string
}

// Options are the settings a format's rendering depends on.
type Options struct {
	// SSL accepts mod_ssl's %{…}c and %{…}x (they log "-": Portico's
	// front end has no TLS).
	SSL bool
}

// Compile compiles a LogFormat string as mod_log_config's
// parse_log_string does, with its error messages. The line ends with a
// newline.
func Compile(s string, o Options) (*Format, error) {
	f := &Format{}
	for s != "" {
		var it item
		var err error
		if s[0] != '%' {
			it.kind = kLiteral
			it.literal, s = literal(s)
		} else {
			it, s, err = parseItem(s[1:], o)
			if err != nil {
				return nil, err
			}
		}
		if it.kind == kLiteral && len(f.items) > 0 && f.items[len(f.items)-1].kind == kLiteral {
			f.items[len(f.items)-1].literal += it.literal
			continue
		}
		f.items = append(f.items, it)
	}
	return f, nil
}

// literal is parse_log_misc_string: text up to the next '%', with the
// escapes \\ \r \n \t; any other backslash is kept.
func literal(s string) (string, string) {
	end := strings.IndexByte(s, '%')
	if end < 0 {
		end = len(s)
	}
	text := s[:end]
	if strings.IndexByte(text, '\\') < 0 {
		return text, s[end:]
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '\\' || i+1 >= len(text) {
			b.WriteByte(c)
			continue
		}
		switch text[i+1] {
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
	return b.String(), s[end:]
}

func parseItem(s string, o Options) (item, string, error) {
	var it item
	if s != "" && s[0] == '%' {
		return item{kind: kLiteral, literal: "%"}, s[1:], nil
	}
	for s != "" {
		switch c := s[0]; {
		case c == '!':
			it.negated = !it.negated
			s = s[1:]
		case c == '<', c == '>', c == ',':
			// Portico has no internal redirects whose original and
			// final requests differ in what a log reads.
			s = s[1:]
		case c == '{':
			end := strings.IndexByte(s, '}')
			if end < 0 {
				it.arg, s = s[1:], ""
			} else {
				it.arg, s = s[1:end], s[end+1:]
			}
		case c >= '0' && c <= '9':
			n := 0
			for s != "" && s[0] >= '0' && s[0] <= '9' {
				n = n*10 + int(s[0]-'0')
				s = s[1:]
			}
			it.statuses = append(it.statuses, n)
		default:
			var k kind
			ok := false
			if c == '^' && len(s) >= 3 {
				k, ok = tags[s[:3]]
				if ok {
					s = s[3:]
				}
			}
			if !ok {
				tag := s[:1]
				s = s[1:]
				k, ok = tags[tag]
				if !ok && o.SSL && (tag == "c" || tag == "x") {
					k, ok = kSSL, true
				}
				if !ok {
					return it, s, errors.New("Unrecognized LogFormat directive %" + tag)
				}
			}
			it.kind = k
			if k == kTime {
				it.compileTime()
			}
			return it, s, nil
		}
	}
	return it, s, errors.New("Ran off end of LogFormat parsing args to some directive")
}

// compileTime reads %{…}t's argument as log_request_time does.
func (it *item) compileTime() {
	f := it.arg
	it.tform = tCustom
	if f == "" {
		it.tform = tCLF
		return
	}
	custom := f
	switch {
	case strings.HasPrefix(f, "begin"):
		f = f[5:]
		if f == "" {
			it.tform = tCLF
		} else if f[0] == ':' {
			f = f[1:]
			custom = f
		}
	case strings.HasPrefix(f, "end"):
		f = f[3:]
		if f == "" {
			it.tend, it.tform = true, tCLF
		} else if f[0] == ':' {
			f = f[1:]
			custom = f
			it.tend = true
		}
	}
	switch {
	case strings.HasPrefix(f, "msec"):
		if f[4:] == "" {
			it.tform = tMsec
		} else if f[4:] == "_frac" {
			it.tform = tMsecFrac
		}
	case strings.HasPrefix(f, "usec"):
		if f[4:] == "" {
			it.tform = tUsec
		} else if f[4:] == "_frac" {
			it.tform = tUsecFrac
		}
	case f == "sec":
		it.tform = tSec
	case f == "":
		if it.tform == tCustom {
			it.tform = tCLF
		}
	}
	if it.tform == tCustom {
		it.strfmt = compileStrftime(custom)
	}
}

var pid = strconv.Itoa(os.Getpid())

// Append renders r's line in f onto dst, newline included.
func (f *Format) Append(dst []byte, r *server.LogRecord) []byte {
	for i := range f.items {
		it := &f.items[i]
		if it.kind == kLiteral {
			dst = append(dst, it.literal...)
			continue
		}
		if len(it.statuses) > 0 {
			in := false
			for _, st := range it.statuses {
				if st == r.Status {
					in = true
					break
				}
			}
			if in == it.negated {
				dst = append(dst, '-')
				continue
			}
		}
		dst = it.append(dst, r)
	}
	return append(dst, '\n')
}

// escaped appends s as ap_escape_logitem does, or "-" when s is empty
// and missing (ok false).
func escaped(dst []byte, s string, ok bool) []byte {
	if !ok {
		return append(dst, '-')
	}
	return Escape(dst, s)
}

// Escape appends s with httpd's log escaping (ap_escape_logitem):
// control characters, bytes above 126, '"' and '\' become \xhh, or \b
// \n \r \t \v \" \\.
func Escape(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			dst = append(dst, c)
			continue
		}
		switch c {
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\v':
			dst = append(dst, '\\', 'v')
		case '\\', '"':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

func (it *item) append(dst []byte, r *server.LogRecord) []byte {
	switch it.kind {
	case kRemoteHost, kRemoteAddr:
		// HostnameLookups is Off in Portico: %h is the address.
		if !r.Remote.IsValid() {
			return append(dst, '-')
		}
		return r.Remote.Addr().Unmap().AppendTo(dst)
	case kLocalAddr:
		if !r.Local.IsValid() {
			return append(dst, '-')
		}
		return r.Local.Addr().Unmap().AppendTo(dst)
	case kLogname, kUser, kLogID, kNote, kTrailerIn, kTrailerOut, kSSL, kTTFB:
		// No identd, no authentication, no mod_unique_id, no notes
		// or trailers a log could read, LogIOTrackTTFB off.
		return append(dst, '-')
	case kTime:
		return it.appendTime(dst, r)
	case kFilename:
		return escaped(dst, r.Filename, r.Filename != "")
	case kBytesCLF:
		if r.BytesSent == 0 {
			return append(dst, '-')
		}
		return strconv.AppendInt(dst, r.BytesSent, 10)
	case kBytes:
		return strconv.AppendInt(dst, r.BytesSent, 10)
	case kHeaderIn:
		v, ok := lookup(r.Header, it.arg)
		return escaped(dst, v, ok)
	case kHeaderOut:
		return it.appendHeaderOut(dst, r)
	case kEnv:
		v, ok := r.Env(it.arg)
		return escaped(dst, v, ok)
	case kServerName:
		if r.Hostname != "" {
			return Escape(dst, r.Hostname)
		}
		return escaped(dst, r.ServerHostname, r.ServerHostname != "")
	case kVirtualHost:
		return escaped(dst, r.ServerHostname, r.ServerHostname != "")
	case kPort:
		switch {
		case it.arg == "" || strings.EqualFold(it.arg, "canonical"):
			p := r.ServerPort
			if p == 0 {
				p = 80
			}
			return strconv.AppendInt(dst, int64(p), 10)
		case strings.EqualFold(it.arg, "remote"):
			return strconv.AppendInt(dst, int64(r.Remote.Port()), 10)
		case strings.EqualFold(it.arg, "local"):
			return strconv.AppendInt(dst, int64(r.Local.Port()), 10)
		}
		return append(dst, it.arg...)
	case kPid:
		switch {
		case it.arg == "" || strings.EqualFold(it.arg, "pid"):
			return append(dst, pid...)
		case strings.EqualFold(it.arg, "tid"):
			return strconv.AppendInt(dst, int64(tid()), 10)
		case strings.EqualFold(it.arg, "hextid"):
			return strconv.AppendInt(dst, int64(tid()), 16)
		}
		return append(dst, it.arg...)
	case kProtocol:
		return escaped(dst, r.Proto, r.Proto != "")
	case kMethod:
		return escaped(dst, r.Method, r.Method != "")
	case kQuery:
		if !r.HasArgs {
			return dst
		}
		return Escape(append(dst, '?'), r.Args)
	case kConnStatus:
		switch {
		case r.Aborted:
			return append(dst, 'X')
		case r.KeepAlive:
			return append(dst, '+')
		}
		return append(dst, '-')
	case kCookie:
		v, ok := cookie(r.Header.Get("Cookie"), it.arg)
		return escaped(dst, v, ok)
	case kKeepalives:
		// httpd counts a request among the connection's keep-alives
		// once it is kept alive: a last request shows the count before.
		n := r.Keepalives
		if !r.KeepAlive && n > 0 {
			n--
		}
		return strconv.AppendInt(dst, int64(n), 10)
	case kRequestLine:
		if r.Target == "" {
			return append(dst, '-')
		}
		dst = Escape(dst, r.Method)
		dst = append(dst, ' ')
		dst = Escape(dst, r.Target)
		if r.Proto != "HTTP/0.9" {
			dst = append(dst, ' ')
			dst = Escape(dst, r.Proto)
		}
		return dst
	case kDurationUS:
		return strconv.AppendInt(dst, r.Duration.Microseconds(), 10)
	case kDuration:
		switch {
		case it.arg == "" || strings.EqualFold(it.arg, "s"):
			return strconv.AppendInt(dst, int64(r.Duration/time.Second), 10)
		case strings.EqualFold(it.arg, "ms"):
			return strconv.AppendInt(dst, r.Duration.Milliseconds(), 10)
		case strings.EqualFold(it.arg, "us"):
			return strconv.AppendInt(dst, r.Duration.Microseconds(), 10)
		}
		return append(dst, it.arg...)
	case kURI:
		return escaped(dst, r.URI, r.URI != "")
	case kStatus:
		return strconv.AppendInt(dst, int64(r.Status), 10)
	case kHandler:
		if r.Proxied {
			return append(dst, "proxy-server"...)
		}
		return append(dst, '-')
	case kBytesIn:
		return strconv.AppendInt(dst, r.BytesIn, 10)
	case kBytesOut:
		return strconv.AppendInt(dst, r.BytesOut, 10)
	case kBytesBoth:
		return strconv.AppendInt(dst, r.BytesIn+r.BytesOut, 10)
	}
	return append(dst, '-')
}

// appendHeaderOut is log_header_out: Content-Type without its
// parameters, every Set-Cookie joined, otherwise the first field.
func (it *item) appendHeaderOut(dst []byte, r *server.LogRecord) []byte {
	name := it.arg
	if strings.EqualFold(name, "Set-Cookie") {
		n := 0
		for _, h := range r.ResponseHeader {
			if strings.EqualFold(h.Name, name) {
				if n > 0 {
					dst = append(dst, ',', ' ')
				}
				dst = Escape(dst, h.Value)
				n++
			}
		}
		if n == 0 {
			dst = append(dst, '-')
		}
		return dst
	}
	v, ok := lookup(r.ResponseHeader, name)
	if ok && strings.EqualFold(name, "Content-Type") {
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = strings.TrimRight(v[:i], " \t")
		}
	}
	return escaped(dst, v, ok)
}

// lookup is apr_table_get: the first field of that name.
func lookup(h http1.Headers, name string) (string, bool) {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// cookie is log_cookie: the value of the named cookie in a Cookie
// field (name compared without case, blanks around trimmed).
func cookie(field, name string) (string, bool) {
	for field != "" {
		var c string
		c, field, _ = strings.Cut(field, ";")
		n, v, ok := strings.Cut(c, "=")
		if !ok || v == "" {
			continue
		}
		n = strings.TrimRight(strings.TrimLeft(n, " \t"), " \t\r\n\v\f")
		if n == "" || !strings.EqualFold(n, name) {
			continue
		}
		v = strings.TrimRight(strings.TrimLeft(v, " \t"), " \t\r\n\v\f")
		return v, true
	}
	return "", false
}

func (it *item) appendTime(dst []byte, r *server.LogRecord) []byte {
	t := r.Time
	if it.tend {
		t = t.Add(r.Duration)
	}
	switch it.tform {
	case tSec:
		return strconv.AppendInt(dst, t.Unix(), 10)
	case tMsec:
		return strconv.AppendInt(dst, t.UnixMilli(), 10)
	case tUsec:
		return strconv.AppendInt(dst, t.UnixMicro(), 10)
	case tMsecFrac:
		return appendPad(dst, int64(t.Nanosecond()/1e6), 3)
	case tUsecFrac:
		return appendPad(dst, int64(t.Nanosecond()/1e3), 6)
	case tCustom:
		return appendStrftime(dst, it.strfmt, t.Local())
	}
	return appendCLF(dst, t.Local())
}

// appendCLF appends "[02/Jan/2006:15:04:05 -0700]".
func appendCLF(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, '[')
	dst = appendPad(dst, int64(t.Day()), 2)
	dst = append(dst, '/')
	dst = append(dst, t.Month().String()[:3]...)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(t.Year()), 10)
	dst = append(dst, ':')
	dst = appendPad(dst, int64(t.Hour()), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, int64(t.Minute()), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, int64(t.Second()), 2)
	dst = append(dst, ' ', sign)
	dst = appendPad(dst, int64(off/3600), 2)
	dst = appendPad(dst, int64(off%3600/60), 2)
	return append(dst, ']')
}

func appendPad(dst []byte, n int64, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], n, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
