package directives

import "github.com/portico-proxy/portico/internal/expr"

// checkExpr parses an ap_expr expression (httpd's ap_expr_parse_cmd) and
// returns httpd's parse error, without the caller's prefix. It knows core
// httpd's names only; parseExpr also knows those of the loaded modules.
func checkExpr(s string) error {
	_, err := expr.Parse(s)
	return err
}

// parseExpr parses an ap_expr expression for directive c, with the
// variables and functions of the modules loaded at that point (mod_ssl's
// SSL_*, mod_proxy_hcheck's HC_*), as httpd's look-up hooks provide them.
// The error is httpd's text, without the caller's prefix.
func parseExpr(c *Cmd, s string) (*expr.Expr, error) {
	return expr.ParseOptions(s, expr.Options{
		SSL:         c.ModuleLoaded("ssl_module"),
		HealthCheck: c.ModuleLoaded("proxy_hcheck_module"),
	})
}
