// Package compat is the compatibility harness: it runs the same
// configuration in Apache httpd and in Portico, drives both with the same
// raw HTTP/1.x exchanges against the same test backends, and turns what
// the client and the backends observed into a normalised text that is
// recorded from Apache as a golden and compared with Portico's.
//
// The case format, the step language, the observation format and every
// normalisation rule are described in testdata/compat/README.md.
package compat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one file of a case archive.
type File struct {
	Name string
	Data []byte
}

// Case is one compatibility case: a config snippet, the files it uses and
// the steps that exercise it.
type Case struct {
	Name    string
	Comment string // the one-line description
	Conf    string // the httpd.conf snippet, placeholders not yet replaced
	Steps   string // the steps script, placeholders not yet replaced
	Files   []File // every other file, extracted into the case directory
}

// LoadCases reads every *.txtar case of dir, sorted by name.
func LoadCases(dir string) ([]*Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var cases []*Case
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c, err := ParseCase(strings.TrimSuffix(filepath.Base(p), ".txtar"), data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// ParseCase reads a case archive (golang.org/x/tools/txtar format) and
// checks its shape; the steps are checked by parsing them with dummy
// placeholder values.
func ParseCase(name string, data []byte) (*Case, error) {
	comment, files := parseTxtar(data)
	c := &Case{Name: name, Comment: strings.TrimSpace(string(comment))}
	if c.Comment == "" || strings.Contains(c.Comment, "\n") {
		return nil, fmt.Errorf("the comment must be a one-line description, got %q", c.Comment)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Name] {
			return nil, fmt.Errorf("file %q appears twice", f.Name)
		}
		seen[f.Name] = true
		switch f.Name {
		case "httpd.conf":
			c.Conf = string(f.Data)
		case "steps":
			c.Steps = string(f.Data)
		default:
			if !filepath.IsLocal(f.Name) {
				return nil, fmt.Errorf("file name %q leaves the case directory", f.Name)
			}
			c.Files = append(c.Files, f)
		}
	}
	if !seen["httpd.conf"] {
		return nil, fmt.Errorf("no httpd.conf")
	}
	if !seen["steps"] {
		return nil, fmt.Errorf("no steps")
	}
	if _, err := ParseSteps(c.Steps); err != nil {
		return nil, err
	}
	return c, nil
}

// parseTxtar splits an archive into its comment and its files, keeping the
// bytes of each file exactly.
func parseTxtar(data []byte) (comment []byte, files []File) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		if name, ok := txtarMarker(line); ok {
			files = append(files, File{Name: name})
			continue
		}
		if len(files) == 0 {
			comment = append(comment, line...)
		} else {
			files[len(files)-1].Data = append(files[len(files)-1].Data, line...)
		}
	}
	return comment, files
}

func txtarMarker(line []byte) (string, bool) {
	s := strings.TrimSuffix(string(line), "\n")
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < len("-- x --") {
		return "", false
	}
	return strings.TrimSpace(s[3 : len(s)-3]), true
}
