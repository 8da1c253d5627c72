package directives

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file holds the C library and APR routines mod_proxy's directive
// handlers parse their arguments with. Their quirks decide what httpd
// accepts ("timeout=5s" is five seconds, "timeout=1500ms" is 1500 seconds),
// so they are reproduced exactly rather than approximated with strconv.

// isCSpace reports whether b is white space for C's isspace in the "C"
// locale.
func isCSpace(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }

// cStrtol is glibc's strtol(s, &end, 10) on a 64-bit system: leading
// white space, an optional sign, decimal digits; the value saturates at
// the int64 limits. It returns the value and the unparsed rest; when no
// digit is found the rest is s itself.
func cStrtol(s string) (int64, string) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			over = true
		} else {
			n = n*10 + d
		}
		i++
	}
	if i == start {
		return 0, s
	}
	switch {
	case neg && (over || n > 1<<63):
		return math.MinInt64, s[i:]
	case neg:
		return -int64(n), s[i:]
	case over || n > math.MaxInt64:
		return math.MaxInt64, s[i:]
	}
	return int64(n), s[i:]
}

// cAtol is C's atol (a 64-bit long).
func cAtol(s string) int64 {
	n, _ := cStrtol(s)
	return n
}

// cAtoi is glibc's atoi: strtol truncated to a 32-bit int, so values
// beyond the int range wrap (atoi("4294967297") is 1).
func cAtoi(s string) int {
	return int(int32(cAtol(s)))
}

// cAtof is C's atof for the decimal forms: white space, a sign, digits
// with an optional fraction and exponent, or "inf"/"nan"; what follows is
// ignored and no number at all gives 0. Hexadecimal floats are read as
// far as their integer part.
func cAtof(s string) float64 {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	s = s[i:]
	j := 0
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	rest := strings.ToLower(s[j:])
	for _, word := range []string{"infinity", "inf", "nan"} {
		if strings.HasPrefix(rest, word) {
			f, _ := strconv.ParseFloat(s[:j]+word, 64)
			return f
		}
	}
	if strings.HasPrefix(rest, "0x") {
		k := j + 2
		for k < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[k]) >= 0 {
			k++
		}
		if k > j+2 {
			v, _ := strconv.ParseUint(s[j+2:k], 16, 64)
			f := float64(v)
			if s[0] == '-' {
				f = -f
			}
			return f
		}
		j++ // "0x" with no hex digit reads as 0
	}
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s[:j], "."), 64)
	if err != nil {
		// Out of range: ParseFloat still returns ±Inf or 0, as strtod.
		return f
	}
	return f
}

// cDoubleToInt converts as the x86-64 cvttsd2si instruction does for
// C's (int) cast: toward zero, and INT_MIN for NaN or out of range.
func cDoubleToInt(f float64) int {
	if math.IsNaN(f) || f >= 1<<31 || f <= -(1<<31)-1 {
		return math.MinInt32
	}
	return int(f)
}

var errTimeoutFormat = errors.New("bad time value")

// aprTimeoutParse is httpd's ap_timeout_parameter_parse: an integer
// (strtoll, leading white space and sign allowed, negative rejected)
// followed by a unit whose first letter decides: "s", "h", "ms", "mi"
// (the rest of the unit is not looked at); defUnit applies when nothing
// follows the number. Text without digits reads as 0 with that text as
// the unit, so "" is 0 and "abc" is an error.
func aprTimeoutParse(s, defUnit string) (time.Duration, error) {
	n, rest := cStrtol(s)
	if (n == math.MaxInt64 || n == math.MinInt64) && rest != s {
		return 0, errTimeoutFormat // ERANGE
	}
	unit := rest
	if unit == "" {
		unit = defUnit
	}
	if n < 0 {
		return 0, errTimeoutFormat
	}
	const maxUsec = math.MaxInt64
	var usec int64
	switch {
	case strings.HasPrefix(unit, "s"):
		if n > maxUsec/1000000 {
			return 0, errTimeoutFormat
		}
		usec = n * 1e6
	case strings.HasPrefix(unit, "h"):
		if n > maxUsec/1000000/3600 {
			return 0, errTimeoutFormat
		}
		usec = n * 3600 * 1e6
	case strings.HasPrefix(unit, "ms"):
		if n > maxUsec/1000 {
			return 0, errTimeoutFormat
		}
		usec = n * 1e3
	case strings.HasPrefix(unit, "mi"):
		if n > maxUsec/1000000/60 {
			return 0, errTimeoutFormat
		}
		usec = n * 60 * 1e6
	default:
		return 0, errTimeoutFormat
	}
	return usecDuration(usec), nil
}

// usecDuration turns httpd's microseconds into a Duration, saturating
// where a Duration cannot hold the value.
func usecDuration(usec int64) time.Duration {
	if usec > math.MaxInt64/1000 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(usec) * time.Microsecond
}

// onOff reads the "On|Off" values of mod_proxy's parameters (any case).
func onOff(val string) (on, ok bool) {
	switch {
	case strings.EqualFold(val, "on"):
		return true, true
	case strings.EqualFold(val, "off"):
		return false, true
	}
	return false, false
}

// fnmatchTest is apr_fnmatch_test: whether a pattern holds a wildcard
// ('*', '?', or a '[' with a matching ']'); a backslash escapes the next
// character.
func fnmatchTest(p string) bool {
	nesting := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '?', '*':
			return true
		case '\\':
			i++
			if i >= len(p) {
				return false
			}
		case '[':
			nesting++
		case ']':
			if nesting > 0 {
				return true
			}
		}
	}
	return false
}
