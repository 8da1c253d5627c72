package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
)

func loadOptions(o *options) directives.Options {
	return directives.Options{
		File:       o.file,
		ServerRoot: o.root,
		Defines:    o.defines,
		Before:     o.before,
		After:      o.after,
	}
}

// printHTTPD writes diagnostics as httpd -t does: the warnings met before
// the first error as error-log lines, then that error. It reports whether
// there was an error.
func printHTTPD(w io.Writer, diags directives.Diagnostics) bool {
	now := time.Now()
	pid := os.Getpid()
	for _, d := range diags {
		switch d.Severity {
		case directives.Error:
			fmt.Fprintln(w, d.HTTPD(argv0))
			return true
		case directives.Warning:
			if !strings.HasPrefix(d.Code, "AH") {
				continue // Portico's own findings are lint's business
			}
			fmt.Fprintf(w, "[%s] %s\n", logTime(now), withPID(d.HTTPD(argv0), pid))
		}
	}
	return false
}

// logTime formats a time as httpd's error log does.
func logTime(t time.Time) string {
	return t.Format("Mon Jan 02 15:04:05.000000 2006")
}

// withPID puts "[pid N:tid N]" after the "[module:level]" part.
func withPID(line string, pid int) string {
	i := strings.IndexByte(line, ']')
	if i < 0 {
		return line
	}
	return fmt.Sprintf("%s [pid %d:tid %d]%s", line[:i+1], pid, pid, line[i+1:])
}

// configTest is -t, -S and -M.
func configTest(o *options, stdout, stderr io.Writer) int {
	cfg, diags := directives.Load(loadOptions(o))
	if printHTTPD(stderr, diags) {
		return 1
	}
	if cfg.Main.ServerName == "" {
		// httpd's AH00558, with the address it would fall back to.
		fmt.Fprintf(stderr, "AH00558: %s: Could not reliably determine the server's fully qualified domain name, using %s. Set the 'ServerName' directive globally to suppress this message\n", argv0, cfg.DefaultServerName)
	}
	if o.dumpVHosts {
		dumpVHosts(stdout, cfg)
	}
	if o.dumpRunCfg {
		dumpRunCfg(stdout, cfg)
	}
	if o.dumpModules {
		dumpModules(stdout, cfg)
	}
	if o.configTest && !o.dumpVHosts && !o.dumpModules && !o.dumpRunCfg {
		fmt.Fprintln(stderr, "Syntax OK")
	}
	return 0
}

func dumpModules(w io.Writer, cfg *directives.Config) {
	fmt.Fprintln(w, "Loaded Modules:")
	for _, m := range cfg.Modules {
		kind := "shared"
		if m.Path == "" {
			kind = "static"
		}
		fmt.Fprintf(w, " %s (%s)\n", m.ID, kind)
	}
}

func listCompiled(w io.Writer) int {
	fmt.Fprintln(w, "Compiled in modules:")
	for _, m := range directives.Modules() {
		if m.Builtin {
			fmt.Fprintf(w, "  %s\n", m.Source)
		}
	}
	return 0
}

func listDirectives(w io.Writer) int {
	specs := directives.AllSpecs()
	sort.Slice(specs, func(i, j int) bool {
		if specs[i].Module != specs[j].Module {
			return specs[i].Module < specs[j].Module
		}
		return specs[i].Name < specs[j].Name
	})
	for _, s := range specs {
		fate := "ignored"
		if s.Supported() {
			fate = "supported"
		}
		fmt.Fprintf(w, "%s (%s) %s\n\t%s\n", s.Name, s.Module, fate, s.Help)
	}
	return 0
}
