package directives

import (
	"errors"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_dir (modules/mappers/mod_dir.c).
func init() {
	Register("dir_module", "DirectoryIndex", buildDirectoryIndex)
	Register("dir_module", "DirectorySlash", func(c *Cmd) error {
		c.Dir().DirIndex.Slash.Put(c.On, c.Pos)
		return nil
	})
	Register("dir_module", "DirectoryCheckHandler", func(c *Cmd) error {
		c.Dir().DirIndex.CheckHandler.Put(c.On, c.Pos)
		return nil
	})
	Register("dir_module", "FallbackResource", func(c *Cmd) error {
		c.Dir().DirIndex.Fallback.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("dir_module", "DirectoryIndexRedirect", buildDirectoryIndexRedirect)
}

// DirIndexConf is a directory's mod_dir configuration. Each field
// replaces the inherited one when set.
type DirIndexConf struct {
	// Names lists the index files, in order. Set with no names is
	// "DirectoryIndex disabled" (or a bare DirectoryIndex): no index.
	// Several DirectoryIndex directives in one context add up.
	Names Opt[[]string]
	// Slash is DirectorySlash (default on).
	Slash Opt[bool]
	// CheckHandler is DirectoryCheckHandler (default off).
	CheckHandler Opt[bool]
	// Fallback is FallbackResource: the local URL served for requests
	// that map to no file; "disabled" turns an inherited one off.
	Fallback Opt[string]
	// Redirect is DirectoryIndexRedirect: 0 for off, else the status of
	// the redirect to the index.
	Redirect Opt[int]
}

// buildDirectoryIndex is mod_dir's add_index: "disabled" alone clears the
// list; anywhere else it is a file name.
func buildDirectoryIndex(c *Cmd) error {
	d := &c.Dir().DirIndex
	names := append([]string{}, d.Names.Val...)
	rest := c.Raw
	for count := 0; ; count++ {
		var w string
		w, rest = parser.GetWord(rest)
		if w == "" {
			break
		}
		if count == 0 && strings.EqualFold(w, "disabled") {
			if next, _ := parser.GetWord(rest); next == "" {
				names = names[:0]
				break
			}
		}
		names = append(names, w)
	}
	d.Names.Put(names, c.Pos)
	return nil
}

func buildDirectoryIndexRedirect(c *Cmd) error {
	arg := c.Args[0]
	var status int
	switch {
	case strings.EqualFold(arg, "on"), strings.EqualFold(arg, "temp"):
		status = 302
	case strings.EqualFold(arg, "off"):
		status = 0
	case strings.EqualFold(arg, "permanent"):
		status = 301
	case strings.EqualFold(arg, "seeother"):
		status = 303
	case arg[0] >= '0' && arg[0] <= '9':
		status = atoi(arg)
		if !isRedirectStatus(status) {
			return errors.New("DirectoryIndexRedirect only accepts values between 300 and 399")
		}
	default:
		return errors.New("DirectoryIndexRedirect ON|OFF|permanent|temp|seeother|3xx")
	}
	c.Dir().DirIndex.Redirect.Put(status, c.Pos)
	return nil
}
