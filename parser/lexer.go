package parser

import (
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// MaxLineLen is the most bytes httpd reads for one logical line of a main
// configuration file: the joined physical lines including the line
// terminator, without the backslash-newline pairs that join them. A longer
// line is an error ("Line too long").
const MaxLineLen = 16 << 20

// Token types produced by the lexer: one token for each logical line that
// httpd does not skip, its type saying what the line is. Blank lines and
// comments yield no token, as white space yields none in most languages.
// The token's value is the whole line, trimmed, continuations joined; its
// position is that of the first word. What the grammar does not need (the
// name, the argument text, the last physical line) the scanner keeps
// beside the token, in lineInfo.
const (
	tokOpen      lexer.TokenType = -(iota + 2) // "<Name args>": opens a section
	tokClose                                   // "</Name>": closes one
	tokDirective                               // "Name args"
	tokTooLong                                 // a line longer than MaxLineLen
)

// lexDef is the lexer.Definition of httpd's configuration syntax. It is
// written by hand: the rules for joining physical lines (a backslash before
// a newline continues the line, but an empty physical line after a joined
// one looks back at the text already joined) and for splitting off the
// first word do not fit regular expressions.
type lexDef struct{}

var (
	_ lexer.Definition       = lexDef{}
	_ lexer.StringDefinition = lexDef{}
	_ lexer.BytesDefinition  = lexDef{}
)

// Symbols implements lexer.Definition.
func (lexDef) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":       lexer.EOF,
		"Open":      tokOpen,
		"Close":     tokClose,
		"Directive": tokDirective,
		"TooLong":   tokTooLong,
	}
}

// Lex implements lexer.Definition.
func (d lexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

// LexBytes implements lexer.BytesDefinition.
func (d lexDef) LexBytes(filename string, b []byte) (lexer.Lexer, error) {
	return d.LexString(filename, string(b))
}

// LexString implements lexer.StringDefinition.
func (lexDef) LexString(filename string, s string) (lexer.Lexer, error) {
	return newScanner(filename, s), nil
}

// lineInfo is what the scanner knows of a logical line beyond its token.
type lineInfo struct {
	// name is the first word as ap_build_config_sub uses it: unquoted,
	// a trailing '>' removed unless it is a closing tag ("<Location",
	// "</Location>", "ServerName").
	name string
	// args is the text after the first word, leading white space skipped.
	args string
	// endLine is the last physical line, the one httpd reports.
	endLine int
}

// segment maps part of a logical line back to its physical line: logical
// offsets from start on are on physical line line, which begins there.
type segment struct {
	start int
	line  int
}

// scanner is the lexer proper. In its "line start" state it reads one
// logical line, joining physical lines; in its "arguments" state it splits
// the first word off the line. Each call to Next does both for one line.
type scanner struct {
	file string
	src  string
	off  int // next unread byte of src
	line int // physical lines read so far, as httpd counts them

	// lines holds a lineInfo for every token returned, in order.
	lines []lineInfo

	buf  []byte    // the joined text of a logical line that spans lines
	segs []segment // where the parts of the logical line came from
}

func newScanner(filename, src string) *scanner {
	return &scanner{
		file:  filename,
		src:   src,
		lines: make([]lineInfo, 0, strings.Count(src, "\n")+1),
	}
}

// Next implements lexer.Lexer.
func (s *scanner) Next() (lexer.Token, error) {
	for {
		text, tooLong, ok := s.readLogical()
		if !ok {
			return lexer.EOFToken(lexer.Position{Filename: s.file, Line: s.line + 1}), nil
		}
		if t, ok := s.token(text, tooLong); ok {
			return t, nil
		}
	}
}

// readPhysical reads the next physical line: its text up to and including
// the newline, or up to a NUL byte, where httpd's C string ends (the rest
// of that physical line is then lost). nl reports whether the text ends
// with the newline.
func (s *scanner) readPhysical() (start, end int, nl bool) {
	start = s.off
	end = len(s.src)
	s.off = end
	if n := strings.IndexByte(s.src[start:], '\n'); n >= 0 {
		end = start + n + 1
		s.off = end
		nl = true
	}
	if z := strings.IndexByte(s.src[start:end], 0); z >= 0 {
		end = start + z
		nl = false
	}
	return start, end, nl
}

// readLogical reads one logical line the way httpd's ap_cfg_getline_core
// does, untrimmed. tooLong is the physical line on which the logical line
// grew past MaxLineLen, or 0. ok is false at the end of the input.
func (s *scanner) readLogical() (text string, tooLong int, ok bool) {
	var (
		lstart, lend int  // the line as a range of src, while it is one piece
		multi        bool // the line is in s.buf instead
	)
	s.buf = s.buf[:0]
	s.segs = s.segs[:0]
	length := func() int {
		if multi {
			return len(s.buf)
		}
		return lend - lstart
	}
	at := func(i int) byte {
		if multi {
			return s.buf[i]
		}
		return s.src[lstart+i]
	}
	for first := true; ; first = false {
		if s.off >= len(s.src) {
			if first {
				return "", 0, false
			}
			// httpd counts the attempt to read past the end as a line,
			// and ends there a line that asked to be continued.
			s.line++
			break
		}
		s.line++
		a, b, nl := s.readPhysical()
		if tooLong == 0 && length()+(b-a) > MaxLineLen {
			tooLong = s.line
		}
		if first {
			lstart, lend = a, b
		} else {
			if !multi {
				s.buf = append(s.buf, s.src[lstart:lend]...)
				multi = true
			}
			s.buf = append(s.buf, s.src[a:b]...)
		}
		s.addSegment(length()-(b-a), s.line)
		if !nl {
			break
		}
		// A backslash right before LF or CR LF continues the line. Like
		// httpd, look at the text joined so far: after an empty physical
		// line the test sees the end of the line before it.
		e := length() - 1
		if e > 0 && at(e-1) == '\r' {
			e--
		}
		if e == 0 || at(e-1) != '\\' {
			break
		}
		e--
		if multi {
			s.buf = s.buf[:e]
		} else {
			s.buf = append(s.buf, s.src[lstart:lstart+e]...)
			multi = true
		}
	}
	if multi {
		return string(s.buf), tooLong, true
	}
	return s.src[lstart:lend], tooLong, true
}

// addSegment records that the logical line from offset start on comes from
// physical line line. Segments that a continuation cut back to nothing are
// dropped.
func (s *scanner) addSegment(start, line int) {
	for len(s.segs) > 0 && s.segs[len(s.segs)-1].start >= start {
		s.segs = s.segs[:len(s.segs)-1]
	}
	s.segs = append(s.segs, segment{start, line})
}

// at returns the physical position of offset off of the logical line.
func (s *scanner) at(off int) lexer.Position {
	seg := s.segs[0]
	for _, g := range s.segs[1:] {
		if g.start > off {
			break
		}
		seg = g
	}
	return lexer.Position{Filename: s.file, Line: seg.line, Column: off - seg.start + 1}
}

// token makes the token of the logical line text, reading it as
// cfg_trim_line and ap_build_config_sub do. ok is false for a line httpd
// skips: a blank one, a comment (its first character is '#'), or one whose
// first word is an empty quoted word.
func (s *scanner) token(text string, tooLong int) (t lexer.Token, ok bool) {
	if tooLong != 0 {
		s.lines = append(s.lines, lineInfo{endLine: s.line})
		return lexer.Token{Type: tokTooLong, Pos: lexer.Position{Filename: s.file, Line: tooLong}}, true
	}
	lead := 0
	for lead < len(text) && isSpace(text[lead]) {
		lead++
	}
	raw := trimSpace(text)
	if raw == "" || raw[0] == '#' {
		return t, false
	}
	word, rest := GetWord(raw)
	if word == "" {
		return t, false
	}
	t = lexer.Token{Type: tokDirective, Value: raw, Pos: s.at(lead)}
	info := lineInfo{name: stripTag(word), args: rest, endLine: s.line}
	switch {
	case len(word) > 1 && word[0] == '<' && word[1] == '/':
		t.Type = tokClose
	case info.name != "" && info.name[0] == '<':
		t.Type = tokOpen
	}
	s.lines = append(s.lines, info)
	return t, true
}
