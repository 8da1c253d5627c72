package main

import (
	"strings"

	"github.com/portico-proxy/portico/rewrite"
	"github.com/portico-proxy/portico/server"
)

// rewriteHooks plugs mod_rewrite into the server: the server pass
// (translate_name) and the per-directory pass (fixups).
func rewriteHooks(eng *rewrite.Engine, s *server.Server) {
	s.Hooks.Rewrite = func(x *server.Exchange) bool { return rewriteServer(eng, x) }
	s.Hooks.DirRewrite = func(x *server.Exchange, filename string) bool { return rewriteDir(eng, x, filename) }
}

// rewriteServer runs the server-context rules and acts on the result;
// it reports whether the request was answered.
func rewriteServer(eng *rewrite.Engine, x *server.Exchange) bool {
	if x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Server(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target})
	switch res.Kind {
	case rewrite.Unchanged:
		logRewrite(x, &res)
		return false
	case rewrite.Local:
		logRewrite(x, &res)
		x.SetArgs(res.Args, res.HasArgs)
		if rewriteDir(eng, x, res.Filename) {
			return true
		}
		x.ServeFile(res.Filename)
		return true
	case rewrite.PassThrough:
		logRewrite(x, &res)
		x.SetURI(res.URI, res.Args, res.HasArgs)
		return false
	case rewrite.Proxy:
		logRewrite(x, &res)
		x.SetArgs(res.Args, res.HasArgs)
		if !x.ProxyAccess(res.ProxyURL) {
			return true
		}
		if rewriteDir(eng, x, "proxy:"+res.ProxyURL) {
			return true
		}
		x.ProxyTo(res.ProxyURL, res.NoCanon)
		return true
	}
	return answer(x, &res)
}

// rewriteDir runs the per-directory rules of the merged <Location>
// sections for a request whose r->filename is filename.
func rewriteDir(eng *rewrite.Engine, x *server.Exchange, filename string) bool {
	if x.RewriteEnded() || !eng.Active() {
		return false
	}
	st := rewrite.DirConfig(x.MainServer(), x.Server, x.LocationSections())
	res := eng.Dir(x.Server, &st, x, &rewrite.Input{URI: x.URI, Args: x.Args, HasArgs: x.HasArgs, Unparsed: x.Req.Target, Filename: filename})
	switch res.Kind {
	case rewrite.Unchanged:
		logRewrite(x, &res)
		return false
	case rewrite.InternalRedirect:
		logRewrite(x, &res)
		x.InternalRedirect(res.URI, res.Args, res.HasArgs)
		return true
	case rewrite.Proxy:
		logRewrite(x, &res)
		x.SetArgs(res.Args, res.HasArgs)
		x.ProxyTo(res.ProxyURL, res.NoCanon)
		return true
	}
	return answer(x, &res)
}

// logRewrite writes the pass's error-log lines, sets the [E=]
// variables in the request environment and remembers [END].
func logRewrite(x *server.Exchange, res *rewrite.Result) {
	for _, e := range res.Env {
		if name, ok := strings.CutPrefix(e, "!"); ok {
			x.UnsetEnv(name)
			continue
		}
		name, val, _ := strings.Cut(e, ":")
		x.SetEnv(name, val)
	}
	for _, l := range res.Log {
		x.Log.Error().Msg(l)
	}
	if res.End {
		x.EndRewrite()
	}
}

// answer sends a redirect or a status, with the rules' cookies.
func answer(x *server.Exchange, res *rewrite.Result) bool {
	logRewrite(x, res)
	for _, c := range res.Cookies {
		x.AddErrorHeader("Set-Cookie", c)
	}
	if res.Kind == rewrite.Redirect {
		x.ErrorLocation(res.Status, res.Location)
	} else {
		x.Error(res.Status)
	}
	return true
}
