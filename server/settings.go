package server

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/proxy"
)

// httpd's compiled-in defaults.
const (
	defaultTimeout          = 60 * time.Second
	defaultKeepAliveTimeout = 5 * time.Second
	defaultMaxKeepAlive     = 100
	defaultDocumentRoot     = "/var/www/html" // Debian's DOCUMENT_LOCATION
)

// vhost is a server (main or virtual) with its settings merged onto the
// main server's as httpd's merge_server_configs does.
type vhost struct {
	srv *directives.Server
	// hostname is httpd's server_hostname: the ServerName without
	// scheme and port, or what httpd fills in.
	hostname    string
	port        int // the ServerName's port, 0 if none
	aliases     []string
	wildAliases []string
	addrs       []vhostAddr

	timeout          time.Duration
	keepAlive        bool
	keepAliveTimeout time.Duration
	maxKeepAlive     int
	limits           http1.Limits
	admin            string

	// dir is the server-level per-directory configuration: the main
	// server's, with a virtual host's own merged on top.
	dir *directives.DirConf
	// sections are httpd's sec_dir/sec_url: the main server's sections,
	// then the virtual host's.
	sections []*directives.Section

	// router is the server's ProxyPass table.
	router *proxy.Router
}

func newVHost(cfg *directives.Config, srv *directives.Server, main *vhost) (*vhost, error) {
	vh := &vhost{srv: srv}
	for _, a := range srv.ServerAlias {
		if isMatchExp(a) {
			vh.wildAliases = append(vh.wildAliases, a)
		} else {
			vh.aliases = append(vh.aliases, a)
		}
	}
	get := func(o directives.Opt[time.Duration], base, def time.Duration) time.Duration {
		if main == nil {
			return o.Get(def)
		}
		return o.Get(base)
	}
	if main == nil {
		vh.hostname = cfg.Name(srv)
		vh.port = serverNamePort(srv.ServerName)
		vh.timeout = get(srv.Timeout, 0, defaultTimeout)
		vh.keepAliveTimeout = get(srv.KeepAliveTimeout, 0, defaultKeepAliveTimeout)
		vh.keepAlive = srv.KeepAlive.Get(true)
		vh.maxKeepAlive = srv.MaxKeepAliveRequests.Get(defaultMaxKeepAlive)
		vh.limits = http1.Limits{
			Line:      srv.LimitRequestLine.Get(http1.DefaultLimitLine),
			FieldSize: srv.LimitRequestFieldSize.Get(http1.DefaultLimitFieldSize),
			Fields:    srv.LimitRequestFields.Get(http1.DefaultLimitFields),
		}
		vh.admin = srv.ServerAdmin
		vh.dir = mergeDir(&directives.DirConf{}, srv.Dir)
		vh.sections = srv.Sections
	} else {
		vh.port = vhostPort(srv, main.port)
		vh.timeout = get(srv.Timeout, main.timeout, 0)
		vh.keepAliveTimeout = get(srv.KeepAliveTimeout, main.keepAliveTimeout, 0)
		vh.keepAlive = srv.KeepAlive.Get(main.keepAlive)
		vh.maxKeepAlive = srv.MaxKeepAliveRequests.Get(main.maxKeepAlive)
		vh.limits = http1.Limits{
			Line:      srv.LimitRequestLine.Get(main.limits.Line),
			FieldSize: srv.LimitRequestFieldSize.Get(main.limits.FieldSize),
			Fields:    srv.LimitRequestFields.Get(main.limits.Fields),
		}
		vh.admin = srv.ServerAdmin
		if vh.admin == "" {
			vh.admin = main.admin
		}
		vh.dir = mergeDir(main.dir, srv.Dir)
		if vh.dir.DocumentRoot == "" {
			vh.dir.DocumentRoot = main.dir.DocumentRoot
		}
		vh.sections = append(append([]*directives.Section(nil), main.sections...), srv.Sections...)
	}
	if vh.dir.DocumentRoot == "" {
		vh.dir.DocumentRoot = defaultDocumentRoot
	}
	if vh.admin == "" {
		vh.admin = "[no address given]"
	}
	vh.router = proxy.NewRouter(cfg.Main, srv)
	return vh, nil
}

// vhostPort is a virtual host's server port as httpd sets it: the main
// server's, replaced by the port of the first <VirtualHost> address when
// it has one, and by ServerName's (0 when it names none) when it is set.
func vhostPort(srv *directives.Server, mainPort int) int {
	port := mainPort
	if len(srv.Addrs) > 0 {
		if n, err := strconv.Atoi(srv.Addrs[0].Port); err == nil && n > 0 {
			port = n
		}
	}
	if srv.ServerName != "" {
		port = serverNamePort(srv.ServerName)
	}
	return port
}

// fillHostname sets a virtual host's server_hostname as httpd's
// ap_fini_vhost_config does: its ServerName; else, with a wildcard
// address, the main server's; else the reverse lookup of its first
// address.
func (vh *vhost) fillHostname(cfg *directives.Config, main *vhost) {
	if vh.srv.ServerName != "" {
		vh.hostname = cfg.Name(vh.srv)
		return
	}
	for _, a := range vh.addrs {
		if a.wildcard() {
			vh.hostname = main.hostname
			return
		}
	}
	if len(vh.addrs) == 0 {
		vh.hostname = "bogus_host_without_forward_dns"
		return
	}
	names, err := net.LookupAddr(vh.addrs[0].ip.String())
	if err != nil || len(names) == 0 {
		vh.hostname = "bogus_host_without_reverse_dns"
		return
	}
	vh.hostname = strings.TrimSuffix(names[0], ".")
}

// mergeDir merges a per-directory configuration over base as the
// modules' merge functions do for the settings Portico uses: set values
// replace, lists that httpd appends are appended, maps merge key by key.
// Neither argument is changed.
func mergeDir(base, over *directives.DirConf) *directives.DirConf {
	m := *base
	if over == nil {
		return &m
	}
	// mod_proxy's merge_proxy_dir_config.
	if over.Proxy.Route != nil {
		m.Proxy.Route = over.Proxy.Route
	}
	m.Proxy.Reverse = appendNew(base.Proxy.Reverse, over.Proxy.Reverse)
	m.Proxy.CookiePaths = appendNew(base.Proxy.CookiePaths, over.Proxy.CookiePaths)
	m.Proxy.CookieDomains = appendNew(base.Proxy.CookieDomains, over.Proxy.CookieDomains)
	mergeOpt(&m.Proxy.PreserveHost, over.Proxy.PreserveHost)
	mergeOpt(&m.Proxy.AddHeaders, over.Proxy.AddHeaders)
	mergeOpt(&m.Proxy.Continue100, over.Proxy.Continue100)
	if over.Proxy.ErrorOverride.Set {
		m.Proxy.ErrorOverride = over.Proxy.ErrorOverride
		m.Proxy.ErrorOverrideCodes = over.Proxy.ErrorOverrideCodes
	}
	mergeOpt(&m.Proxy.InterpolateEnv, over.Proxy.InterpolateEnv)
	mergeOpt(&m.Proxy.WebsocketFallback, over.Proxy.WebsocketFallback)
	mergeOpt(&m.Proxy.TunnelIdleTimeout, over.Proxy.TunnelIdleTimeout)
	if over.Proxy.Worker != nil {
		m.Proxy.Worker = over.Proxy.Worker
	}
	if over.Proxy.Balancer != nil {
		m.Proxy.Balancer = over.Proxy.Balancer
	}
	if over.Rewrite != nil {
		m.Rewrite = over.Rewrite
	}
	m.Headers = appendNew(base.Headers, over.Headers)

	if over.DocumentRoot != "" {
		m.DocumentRoot = over.DocumentRoot
	}
	mergeOpt(&m.DirIndex.Names, over.DirIndex.Names)
	mergeOpt(&m.DirIndex.Slash, over.DirIndex.Slash)
	mergeOpt(&m.DirIndex.CheckHandler, over.DirIndex.CheckHandler)
	mergeOpt(&m.DirIndex.Fallback, over.DirIndex.Fallback)
	mergeOpt(&m.DirIndex.Redirect, over.DirIndex.Redirect)
	if over.Options != nil {
		m.Options = mergeOptions(base.Options, over.Options)
	}
	mergeOpt(&m.SetHandler, over.SetHandler)
	if len(over.ErrorDocuments) > 0 {
		ed := make(map[int]directives.ErrorDocument, len(base.ErrorDocuments)+len(over.ErrorDocuments))
		for k, v := range base.ErrorDocuments {
			ed[k] = v
		}
		for k, v := range over.ErrorDocuments {
			ed[k] = v
		}
		m.ErrorDocuments = ed
	}
	if over.Aliases != nil {
		m.Aliases = append(append([]directives.Alias(nil), over.Aliases...), base.Aliases...)
	}
	if over.Require != nil {
		m.Require = over.Require
	}
	mergeOpt(&m.AllowEncodedSlashes, over.AllowEncodedSlashes)
	mergeOpt(&m.MergeSlashes, over.MergeSlashes)
	mergeOpt(&m.LimitRequestBody, over.LimitRequestBody)
	mergeOpt(&m.AddDefaultCharset, over.AddDefaultCharset)
	mergeOpt(&m.ForceType, over.ForceType)
	m.MIME = mergeMIME(base.MIME, over.MIME)
	return &m
}

// mergeMIME is mod_mime's merge_mime_dir_configs for the settings
// Portico reads: each extension's settings merge field by field, then
// the Remove* directives drop what was inherited.
func mergeMIME(base, over directives.MIMEConf) directives.MIMEConf {
	if len(over.Extensions) == 0 && len(over.Removed) == 0 && !over.DefaultLanguage.Set && !over.TypesConfig.Set {
		return base
	}
	m := base
	m.Extensions = make(map[string]*directives.ExtensionInfo, len(base.Extensions)+len(over.Extensions))
	for k, v := range base.Extensions {
		m.Extensions[k] = v
	}
	for _, r := range over.Removed {
		old, ok := m.Extensions[r.Ext]
		if !ok {
			continue
		}
		e := *old
		switch r.Directive {
		case "RemoveCharset":
			e.Charset = directives.Opt[string]{}
		case "RemoveEncoding":
			e.Encoding = directives.Opt[string]{}
		case "RemoveHandler":
			e.Handler = directives.Opt[string]{}
		case "RemoveLanguage":
			e.Language = directives.Opt[string]{}
		case "RemoveInputFilter":
			e.InputFilters = directives.Opt[string]{}
		case "RemoveOutputFilter":
			e.OutputFilters = directives.Opt[string]{}
		}
		m.Extensions[r.Ext] = &e
	}
	for k, v := range over.Extensions {
		e := directives.ExtensionInfo{}
		if old, ok := m.Extensions[k]; ok {
			e = *old
		}
		mergeOpt(&e.Type, v.Type)
		mergeOpt(&e.Charset, v.Charset)
		mergeOpt(&e.Encoding, v.Encoding)
		mergeOpt(&e.Language, v.Language)
		mergeOpt(&e.Handler, v.Handler)
		mergeOpt(&e.InputFilters, v.InputFilters)
		mergeOpt(&e.OutputFilters, v.OutputFilters)
		m.Extensions[k] = &e
	}
	mergeOpt(&m.DefaultLanguage, over.DefaultLanguage)
	mergeOpt(&m.TypesConfig, over.TypesConfig)
	return m
}

func mergeOpt[T any](dst *directives.Opt[T], over directives.Opt[T]) {
	if over.Set {
		*dst = over
	}
}

// appendNew returns base followed by over without sharing base's array.
func appendNew[T any](base, over []T) []T {
	if len(over) == 0 {
		return base
	}
	return append(append(make([]T, 0, len(base)+len(over)), base...), over...)
}

// mergeOptions applies an Options line over the inherited options as
// httpd's core does: a list without + or - replaces, +X adds and -X
// removes. The result holds plain option names, lower-cased.
func mergeOptions(base, over []string) []string {
	set := map[string]bool{}
	relative := true
	for _, o := range over {
		if o != "" && o[0] != '+' && o[0] != '-' {
			relative = false
		}
	}
	if relative {
		for _, o := range base {
			set[strings.ToLower(o)] = true
		}
	}
	for _, o := range over {
		switch {
		case strings.HasPrefix(o, "-"):
			delete(set, strings.ToLower(o[1:]))
		case strings.HasPrefix(o, "+"):
			set[strings.ToLower(o[1:])] = true
		default:
			set[strings.ToLower(o)] = true
		}
	}
	if set["all"] {
		for _, o := range []string{"indexes", "includes", "followsymlinks", "execcgi"} {
			set[o] = true
		}
	}
	if set["none"] {
		set = map[string]bool{}
	}
	out := make([]string, 0, len(set))
	for o := range set {
		out = append(out, o)
	}
	return out
}

// hasOption reports whether the merged options include name.
func hasOption(opts []string, name string) bool {
	for _, o := range opts {
		if o == name {
			return true
		}
	}
	return false
}
