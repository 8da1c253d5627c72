// Package directives walks a parsed httpd configuration the way httpd does
// while reading it (Include, Define/${VAR}, <IfModule> and the other
// conditional sections, LoadModule), checks every directive against the
// registry (module, allowed context, argument shape) and builds the typed
// Config, collecting diagnostics with positions for -t and lint.
package directives

import (
	"fmt"
	"strings"
	"sync"
)

// Override is httpd's req_override mask: where a directive may appear.
// The values are httpd's own (include/http_config.h).
type Override uint32

// Override bits, as in httpd.
const (
	OrNone           Override = 0
	OrLimit          Override = 1
	OrOptions        Override = 2
	OrFileInfo       Override = 4
	OrAuthCfg        Override = 8
	OrIndexes        Override = 16
	OrUnset          Override = 32
	AccessConf       Override = 64
	RsrcConf         Override = 128
	ExecOnRead       Override = 256
	NonfatalOverride Override = 512
	NonfatalUnknown  Override = 1024
	ProxyConf        Override = 2048
	OrAll                     = OrLimit | OrOptions | OrFileInfo | OrAuthCfg | OrIndexes
)

var overrideNames = []struct {
	bit  Override
	name string
}{
	{OrLimit, "OR_LIMIT"}, {OrOptions, "OR_OPTIONS"}, {OrFileInfo, "OR_FILEINFO"},
	{OrAuthCfg, "OR_AUTHCFG"}, {OrIndexes, "OR_INDEXES"}, {OrUnset, "OR_UNSET"},
	{AccessConf, "ACCESS_CONF"}, {RsrcConf, "RSRC_CONF"}, {ExecOnRead, "EXEC_ON_READ"},
	{NonfatalOverride, "NONFATAL_OVERRIDE"}, {NonfatalUnknown, "NONFATAL_UNKNOWN"},
	{ProxyConf, "PROXY_CONF"},
}

// String spells the mask as httpd's source does, e.g. "RSRC_CONF|ACCESS_CONF".
func (o Override) String() string {
	if o == OrNone {
		return "OR_NONE"
	}
	var parts []string
	if o&OrAll == OrAll {
		parts = append(parts, "OR_ALL")
		o &^= OrAll
	}
	for _, n := range overrideNames {
		if o&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// ParseOverride reads a mask written as httpd's source writes it:
// names joined by '|', e.g. "RSRC_CONF|ACCESS_CONF|EXEC_ON_READ".
func ParseOverride(s string) (Override, error) {
	var o Override
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		switch part {
		case "OR_ALL":
			o |= OrAll
			continue
		case "OR_NONE", "0":
			continue
		}
		found := false
		for _, n := range overrideNames {
			if n.name == part {
				o |= n.bit
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown override %q", part)
		}
	}
	return o, nil
}

// ArgKind is how httpd splits a directive's arguments before calling its
// handler (cmd_how in include/http_config.h).
type ArgKind uint8

// Argument kinds, as in httpd.
const (
	RawArgs ArgKind = iota
	TakeArgv
	NoArgs
	Take1
	Take2
	Take12
	Take3
	Take23
	Take123
	Take13
	Iterate
	Iterate2
	Flag
)

var argKindNames = [...]string{
	RawArgs: "RAW_ARGS", TakeArgv: "TAKE_ARGV", NoArgs: "NO_ARGS", Take1: "TAKE1",
	Take2: "TAKE2", Take12: "TAKE12", Take3: "TAKE3", Take23: "TAKE23",
	Take123: "TAKE123", Take13: "TAKE13", Iterate: "ITERATE", Iterate2: "ITERATE2",
	Flag: "FLAG",
}

// String returns httpd's name for the kind, e.g. "TAKE12".
func (k ArgKind) String() string {
	if int(k) < len(argKindNames) {
		return argKindNames[k]
	}
	return fmt.Sprintf("ArgKind(%d)", k)
}

// ParseArgKind reads httpd's name for an argument kind.
func ParseArgKind(s string) (ArgKind, error) {
	for k, n := range argKindNames {
		if n == s {
			return ArgKind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown argument kind %q", s)
}

// Spec describes one directive: httpd's command_rec, plus Portico's
// builder when Portico gives the directive a meaning.
type Spec struct {
	Name     string // as httpd spells it; sections start with '<'
	Module   string // module identifier, e.g. "proxy_module"
	Args     ArgKind
	Override Override
	Help     string // appended to httpd's argument-count errors
	// Build turns the directive into typed configuration. A directive
	// with no Build is recognised and ignored (a lint note).
	Build func(c *Cmd) error
}

// Supported reports whether Portico acts on the directive.
func (s *Spec) Supported() bool { return s.Build != nil }

// IsSection reports whether the directive opens a section.
func (s *Spec) IsSection() bool { return strings.HasPrefix(s.Name, "<") }

type registration struct {
	name   string
	module string
	build  func(*Cmd) error
	spec   *Spec // for directives that are Portico's own
}

var (
	registrations []registration
	registered    = map[string]bool{}
	registryOnce  sync.Once
	registry      map[string][]*Spec // lower-case name → specs, one per module
)

// Register gives the directive name of module a builder. The directive's
// shape (arguments, contexts, help) comes from the catalogue of httpd's
// directives. Registering the same directive twice panics.
func Register(module, name string, build func(*Cmd) error) {
	key := module + "\x00" + strings.ToLower(name)
	if registered[key] {
		panic(fmt.Sprintf("directives: %s of %s registered twice", name, module))
	}
	registered[key] = true
	registrations = append(registrations, registration{name: name, module: module, build: build})
}

// RegisterSpec adds a directive that httpd does not have: Portico's own,
// of module portico_module.
func RegisterSpec(s Spec) {
	key := s.Module + "\x00" + strings.ToLower(s.Name)
	if registered[key] {
		panic(fmt.Sprintf("directives: %s of %s registered twice", s.Name, s.Module))
	}
	registered[key] = true
	sp := s
	registrations = append(registrations, registration{name: s.Name, module: s.Module, spec: &sp})
}

func buildRegistry() {
	registry = map[string][]*Spec{}
	for _, e := range Catalog() {
		s := &Spec{Name: e.Name, Module: e.Module, Args: e.Args, Override: e.Override, Help: e.Help}
		k := strings.ToLower(e.Name)
		registry[k] = append(registry[k], s)
	}
	for _, r := range registrations {
		k := strings.ToLower(r.name)
		if r.spec != nil {
			registry[k] = append(registry[k], r.spec)
			continue
		}
		found := false
		for _, s := range registry[k] {
			if s.Module == r.module {
				s.Build = r.build
				found = true
			}
		}
		if !found {
			panic(fmt.Sprintf("directives: %s of %s is not in the catalogue", r.name, r.module))
		}
	}
}

// Specs returns every known definition of the directive name (any case):
// one per module that defines it.
func Specs(name string) []*Spec {
	registryOnce.Do(buildRegistry)
	return registry[strings.ToLower(name)]
}

// AllSpecs returns every known directive definition.
func AllSpecs() []*Spec {
	registryOnce.Do(buildRegistry)
	var out []*Spec
	for _, ss := range registry {
		out = append(out, ss...)
	}
	return out
}

// moduleImplemented reports whether Portico acts on any directive of the
// module, or the module is one whose work Portico does without
// directives.
func moduleImplemented(id string) bool {
	registryOnce.Do(buildRegistry)
	if implementedWithoutDirectives[id] {
		return true
	}
	for _, ss := range registry {
		for _, s := range ss {
			if s.Module == id && s.Build != nil {
				return true
			}
		}
	}
	return false
}

// implementedWithoutDirectives lists modules whose function Portico
// provides although it needs no directive of theirs.
var implementedWithoutDirectives = map[string]bool{
	"http_module":                true,
	"proxy_http_module":          true,
	"lbmethod_byrequests_module": true,
	"lbmethod_bybusyness_module": true,
	"lbmethod_bytraffic_module":  true,
	"slotmem_shm_module":         true,
	"socache_shmcb_module":       true,
	"watchdog_module":            true,
	"mpm_event_module":           true,
}
