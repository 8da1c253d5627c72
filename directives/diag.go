package directives

import (
	"fmt"
	"sort"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// Severity ranks a diagnostic.
type Severity uint8

// Severities, most serious first.
const (
	Error Severity = iota
	Warning
	Note
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "note"
	}
}

// Phase says when httpd would have reported a diagnostic: while reading
// the files (structure, Include, Define, conditional sections, LoadModule)
// or while walking the tree of directives. httpd formats the two kinds of
// error differently.
type Phase uint8

// Phases of reading a configuration.
const (
	ReadPhase Phase = iota
	WalkPhase
	StartupPhase // checks httpd makes between reading and walking
	CheckPhase   // findings of Portico's own (lint), after the walk
)

// Diagnostic is one finding about the configuration.
type Diagnostic struct {
	// Pos is where the finding is: the directive's name on its first line.
	Pos parser.Pos
	// Line is the line httpd reports (the last physical line of a
	// continued line); 0 means Pos.Line.
	Line     int
	Severity Severity
	Phase    Phase
	// Code is httpd's message number (e.g. "AH00111") or a Portico lint
	// code (e.g. "shadowed-route"); may be empty.
	Code string
	// Module is the module that speaks, as httpd's log names it
	// ("core", "proxy"); used for warnings in httpd's log format.
	Module string
	// Msg is the message, in httpd's words where httpd has a message.
	Msg string
	// Chain lists the Include directives through which the file of Pos
	// was reached, outermost first.
	Chain []parser.Pos
	// Related is a second position the finding concerns, if any.
	Related parser.Pos
}

// HTTPDLine is the line number httpd would print for the diagnostic.
func (d Diagnostic) HTTPDLine() int {
	if d.Line > 0 {
		return d.Line
	}
	return d.Pos.Line
}

// String formats the diagnostic as file:line:col: severity: message.
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", d.Pos, d.Severity, d.Msg)
	if d.Code != "" && !strings.HasPrefix(d.Msg, d.Code) {
		fmt.Fprintf(&b, " [%s]", d.Code)
	}
	for i := len(d.Chain) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "\n\tincluded from %s", d.Chain[i])
	}
	if d.Related.IsValid() {
		fmt.Fprintf(&b, "\n\tsee %s", d.Related)
	}
	return b.String()
}

// Diagnostics is a list of findings in the order they were made.
type Diagnostics []Diagnostic

// Err returns the first error, or nil if the list holds none.
func (ds Diagnostics) Err() error {
	for i := range ds {
		if ds[i].Severity == Error {
			return &ds[i]
		}
	}
	return nil
}

// Errors counts the diagnostics of severity Error.
func (ds Diagnostics) Errors() int {
	n := 0
	for _, d := range ds {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// Sorted returns a copy ordered by file, line and column, keeping the
// order of findings at the same place.
func (ds Diagnostics) Sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// Error makes a Diagnostic usable as an error value.
func (d *Diagnostic) Error() string { return d.String() }

// HTTPD formats an error the way httpd -t prints it, argv0 being the
// program name for read-phase errors:
//
//	portico: Syntax error on line 2 of /x.conf: Could not open …
//	AH00526: Syntax error on line 3 of /x.conf:
//	Invalid command 'Foo', perhaps misspelled …
//
// Warnings come out as httpd's error-log lines without the time stamp
// and process ids, which the caller adds.
//
// Each line is escaped as httpd's error log escapes a message (a
// backslash doubled, a control or non-ASCII byte as \n, \xhh …), and an
// error line longer than httpd's log buffer is cut where httpd cuts it.
func (d Diagnostic) HTTPD(argv0 string) string {
	if d.Severity != Error {
		mod := d.Module
		if mod == "" {
			mod = "core"
		}
		msg := d.Msg
		if d.Code != "" && strings.HasPrefix(d.Code, "AH") {
			msg = d.Code + ": " + msg
		}
		return fmt.Sprintf("[%s:warn] %s", mod, EscapeLog(msg))
	}
	switch d.Phase {
	case ReadPhase:
		return startupLine(argv0 + ": " + d.readChain())
	case StartupPhase:
		return startupLine(d.Code + ": " + argv0 + ": " + d.Msg)
	}
	return startupLine(fmt.Sprintf("AH00526: Syntax error on line %d of %s:", d.HTTPDLine(), d.Pos.File)) +
		"\n" + startupLine(d.Msg)
}

// maxLogLine is the most bytes httpd writes for one error-log line before
// its line end: its buffer (MAX_STRING_LEN, 8192 bytes) less the room
// kept for the line end and the terminating NUL.
const maxLogLine = 8192 - 2

// startupLine is one message as httpd writes it to stderr while starting:
// escaped into its 8192-byte buffer, then cut to maxLogLine bytes.
func startupLine(msg string) string {
	if len(msg) > 8191 { // the message is formatted into 8192 bytes first
		msg = msg[:8191]
	}
	line := escapeLog(msg, 8192)
	if len(line) > maxLogLine {
		line = line[:maxLogLine]
	}
	return line
}

// EscapeLog escapes s as httpd's error log escapes every message
// (ap_escape_errorlog_item): a backslash is doubled; backspace, newline,
// carriage return, tab and vertical tab become \b, \n, \r, \t, \v; any
// other control byte, and every byte from 0x7f up, becomes \xhh. A double
// quote is left alone. The text ends at a NUL byte, as a C string does.
func EscapeLog(s string) string { return escapeLog(s, -1) }

// escapeLog is EscapeLog into a buffer of size bytes (one kept for the
// NUL), dropping an escape that does not fit whole, as httpd does; size
// -1 means no limit.
func escapeLog(s string, size int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			clean = false
			break
		}
	}
	if clean && (size < 0 || len(s) < size) {
		return s
	}
	const hex = "0123456789abcdef"
	limit := size - 1
	if size < 0 {
		limit = int(^uint(0) >> 1)
	}
	b := make([]byte, 0, min(len(s)+len(s)/4+8, max(limit, 0)))
	for i := 0; i < len(s) && len(b) < limit; i++ {
		c := s[i]
		if c == 0 {
			break
		}
		if c >= 0x20 && c < 0x7f && c != '\\' && c != '"' {
			b = append(b, c)
			continue
		}
		if len(b)+1 >= limit {
			break // no room for the backslash and what follows it
		}
		switch c {
		case '\b':
			b = append(b, '\\', 'b')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\v':
			b = append(b, '\\', 'v')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '"') // httpd escapes it, then takes the backslash back
		default:
			if len(b)+1 >= limit-2 {
				return string(b)
			}
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// readChain builds httpd's nested "Syntax error on line N of F: " prefixes
// for a read-phase error reached through Include directives.
func (d Diagnostic) readChain() string {
	var b strings.Builder
	for _, inc := range d.Chain {
		fmt.Fprintf(&b, "Syntax error on line %d of %s: ", inc.Line, inc.File)
	}
	if d.Pos.IsValid() {
		fmt.Fprintf(&b, "Syntax error on line %d of %s: ", d.HTTPDLine(), d.Pos.File)
	}
	b.WriteString(d.Msg)
	return b.String()
}
