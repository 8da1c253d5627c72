package server

import (
	"path"
	"sort"
	"strings"

	"github.com/portico-proxy/portico/directives"
)

// locationMatches is httpd's location_walk test of one <Location> or
// <LocationMatch> against the URI: a regular expression anywhere in it, a
// wildcard path (fnmatch, '/' matched only by '/') against all of it, or
// a plain path as a prefix that ends at a '/' or at the end of the URI.
func locationMatches(sec *directives.Section, uri string) bool {
	if sec.Regex != nil {
		return sec.Regex.MatchString(uri)
	}
	p := sec.Arg
	if isMatchExp(p) || strings.ContainsRune(p, '[') {
		ok, err := path.Match(p, uri)
		return err == nil && ok
	}
	if !strings.HasPrefix(uri, p) {
		return false
	}
	n := len(p)
	return n == 0 || p[n-1] == '/' || len(uri) == n || uri[n] == '/'
}

// walkLocations merges, onto dir, every <Location> and <LocationMatch>
// of secs that matches uri, in config order (httpd's ap_location_walk).
// The URI has its slashes merged for the comparison, as httpd does.
func walkLocations(dir *directives.DirConf, secs []*directives.Section, uri string) *directives.DirConf {
	uri = mergeSlashes(uri)
	for _, sec := range secs {
		if sec.Kind != directives.SectionLocation && sec.Kind != directives.SectionLocationMatch {
			continue
		}
		if locationMatches(sec, uri) {
			dir = mergeDir(dir, sec.Dir)
		}
	}
	return dir
}

// walkProxies merges, onto dir, every <Proxy> and <ProxyMatch> of secs
// that matches the backend URL a request was routed to (httpd's
// proxy_walk, run for proxied requests before the <Location> walk is
// run again): a pattern by regular expression, a path with a wildcard
// by fnmatch over the whole URL, any other path as a prefix.
func walkProxies(dir *directives.DirConf, secs []*directives.Section, url string) *directives.DirConf {
	for _, sec := range secs {
		if sec.Kind != directives.SectionProxy && sec.Kind != directives.SectionProxyMatch {
			continue
		}
		if sec.MatchesProxyURL(url) {
			dir = mergeDir(dir, sec.Dir)
		}
	}
	return dir
}

// walkDirectories merges the <Directory> and <DirectoryMatch> sections
// that cover the file path fpath (httpd's ap_directory_walk): the plain
// ones first, shortest path first and in config order for equal depth,
// then the regular expressions in config order.
func walkDirectories(dir *directives.DirConf, secs []*directives.Section, fpath string) *directives.DirConf {
	var plain, re []*directives.Section
	for _, sec := range secs {
		switch {
		case sec.Kind == directives.SectionDirectory && sec.Regex == nil:
			plain = append(plain, sec)
		case sec.Kind == directives.SectionDirectoryMatch || sec.Kind == directives.SectionDirectory:
			re = append(re, sec)
		}
	}
	sort.SliceStable(plain, func(i, j int) bool {
		return strings.Count(plain[i].Arg, "/") < strings.Count(plain[j].Arg, "/")
	})
	for _, sec := range plain {
		if dirCovers(sec.Arg, fpath) {
			dir = mergeDir(dir, sec.Dir)
		}
	}
	for _, sec := range re {
		if sec.Regex != nil && sec.Regex.MatchString(fpath) {
			dir = mergeDir(dir, sec.Dir)
		}
	}
	return dir
}

// dirCovers reports whether a <Directory> path (ending in '/', or "/")
// covers fpath; wildcards match one path component each.
func dirCovers(d, fpath string) bool {
	if d == "/" {
		return true
	}
	if !isMatchExp(d) && !strings.ContainsRune(d, '[') {
		return strings.HasPrefix(fpath+"/", d)
	}
	n := strings.Count(d, "/")
	parts := strings.SplitAfter(fpath+"/", "/")
	if len(parts) < n {
		return false
	}
	ok, err := path.Match(strings.TrimSuffix(d, "/"), strings.TrimSuffix(strings.Join(parts[:n], ""), "/"))
	return err == nil && ok
}

// mergeSlashes replaces runs of '/' by one (httpd's ap_no2slash).
func mergeSlashes(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
