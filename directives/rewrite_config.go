package directives

// RewriteConf holds a mod_rewrite configuration (server or directory).
type RewriteConf struct{}
