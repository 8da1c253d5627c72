package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// mimeTypes is what the static files need of the loaded modules and
// TypesConfig.
type mimeTypes struct {
	enabled   bool              // mod_mime is loaded
	types     map[string]string // extension → type, from TypesConfig
	dir       bool              // mod_dir is loaded
	autoindex bool              // mod_autoindex is loaded
	alias     bool              // mod_alias is loaded
}

func hasModule(cfg *directives.Config, id string) bool {
	for _, m := range cfg.Modules {
		if m.ID == id {
			return true
		}
	}
	return false
}

// loadMime reads TypesConfig when mod_mime is loaded, as mod_mime does
// at start-up (failing the same way when the file cannot be read).
func loadMime(cfg *directives.Config) (mimeTypes, error) {
	m := mimeTypes{
		enabled:   hasModule(cfg, "mime_module"),
		dir:       hasModule(cfg, "dir_module"),
		autoindex: hasModule(cfg, "autoindex_module"),
		alias:     hasModule(cfg, "alias_module"),
	}
	if !m.enabled {
		return m, nil
	}
	file := cfg.Main.Dir.MIME.TypesConfig.Get("conf/mime.types")
	if !filepath.IsAbs(file) {
		file = filepath.Join(cfg.ServerRoot, file)
	}
	t, err := directives.ReadMIMETypes(file)
	if err != nil {
		return m, fmt.Errorf("AH01596: mod_mime: could not open mime types config file %s.", file)
	}
	m.types = t
	return m, nil
}

// contentType is mod_mime's find_ct for the file name: every extension
// after the first dot is looked up, the last one with a type wins;
// AddType settings beat TypesConfig. "" when no type applies.
func (m *mimeTypes) contentType(dir *directives.DirConf, name string) string {
	if ft := dir.ForceType.Get(""); ft != "" && !strings.EqualFold(ft, "none") {
		return ft
	}
	if !m.enabled {
		return ""
	}
	ct, charset := "", ""
	exts := strings.Split(name, ".")
	for _, ext := range exts[1:] {
		ext = strings.ToLower(ext)
		found := ""
		if e, ok := dir.MIME.Extensions[ext]; ok && e.Type.Set {
			found = e.Type.Val
		} else if t, ok := m.types[ext]; ok {
			found = t
		}
		if found != "" {
			ct = found
		}
		if e, ok := dir.MIME.Extensions[ext]; ok && e.Charset.Set {
			charset = e.Charset.Val
		}
	}
	if ct != "" && charset != "" && !strings.Contains(ct, "charset=") {
		ct += "; charset=" + charset
	}
	return ct
}

// serveStatic maps the URI to a file below DocumentRoot (or an Alias)
// and serves it as httpd's core does with mod_dir and mod_mime.
func (s *Server) serveStatic(x *Exchange) {
	if x.URI == "*" {
		// OPTIONS * is answered by the server itself, without Allow.
		x.WriteResponse(200, "", nil, nil, 0)
		return
	}
	fpath, handled := x.translate()
	if handled {
		return
	}
	if x.Req.Method == "TRACE" {
		// httpd answers TRACE when it maps the URI to storage, before
		// the access checks and the handler.
		x.serveTrace()
		return
	}
	// httpd merges the <Directory> sections onto the server level, then
	// the <Location> sections again (x.Dir holds them already).
	dir := walkDirectories(x.vh.dir, x.vh.sections, fpath)
	x.Dir = walkLocations(dir, x.vh.sections, x.URI)
	if !x.authorized(x.Dir) {
		x.Log.Error().Msg("AH01630: client denied by server configuration: " + fpath)
		x.Error(403)
		return
	}
	if f := s.Hooks.DirRewrite; f != nil && f(x, fpath) {
		return
	}
	file, fi, status, loc := s.findFile(x, fpath)
	switch {
	case loc != "":
		x.ErrorLocation(status, loc)
	case !getOrPost(x.Req.Method):
		if file == "" {
			file = fpath
		}
		s.otherMethod(x, file)
	case status != 0:
		if st := x.discardBody(); st != 0 {
			status = st
		}
		x.Error(status)
	default:
		s.serveFile(x, file, fi)
	}
}

// findFile is what serveStatic does with the file path once the
// sections for it are merged, without answering: the regular file to
// send (a directory's index file with mod_dir), or the status to answer
// with and, for mod_dir's trailing-slash redirect, its Location.
func (s *Server) findFile(x *Exchange, fpath string) (file string, fi os.FileInfo, status int, loc string) {
	m := &x.gen.mime
	fi, err := os.Stat(fpath)
	if err != nil {
		x.Log.Debug().Str("file", fpath).Msg("AH00128: File does not exist")
		return "", nil, 404, ""
	}
	if fi.IsDir() {
		if !m.dir {
			x.Log.Debug().Str("file", fpath).Msg("AH00037: Attempt to serve directory")
			return "", nil, 404, ""
		}
		if !strings.HasSuffix(x.URI, "/") {
			if !x.Dir.DirIndex.Slash.Get(true) {
				return "", nil, 404, ""
			}
			loc := x.selfURL(x.URI + "/")
			if x.HasArgs {
				loc += "?" + x.Args
			}
			return "", nil, 301, loc
		}
		names := x.Dir.DirIndex.Names.Get([]string{"index.html"})
		for _, n := range names {
			if strings.HasPrefix(n, "/") {
				continue
			}
			p := filepath.Join(fpath, n)
			if ifi, err := os.Stat(p); err == nil && !ifi.IsDir() {
				return p, ifi, 0, ""
			}
		}
		if m.autoindex && (x.Req.Method == "GET" || x.Req.Method == "HEAD") {
			x.Log.Error().Str("file", fpath).Msg("AH01276: Cannot serve directory " + fpath + "/: No matching DirectoryIndex (" + strings.Join(names, ",") + ") found, and server-generated directory index forbidden by Options directive")
			return "", nil, 403, ""
		}
		return "", nil, 404, ""
	}
	return fpath, fi, 0, ""
}

// translate is httpd's translate_name for files: mod_alias's Alias and
// Redirect, then DocumentRoot. handled is true when a redirect was sent.
func (x *Exchange) translate() (fpath string, handled bool) {
	fpath, _, status, loc := x.mapFile()
	switch {
	case loc != "":
		x.ErrorLocation(status, loc)
		return "", true
	case status != 0:
		x.Error(status)
		return "", true
	}
	return fpath, false
}

// mapFile is translate without answering: the file path of the URI, or
// the status (and Location, for a 3xx) of a mod_alias Redirect. a is the
// Alias or Redirect that decided, nil for DocumentRoot or a path
// mod_rewrite chose.
func (x *Exchange) mapFile() (fpath string, a *directives.Alias, status int, loc string) {
	if x.filename != "" {
		return x.filename, nil, 0, ""
	}
	if x.gen.mime.alias {
		for i := range x.vh.dir.Aliases {
			a := &x.vh.dir.Aliases[i]
			if a.ToExpr || a.From == "" {
				continue
			}
			rest, ok := aliasMatch(a, x.URI)
			if !ok {
				continue
			}
			if a.IsRedirect() {
				if a.Status < 300 || a.Status > 399 {
					return "", a, a.Status, ""
				}
				loc := rest
				if x.HasArgs {
					loc += "?" + x.Args
				}
				return "", a, a.Status, loc
			}
			return rest, a, 0, ""
		}
	}
	return filepath.Join(x.vh.dir.DocumentRoot, filepath.FromSlash(x.URI)), nil, 0, ""
}

// aliasMatch applies one Alias, AliasMatch or Redirect to uri and
// returns the substituted target.
func aliasMatch(a *directives.Alias, uri string) (string, bool) {
	if a.Regex != nil {
		mt := a.Regex.FindStringMatch(uri)
		if mt == nil {
			return "", false
		}
		var b strings.Builder
		to := a.To
		for i := 0; i < len(to); i++ {
			if to[i] == '$' && i+1 < len(to) && isDigit(to[i+1]) {
				b.WriteString(mt.Group(int(to[i+1] - '0')))
				i++
				continue
			}
			if to[i] == '\\' && i+1 < len(to) {
				i++
			}
			b.WriteByte(to[i])
		}
		return b.String(), true
	}
	n := aliasPrefixLen(uri, a.From)
	if n == 0 {
		return "", false
	}
	return a.To + uri[n:], true
}

// aliasPrefixLen is mod_alias's alias_matches: the length of uri that
// the alias path covers (runs of '/' match each other, the alias must end
// at a segment boundary), 0 when it does not match.
func aliasPrefixLen(uri, alias string) int {
	i, j := 0, 0
	for j < len(alias) {
		if alias[j] == '/' {
			if i >= len(uri) || uri[i] != '/' {
				return 0
			}
			for j < len(alias) && alias[j] == '/' {
				j++
			}
			for i < len(uri) && uri[i] == '/' {
				i++
			}
			continue
		}
		if i >= len(uri) || uri[i] != alias[j] {
			return 0
		}
		i++
		j++
	}
	if alias[len(alias)-1] != '/' && i < len(uri) && uri[i] != '/' {
		return 0
	}
	return i
}

// selfURL is ap_construct_url with UseCanonicalName Off: the request's
// host and port (the server's port when Host gives none).
func (x *Exchange) selfURL(path string) string {
	host := x.Hostname
	if host == "" {
		host = x.vh.hostname
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := x.serverPort(); port != 80 {
		host += ":" + strconv.Itoa(port)
	}
	return "http://" + host + path
}

// serveFile sends a regular file with httpd's validators: Last-Modified
// (never later than the request), the ETag "size-mtime" in hex (weak
// when the file changed within the last second), Accept-Ranges, and 304
// for a matching If-None-Match or If-Modified-Since.
func (s *Server) serveFile(x *Exchange, fpath string, fi os.FileInfo) {
	// httpd's default handler reads and drops a request body first.
	if st := x.discardBody(); st != 0 {
		x.Error(st)
		return
	}
	ct := x.gen.mime.contentType(x.Dir, filepath.Base(fpath))
	// A POST is served as a GET: httpd's core delivers "scripts" by
	// default (core_create_req sets deliver_script).
	f, err := os.Open(fpath)
	if err != nil {
		x.Log.Error().Err(err).Str("file", fpath).Msg("AH00132: file permissions deny server access")
		x.Error(403)
		return
	}
	defer f.Close()
	now := x.Start
	mtime := fi.ModTime()
	lm := mtime
	if lm.After(now) {
		lm = now
	}
	etag := fmt.Sprintf(`"%x-%x"`, fi.Size(), mtime.UnixMicro())
	if now.Sub(mtime) <= time.Second {
		etag = "W/" + etag
	}
	h := http1.Headers{
		{Name: "Last-Modified", Value: httpDate(lm)},
		{Name: "ETag", Value: etag},
		{Name: "Accept-Ranges", Value: "bytes"},
	}
	v := validators{etag: etag, mtime: lm.Unix(), reqTime: now.Unix()}
	switch st := meetsConditions(x.Req, v); st {
	case 304:
		x.WriteResponse(304, "", h, nil, -1)
		return
	case 412:
		// The handler sends the status with an empty body, keeping
		// the file's fields.
		x.respond(412, "", h, ct, nil, 0)
		return
	}
	size := fi.Size()
	if spec, ok := lookupField(x.Req.Header, "Range"); ok && ifRange(x.Req, v) != condNoMatch {
		ranges, unsatisfiable := parseRanges(spec, size)
		switch {
		case unsatisfiable:
			x.errNoLength = true
			x.Error(416)
			return
		case len(ranges) == 1:
			r := ranges[0]
			// The length goes where the handler put the file's size.
			h.Add("Content-Length", "")
			h.Add("Content-Range", "bytes "+strconv.FormatInt(r.start, 10)+"-"+strconv.FormatInt(r.end, 10)+"/"+strconv.FormatInt(size, 10))
			x.respond(206, "", h, ct, io.NewSectionReader(f, r.start, r.end-r.start+1), r.end-r.start+1)
			return
		case len(ranges) > 1:
			body, n := multipartRanges(f, ranges, size, ct)
			x.respond(206, "", h, "multipart/byteranges; boundary="+multipartBoundary, body, n)
			return
		}
	}
	// The handler sets the length among its fields (mod_headers sees
	// it there).
	h.Add("Content-Length", strconv.FormatInt(size, 10))
	x.respond(200, "", h, ct, f, size)
}

// getOrPost reports the methods httpd's default handler serves a file
// for (HEAD is a GET).
func getOrPost(method string) bool {
	return method == "GET" || method == "HEAD" || method == "POST"
}

// otherMethod is httpd's default handler for a method other than GET
// and POST, whether or not the file exists: the body is read and
// dropped, then OPTIONS gets 200 with Allow, a method httpd does not
// know 501, any other 405.
func (s *Server) otherMethod(x *Exchange, fpath string) {
	if st := x.discardBody(); st != 0 {
		x.Error(st)
		return
	}
	switch {
	case x.Req.Method == "OPTIONS":
		ct := x.gen.mime.contentType(x.Dir, filepath.Base(fpath))
		x.respond(200, "", http1.Headers{{Name: "Allow", Value: x.allowed()}}, ct, nil, 0)
	case !knownMethod(x.Req.Method):
		x.Log.Error().Msg("AH00135: Invalid method in request " + x.Req.Method + " " + x.Req.Target + " " + x.Req.Proto)
		x.Error(501)
	default:
		x.Error(405)
	}
}

// knownMethod reports the methods in httpd's registry
// (ap_method_registry_init); names are case-sensitive.
func knownMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
		"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
		"VERSION-CONTROL", "CHECKOUT", "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL",
		"REPORT", "MKWORKSPACE", "MKACTIVITY", "BASELINE-CONTROL", "MERGE":
		return true
	}
	return false
}

// defaultLimitRequestBody is httpd's LimitRequestBody default (1 GiB
// since 2.4.54).
const defaultLimitRequestBody = 1 << 30

// discardBody reads and drops the request body as httpd's
// ap_discard_request_body does, within LimitRequestBody. It returns 413
// for a body over the limit and 400 for one that cannot be read, after
// which the connection closes; 0 otherwise.
func (x *Exchange) discardBody() int {
	req := x.Req
	if req.Body == nil || req.ContentLength <= 0 && !req.Chunked {
		return 0
	}
	limit := x.Dir.LimitRequestBody.Get(defaultLimitRequestBody)
	if limit > 0 && req.ContentLength > limit {
		x.Log.Info().Msg("AH01588: Requested content-length of " + strconv.FormatInt(req.ContentLength, 10) +
			" is larger than the configured limit of " + strconv.FormatInt(limit, 10))
		x.closeAfter()
		x.errNoLength = true
		return 413
	}
	x.c.nc.SetReadDeadline(time.Now().Add(x.vh.timeout))
	var body io.Reader = req.Body
	if limit > 0 {
		body = io.LimitReader(body, limit+1)
	}
	n, err := io.Copy(io.Discard, body)
	switch {
	case limit > 0 && n > limit:
		x.Log.Info().Msg("AH01591: Read content length of " + strconv.FormatInt(n, 10) +
			" is larger than the configured limit of " + strconv.FormatInt(limit, 10))
		x.closeAfter()
		x.errNoLength = true
		return 413
	case err != nil:
		x.closeAfter()
		if isTimeout(err) {
			return 408
		}
		return 400
	}
	return 0
}
