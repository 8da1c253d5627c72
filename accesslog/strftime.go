package accesslog

import (
	"strconv"
	"syscall"
	"time"
)

// strfItem is one piece of a compiled strftime format: literal text, or
// a conversion letter.
type strfItem struct {
	lit  string
	conv byte
}

// compileStrftime splits a C strftime format (as apr_strftime passes
// it to the C library) into literals and conversions.
func compileStrftime(f string) []strfItem {
	var out []strfItem
	start := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			continue
		}
		if i > start {
			out = append(out, strfItem{lit: f[start:i]})
		}
		c := f[i+1]
		// E and O modifiers change nothing in the C locale.
		if (c == 'E' || c == 'O') && i+2 < len(f) {
			i++
			c = f[i+1]
		}
		out = append(out, strfItem{conv: c})
		i++
		start = i + 1
	}
	if start < len(f) {
		out = append(out, strfItem{lit: f[start:]})
	}
	return out
}

var (
	longDays   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	longMonths = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// appendStrftime renders t as glibc's strftime does in the C locale.
func appendStrftime(dst []byte, f []strfItem, t time.Time) []byte {
	for _, it := range f {
		if it.conv == 0 {
			dst = append(dst, it.lit...)
			continue
		}
		switch it.conv {
		case 'a':
			dst = append(dst, longDays[t.Weekday()][:3]...)
		case 'A':
			dst = append(dst, longDays[t.Weekday()]...)
		case 'b', 'h':
			dst = append(dst, longMonths[t.Month()-1][:3]...)
		case 'B':
			dst = append(dst, longMonths[t.Month()-1]...)
		case 'c':
			dst = appendStrftime(dst, compiledC, t)
		case 'C':
			dst = appendPad(dst, int64(t.Year()/100), 2)
		case 'd':
			dst = appendPad(dst, int64(t.Day()), 2)
		case 'D':
			dst = appendStrftime(dst, compiledD, t)
		case 'e':
			if t.Day() < 10 {
				dst = append(dst, ' ')
			}
			dst = strconv.AppendInt(dst, int64(t.Day()), 10)
		case 'F':
			dst = appendStrftime(dst, compiledF, t)
		case 'g':
			y, _ := t.ISOWeek()
			dst = appendPad(dst, int64(y%100), 2)
		case 'G':
			y, _ := t.ISOWeek()
			dst = strconv.AppendInt(dst, int64(y), 10)
		case 'H':
			dst = appendPad(dst, int64(t.Hour()), 2)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = appendPad(dst, int64(h), 2)
		case 'j':
			dst = appendPad(dst, int64(t.YearDay()), 3)
		case 'k':
			if t.Hour() < 10 {
				dst = append(dst, ' ')
			}
			dst = strconv.AppendInt(dst, int64(t.Hour()), 10)
		case 'l':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			if h < 10 {
				dst = append(dst, ' ')
			}
			dst = strconv.AppendInt(dst, int64(h), 10)
		case 'm':
			dst = appendPad(dst, int64(t.Month()), 2)
		case 'M':
			dst = appendPad(dst, int64(t.Minute()), 2)
		case 'n':
			dst = append(dst, '\n')
		case 'p':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'P':
			if t.Hour() < 12 {
				dst = append(dst, "am"...)
			} else {
				dst = append(dst, "pm"...)
			}
		case 'r':
			dst = appendStrftime(dst, compiledR12, t)
		case 'R':
			dst = appendStrftime(dst, compiledR, t)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'S':
			dst = appendPad(dst, int64(t.Second()), 2)
		case 't':
			dst = append(dst, '\t')
		case 'T', 'X':
			dst = appendStrftime(dst, compiledT, t)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			dst = strconv.AppendInt(dst, int64(wd), 10)
		case 'U':
			dst = appendPad(dst, int64((t.YearDay()+6-int(t.Weekday()))/7), 2)
		case 'V':
			_, w := t.ISOWeek()
			dst = appendPad(dst, int64(w), 2)
		case 'w':
			dst = strconv.AppendInt(dst, int64(t.Weekday()), 10)
		case 'W':
			dst = appendPad(dst, int64((t.YearDay()+6-(int(t.Weekday())+6)%7)/7), 2)
		case 'x':
			dst = appendStrftime(dst, compiledD, t)
		case 'y':
			dst = appendPad(dst, int64(t.Year()%100), 2)
		case 'Y':
			dst = strconv.AppendInt(dst, int64(t.Year()), 10)
		case 'z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			dst = append(dst, sign)
			dst = appendPad(dst, int64(off/3600), 2)
			dst = appendPad(dst, int64(off%3600/60), 2)
		case 'Z':
			name, _ := t.Zone()
			dst = append(dst, name...)
		case '%':
			dst = append(dst, '%')
		default:
			dst = append(dst, '%', it.conv)
		}
	}
	return dst
}

var (
	compiledC   = compileStrftime("%a %b %e %H:%M:%S %Y")
	compiledD   = compileStrftime("%m/%d/%y")
	compiledF   = compileStrftime("%Y-%m-%d")
	compiledR12 = compileStrftime("%I:%M:%S %p")
	compiledR   = compileStrftime("%H:%M")
	compiledT   = compileStrftime("%H:%M:%S")
)

// tid is the calling thread's id, as httpd's %{tid}P prints it on Linux.
func tid() int { return syscall.Gettid() }
