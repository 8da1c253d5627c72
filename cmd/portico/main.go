// Command portico is a reverse proxy that reads Apache httpd 2.4
// configuration files and behaves as httpd does.
//
// Its command line is httpd's (-f, -d, -D, -C, -c, -t, -S, -M, -v, -V,
// -X), plus the subcommands lint and trace.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// version is Portico's own release.
const version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// argv0 is the program name httpd-style messages start with.
const argv0 = "portico"

// run is the whole program: it parses args (without the program name)
// and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "lint":
			return runLint(args[1:], stdout, stderr)
		case "trace":
			return runTrace(args[1:], stdout, stderr)
		case "help", "--help":
			usage(stdout)
			return 0
		}
	}
	o, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		usage(stderr)
		return 1
	}
	switch {
	case o.help:
		usage(stdout)
		return 0
	case o.version:
		fmt.Fprintf(stdout, "Server version: Portico/%s (Apache/2.4.71 compatible)\n", version)
		return 0
	case o.settings:
		fmt.Fprintf(stdout, "Server version: Portico/%s (Apache/2.4.71 compatible)\n", version)
		fmt.Fprintf(stdout, "Server's Module Magic Number: none (modules are built in)\n")
		fmt.Fprintf(stdout, " -D HTTPD_ROOT=%q\n -D SERVER_CONFIG_FILE=%q\n", "/etc/apache2", "apache2.conf")
		return 0
	case o.listStatic:
		return listCompiled(stdout)
	case o.listDirectives:
		return listDirectives(stdout)
	}
	if o.configTest || o.dumpVHosts || o.dumpModules || o.dumpRunCfg {
		return configTest(o, stdout, stderr)
	}
	return serve(o, stdout, stderr)
}

// options is the parsed command line.
type options struct {
	file, root     string
	defines        []string
	before, after  []string
	configTest     bool
	dumpVHosts     bool
	dumpModules    bool
	dumpRunCfg     bool
	version        bool
	settings       bool
	help           bool
	listStatic     bool
	listDirectives bool
	foreground     bool
	signal         string
}

// parseFlags reads httpd's options, getopt style: a value may follow its
// letter directly (-DFOREGROUND) or as the next argument (-D FOREGROUND).
func parseFlags(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			return nil, fmt.Errorf("unexpected argument %q", a)
		}
		letter, val := a[1], a[2:]
		needsValue := strings.IndexByte("fdDCceEkRT", letter) >= 0 && letter != 'T'
		if needsValue && val == "" {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option requires an argument -- '%c'", letter)
			}
			i++
			val = args[i]
		} else if !needsValue && val != "" {
			return nil, fmt.Errorf("illegal option %q", a)
		}
		switch letter {
		case 'f':
			o.file = val
		case 'd':
			o.root = val
		case 'D':
			o.defines = append(o.defines, val)
			switch val {
			case "DUMP_VHOSTS":
				o.dumpVHosts = true
			case "DUMP_MODULES":
				o.dumpModules = true
			case "DUMP_RUN_CFG":
				o.dumpRunCfg = true
			case "FOREGROUND", "NO_DETACH", "ONE_PROCESS":
				o.foreground = true
			}
		case 'C':
			o.before = append(o.before, val)
		case 'c':
			o.after = append(o.after, val)
		case 't':
			o.configTest = true
		case 'S':
			o.configTest, o.dumpVHosts, o.dumpRunCfg = true, true, true
			o.defines = append(o.defines, "DUMP_VHOSTS", "DUMP_RUN_CFG")
		case 'M':
			o.configTest, o.dumpModules = true, true
			o.defines = append(o.defines, "DUMP_MODULES")
		case 'v':
			o.version = true
		case 'V':
			o.settings = true
		case 'h', '?':
			o.help = true
		case 'l':
			o.listStatic = true
		case 'L':
			o.listDirectives = true
		case 'X':
			o.foreground = true
			o.defines = append(o.defines, "DEBUG")
		case 'k':
			o.signal = val
		case 'e', 'E', 'R':
			// Startup log level, startup log file, module directory:
			// accepted for compatibility.
		case 'T':
			// No DocumentRoot check: accepted.
		default:
			return nil, fmt.Errorf("illegal option -- %c", letter)
		}
	}
	return o, nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `Usage: %[1]s [-D name] [-d directory] [-f file]
               [-C "directive"] [-c "directive"]
               [-k start|stop|graceful] [-v] [-V] [-h] [-l] [-L] [-t] [-T] [-S] [-X]
       %[1]s lint [--format text|json] [-d directory] [-f file] [-D name]
Options:
  -D name            : define a name for use in <IfDefine name> directives
  -d directory       : specify an alternate initial ServerRoot
  -f file            : specify an alternate ServerConfigFile
  -C "directive"     : process directive before reading config files
  -c "directive"     : process directive after reading config files
  -v                 : show version number
  -V                 : show compile settings
  -h                 : list available command line options (this page)
  -l                 : list compiled in modules
  -L                 : list available configuration directives
  -t -D DUMP_VHOSTS  : show parsed vhost settings
  -t -D DUMP_RUN_CFG : show parsed run settings
  -S                 : a synonym for -t -D DUMP_VHOSTS -D DUMP_RUN_CFG, plus the routing table
  -t -D DUMP_MODULES : show all loaded modules
  -M                 : a synonym for -t -D DUMP_MODULES
  -t                 : run syntax check for config files
  -T                 : start without DocumentRoot(s) check
  -X                 : debug mode (only one worker, do not detach)
Subcommands:
  lint               : every diagnostic with file:line:col, and what Apache never tells
  trace URL          : the decision the server would make for a request, rule by rule
`, argv0)
}
