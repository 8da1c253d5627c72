// Package parser reads httpd configuration text into a faithful syntax tree.
//
// It knows httpd's lexical rules (logical lines joined by a trailing
// backslash, whole-line comments, <Section> … </Section> nesting, httpd's
// quoting in GetWord) and nothing of what any directive means. Each
// directive keeps its raw argument text: ${VAR} substitution and splitting
// into words happen later, in package directives, in the order httpd does
// them.
package parser

import "fmt"

// Pos is a position in a configuration file. Line and Col count from 1;
// the zero Pos means "no position".
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position is set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col, leaving out the parts that
// are not set.
func (p Pos) String() string {
	switch {
	case !p.IsValid():
		if p.File == "" {
			return "-"
		}
		return p.File
	case p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	default:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
}

// Node is an element of a parsed file: *Directive, *Section or *BadNode.
type Node interface {
	// Position is where the node starts.
	Position() Pos
	node()
}

// Directive is one logical line that is not a comment: a directive name
// followed by its raw argument text.
type Directive struct {
	// Pos is the position of the first character of the name (its quote,
	// if quoted), on the physical line where the name starts: the first
	// line of the logical line unless that holds only white space and a
	// continuation. Col counts bytes from 1.
	Pos Pos
	// EndLine is the last physical line of the logical line. httpd
	// reports errors at this line, so messages in httpd's format use it.
	EndLine int
	// Name is the first word of the line, unquoted with GetWord, as
	// written (case preserved). For a section it is the tag name without
	// '<' and without a trailing '>' (e.g. "Location").
	Name string
	// Args is the raw text after the name, trimmed, continuations joined,
	// before ${VAR} substitution. For a section it is what httpd hands
	// the section handler: the text after the tag name, including the
	// closing '>' (e.g. `/x>`); for a tag written with no argument
	// ("<Location>") it is ">".
	Args string
	// Raw is the whole logical line, trimmed and with continuations
	// joined. ${VAR} substitution applies to it before it is split again.
	Raw string
}

// Section is a <Name args> … </Name> block.
type Section struct {
	Directive
	// Body holds the nodes between the opening and the closing tag.
	Body []Node
	// End is the position of the closing tag; the zero Pos when the
	// section was never closed (a BadNode then says so).
	End Pos
	// EndRaw is the closing tag's whole logical line as written, trimmed,
	// continuations joined; empty when End is zero. httpd ends a true
	// conditional section (<IfModule> …) only at a line that is exactly
	// "</IfModule>" in any case, so a walk that mimics it needs the text.
	EndRaw string
}

// BadNode marks a structural error at the place in the file where httpd's
// reader meets it: a closing tag that does not match, one with no opening
// tag, a section never closed, a line too long. The reader reports it when
// it reaches this point, so errors come out in httpd's order.
type BadNode struct {
	// Pos is where the error is reported (httpd's line).
	Pos Pos
	// Msg is httpd's message, e.g. "Expected </Location> but saw </Directory>".
	Msg string
	// Related is a second position the error concerns, such as the line
	// that opened a section that was never closed; zero if none.
	Related Pos
	// Section is the name of the open section the message names, as
	// written and without '<' ("location" for "Expected </location> but
	// saw </Directory>" and "<location> was not closed."); empty for the
	// other errors. httpd spells the name of a section it knows as the
	// module registered it, so a reader that knows the modules respells
	// it in Msg.
	Section string
}

// File is a parsed configuration file.
type File struct {
	// Name is the file name given to Parse, used in every Pos.
	Name string
	// Nodes are the top-level nodes in file order.
	Nodes []Node
	// BOM reports that the file starts with a UTF-8 byte order mark.
	// Parse reads it as httpd does outside Windows: as part of the first
	// line, so that it starts the first directive's name (or makes a
	// directive of what would have been a comment).
	BOM bool
}

func (d *Directive) Position() Pos { return d.Pos }
func (b *BadNode) Position() Pos   { return b.Pos }

func (*Directive) node() {}
func (*Section) node()   {}
func (*BadNode) node()   {}
