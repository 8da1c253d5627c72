package directives

import (
	"time"

	"github.com/portico-proxy/portico/internal/expr"
	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// Config is a whole configuration as httpd would hold it after reading:
// plain data, every item with the position that set it.
type Config struct {
	// File is the main configuration file (-f), absolute.
	File string
	// ServerRoot is the directory relative paths are resolved against.
	ServerRoot string
	// Modules lists the modules in force: the built-in ones, then those
	// loaded with LoadModule, in order.
	Modules []LoadedModule
	// Defines holds the parameters defined with -D or Define (values
	// are empty for names defined without a value).
	Defines map[string]string
	// DefineOrder lists the names of Defines in the order httpd keeps
	// them.
	DefineOrder []string
	// Listen lists the Listen directives in order.
	Listen []Listen
	// DefaultServerName is the name httpd falls back to when the main
	// server has no ServerName: the host's fully qualified name if it
	// resolves to one, else its address (httpd's AH00558).
	DefaultServerName string
	// Main is the main server: directives outside any <VirtualHost>.
	Main *Server
	// VirtualHosts lists the <VirtualHost> sections in config order.
	VirtualHosts []*Server
	// Global holds settings that belong to the whole process.
	Global Global
	// Ignored lists directives Portico recognises but gives no meaning
	// (User, Mutex, MPM tuning …), one entry per directive name, in the
	// order first met.
	Ignored []IgnoredDirective
}

// Global holds process-wide settings.
type Global struct {
	GracefulShutdownTimeout time.Duration
	PidFile                 string
	DefaultRuntimeDir       string
	ErrorLog                string
	LogLevel                string
	BufferedLogs            Opt[bool] // mod_log_config's BufferedLogs
}

// LoadedModule is a module in force.
type LoadedModule struct {
	ID     string // module identifier, e.g. "proxy_module"
	Source string // source name, e.g. "mod_proxy.c"
	Path   string // the .so path of LoadModule; empty for built-ins
	Pos    parser.Pos
	// Implemented is true for modules whose directives Portico acts
	// on; the directives of the others are recognised and ignored.
	Implemented bool
}

// IgnoredDirective is a directive that Portico reads and drops.
type IgnoredDirective struct {
	Name   string
	Module string
	Pos    parser.Pos
	Count  int
}

// Listen is one Listen directive.
type Listen struct {
	Addr     string // host part, "" for all addresses
	Port     string
	Protocol string // "http", "https" or empty
	Pos      parser.Pos
}

// VHostAddr is one address of a <VirtualHost>: "*", "_default_", an IP
// or a name, with an optional port ("*" or a number; empty = any).
type VHostAddr struct {
	Host string
	Port string
}

// Server is the main server or one virtual host: what httpd keeps in a
// server_rec and its module configs.
type Server struct {
	Pos     parser.Pos
	Virtual bool
	Addrs   []VHostAddr

	ServerName    string
	ServerNamePos parser.Pos
	ServerAlias   []string
	ServerAdmin   string

	Timeout               Opt[time.Duration]
	KeepAlive             Opt[bool]
	KeepAliveTimeout      Opt[time.Duration]
	MaxKeepAliveRequests  Opt[int]
	LimitRequestLine      Opt[int]
	LimitRequestFieldSize Opt[int]
	LimitRequestFields    Opt[int]
	UseCanonicalName      Opt[string]
	HostnameLookups       Opt[bool]
	// TraceEnable is "on", "off" or "extended" (lower case).
	TraceEnable Opt[string]

	ErrorLog string
	LogLevel string
	// LogFormats holds this server's LogFormat nicknames (a virtual
	// host inherits the main server's, overlaid by its own);
	// DefaultLogFormat is set by a LogFormat without a nickname.
	LogFormats       map[string]LogFormat
	DefaultLogFormat *LogFormat
	CustomLogs       []CustomLog

	// Dir is the server-level per-directory configuration (directives
	// written outside any section), the base every section merges onto.
	Dir *DirConf
	// Sections lists <Directory>, <Location>, <Files>, <Proxy> and
	// their Match forms, and <If>, in config order.
	Sections []*Section

	Proxy      ProxyServer
	Rewrite    *RewriteConf
	TLS        TLSServer
	ReqTimeout RequestReadTimeout
}

// SectionKind names a kind of section.
type SectionKind string

// Section kinds.
const (
	SectionDirectory      SectionKind = "Directory"
	SectionDirectoryMatch SectionKind = "DirectoryMatch"
	SectionFiles          SectionKind = "Files"
	SectionFilesMatch     SectionKind = "FilesMatch"
	SectionLocation       SectionKind = "Location"
	SectionLocationMatch  SectionKind = "LocationMatch"
	SectionProxy          SectionKind = "Proxy"
	SectionProxyMatch     SectionKind = "ProxyMatch"
	SectionIf             SectionKind = "If"
	SectionElseIf         SectionKind = "ElseIf"
	SectionElse           SectionKind = "Else"
	SectionLimit          SectionKind = "Limit"
	SectionLimitExcept    SectionKind = "LimitExcept"
)

// Section is a per-directory section with its configuration.
type Section struct {
	Kind SectionKind
	// Arg is the section's argument as written (path, pattern, URL,
	// expression), without the closing '>' and the "~".
	Arg string
	// Regex is set for the Match forms and for "~" arguments.
	Regex *pcre.Regexp
	Expr  *expr.Expr // the condition of <If> and <ElseIf>
	Pos   parser.Pos
	Dir   *DirConf
	// Nested holds sections inside this one (<Files> in <Directory>,
	// <If> in <Location> …).
	Nested []*Section
	// Parent is the enclosing section, nil at server level.
	Parent *Section
}

// DirConf is a per-directory configuration: what a section (or the
// server level) sets for the requests it covers. Unset fields inherit.
type DirConf struct {
	Proxy   ProxyDir
	Rewrite *RewriteConf
	Headers []HeaderAction

	DocumentRoot        string       // only at server level
	DirIndex            DirIndexConf // mod_dir
	Options             []string
	SetHandler          Opt[string]
	ErrorDocuments      map[int]ErrorDocument
	Aliases             []Alias // mod_alias: at server level, and redirects and Location aliases in sections
	Require             []string
	AllowEncodedSlashes Opt[string]
	MergeSlashes        Opt[bool]
	LimitRequestBody    Opt[int64]
	AddDefaultCharset   Opt[string]
	ForceType           Opt[string]
	MIME                MIMEConf // mod_mime
	TLS                 TLSDir   // mod_ssl's per-directory and SSLProxy* settings
}

// ErrorDocument is one ErrorDocument directive.
type ErrorDocument struct {
	Code   int
	Target string // a local URL, an external URL, or a quoted message
	Pos    parser.Pos
}

// Opt is a value that may be unset, for settings that inherit when they
// are not written.
type Opt[T any] struct {
	Val T
	Set bool
	Pos parser.Pos
}

// Get returns the value if set, otherwise def.
func (o Opt[T]) Get(def T) T {
	if o.Set {
		return o.Val
	}
	return def
}

// Put sets the value with its position.
func (o *Opt[T]) Put(v T, pos parser.Pos) {
	o.Val, o.Set, o.Pos = v, true, pos
}
