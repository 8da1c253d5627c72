package directives

import (
	"bufio"
	"os"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_mime (modules/http/mod_mime.c), and core's
// deprecated DefaultType.
func init() {
	for name, field := range map[string]func(*ExtensionInfo) *Opt[string]{
		"AddType":         func(e *ExtensionInfo) *Opt[string] { return &e.Type },
		"AddCharset":      func(e *ExtensionInfo) *Opt[string] { return &e.Charset },
		"AddEncoding":     func(e *ExtensionInfo) *Opt[string] { return &e.Encoding },
		"AddLanguage":     func(e *ExtensionInfo) *Opt[string] { return &e.Language },
		"AddHandler":      func(e *ExtensionInfo) *Opt[string] { return &e.Handler },
		"AddInputFilter":  func(e *ExtensionInfo) *Opt[string] { return &e.InputFilters },
		"AddOutputFilter": func(e *ExtensionInfo) *Opt[string] { return &e.OutputFilters },
	} {
		Register("mime_module", name, addExtensionInfo(field))
	}
	// RemoveType records an empty type, so that it also hides what
	// TypesConfig says; the other Remove* directives undo inherited
	// mappings when sections merge.
	Register("mime_module", "RemoveType", func(c *Cmd) error {
		setExtensionInfo(c, func(e *ExtensionInfo) *Opt[string] { return &e.Type }, "", c.Args)
		return nil
	})
	for _, name := range []string{"RemoveCharset", "RemoveEncoding", "RemoveHandler",
		"RemoveInputFilter", "RemoveLanguage", "RemoveOutputFilter"} {
		Register("mime_module", name, func(c *Cmd) error {
			m := &c.Dir().MIME
			m.Removed = append(m.Removed, ExtensionRemoval{
				Directive: c.Spec.Name, Ext: strings.ToLower(strings.TrimPrefix(c.Args[0], ".")), Pos: c.Pos})
			return nil
		})
	}
	Register("mime_module", "TypesConfig", func(c *Cmd) error {
		c.Server().Dir.MIME.TypesConfig.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("mime_module", "DefaultLanguage", func(c *Cmd) error {
		c.Dir().MIME.DefaultLanguage.Put(c.Args[0], c.Pos)
		return nil
	})
	Register("core_module", "DefaultType", func(c *Cmd) error {
		if !strings.EqualFold(c.Args[0], "off") && !strings.EqualFold(c.Args[0], "none") {
			serverWarn(c, "AH00117", "core", "Ignoring deprecated use of DefaultType in line %d of %s.", c.Line(), c.Pos.File)
		}
		return nil
	})
}

// MIMEConf is a directory's mod_mime configuration.
type MIMEConf struct {
	// Extensions maps a file extension (lower case, without the dot) to
	// what the Add* directives (and RemoveType) of this context say
	// about it.
	Extensions map[string]*ExtensionInfo
	// Removed lists the Remove* directives (other than RemoveType) of
	// this context: they drop inherited settings.
	Removed []ExtensionRemoval
	// DefaultLanguage is DefaultLanguage.
	DefaultLanguage Opt[string]
	// TypesConfig is the TypesConfig file as written (only at server
	// level, in Server.Dir); relative to ServerRoot. Unset means
	// httpd's default, conf/mime.types. ReadMIMETypes reads it.
	TypesConfig Opt[string]
}

// ExtensionInfo is what a context says about one file extension. Values
// are lower case, as mod_mime stores them; an empty Type that is set is
// RemoveType.
type ExtensionInfo struct {
	Type          Opt[string]
	Charset       Opt[string]
	Encoding      Opt[string]
	Language      Opt[string]
	Handler       Opt[string]
	InputFilters  Opt[string]
	OutputFilters Opt[string]
}

// ExtensionRemoval is one RemoveCharset, RemoveEncoding, RemoveHandler,
// RemoveInputFilter, RemoveLanguage or RemoveOutputFilter.
type ExtensionRemoval struct {
	Directive string
	Ext       string
	Pos       parser.Pos
}

// addExtensionInfo is mod_mime's add_extension_info, for ITERATE2
// directives: the first word is the value, each further word an
// extension (one call per extension).
func addExtensionInfo(field func(*ExtensionInfo) *Opt[string]) func(*Cmd) error {
	return func(c *Cmd) error {
		setExtensionInfo(c, field, strings.ToLower(c.Args[0]), c.Args[1:])
		return nil
	}
}

func setExtensionInfo(c *Cmd, field func(*ExtensionInfo) *Opt[string], value string, exts []string) {
	m := &c.Dir().MIME
	if m.Extensions == nil {
		m.Extensions = map[string]*ExtensionInfo{}
	}
	for _, ext := range exts {
		key := strings.TrimPrefix(strings.ToLower(ext), ".")
		info := m.Extensions[key]
		if info == nil {
			info = &ExtensionInfo{}
			m.Extensions[key] = info
		}
		field(info).Put(value, c.Pos)
	}
}

// ReadMIMETypes reads a mime.types file as mod_mime does at start-up:
// per line, a media type followed by its extensions; lines starting with
// '#' are comments. It returns extension (lower case) → media type.
func ReadMIMETypes(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	types := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.Trim(sc.Text(), " \t\r\n\v\f")
		if strings.HasPrefix(line, "#") {
			continue
		}
		ct, rest := parser.GetWord(line)
		for rest != "" {
			var ext string
			ext, rest = parser.GetWord(rest)
			types[strings.ToLower(ext)] = ct
		}
	}
	return types, sc.Err()
}
