package main

import (
	"fmt"
	"io"

	"github.com/portico-proxy/portico/directives"
)

// dumpVHosts prints the virtual-host table as httpd -D DUMP_VHOSTS does.
func dumpVHosts(w io.Writer, cfg *directives.Config) {
	fmt.Fprintln(w, "VirtualHost configuration:")
	for _, g := range cfg.AddrGroups() {
		addr := g.Addr + ":" + g.Port
		if !g.NameBased() {
			s := g.Hosts[0]
			fmt.Fprintf(w, "%-22s %s (%s:%d)\n", addr, cfg.Name(s), s.Pos.File, s.Pos.Line)
			continue
		}
		d := g.Hosts[0]
		fmt.Fprintf(w, "%-22s is a NameVirtualHost\n%8s default server %s (%s:%d)\n", addr, "", cfg.Name(d), d.Pos.File, d.Pos.Line)
		for _, s := range g.Hosts {
			fmt.Fprintf(w, "%8s port %s namevhost %s (%s:%d)\n", "", g.Port, cfg.Name(s), s.Pos.File, s.Pos.Line)
			for _, a := range s.ServerAlias {
				kind := "alias"
				if hasWildcard(a) {
					kind = "wild alias"
				}
				fmt.Fprintf(w, "%16s %s %s\n", "", kind, a)
			}
		}
	}
}

func hasWildcard(s string) bool {
	for _, r := range s {
		if r == '*' || r == '?' {
			return true
		}
	}
	return false
}

// dumpRunCfg prints the run settings as httpd -D DUMP_RUN_CFG does.
func dumpRunCfg(w io.Writer, cfg *directives.Config) {
	fmt.Fprintf(w, "ServerRoot: %q\n", cfg.ServerRoot)
	docRoot := cfg.Main.Dir.DocumentRoot
	if docRoot == "" {
		docRoot = "/var/www/html"
	}
	fmt.Fprintf(w, "Main DocumentRoot: %q\n", docRoot)
	if cfg.Main.ErrorLog != "" {
		fmt.Fprintf(w, "Main ErrorLog: %q\n", cfg.Main.ErrorLog)
	}
	if cfg.Global.PidFile != "" {
		fmt.Fprintf(w, "PidFile: %q\n", cfg.Global.PidFile)
	}
	for _, n := range cfg.DefineOrder {
		if v := cfg.Defines[n]; v != "" {
			fmt.Fprintf(w, "Define: %s=%s\n", n, v)
		} else {
			fmt.Fprintf(w, "Define: %s\n", n)
		}
	}
	dumpRoutes(w, cfg)
}

// dumpRoutes prints, for the main server and each virtual host, the
// rules that can send a request to a backend, in the order httpd tries
// them, with the file:line of each.
func dumpRoutes(w io.Writer, cfg *directives.Config) {
	servers := append([]*directives.Server{cfg.Main}, cfg.VirtualHosts...)
	fmt.Fprintln(w, "Routes:")
	for _, s := range servers {
		table := cfg.RouteTable(s)
		label := "main server " + cfg.Name(s)
		if s.Virtual {
			label = fmt.Sprintf("<VirtualHost %s> %s (%s:%d)", s.AddrText(), cfg.Name(s), s.Pos.File, s.Pos.Line)
		}
		if len(table) == 0 {
			fmt.Fprintf(w, "%s: no routes\n", label)
			continue
		}
		fmt.Fprintf(w, "%s:\n", label)
		for i, e := range table {
			from := ""
			if e.Inherited {
				from = ", from the main server"
			}
			fmt.Fprintf(w, "%6d  %s\n        -> %s  (%s:%d%s)\n", i+1, e.Describe(), e.Target(), e.Pos().File, e.Pos().Line, from)
		}
	}
}
