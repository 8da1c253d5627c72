package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// headLine is the first line of an apache2 -L entry.
var headLine = regexp.MustCompile(`^(\S+) \(([A-Za-z0-9_.-]+\.c)\)$`)

// shown is one directive as apache2 -L prints it.
type shown struct {
	Name, Source, Help, Context string
}

// parseShowDirectives reads the output of apache2 -L: a "Name (source.c)"
// line, then a tab and the help text (absent for a NULL help; a help
// text with newlines continues on unindented lines), then a tab and the
// allowed-context sentence, which starts with "Allowed in" and may
// continue on a "when AllowOverride" line.
func parseShowDirectives(text string) ([]shown, error) {
	var out []shown
	var cur *shown
	inContext := false
	for n, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if !strings.HasPrefix(line, "\t") {
			if m := headLine.FindStringSubmatch(line); m != nil {
				out = append(out, shown{Name: m[1], Source: m[2]})
				cur, inContext = &out[len(out)-1], false
				continue
			}
			if cur == nil || inContext || cur.Help == "" {
				return nil, fmt.Errorf("line %d: want \"Name (source.c)\", got %q", n+1, line)
			}
			cur.Help += "\n" + line
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: indented line before any directive", n+1)
		}
		body := line[1:]
		switch {
		case strings.HasPrefix(body, "Allowed in *.conf "):
			cur.Context, inContext = body, true
		case inContext:
			cur.Context += "\n" + body
		case cur.Help == "":
			cur.Help = body
		default:
			cur.Help += "\n" + body
		}
	}
	return out, nil
}

// contextSentence is what apache2 -L prints for a directive's override
// mask, without the leading tab.
func contextSentence(o uint32, perDir bool) string {
	const (
		orLimit, orOptions, orFileInfo, orAuthCfg, orIndexes = 1, 2, 4, 8, 16
		orAll                                                = 31
		accessConf, rsrcConf                                 = 64, 128
	)
	var b strings.Builder
	b.WriteString("Allowed in *.conf ")
	switch {
	case o&(orOptions|orFileInfo|orIndexes) != 0 || o&rsrcConf != 0 && o&(accessConf|orAuthCfg|orLimit) != 0:
		b.WriteString("anywhere")
	case o&rsrcConf != 0:
		b.WriteString("only outside <Directory>, <Files>, <Location>, or <If>")
	default:
		b.WriteString("only inside <Directory>, <Files>, <Location>, or <If>")
	}
	if o&(orAll|accessConf) != 0 && !perDir {
		b.WriteString(" [no per-dir config]")
	}
	if o&orAll != 0 {
		b.WriteString(" and in .htaccess\nwhen AllowOverride")
		if o&orAll == orAll {
			b.WriteString(" isn't None")
		} else {
			var names []string
			for _, x := range []struct {
				bit  uint32
				name string
			}{{orAuthCfg, "AuthConfig"}, {orLimit, "Limit"}, {orOptions, "Options"}, {orFileInfo, "FileInfo"}, {orIndexes, "Indexes"}} {
				if o&x.bit != 0 {
					names = append(names, x.name)
				}
			}
			b.WriteString(" includes " + strings.Join(names, " or "))
		}
	}
	return b.String()
}

// checkShowDirectives compares the modules read from the binaries with a
// saved apache2 -L output. Modules that do not appear in it at all (not
// loaded when it was made) are not reported.
func checkShowDirectives(file string, mods []module) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}
	}
	list, err := parseShowDirectives(string(data))
	if err != nil {
		return []string{file + ": " + err.Error()}
	}
	type key struct{ source, name string }
	bin := map[key]binCommand{}
	perDir := map[string]bool{}
	for _, m := range mods {
		perDir[m.Source] = m.PerDirCfg
		for _, c := range m.Commands {
			bin[key{m.Source, c.Name}] = c
		}
	}
	var notes []string
	present := map[string]bool{}
	seen := map[key]bool{}
	for _, s := range list {
		k := key{s.Source, s.Name}
		present[s.Source] = true
		if seen[k] {
			notes = append(notes, fmt.Sprintf("-L: %s (%s) listed twice", s.Name, s.Source))
		}
		seen[k] = true
		c, ok := bin[k]
		if !ok {
			notes = append(notes, fmt.Sprintf("-L: %s (%s) is not in the catalogue", s.Name, s.Source))
			continue
		}
		if s.Help != c.Help {
			notes = append(notes, fmt.Sprintf("-L: %s (%s): help %q, catalogue %q", s.Name, s.Source, s.Help, c.Help))
		}
		if want := contextSentence(c.Override, perDir[s.Source]); s.Context != want {
			notes = append(notes, fmt.Sprintf("-L: %s (%s): context %q, catalogue mask gives %q", s.Name, s.Source, s.Context, want))
		}
	}
	for k := range bin {
		if present[k.source] && !seen[k] {
			notes = append(notes, fmt.Sprintf("-L: %s (%s) is in the catalogue but not listed", k.name, k.source))
		}
	}
	var missing []string
	for _, m := range mods {
		if !present[m.Source] && len(m.Commands) > 0 {
			missing = append(missing, m.ID)
		}
	}
	if len(missing) > 0 {
		notes = append(notes, "-L: modules with directives not covered by this listing: "+strings.Join(missing, " "))
	}
	return notes
}
