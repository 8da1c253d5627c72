package directives

import "strings"

// mod_authz_core: each Require line of a section is kept as written
// (provider and arguments); the server evaluates them. Lines inside
// <RequireAll>, <RequireAny> and <RequireNone> are not read yet.
func init() {
	Register("authz_core_module", "Require", func(c *Cmd) error {
		d := c.Dir()
		d.Require = append(d.Require, strings.TrimSpace(c.Raw))
		return nil
	})
}
