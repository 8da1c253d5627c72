package rewrite

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// DirState is a merged per-directory mod_rewrite configuration (httpd's
// rewrite_perdir_conf after config_perdir_merge).
type DirState struct {
	// Engine is RewriteEngine in force.
	Engine bool
	// Options are the RewriteOptions in force.
	Options directives.RewriteOption
	// Base is RewriteBase; HasBase says whether one is in force.
	Base    string
	HasBase bool
	// Directory is the prefix the rules strip, with a trailing '/': the
	// path of the last section merged; "" when no section was.
	Directory string
	// Rules are the per-directory rules in the order they are tried.
	Rules []*directives.RewriteRule
}

// emptyConf is the configuration httpd creates for a section without
// mod_rewrite directives.
var emptyConf = &directives.RewriteConf{PerDir: true}

// mergeDir merges over (the configuration of a section whose directory
// is dir, "" for server level) onto base, as config_perdir_merge does.
func mergeDir(base DirState, over *directives.RewriteConf, dir string) DirState {
	if over == nil {
		over = emptyConf
	}
	a := DirState{Engine: base.Engine, Options: base.Options, Directory: dir}
	if over.Engine.Set {
		a.Engine = over.Engine.Val
	}
	if over.Options.Set {
		a.Options = over.Options.Val
	}
	if a.Options&directives.RewriteMergeBase != 0 && !over.Base.Set {
		a.Base, a.HasBase = base.Base, base.HasBase
	} else {
		a.Base, a.HasBase = over.Base.Val, over.Base.Set
	}
	switch {
	case a.Options&directives.RewriteInherit != 0 ||
		base.Options&directives.RewriteInheritDown != 0 && a.Options&directives.RewriteIgnoreInherit == 0:
		a.Rules = concatRules(over.Rules, base.Rules)
	case a.Options&directives.RewriteInheritBefore != 0 ||
		base.Options&directives.RewriteInheritDownBefore != 0 && a.Options&directives.RewriteIgnoreInherit == 0:
		a.Rules = concatRules(base.Rules, over.Rules)
	default:
		a.Rules = over.Rules
	}
	return a
}

// DirConfig merges the per-directory configuration in force for a
// request of server srv (main or a virtual host of main) whose matching
// sections are secs, in merge order: the main server level, the virtual
// host level, then each section. As in httpd, a section without
// mod_rewrite directives still takes part: its directory becomes the
// prefix and its (empty) rule list replaces the earlier rules unless
// RewriteOptions Inherit is in force.
func DirConfig(main, srv *directives.Server, secs []*directives.Section) DirState {
	var st DirState
	if main != nil && main.Dir != nil {
		st = mergeDir(st, main.Dir.Rewrite, "")
	}
	if srv != nil && srv != main && srv.Dir != nil {
		st = mergeDir(st, srv.Dir.Rewrite, "")
	}
	for _, s := range secs {
		var rc *directives.RewriteConf
		if s.Dir != nil {
			rc = s.Dir.Rewrite
		}
		st = mergeDir(st, rc, directives.RewriteDirectory(s))
	}
	return st
}

// Input is what a pass starts from.
type Input struct {
	// URI is r->uri, Args and HasArgs r->args.
	URI     string
	Args    string
	HasArgs bool
	// Unparsed is r->unparsed_uri ("*" is never rewritten).
	Unparsed string
	// Filename is r->filename for the per-directory pass (a file path,
	// or "proxy:URL" for a request already routed to a backend).
	Filename string
	// Trace asks for Result.Trace.
	Trace bool
	// Now is the clock of the TIME variables; nil means time.Now.
	Now func() time.Time
}

func (e *Engine) newPass(srv *directives.Server, req Request, in *Input, res *Result) *pass {
	sc := e.servers[srv]
	if sc == nil {
		sc = &serverConf{srv: srv, limitReqLine: 8190}
	}
	return &pass{e: e, sc: sc, req: req, res: res, args: in.Args, hasArgs: in.HasArgs, trace: in.Trace, clock: in.Now, buf: make([]byte, 0, 128)}
}

// Server runs the server-context pass (httpd's hook_uri2file) for a
// request of srv whose per-directory state (for RewriteEngine and
// RewriteOptions) is dir.
func (e *Engine) Server(srv *directives.Server, dir *DirState, req Request, in *Input) Result {
	var res Result
	if dir == nil || !dir.Engine {
		return res
	}
	if dir.Options&directives.RewriteAllowAnyURI == 0 && (in.Unparsed == "*" || !strings.HasPrefix(in.URI, "/")) {
		return res
	}
	p := e.newPass(srv, req, in, &res)
	p.filename = in.URI
	act, status, lastsub := p.applyList(p.sc.rules)
	if act == actionNone {
		return res
	}
	return p.finish(act, status, in, func() bool { return p.local(lastsub) })
}

// Dir runs the per-directory pass (httpd's hook_fixup) with the merged
// configuration dir. in.Filename is r->filename.
func (e *Engine) Dir(srv *directives.Server, dir *DirState, req Request, in *Input) Result {
	var res Result
	if dir == nil || !dir.Engine || dir.Directory == "" || len(dir.Rules) == 0 {
		return res
	}
	p := e.newPass(srv, req, in, &res)
	p.perdir = dir.Directory
	p.filename = in.Filename
	if p.filename == "" {
		p.filename = in.URI
	}
	p.proxyreq = strings.HasPrefix(p.filename, "proxy:")
	if !p.proxyreq && dir.Options&directives.RewriteAllowNoSlash == 0 {
		if l := len(dir.Directory) - 1; p.filename == dir.Directory[:l] {
			return res
		}
	}
	ofilename := p.filename
	act, status, _ := p.applyList(dir.Rules)
	if act == actionNone {
		return res
	}
	return p.finishDir(act, status, in, dir, ofilename)
}

// checkArgs is the AH10410/AH10411 check: a query string with a space
// or control character that is not going to be escaped is refused.
func (p *pass) checkArgs(act action, ah string) bool {
	skip, _ := absoluteURI(p.filename)
	willEscape := skip > 0 && act != actionNoEscape
	if p.hasArgs && !willEscape {
		for i := 0; i < len(p.args); i++ {
			if !vcharObstext(p.args[i]) {
				p.res.Log = append(p.res.Log, ah+": Rewritten query string contains control characters or spaces")
				return false
			}
		}
	}
	return true
}

func (p *pass) status403() Result {
	p.res.Kind, p.res.Status = Status, 403
	return *p.res
}

// common handles what both passes do with a changed request: statuses,
// [P] and redirects. done is false for a local result.
func (p *pass) common(act action, status int, in *Input, ah string) (Result, bool) {
	if !p.checkArgs(act, ah) {
		return p.status403(), true
	}
	if act == actionStatus || act == actionStatusSet {
		p.res.Kind, p.res.Status = Status, status
		return *p.res, true
	}
	if strings.HasPrefix(p.filename, "proxy:") && len(p.filename) > 6 {
		if !p.e.proxy {
			p.res.Log = append(p.res.Log, "AH00669: attempt to make remote request from mod_rewrite without proxy enabled: "+p.filename)
			return p.status403(), true
		}
		url := p.filename[6:]
		if act == actionNoEscape {
			p.res.NoCanon = true
			if p.hasArgs {
				url += "?" + p.args
			}
		}
		p.res.Kind, p.res.ProxyURL = Proxy, url
		p.res.Args, p.res.HasArgs = p.args, p.hasArgs
		return *p.res, true
	}
	return Result{}, false
}

// redirect builds the Location of a redirect to the absolute URI in
// p.filename, whose scheme part is skip bytes long.
func (p *pass) redirect(act action, in *Input, skip int) Result {
	loc := p.filename
	if act != actionNoEscape {
		loc = escapeAbsoluteURI(loc, skip)
	}
	if p.hasArgs {
		if act == actionNoEscape || in.HasArgs && p.args == in.Args {
			loc += "?" + p.args
		} else {
			loc += "?" + escapeURI(p.args)
		}
	}
	st := 302
	if p.status >= 300 && p.status < 400 {
		st = p.status
	}
	p.res.Kind, p.res.Status, p.res.Location = Redirect, st, loc
	return *p.res
}

func (p *pass) finish(act action, status int, in *Input, local func() bool) Result {
	if r, done := p.common(act, status, in, "AH10410"); done {
		return r
	}
	if skip, _ := absoluteURI(p.filename); skip > 0 {
		return p.redirect(act, in, skip)
	}
	p.res.Args, p.res.HasArgs = p.args, p.hasArgs
	if strings.HasPrefix(p.filename, "passthrough:") && len(p.filename) > 12 {
		p.res.Kind, p.res.URI = PassThrough, p.filename[12:]
		return *p.res
	}
	if !strings.HasPrefix(p.filename, "/") {
		p.res.Kind, p.res.Status = Status, 400
		return *p.res
	}
	if !local() {
		return p.status403()
	}
	p.res.Kind, p.res.Filename = Local, p.filename
	return *p.res
}

// local is the end of hook_uri2file for a local path: a path whose
// first segment exists (and that the substitution wrote literally, or
// that lies under DocumentRoot) is a file path; anything else is
// relative to DocumentRoot. It reports false when the path climbs out
// of DocumentRoot.
func (p *pass) local(lastsub *directives.RewriteRule) bool {
	if p.sc.opts&directives.RewriteUnsafePrefixStat != 0 {
		lastsub = nil
	}
	if prefixStat(p.filename, lastsub, p.req.Var("DOCUMENT_ROOT")) && !p.uriReduced {
		return true
	}
	f, ok := underRoot(p.req.Var("DOCUMENT_ROOT"), p.filename)
	if !ok {
		return false
	}
	p.filename = f
	return true
}

// prefixStat is prefix_stat.
func prefixStat(path string, lastsub *directives.RewriteRule, docroot string) bool {
	rest := strings.TrimLeft(path, "/")
	seg := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg = rest[:i]
	}
	statpath := filepath.Clean("/" + seg)
	if _, err := statFn(statpath); err != nil {
		return false
	}
	if lastsub == nil || lastsub.Flags.Bits&directives.RuleUnsafePrefixStat != 0 {
		return true
	}
	return strings.HasPrefix(lastsub.Substitution, statpath) || docroot != "" && strings.HasPrefix(path, docroot)
}

// underRoot is ap_core_translate's merge of DocumentRoot and the path,
// refusing a path that would leave the root.
func underRoot(root, path string) (string, bool) {
	rel := strings.TrimLeft(path, "/")
	joined := filepath.Join(root, rel)
	r := filepath.Clean(root)
	if joined != r && !strings.HasPrefix(joined, strings.TrimSuffix(r, "/")+"/") {
		return "", false
	}
	if strings.HasSuffix(rel, "/") && !strings.HasSuffix(joined, "/") {
		joined += "/"
	}
	return joined, true
}

// finishDir is the end of hook_fixup.
func (p *pass) finishDir(act action, status int, in *Input, dir *DirState, ofilename string) Result {
	if r, done := p.common(act, status, in, "AH10411"); done {
		return r
	}
	if skip, _ := absoluteURI(p.filename); skip > 0 {
		if dir.HasBase {
			if j := strings.IndexByte(p.filename[skip:], '/'); j >= 0 && skip+j+1 < len(p.filename) {
				cp := skip + j + 1
				d := strings.TrimPrefix(dir.Directory, "/")
				if out := substPrefixPath(p.filename[cp:], d, dir.Base[1:]); out != p.filename[cp:] {
					p.filename = p.filename[:cp] + out
				}
			}
		}
		return p.redirect(act, in, skip)
	}
	p.filename = strings.TrimPrefix(p.filename, "passthrough:")
	if !strings.HasPrefix(p.filename, "/") {
		p.res.Kind, p.res.Status = Status, 400
		return *p.res
	}
	if p.filename == ofilename {
		// httpd: "initial URL equal rewritten URL … [IGNORING REWRITE]".
		p.res.Kind = Unchanged
		p.res.Args, p.res.HasArgs = p.args, p.hasArgs
		return *p.res
	}
	if dir.HasBase {
		p.filename = substPrefixPath(p.filename, dir.Directory, dir.Base)
	} else if root := strings.TrimSuffix(p.req.Var("DOCUMENT_ROOT"), "/"); root != "" || p.req.Var("DOCUMENT_ROOT") == "/" {
		if strings.HasPrefix(p.filename, root) && len(p.filename) > len(root) && p.filename[len(root)] == '/' {
			p.filename = p.filename[len(root):]
		}
	}
	p.res.Kind, p.res.URI = InternalRedirect, p.filename
	p.res.Args, p.res.HasArgs = p.args, p.hasArgs
	return *p.res
}
