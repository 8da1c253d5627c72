package directives

import "github.com/portico-proxy/portico/internal/expr"

// checkExpr parses an ap_expr expression (httpd's ap_expr_parse_cmd) and
// returns httpd's parse error, without the caller's prefix.
func checkExpr(s string) error {
	_, err := expr.Parse(s)
	return err
}
