package directives

// ProxyServer holds a server's mod_proxy configuration.
type ProxyServer struct{}

// ProxyDir holds the per-directory mod_proxy configuration.
type ProxyDir struct{}
