package directives

import "fmt"

// Lint returns Portico's own findings about a configuration: what httpd
// accepts silently but a user migrating should know.
func Lint(cfg *Config) Diagnostics {
	if cfg == nil {
		return nil
	}
	var out Diagnostics
	for _, ig := range cfg.Ignored {
		times := ""
		if ig.Count > 1 {
			times = fmt.Sprintf(" (%d times)", ig.Count)
		}
		out = append(out, Diagnostic{Pos: ig.Pos, Severity: Note, Phase: CheckPhase, Code: "ignored",
			Msg: fmt.Sprintf("%s (%s) is accepted and has no effect in Portico%s", ig.Name, ig.Module, times)})
	}
	return out
}
