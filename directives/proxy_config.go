package directives

import (
	"time"

	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// ProxyServer holds a server's mod_proxy configuration (httpd's
// proxy_server_conf, plus the per-server parts of mod_proxy_hcheck and
// mod_lbmethod_heartbeat), as written in that server: a virtual host's
// value holds only its own directives. EffectiveProxy combines a virtual
// host with the main server the way httpd merges them.
//
// The zero value is a server with no mod_proxy directive: every Opt is
// unset and means httpd's default, given in each field's comment.
type ProxyServer struct {
	// Routes lists the server-level ProxyPass and ProxyPassMatch
	// directives in config order (httpd's aliases). The one-argument
	// form inside <Location> lives in that section's ProxyDir.Route.
	Routes []*Route
	// Workers lists the workers defined in this server outside any
	// balancer, in definition order: by ProxyPass, ProxyPassMatch,
	// <Proxy url k=v>, and ProxySet inside <Proxy url>. Requests pick
	// among them by longest prefix of the backend URL (FindWorker).
	Workers []*Worker
	// Balancers lists the balancer:// groups defined in this server,
	// in definition order.
	Balancers []*Balancer

	// Requests is ProxyRequests (forward proxying); unset means Off.
	Requests Opt[bool]
	// Via is ProxyVia; unset means ViaOff.
	Via Opt[ViaMode]
	// Timeout is ProxyTimeout; unset means the server's Timeout.
	Timeout Opt[time.Duration]
	// IOBufferSize is ProxyIOBufferSize in bytes (0 written is stored
	// as 8192); unset means 8192.
	IOBufferSize Opt[int]
	// ReceiveBufferSize is ProxyReceiveBufferSize in bytes; unset or 0
	// means the operating system's default.
	ReceiveBufferSize Opt[int]
	// MaxForwards is ProxyMaxForwards; unset means -1: no Max-Forwards
	// header is added.
	MaxForwards Opt[int64]
	// BadHeader is ProxyBadHeader; unset means BadHeaderIsError.
	BadHeader Opt[BadHeaderMode]
	// Status is ProxyStatus; unset means StatusOff.
	Status Opt[StatusMode]
	// SourceAddress is ProxySourceAddress as written; unset means the
	// operating system chooses.
	SourceAddress Opt[string]
	// PassInherit is ProxyPassInherit; unset means On. Despite its
	// documentation it only decides whether ProxyRemote entries, and
	// (together with BalancerInherit Off) workers and balancers, are
	// inherited: the main server's ProxyPass routes always apply.
	PassInherit Opt[bool]
	// BalancerInherit is BalancerInherit; unset means On.
	BalancerInherit Opt[bool]
	// BalancerGrowth is BalancerGrowth; unset means 5.
	BalancerGrowth Opt[int]
	// BalancerPersist is BalancerPersist; unset means Off. It is not
	// inherited by virtual hosts.
	BalancerPersist Opt[bool]
	// Domain is ProxyDomain (starts with '.'); unset means none.
	Domain Opt[string]
	// Remotes lists ProxyRemote and ProxyRemoteMatch in order.
	Remotes []RemoteProxy
	// NoProxy lists the NoProxy entries, duplicates (any case) dropped.
	NoProxy []string
	// Block lists the ProxyBlock entries, duplicates (any case) dropped.
	Block []string

	// HCTemplates lists ProxyHCTemplate definitions in order. Like
	// HCExprs they belong to this server only: httpd does not merge
	// them into virtual hosts.
	HCTemplates []*HCTemplate
	// HCExprs lists ProxyHCExpr definitions in order; a later one of
	// the same name (any case) replaces the earlier.
	HCExprs []*HCExpr
	// HCTPSize is ProxyHCTPsize (main server only); unset means 16
	// threads.
	HCTPSize Opt[int]
	// HeartbeatStorage is mod_lbmethod_heartbeat's HeartbeatStorage
	// (main server only), resolved against DefaultRuntimeDir; unset
	// means "hb.dat" in the runtime directory.
	HeartbeatStorage Opt[string]
}

// ProxyDir holds the per-directory mod_proxy configuration of a section
// or of a server's top level (httpd's proxy_dir_conf, plus
// mod_proxy_wstunnel's setting). The zero value sets nothing.
type ProxyDir struct {
	// Route is the one-argument ProxyPass or ProxyPassMatch of a
	// <Location> or <LocationMatch>; nil when there is none. When
	// sections merge, a later one's Route replaces an earlier one's.
	Route *Route
	// Reverse lists the ProxyPassReverse rules in order; merged
	// sections append theirs after the enclosing ones'.
	Reverse []ReverseMap
	// CookiePaths lists ProxyPassReverseCookiePath rules in order.
	CookiePaths []ReverseMap
	// CookieDomains lists ProxyPassReverseCookieDomain rules in order.
	CookieDomains []ReverseMap
	// PreserveHost is ProxyPreserveHost; unset means Off.
	PreserveHost Opt[bool]
	// AddHeaders is ProxyAddHeaders; unset means On.
	AddHeaders Opt[bool]
	// Continue100 is Proxy100Continue; unset means On.
	Continue100 Opt[bool]
	// ErrorOverride is the On/Off of ProxyErrorOverride; unset means
	// Off.
	ErrorOverride Opt[bool]
	// ErrorOverrideCodes lists the status codes given to
	// ProxyErrorOverride On, sorted; empty means every 4xx and 5xx.
	ErrorOverrideCodes []int
	// InterpolateEnv is ProxyPassInterpolateEnv; unset means Off.
	InterpolateEnv Opt[bool]
	// WebsocketFallback is mod_proxy_wstunnel's
	// ProxyWebsocketFallbackToProxyHttp; unset means On (mod_proxy_http
	// handles ws:// and wss:// when it is loaded).
	WebsocketFallback Opt[bool]
	// TunnelIdleTimeout is Portico's PorticoTunnelIdleTimeout: how long
	// an upgraded connection may stay silent; unset means httpd's rule
	// (the larger of Timeout and the backend's timeout), 0 never.
	TunnelIdleTimeout Opt[time.Duration]

	// Worker is, for a <Proxy url> or <ProxyMatch> section, the worker
	// its arguments or ProxySet lines configure; nil otherwise.
	Worker *Worker
	// Balancer is, for a <Proxy balancer://…> section, its balancer.
	Balancer *Balancer
	// Set lists the key=value parameters of ProxySet lines written in
	// the section, in order (they are already applied to Worker or
	// Balancer).
	Set []Param
}

// Route is one ProxyPass or ProxyPassMatch: which request paths it maps
// to which backend URL.
type Route struct {
	// Directive is "ProxyPass" or "ProxyPassMatch" as httpd spells it.
	Directive string
	// Path is the local path prefix, or the pattern when Regex is set.
	// For the one-argument form it is the enclosing section's path.
	Path string
	// Regex is set for ProxyPassMatch, "ProxyPass ~", and a one-argument
	// route whose <Location> path holds a wildcard (httpd compiles
	// that path as a regular expression). Otherwise Path is matched as
	// a prefix, segment by segment (runs of '/' match each other).
	Regex *pcre.Regexp
	// URL is the backend URL, or "!" for an exclusion. For a unix:
	// socket URL it is the part after '|'.
	URL string
	// RawURL is the URL as written, with any "unix:/path|" prefix.
	RawURL string
	// Exclude is true for "!": a matching request is not proxied and no
	// later route is tried.
	Exclude bool
	// NoCanon, Interpolate and NoQuery are the keywords of that name.
	NoCanon, Interpolate, NoQuery bool
	// Mapping is the mapping= keyword: "", "encoded" or "servlet".
	Mapping string
	// Params lists the key=value parameters as httpd applies them: one
	// entry per key (any case), in the order first written, with the
	// last value written.
	Params []Param
	// Worker is the worker the route's URL selected when it was read
	// (nil for exclusions and balancers). At request time httpd picks
	// the worker again from the final URL, see FindWorker.
	Worker *Worker
	// Balancer is set when URL is a balancer:// URL.
	Balancer *Balancer
	// Shared is true when Worker existed before this route (same or
	// prefix URL): Params were then ignored, with httpd's warning
	// AH01146, and Ignored lists them.
	Shared  bool
	Ignored []Param
	// Section is the <Location> of a one-argument route; nil at server
	// level.
	Section *Section
	// Pos is the position of the directive.
	Pos parser.Pos
}

// Param is one key=value parameter as written.
type Param struct {
	Key, Value string
}

// ReverseMap is one ProxyPassReverse, ProxyPassReverseCookiePath or
// ProxyPassReverseCookieDomain rule.
type ReverseMap struct {
	// From is what is looked for: the backend URL of ProxyPassReverse,
	// the internal path or domain of the cookie rules.
	From string
	// To replaces it: the local path of ProxyPassReverse (the
	// <Location> path for the one-argument form), the public path or
	// domain of the cookie rules.
	To string
	// Interpolate is true when the rule ends with "interpolate".
	Interpolate bool
	Pos         parser.Pos
}

// RemoteProxy is one ProxyRemote or ProxyRemoteMatch.
type RemoteProxy struct {
	// Match is the scheme, URL prefix or "*" of ProxyRemote (a scheme
	// without ':' is lower-cased), or the pattern of ProxyRemoteMatch.
	Match string
	// Regex is set for ProxyRemoteMatch.
	Regex *pcre.Regexp
	// Protocol, Host and Port address the remote proxy; Port is the
	// protocol's default when none is written.
	Protocol string
	Host     string
	Port     int
	// Credentials is the Proxy-Authorization value ("Basic …") built
	// from the optional third argument; empty when absent.
	Credentials string
	Pos         parser.Pos
}

// ViaMode is a ProxyVia setting.
type ViaMode uint8

// ProxyVia settings; the zero value is httpd's default.
const (
	ViaOff ViaMode = iota
	ViaOn
	ViaFull
	ViaBlock
)

// BadHeaderMode is a ProxyBadHeader setting.
type BadHeaderMode uint8

// ProxyBadHeader settings; the zero value is httpd's default.
const (
	BadHeaderIsError BadHeaderMode = iota
	BadHeaderIgnore
	BadHeaderStartBody
)

// StatusMode is a ProxyStatus setting.
type StatusMode uint8

// ProxyStatus settings; the zero value is httpd's default.
const (
	StatusOff StatusMode = iota
	StatusOn
	StatusFull
)
