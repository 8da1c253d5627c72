package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// srcCommand is one AP_INIT_*(...) entry found in a command table of the
// httpd source, after macro expansion.
type srcCommand struct {
	Name   string
	Kind   string // suffix of the AP_INIT_ macro: TAKE1, NO_ARGS, ...
	Mask   string // the where argument, tokens joined without spaces
	Help   string
	HelpOK bool // Help is a plain string literal
	File   string
}

// ctok is a C token: an identifier, a number, a string or character
// literal (with its quotes) or a punctuator.
type ctok struct {
	kind byte // 'i' identifier, 's' string, 'c' char, 'n' number, 'p' punctuator
	text string
}

// cmacro is a #define.
type cmacro struct {
	name     string
	funcLike bool
	params   []string
	body     []ctok
}

// stripComments replaces C comments by spaces, keeping newlines and the
// contents of string and character literals.
func stripComments(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				j = len(src) - 1
			}
			b.WriteString(src[i : j+1])
			i = j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			for _, r := range src[i : i+2+end] {
				if r == '\n' {
					b.WriteByte('\n')
				}
			}
			b.WriteByte(' ')
			i += end + 3
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tokenize splits C text into tokens.
func tokenize(s string) []ctok {
	var toks []ctok
	isID := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j > len(s)-1 {
				j = len(s) - 1
			}
			kind := byte('s')
			if c == '\'' {
				kind = 'c'
			}
			toks = append(toks, ctok{kind, s[i : j+1]})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (isID(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, ctok{'n', s[i:j]})
			i = j
		case isID(c):
			j := i
			for j < len(s) && isID(s[j]) {
				j++
			}
			toks = append(toks, ctok{'i', s[i:j]})
			i = j
		case strings.HasPrefix(s[i:], "##"):
			toks = append(toks, ctok{'p', "##"})
			i += 2
		case strings.HasPrefix(s[i:], "..."):
			toks = append(toks, ctok{'p', "..."})
			i += 3
		default:
			toks = append(toks, ctok{'p', string(c)})
			i++
		}
	}
	return toks
}

// splitLines removes comments, joins continued lines and separates
// preprocessor lines from code.
func splitLines(src string) (directives []string, code string) {
	src = strings.ReplaceAll(stripComments(src), "\\\r\n", "")
	src = strings.ReplaceAll(src, "\\\n", "")
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			directives = append(directives, strings.TrimSpace(t[1:]))
			b.WriteByte('\n')
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return directives, b.String()
}

// parseDefine reads the text after "#" of a #define line.
func parseDefine(d string) (cmacro, bool) {
	if !strings.HasPrefix(d, "define") {
		return cmacro{}, false
	}
	rest := strings.TrimLeft(d[len("define"):], " \t")
	if len(rest) == len(d)-len("define") {
		return cmacro{}, false // e.g. "defined"
	}
	n := 0
	for n < len(rest) && (rest[n] == '_' || rest[n] >= 'a' && rest[n] <= 'z' ||
		rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= '0' && rest[n] <= '9') {
		n++
	}
	m := cmacro{name: rest[:n]}
	if n == 0 {
		return m, false
	}
	rest = rest[n:]
	if strings.HasPrefix(rest, "(") {
		end := strings.Index(rest, ")")
		if end < 0 {
			return m, false
		}
		m.funcLike = true
		for _, p := range strings.Split(rest[1:end], ",") {
			if p = strings.TrimSpace(p); p != "" {
				m.params = append(m.params, p)
			}
		}
		rest = rest[end+1:]
	}
	m.body = tokenize(rest)
	return m, true
}

// macroSet looks macros up in a file's own defines, then in the shared
// (header) defines.
type macroSet struct {
	local, shared map[string]cmacro
}

func (ms macroSet) get(name string) (cmacro, bool) {
	if m, ok := ms.local[name]; ok {
		return m, true
	}
	m, ok := ms.shared[name]
	return m, ok
}

// expand macro-expands toks. The AP_INIT_* macros are kept so that the
// command entries stay recognisable.
func (ms macroSet) expand(toks []ctok, hide map[string]bool, depth int) []ctok {
	if depth > 50 {
		return toks
	}
	var out []ctok
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		m, ok := ms.get(t.text)
		if t.kind != 'i' || hide[t.text] || !ok || strings.HasPrefix(t.text, "AP_INIT_") || isMaskName(t.text) {
			out = append(out, t)
			continue
		}
		h := map[string]bool{t.text: true}
		for k := range hide {
			h[k] = true
		}
		if !m.funcLike {
			out = append(out, ms.expand(m.body, h, depth+1)...)
			continue
		}
		if i+1 >= len(toks) || toks[i+1].text != "(" {
			out = append(out, t)
			continue
		}
		args, end := collectArgs(toks, i+1)
		out = append(out, ms.expand(ms.substitute(m, args, hide, depth), h, depth+1)...)
		i = end
	}
	return out
}

// collectArgs splits the parenthesised list starting at toks[open] into
// top-level comma-separated arguments; end is the index of the ')'.
func collectArgs(toks []ctok, open int) (args [][]ctok, end int) {
	depth := 0
	var cur []ctok
	for i := open; i < len(toks); i++ {
		t := toks[i]
		switch t.text {
		case "(", "{", "[":
			depth++
			if depth == 1 {
				continue
			}
		case ")", "}", "]":
			depth--
			if depth == 0 {
				return append(args, cur), i
			}
		case ",":
			if depth == 1 {
				args = append(args, cur)
				cur = nil
				continue
			}
		}
		cur = append(cur, t)
	}
	return append(args, cur), len(toks) - 1
}

// substitute replaces a function-like macro's parameters in its body,
// doing # (stringify) and ## (paste).
func (ms macroSet) substitute(m cmacro, args [][]ctok, hide map[string]bool, depth int) []ctok {
	param := func(name string) int {
		for i, p := range m.params {
			if p == name {
				return i
			}
		}
		return -1
	}
	arg := func(i int) []ctok {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	var out []ctok
	body := m.body
	for i := 0; i < len(body); i++ {
		t := body[i]
		if t.text == "#" && i+1 < len(body) && param(body[i+1].text) >= 0 {
			var parts []string
			for _, a := range arg(param(body[i+1].text)) {
				parts = append(parts, a.text)
			}
			out = append(out, ctok{'s', strconv.Quote(strings.Join(parts, " "))})
			i++
			continue
		}
		if t.text == "##" && len(out) > 0 && i+1 < len(body) {
			next := []ctok{body[i+1]}
			if p := param(body[i+1].text); p >= 0 {
				next = arg(p)
			}
			i++
			if len(next) == 0 {
				continue
			}
			last := out[len(out)-1]
			out[len(out)-1] = ctok{last.kind, last.text + next[0].text}
			out = append(out, next[1:]...)
			continue
		}
		if p := param(t.text); t.kind == 'i' && p >= 0 {
			if i+1 < len(body) && body[i+1].text == "##" {
				out = append(out, arg(p)...)
			} else {
				out = append(out, ms.expand(arg(p), hide, depth+1)...)
			}
			continue
		}
		out = append(out, t)
	}
	return out
}

// unquote concatenates adjacent C string literals; ok is false when toks
// are not all string literals.
func unquote(toks []ctok) (string, bool) {
	if len(toks) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, t := range toks {
		if t.kind != 's' {
			return "", false
		}
		s, err := unescapeC(t.text[1 : len(t.text)-1])
		if err != nil {
			return "", false
		}
		b.WriteString(s)
	}
	return b.String(), true
}

func unescapeC(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("trailing backslash")
		}
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '"', '\'', '?':
			b.WriteByte(c)
		default:
			if c >= '0' && c <= '7' {
				j := i
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(s[i:j], 8, 8)
				b.WriteByte(byte(v))
				i = j - 1
				continue
			}
			return "", fmt.Errorf("unsupported escape \\%c", c)
		}
	}
	return b.String(), nil
}

// scanSource finds every command table entry in the httpd source tree at
// root, keyed by directive name. Preprocessor conditionals are ignored, so
// entries of every branch are returned.
func scanSource(root string) (map[string][]srcCommand, error) {
	var files []string
	for _, dir := range []string{"include", "server", "modules", "os/unix"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".c") || strings.HasSuffix(p, ".h")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	type parsed struct {
		code   string
		macros map[string]cmacro
	}
	shared := map[string]cmacro{}
	all := map[string]parsed{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dirs, code := splitLines(string(data))
		local := map[string]cmacro{}
		for _, d := range dirs {
			if m, ok := parseDefine(d); ok {
				local[m.name] = m
				if strings.HasSuffix(f, ".h") {
					if _, dup := shared[m.name]; !dup {
						shared[m.name] = m
					}
				}
			}
		}
		all[f] = parsed{code, local}
	}
	out := map[string][]srcCommand{}
	for _, f := range files {
		p := all[f]
		if !strings.Contains(p.code, "command_rec") {
			continue
		}
		ms := macroSet{local: p.macros, shared: shared}
		rel, _ := filepath.Rel(root, f)
		for _, table := range commandTables(tokenize(p.code)) {
			for _, c := range commandEntries(ms.expand(table, map[string]bool{}, 0)) {
				c.File = rel
				out[c.Name] = append(out[c.Name], c)
			}
		}
	}
	return out, nil
}

// commandTables returns the initialiser tokens of every
// "command_rec name[] = { ... }" definition.
func commandTables(toks []ctok) [][]ctok {
	var tables [][]ctok
	for i := 0; i+5 < len(toks); i++ {
		if toks[i].text != "command_rec" || toks[i+1].kind != 'i' || toks[i+2].text != "[" ||
			toks[i+3].text != "]" || toks[i+4].text != "=" || toks[i+5].text != "{" {
			continue
		}
		_, end := collectArgs(toks, i+5)
		tables = append(tables, toks[i+6:end])
		i = end
	}
	return tables
}

// commandEntries reads the AP_INIT_* calls of an expanded table.
func commandEntries(toks []ctok) []srcCommand {
	var cmds []srcCommand
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].kind != 'i' || !strings.HasPrefix(toks[i].text, "AP_INIT_") || toks[i+1].text != "(" {
			continue
		}
		kind := strings.TrimPrefix(toks[i].text, "AP_INIT_")
		args, end := collectArgs(toks, i+1)
		i = end
		if len(args) != 5 {
			continue
		}
		name, ok := unquote(args[0])
		if !ok {
			continue // the { NULL } terminator, spelled AP_INIT_TAKE1(NULL, ...)
		}
		var mask []string
		for _, t := range args[3] {
			mask = append(mask, t.text)
		}
		help, helpOK := unquote(args[4])
		cmds = append(cmds, srcCommand{
			Name: name, Kind: kind, Mask: strings.Join(mask, ""), Help: help, HelpOK: helpOK,
		})
	}
	return cmds
}

// isMaskName reports whether name is one of the req_override names, which
// are kept unexpanded so that masks read as the source writes them.
func isMaskName(name string) bool {
	if name == "OR_ALL" || name == "OR_NONE" {
		return true
	}
	for _, b := range overrideBits {
		if b.name == name {
			return true
		}
	}
	return false
}
