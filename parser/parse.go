package parser

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
	"strconv"
	"strings"
)

// utf8BOM is the byte order mark some editors put at the start of a file.
const utf8BOM = "\xEF\xBB\xBF"

// Parse reads the configuration file src, named filename in positions and
// messages, the way httpd's reader (ap_build_config) does.
//
// Physical lines are joined into logical lines where a backslash ends a
// line right before LF or CR LF, and each logical line is trimmed of white
// space. A logical line whose first character is '#' is a comment; there
// are no comments after a directive. A NUL byte ends its physical line,
// as it ends httpd's C string. A UTF-8 byte order mark at the start of
// src is recorded in File.BOM and read as text, as httpd reads it outside
// Windows.
//
// Every other line becomes a *Directive, or a *Section when its first word
// starts with '<' and not "</"; a first word starting with "</" closes the
// innermost open section, compared without regard to ASCII case. Structural
// errors do not stop the parse and are not returned: each becomes a
// *BadNode at the place where httpd's reader meets it, with httpd's
// message:
//
//   - "</X> without matching <X> section", for a closing tag with no open
//     section, in the list where the tag stands;
//   - "</X> directive missing closing '>'", for a closing tag whose first
//     word does not end in '>', at the end of the open section's body;
//   - "Expected </Open> but saw </Close>", for a closing tag naming another
//     section, at the end of the open section's body;
//   - "<X> was not closed.", for each section still open at the end of
//     the file, innermost first, after the file's last node. httpd prints
//     each as "FILE:LINE: <X> was not closed.", with Pos as FILE:LINE;
//   - "Error reading FILE at line N: Line too long", in place of a logical
//     line longer than MaxLineLen.
//
// A BadNode's Pos.Line is the line httpd reports: the last physical line
// of the logical line concerned, or the physical line where a line grew
// too long. Pos.Col is the column of the tag when the tag is on that line
// and 0 otherwise. Related is the opening tag of the section concerned.
// The names in messages are spelled as written; httpd spells a section
// it knows as registered (e.g. "<Location>").
//
// After a closing tag that does not match, the parse goes on as if it
// closed the innermost open section of that name, if any, and all
// sections inside it; a closing tag that names no open section is
// ignored.
//
// Columns count bytes from 1 at the start of the physical line.
//
// Parse returns an error only if the grammar rejects the lexer's tokens,
// which does not happen for any input; it never panics.
func Parse(filename string, src []byte) (*File, error) {
	text := string(src)
	f := &File{Name: filename, BOM: strings.HasPrefix(text, utf8BOM)}
	sc := newScanner(filename, text)
	toks, err := lexer.Upgrade(sc)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filename, err)
	}
	g, err := grammar.ParseFromLexer(toks)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filename, err)
	}
	if len(g.Lines) != len(sc.lines) {
		return nil, fmt.Errorf("parse %s: grammar took %d of %d lines", filename, len(g.Lines), len(sc.lines))
	}
	b := builder{file: f, slab: make([]Directive, 0, countDirectives(g.Lines))}
	for i, t := range g.Lines {
		b.line(t, sc.lines[i])
	}
	b.finish()
	return f, nil
}

// builder turns the flat list of lines into nested sections, as
// ap_build_config_sub does with its current parent.
type builder struct {
	file  *File
	stack []*Section  // open sections, innermost last
	slab  []Directive // storage for the directives, allocated at once
}

func countDirectives(toks []lexer.Token) int {
	n := 0
	for _, t := range toks {
		if t.Type == tokDirective {
			n++
		}
	}
	return n
}

// add appends n to the body of the innermost open section, or to the file.
func (b *builder) add(n Node) {
	if len(b.stack) == 0 {
		b.file.Nodes = append(b.file.Nodes, n)
		return
	}
	top := b.stack[len(b.stack)-1]
	top.Body = append(top.Body, n)
}

// line adds the logical line whose token is t.
func (b *builder) line(t lexer.Token, info lineInfo) {
	start := Pos{File: b.file.Name, Line: t.Pos.Line, Col: t.Pos.Column}
	// where httpd reports an error about this line
	report := Pos{File: b.file.Name, Line: info.endLine}
	if t.Pos.Line == report.Line {
		report.Col = t.Pos.Column
	}
	d := Directive{Pos: start, EndLine: info.endLine, Name: info.name, Args: info.args, Raw: t.Value}
	switch t.Type {
	case tokTooLong:
		b.add(&BadNode{
			Pos: Pos{File: b.file.Name, Line: t.Pos.Line},
			Msg: "Error reading " + b.file.Name + " at line " + strconv.Itoa(t.Pos.Line) + ": Line too long",
		})
	case tokDirective:
		b.slab = append(b.slab, d)
		b.add(&b.slab[len(b.slab)-1])
	case tokOpen:
		d.Name = d.Name[1:]
		if d.Args == "" {
			d.Args = ">"
		}
		s := &Section{Directive: d}
		b.add(s)
		b.stack = append(b.stack, s)
	case tokClose:
		b.close(info.name, start, report, t.Value)
	}
}

// close handles the closing tag word, found at start, on a line that
// httpd reports at report.
func (b *builder) close(word string, start, report Pos, raw string) {
	name := word[2:]
	if len(b.stack) == 0 {
		b.add(&BadNode{Pos: report, Msg: word + " without matching <" + name + " section"})
		return
	}
	top := b.stack[len(b.stack)-1]
	if !strings.HasSuffix(word, ">") {
		b.add(&BadNode{Pos: report, Msg: word + "> directive missing closing '>'", Related: top.Pos})
	} else {
		name = name[:len(name)-1]
		if equalFoldASCII(name, top.Name) {
			top.End, top.EndRaw = start, raw
			b.stack = b.stack[:len(b.stack)-1]
			return
		}
		b.add(&BadNode{Pos: report, Msg: "Expected </" + top.Name + "> but saw " + word, Related: top.Pos, Section: top.Name})
	}
	for i := len(b.stack) - 1; i >= 0; i-- {
		if equalFoldASCII(name, b.stack[i].Name) {
			b.stack[i].End, b.stack[i].EndRaw = start, raw
			b.stack = b.stack[:i]
			return
		}
	}
}

// finish reports the sections left open at the end of the file.
func (b *builder) finish() {
	for i := len(b.stack) - 1; i >= 0; i-- {
		s := b.stack[i]
		p := Pos{File: b.file.Name, Line: s.EndLine}
		if s.Pos.Line == s.EndLine {
			p.Col = s.Pos.Col
		}
		b.file.Nodes = append(b.file.Nodes, &BadNode{Pos: p, Msg: "<" + s.Name + "> was not closed.", Related: s.Pos, Section: s.Name})
	}
	b.stack = nil
}
