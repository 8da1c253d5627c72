package expr

// Expr is a parsed ap_expr expression.
type Expr struct {
	Src string
}

// Parse parses an ap_expr expression.
func Parse(s string) (*Expr, error) {
	return &Expr{Src: s}, nil
}
