package directives

// TLSServer holds a server's mod_ssl configuration.
type TLSServer struct{}
