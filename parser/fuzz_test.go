package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds returns the testdata/*.conf files and the sources of the parse
// tests, to seed the fuzz targets.
func seeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.conf"))
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	for _, tests := range [][]parseTest{logicalLineTests, commentTests, sectionTests} {
		for _, tt := range tests {
			out = append(out, []byte(tt.src))
		}
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.conf", src)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		checkFile(t, file, src)
		checkNames(t, file, src)
		checkLogicalLines(t, src)
	})
}

func FuzzGetWord(f *testing.F) {
	for _, s := range seeds(f) {
		for _, line := range strings.Split(string(s), "\n") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		word, rest := GetWord(s)
		if !strings.HasSuffix(s, rest) {
			t.Fatalf("GetWord(%q): rest %q is not a suffix", s, rest)
		}
		if rest != "" && isSpace(rest[0]) {
			t.Errorf("GetWord(%q): rest %q starts with white space", s, rest)
		}
		if trimmed := skipSpace(s); trimmed != "" && len(rest) >= len(trimmed) {
			t.Errorf("GetWord(%q): rest %q did not advance", s, rest)
		}
		if len(word) > len(s) {
			t.Errorf("GetWord(%q): word %q longer than the input", s, word)
		}
		if c := skipSpace(s); c != "" && c[0] != '"' && c[0] != '\'' && !strings.Contains(word, `\`) {
			if !strings.HasPrefix(c, word) || strings.ContainsFunc(word, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) {
				t.Errorf("GetWord(%q) = %q: a plain word is the text up to white space", s, word)
			}
		}
		if n := len(Words(s)); n > len(s) {
			t.Errorf("Words(%q): %d words", s, n)
		}
	})
}

// checkNames checks that every node's name and arguments are what
// SplitDirective makes of its raw line, and that its position points at
// the name's first byte in src.
func checkNames(t *testing.T, f *File, src []byte) {
	t.Helper()
	physical := bytes.Split(src, []byte("\n"))
	check := func(d *Directive, name string) {
		t.Helper()
		if n, a := SplitDirective(d.Raw); n != name || a != d.Args {
			t.Errorf("SplitDirective(%q) = %q, %q; node has %q, %q", d.Raw, n, a, name, d.Args)
		}
		if d.Pos.Line > len(physical) || d.Pos.Col > len(physical[d.Pos.Line-1]) {
			t.Errorf("%q at %v: beyond the line", d.Raw, d.Pos)
			return
		}
		if c := physical[d.Pos.Line-1][d.Pos.Col-1]; c != d.Raw[0] {
			t.Errorf("%q at %v: src has %q there", d.Raw, d.Pos, c)
		}
	}
	var walk func([]Node)
	walk = func(nodes []Node) {
		for _, n := range nodes {
			switch n := n.(type) {
			case *Directive:
				check(n, n.Name)
			case *Section:
				check(&n.Directive, "<"+n.Name)
				walk(n.Body)
			}
		}
	}
	walk(f.Nodes)
}

// checkLogicalLines compares the scanner's lines with modelLines, a
// plain model of httpd's line reader.
func checkLogicalLines(t *testing.T, src []byte) {
	t.Helper()
	text := string(src)
	var want []modelLine
	for _, l := range modelLines([]byte(text)) {
		raw := trimSpace(l.text)
		if raw == "" || raw[0] == '#' {
			continue
		}
		if w, _ := GetWord(raw); w == "" {
			continue
		}
		want = append(want, modelLine{raw, l.line})
	}
	sc := newScanner("fuzz.conf", text)
	var got []modelLine
	for {
		tok, _ := sc.Next()
		if tok.EOF() {
			break
		}
		got = append(got, modelLine{tok.Value, sc.lines[len(sc.lines)-1].endLine})
	}
	if len(got) != len(want) {
		t.Fatalf("scanner read %d lines %+v; model %d lines %+v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
}

type modelLine struct {
	text string
	line int
}

// modelLines reads src into logical lines the way httpd's reader does,
// one byte buffer and one line count, with no attempt at speed: read a
// physical line (through LF) onto the end of the buffer; it ends at a NUL;
// if it ends with backslash, optional CR, LF (looking back into what was
// read before when the new text is short), drop those bytes and read on.
// It ignores the limit on the length of a line.
func modelLines(src []byte) []modelLine {
	var out []modelLine
	pos, line := 0, 0
	for {
		var buf []byte
		keep := 0 // bytes of buf that belong to the line so far
		for {
			line++
			if pos >= len(src) {
				if keep == 0 {
					return out
				}
				buf = buf[:keep]
				break
			}
			end := bytes.IndexByte(src[pos:], '\n')
			if end < 0 {
				end = len(src)
			} else {
				end += pos + 1
			}
			buf = append(buf[:keep], src[pos:end]...)
			pos = end
			if z := bytes.IndexByte(buf[keep:], 0); z >= 0 {
				buf = buf[:keep+z]
			}
			n := len(buf)
			if n > 0 && buf[n-1] == '\n' {
				n--
				if n > 0 && buf[n-1] == '\r' {
					n--
				}
				if n > 0 && buf[n-1] == '\\' {
					keep = n - 1
					continue
				}
			}
			break
		}
		out = append(out, modelLine{string(buf), line})
	}
}
