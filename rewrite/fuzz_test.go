package rewrite

import (
	"strings"
	"testing"

	"github.com/portico-proxy/portico/directives"
)

// FuzzExpand runs do_expand on arbitrary templates with back-references,
// variables and map look-ups: it must not panic, must leave text without
// specials alone, and must report a '?' it saw.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"/plain", "/a/$1?b=%1", "%{HTTP:X}${m:$1|d}", "${m:${m:x}|%{QUERY_STRING}}", `\$1\`, "%{", "${", "$", "%9$9",
		"${m:k", "%{ENV:PATH}", "%{REQUEST_URI}?x", "${nomap:k|${m:d}}", "?a?b",
	} {
		f.Add(s, "abc?d", "x y")
	}
	cfg := &directives.Config{Main: &directives.Server{Rewrite: &directives.RewriteConf{
		Maps: map[string]*directives.RewriteMap{"m": {Name: "m", Type: directives.MapInt, Func: "toupper"}},
	}}}
	e, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	rule := &directives.RewriteRule{Flags: directives.RuleFlags{Bits: directives.RuleEscapeBackref | directives.RuleQSLast}}
	f.Fuzz(func(t *testing.T, tmpl, g1, hdr string) {
		var res Result
		p := e.newPass(cfg.Main, &fakeReq{vars: map[string]string{}, headers: map[string]string{"X": hdr}}, &Input{Args: g1, HasArgs: true}, &res)
		p.rr = backrefs{groups: []string{"/" + g1, g1}, ok: []bool{true, true}}
		p.rc = backrefs{groups: []string{hdr, hdr}, ok: []bool{true, true}}
		q := -1
		out := p.expand(tmpl, rule, &q)
		if strings.IndexAny(tmpl, `\$%`) < 0 && out != tmpl {
			t.Errorf("expand(%q) = %q; want it unchanged", tmpl, out)
		}
		if strings.IndexByte(tmpl, '?') >= 0 && strings.IndexAny(tmpl, `\$%`) < 0 && q != 0 {
			t.Errorf("expand(%q): literal '?' not recorded (q=%d)", tmpl, q)
		}
		if q == -1 && strings.IndexByte(out, '?') >= 0 && !strings.Contains(tmpl, `\?`) {
			t.Errorf("expand(%q) = %q has a '?' the tracking missed", tmpl, out)
		}
		_ = p.expand(tmpl, nil, nil)
	})
}
