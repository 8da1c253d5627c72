package parser

import (
	"fmt"
	"strings"
	"testing"
)

// dump prints f one node a line, nested bodies indented, positions as
// line:col; the golden files hold this form.
func dump(f *File) string {
	var b strings.Builder
	if f.BOM {
		b.WriteString("bom\n")
	}
	dumpNodes(&b, f.Nodes, "")
	return b.String()
}

func dumpNodes(b *strings.Builder, nodes []Node, indent string) {
	for _, n := range nodes {
		switch n := n.(type) {
		case *Section:
			fmt.Fprintf(b, "%s%s-%d <%s> args=%q raw=%q\n", indent, lc(n.Pos), n.EndLine, n.Name, n.Args, n.Raw)
			dumpNodes(b, n.Body, indent+"    ")
			fmt.Fprintf(b, "%s%s end %q\n", indent, lc(n.End), n.EndRaw)
		case *Directive:
			fmt.Fprintf(b, "%s%s-%d %s args=%q raw=%q\n", indent, lc(n.Pos), n.EndLine, n.Name, n.Args, n.Raw)
		case *BadNode:
			fmt.Fprintf(b, "%s%s error %q related=%s\n", indent, lc(n.Pos), n.Msg, lc(n.Related))
		default:
			fmt.Fprintf(b, "%sunknown node %T\n", indent, n)
		}
	}
}

// lc formats p as line:col, or "-" when it is not set.
func lc(p Pos) string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// checkFile reports every node of f whose positions break the rules Parse
// promises for src: in the file, lines between 1 and the last line, a
// directive starting no later than it ends, a closing tag after its
// opening one.
func checkFile(t *testing.T, f *File, src []byte) {
	t.Helper()
	lines := strings.Count(string(src), "\n") + 1
	check := func(what string, p Pos, zeroOK bool) {
		t.Helper()
		if !p.IsValid() {
			if !zeroOK || p != (Pos{}) {
				t.Errorf("%s: bad position %#v", what, p)
			}
			return
		}
		if p.File != f.Name || p.Line < 1 || p.Line > lines || p.Col < 0 {
			t.Errorf("%s: position %#v outside %s (%d lines)", what, p, f.Name, lines)
		}
	}
	var walk func(nodes []Node)
	walk = func(nodes []Node) {
		for _, n := range nodes {
			switch n := n.(type) {
			case *Section:
				checkDirective(t, &n.Directive, check, lines)
				check("section end", n.End, true)
				if n.End.IsValid() && n.End.Line < n.EndLine {
					t.Errorf("section %q ends at line %d before its tag ends at %d", n.Name, n.End.Line, n.EndLine)
				}
				if n.End.IsValid() != (n.EndRaw != "") {
					t.Errorf("section %q: End %v but EndRaw %q", n.Name, n.End, n.EndRaw)
				}
				walk(n.Body)
			case *Directive:
				checkDirective(t, n, check, lines)
			case *BadNode:
				check("error "+n.Msg, n.Pos, false)
				check("error related", n.Related, true)
				if n.Msg == "" {
					t.Errorf("error at %v has no message", n.Pos)
				}
			default:
				t.Errorf("unknown node %T", n)
			}
		}
	}
	walk(f.Nodes)
}

func checkDirective(t *testing.T, d *Directive, check func(string, Pos, bool), lines int) {
	t.Helper()
	check("directive "+d.Name, d.Pos, false)
	if d.Pos.Col < 1 {
		t.Errorf("directive %q: column %d", d.Name, d.Pos.Col)
	}
	if d.EndLine < d.Pos.Line || d.EndLine > lines {
		t.Errorf("directive %q: lines %d-%d, file has %d", d.Name, d.Pos.Line, d.EndLine, lines)
	}
	if d.Raw == "" || trimSpace(d.Raw) != d.Raw {
		t.Errorf("directive %q: raw %q", d.Name, d.Raw)
	}
	if d.Args != ">" && !strings.HasSuffix(d.Raw, d.Args) {
		t.Errorf("directive %q: args %q not at the end of raw %q", d.Name, d.Args, d.Raw)
	}
}
