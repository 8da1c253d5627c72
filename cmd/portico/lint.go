package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/portico-proxy/portico/directives"
)

// runLint is `portico lint`: every diagnostic of reading the configuration,
// then Portico's own findings, each with file:line:col.
func runLint(args []string, stdout, stderr io.Writer) int {
	format := "text"
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--format" || a == "-format":
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "%s lint: --format needs a value (text or json)\n", argv0)
				return 2
			}
			i++
			format = args[i]
		case strings.HasPrefix(a, "--format="):
			format = strings.TrimPrefix(a, "--format=")
		default:
			rest = append(rest, a)
		}
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(stderr, "%s lint: unknown format %q (text or json)\n", argv0, format)
		return 2
	}
	o, err := parseFlags(rest)
	if err != nil {
		fmt.Fprintf(stderr, "%s lint: %v\n", argv0, err)
		return 2
	}
	cfg, diags := directives.LoadForLint(loadOptions(o))
	all := append(diags, directives.Lint(cfg)...)
	all = all.Sorted()
	if format == "json" {
		writeJSON(stdout, all)
	} else {
		for _, d := range all {
			fmt.Fprintln(stdout, d.String())
		}
		fmt.Fprintf(stdout, "%d errors, %d warnings, %d notes\n", all.Errors(), count(all, directives.Warning), count(all, directives.Note))
	}
	if all.Errors() > 0 {
		return 1
	}
	return 0
}

func count(ds directives.Diagnostics, s directives.Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

type jsonDiag struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity string   `json:"severity"`
	Code     string   `json:"code,omitempty"`
	Message  string   `json:"message"`
	Included []string `json:"included_from,omitempty"`
	Related  string   `json:"related,omitempty"`
}

func writeJSON(w io.Writer, ds directives.Diagnostics) {
	out := make([]jsonDiag, 0, len(ds))
	for _, d := range ds {
		j := jsonDiag{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Severity: d.Severity.String(), Code: d.Code, Message: d.Msg}
		for _, c := range d.Chain {
			j.Included = append(j.Included, c.String())
		}
		if d.Related.IsValid() {
			j.Related = d.Related.String()
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
