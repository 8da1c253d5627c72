package directives

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/parser"
)

const rewriteMod = "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"

// loadRewrite loads conf (after the MPM and mod_rewrite) and fails the
// test on any error.
func loadRewrite(t *testing.T, conf string, extra map[string]string) (*Config, Diagnostics, string) {
	t.Helper()
	files := map[string]string{"httpd.conf": mpm + rewriteMod + conf}
	for k, v := range extra {
		files[k] = v
	}
	cfg, diags, dir := loadTree(t, files, nil)
	if err := diags.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	return cfg, diags, dir
}

// rewriteErr loads conf and returns the first error's message ("" if none).
func rewriteErr(t *testing.T, conf string) string {
	t.Helper()
	_, diags, _ := loadTree(t, map[string]string{"httpd.conf": mpm + rewriteMod + conf}, nil)
	if err := diags.Err(); err != nil {
		return err.(*Diagnostic).Msg
	}
	return ""
}

func TestRewriteRuleFlags(t *testing.T) {
	tests := []struct {
		line      string
		bits      RuleFlag
		status    int
		check     func(*RewriteRule) string // extra check; returns a complaint
		sub       string
		pattern   string
		negate    bool
		maxRounds int
	}{
		{line: `^/a /b [R=301,L]`, bits: RuleRedirect | RuleLast, status: 301},
		{line: `^/a /b [R]`, bits: RuleRedirect, status: 302},
		{line: `^/a /b [redirect=permanent]`, bits: RuleRedirect, status: 301},
		{line: `^/a /b [R=SeeOther]`, bits: RuleRedirect, status: 303},
		{line: `^/a /b [R=temp]`, bits: RuleRedirect, status: 302},
		{line: `^/a /b [R=foo]`, bits: RuleRedirect, status: 0},
		{line: `^/a - [R=404]`, bits: RuleRedirect | RuleStatus | RuleNoSub, status: 404},
		{line: `^/a /b [R=301x]`, bits: RuleRedirect, status: 301},
		{line: `^/a - [F]`, bits: RuleStatus | RuleNoSub, status: 403},
		{line: `^/a - [gone]`, bits: RuleStatus | RuleNoSub, status: 410},
		{line: `^/(.*) http://b/$1 [P,QSA,NE,NC]`, bits: RuleProxy | RuleQSAppend | RuleNoEscape | RuleNoCase, status: 302},
		{line: `^/a /b [PT,END,C,NS,DPI]`, bits: RulePassThrough | RuleEnd | RuleChain | RuleNoSubreq | RuleDiscardPathInfo, status: 302},
		{line: `^/a /b [Dxyz]`, bits: 0, status: 302},
		{line: `^/a /b [N=5]`, bits: RuleNext, status: 302, maxRounds: 5},
		{line: `^/a /b [next]`, bits: RuleNext, status: 302, maxRounds: DefaultMaxRounds},
		{line: `^/a /b [QSD]`, bits: RuleQSDiscard | RuleQSNone, status: 302},
		{line: `^/a /b?x=1 [QSD]`, bits: RuleQSDiscard, status: 302, sub: "/b?x=1"},
		{line: `^/a /b? [L]`, bits: RuleLast | RuleQSNone, status: 302, sub: "/b"},
		{line: `^/a /b? [QSA]`, bits: RuleQSAppend | RuleQSLast, status: 302, sub: "/b?"},
		{line: `^/a "/b?"`, bits: RuleQSNone, status: 302, sub: "/b"},
		{line: `^/a - [QSL]`, bits: RuleNoSub | RuleQSLast, status: 302, sub: "-"},
		{line: `^/a /b [B,BNP]`, bits: RuleEscapeBackref | RuleEscapeNoPlus, status: 302},
		{line: `^/a /b [BCTLS]`, bits: RuleEscapeBackref | RuleEscapeCtls, status: 302},
		{line: `^/a /b [UnsafeAllow3F,unsafeprefixstat,UNC]`, bits: RuleUnsafeAllow3F | RuleUnsafePrefixStat | RuleUNC, status: 302},
		{line: `!^/a /b`, bits: 0, status: 302, pattern: "^/a", negate: true},
		{line: `"^/a b" /c`, bits: 0, status: 302, pattern: "^/a b", sub: "/c"},
		{line: `^/a\ b /c`, bits: 0, status: 302, pattern: `^/a\ b`, sub: "/c"},
		{line: `^/a /b [L] ignored`, bits: RuleLast, status: 302},
		{line: `"^/a"`, bits: 0, status: 302, sub: ""},
		{line: `^/a /b "[L, NC]"`, bits: RuleLast | RuleNoCase, status: 302},
		{
			line: `^/a /b [B=?&,BNE=/,S=2,T=text/html,H=h,E=A:1,env=!B,CO=c:v:d,cookie=d:w:e]`,
			bits: RuleEscapeBackref, status: 302,
			check: func(r *RewriteRule) string {
				f := r.Flags
				want := RuleFlags{Raw: f.Raw, Bits: f.Bits, Status: 302, MaxRounds: DefaultMaxRounds, Skip: 2,
					Type: Opt[string]{Val: "text/html", Set: true}, Handler: Opt[string]{Val: "h", Set: true},
					Env: []string{"A:1", "!B"}, Cookies: []string{"c:v:d", "d:w:e"}, Escapes: "?&", NoEscapes: "/"}
				if !reflect.DeepEqual(f, want) {
					return fmt.Sprintf("got %+v; want %+v", f, want)
				}
				return ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cfg, _, _ := loadRewrite(t, "RewriteRule "+tt.line+"\n", nil)
			rc := cfg.Main.Rewrite
			if rc == nil || len(rc.Rules) != 1 {
				t.Fatalf("got %+v; want one server rule", rc)
			}
			r := rc.Rules[0]
			if r.Flags.Bits != tt.bits {
				t.Errorf("flags: got %v; want %v", r.Flags.Bits, tt.bits)
			}
			if r.Flags.Status != tt.status {
				t.Errorf("status: got %d; want %d", r.Flags.Status, tt.status)
			}
			if tt.sub != "" || strings.HasPrefix(tt.line, `"^/a"`) {
				if r.Substitution != tt.sub {
					t.Errorf("substitution: got %q; want %q", r.Substitution, tt.sub)
				}
			}
			if tt.pattern != "" && r.Pattern != tt.pattern {
				t.Errorf("pattern: got %q; want %q", r.Pattern, tt.pattern)
			}
			if r.Negate != tt.negate {
				t.Errorf("negate: got %v; want %v", r.Negate, tt.negate)
			}
			if tt.maxRounds != 0 && r.Flags.MaxRounds != tt.maxRounds {
				t.Errorf("max rounds: got %d; want %d", r.Flags.MaxRounds, tt.maxRounds)
			}
			if r.Regex == nil || r.Regex.String() != r.Pattern {
				t.Errorf("regex: got %v; want the pattern compiled", r.Regex)
			}
			if r.Pos.Line != 3 || !strings.HasSuffix(r.Pos.File, "httpd.conf") {
				t.Errorf("position: got %v; want httpd.conf line 3", r.Pos)
			}
			if tt.check != nil {
				if msg := tt.check(r); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func TestRewriteRuleNoCaseCompiles(t *testing.T) {
	cfg, _, _ := loadRewrite(t, "RewriteRule ^/ABC /x [NC]\nRewriteRule ^/ABC /y\n", nil)
	rules := cfg.Main.Rewrite.Rules
	if !rules[0].Regex.MatchString("/abc") {
		t.Errorf("[NC] rule: got no match for /abc; want a match")
	}
	if rules[1].Regex.MatchString("/abc") {
		t.Errorf("rule without [NC]: got a match for /abc; want none")
	}
}

func TestRewriteCondKinds(t *testing.T) {
	tests := []struct {
		line    string
		kind    CondKind
		pattern string
		negate  bool
		flags   CondFlag
		warn    string // substring of an AH00665 warning, "" for none
	}{
		{line: `%{HTTP_HOST} ^www\. [NC,OR]`, kind: CondRegex, pattern: `^www\.`, flags: CondNoCase | CondOrNext},
		{line: `%{HTTP_HOST} !^www\.`, kind: CondRegex, pattern: `^www\.`, negate: true},
		{line: `%{REQUEST_FILENAME} -f`, kind: CondFileExists, pattern: "-f"},
		{line: `%{REQUEST_FILENAME} !-d`, kind: CondDir, pattern: "-d", negate: true},
		{line: `%{REQUEST_FILENAME} -s`, kind: CondFileSize, pattern: "-s"},
		{line: `%{REQUEST_FILENAME} -x`, kind: CondExecutable, pattern: "-x"},
		{line: `%{REQUEST_FILENAME} -L`, kind: CondSymlink, pattern: "-L"},
		{line: `%{REQUEST_FILENAME} -h`, kind: CondSymlink, pattern: "-h"},
		{line: `%{REQUEST_URI} -U`, kind: CondURLLookup, pattern: "-U"},
		{line: `%{REQUEST_FILENAME} -F [NC]`, kind: CondFileLookup, pattern: "-F", warn: "pattern '-F' is not supported"},
		{line: `%{X} -q`, kind: CondRegex, pattern: "-q"},
		{line: `%{X} -lt5`, kind: CondIntLT, pattern: "5"},
		{line: `%{X} -le5`, kind: CondIntLE, pattern: "5"},
		{line: `%{X} -gt10`, kind: CondIntGT, pattern: "10"},
		{line: `%{X} -ge10`, kind: CondIntGE, pattern: "10"},
		{line: `%{X} -eq3`, kind: CondIntEQ, pattern: "3"},
		{line: `%{X} -ne3`, kind: CondIntEQ, pattern: "3", negate: true},
		{line: `%{X} !-ne3 [NC]`, kind: CondIntEQ, pattern: "3", warn: "pattern '3'"},
		{line: `%{X} -lt`, kind: CondRegex, pattern: "-lt"},
		{line: `%{X} -xy`, kind: CondRegex, pattern: "-xy"},
		{line: `%{X} =abc [NC]`, kind: CondStrEQ, pattern: "abc", flags: CondNoCase},
		{line: `%{X} =""`, kind: CondStrEQ, pattern: ""},
		{line: `%{X} ="" [NV]`, kind: CondStrEQ, pattern: "", flags: CondNoVary},
		{line: `%{X} <b`, kind: CondStrLT, pattern: "b"},
		{line: `%{X} <=b`, kind: CondStrLE, pattern: "b"},
		{line: `%{X} >b`, kind: CondStrGT, pattern: "b"},
		{line: `%{X} >=b [novary,ornext]`, kind: CondStrGE, pattern: "b", flags: CondNoVary | CondOrNext},
		{line: `%{X} =`, kind: CondRegex, pattern: "="},
		{line: `expr "%{HTTP_HOST} == 'a'"`, kind: CondExpr, pattern: "%{HTTP_HOST} == 'a'"},
		{line: `EXPR "true" [NC]`, kind: CondExpr, pattern: "true", warn: "pattern 'true'"},
		{line: `expr !true`, kind: CondExpr, pattern: "true", negate: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cfg, diags, _ := loadRewrite(t, "RewriteCond "+tt.line+"\nRewriteRule ^ -\n", nil)
			r := cfg.Main.Rewrite.Rules[0]
			if len(r.Conds) != 1 {
				t.Fatalf("got %d conditions; want 1", len(r.Conds))
			}
			c := r.Conds[0]
			if c.Kind != tt.kind || c.Pattern != tt.pattern || c.Negate != tt.negate || c.Flags != tt.flags {
				t.Errorf("got kind %v pattern %q negate %v flags %v; want %v %q %v %v",
					c.Kind, c.Pattern, c.Negate, c.Flags, tt.kind, tt.pattern, tt.negate, tt.flags)
			}
			if (c.Kind == CondRegex) != (c.Regex != nil) {
				t.Errorf("regex compiled: got %v; want %v", c.Regex != nil, c.Kind == CondRegex)
			}
			var warns []string
			for _, d := range diags {
				if d.Severity == Warning && d.Code == "AH00665" {
					warns = append(warns, d.Msg)
				}
			}
			switch {
			case tt.warn == "" && len(warns) > 0:
				t.Errorf("got warnings %q; want none", warns)
			case tt.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.warn)):
				t.Errorf("got warnings %q; want one containing %q", warns, tt.warn)
			}
		})
	}
}

func TestRewriteNoCaseWarningPosition(t *testing.T) {
	_, diags, dir := loadRewrite(t, "RewriteCond %{REQUEST_FILENAME} -d [NC]\nRewriteRule ^ -\n", nil)
	want := "RewriteCond: NoCase option for non-regex pattern '-d' is not supported and will be ignored. (" +
		filepath.Join(dir, "httpd.conf") + ":3)"
	for _, d := range diags {
		if d.Code == "AH00665" {
			if d.Msg != want || d.Module != "rewrite" {
				t.Errorf("got %q from %q; want %q from rewrite", d.Msg, d.Module, want)
			}
			return
		}
	}
	t.Fatalf("got no AH00665 warning in %v", diags)
}

func TestRewriteConditionsAttach(t *testing.T) {
	conf := `RewriteEngine On
RewriteCond %{HTTP_HOST} a
RewriteCond %{HTTP_HOST} b
RewriteRule ^/one /1
RewriteRule ^/two /2
RewriteCond %{HTTP_HOST} c
<VirtualHost *:80>
  ServerName v.example
  RewriteRule ^/three /3
  RewriteCond %{HTTP_HOST} d
</VirtualHost>
<Location /p>
  RewriteEngine Off
  RewriteCond %{HTTP_HOST} e
  <Limit GET>
    RewriteRule ^x y
  </Limit>
</Location>
`
	cfg, _, _ := loadRewrite(t, conf, nil)
	main := cfg.Main.Rewrite
	if len(main.Rules) != 2 || len(main.Rules[0].Conds) != 2 || len(main.Rules[1].Conds) != 0 {
		t.Fatalf("main rules: got %d (conds %v); want 2 with 2 and 0 conditions", len(main.Rules), main.Rules)
	}
	if got := main.Rules[0].Conds[1].Pattern; got != "b" {
		t.Errorf("second condition: got %q; want %q", got, "b")
	}
	if len(main.Pending) != 1 || main.Pending[0].Pattern != "c" {
		t.Errorf("main pending: got %v; want the condition on c", main.Pending)
	}
	if main.PerDir || !main.Engine.Set || !main.Engine.Val {
		t.Errorf("main: got perdir %v engine %+v; want server config with engine on", main.PerDir, main.Engine)
	}
	if d := cfg.Main.Dir.Rewrite; d == nil || !d.PerDir || !d.Engine.Val || len(d.Rules) != 0 {
		t.Errorf("main server-level dir: got %+v; want engine on, no rules", d)
	}
	vh := cfg.VirtualHosts[0].Rewrite
	if len(vh.Rules) != 1 || len(vh.Rules[0].Conds) != 0 || len(vh.Pending) != 1 {
		t.Errorf("vhost: got %+v; want one rule without conditions and one pending condition", vh)
	}
	if vh.Engine.Set {
		t.Errorf("vhost engine: got set; want unset (it inherits)")
	}
	var loc *Section
	for _, s := range cfg.Main.Sections {
		if s.Kind == SectionLocation {
			loc = s
		}
	}
	if loc == nil || loc.Dir.Rewrite == nil {
		t.Fatalf("location: got no rewrite config")
	}
	lr := loc.Dir.Rewrite
	if !lr.PerDir || !lr.Engine.Set || lr.Engine.Val || len(lr.Rules) != 1 || len(lr.Rules[0].Conds) != 1 {
		t.Errorf("location: got %+v; want per-dir, engine off, one rule with one condition", lr)
	}
	if got := RewriteDirectory(loc); got != "/p/" {
		t.Errorf("RewriteDirectory: got %q; want %q", got, "/p/")
	}
}

func TestRewriteOptionsAndBase(t *testing.T) {
	conf := `RewriteOptions InheritDown "AllowNoSlash MergeBase"
RewriteOptions IgnoreContextInfo
<Directory /srv>
  RewriteOptions inherit legacyprefixdocroot
  RewriteOptions UnsafePrefixStat
  RewriteBase /base/
</Directory>
`
	cfg, _, _ := loadRewrite(t, conf, nil)
	want := RewriteInheritDown | RewriteAllowNoSlash | RewriteMergeBase | RewriteIgnoreContextInfo
	if got := cfg.Main.Rewrite.Options.Val; got != want {
		t.Errorf("server options: got %v; want %v", got, want)
	}
	if got := cfg.Main.Dir.Rewrite.Options.Val; got != want {
		t.Errorf("server-level dir options: got %v; want %v", got, want)
	}
	if got := cfg.Main.Rewrite.Options.Pos.Line; got != 4 {
		t.Errorf("options position: got line %d; want 4 (the last RewriteOptions)", got)
	}
	sec := cfg.Main.Sections[0]
	d := sec.Dir.Rewrite
	if got, want := d.Options.Val, RewriteInherit|RewriteLegacyPrefixDocRoot|RewriteUnsafePrefixStat; got != want {
		t.Errorf("directory options: got %v; want %v", got, want)
	}
	if !d.Base.Set || d.Base.Val != "/base/" || d.Base.Pos.Line != 8 {
		t.Errorf("base: got %+v; want /base/ at line 8", d.Base)
	}
	if got := RewriteDirectory(sec); got != "/srv/" {
		t.Errorf("RewriteDirectory: got %q; want %q", got, "/srv/")
	}
}

func TestRewriteOptionsMaxRedirectsWarns(t *testing.T) {
	_, diags, _ := loadRewrite(t, "RewriteOptions MaxRedirects=5 Inherit\n", nil)
	found := false
	for _, d := range diags {
		if d.Code == "AH00664" && d.Severity == Warning && strings.Contains(d.Msg, "LimitInternalRecursion") {
			found = true
		}
	}
	if !found {
		t.Errorf("got %v; want an AH00664 warning", diags)
	}
}

func TestRewriteMaps(t *testing.T) {
	conf := `RewriteMap up int:toupper
RewriteMap lo INT:tolower
RewriteMap t txt:maps/t.txt
RewriteMap bare maps/t.txt
RewriteMap r rnd:$DIR/maps/t.txt
RewriteMap d dbm:maps/db
RewriteMap s dbm=SDBM:maps/sd
RewriteMap p "prg:/bin/sh -c 'cat -u'" nobody:nogroup
RewriteMap up int:escape
`
	cfg, _, dir := loadRewrite(t, conf, map[string]string{
		"maps/t.txt": "a b\n", "maps/db": "", "maps/sd.dir": "",
	})
	maps := cfg.Main.Rewrite.Maps
	want := map[string]RewriteMap{
		"up":   {Name: "up", Type: MapInt, Source: "int:escape", Func: "escape"},
		"lo":   {Name: "lo", Type: MapInt, Source: "INT:tolower", Func: "tolower"},
		"t":    {Name: "t", Type: MapTxt, Source: "txt:maps/t.txt", File: dir + "/maps/t.txt"},
		"bare": {Name: "bare", Type: MapTxt, Source: "maps/t.txt", File: dir + "/maps/t.txt"},
		"r":    {Name: "r", Type: MapRnd, Source: "rnd:" + dir + "/maps/t.txt", File: dir + "/maps/t.txt"},
		"d":    {Name: "d", Type: MapDBM, Source: "dbm:maps/db", File: dir + "/maps/db", DBMType: "default"},
		"s":    {Name: "s", Type: MapDBM, Source: "dbm=SDBM:maps/sd", File: dir + "/maps/sd", DBMType: "SDBM"},
		"p": {Name: "p", Type: MapPrg, Source: "prg:/bin/sh -c 'cat -u'", Argv: []string{"/bin/sh", "-c", "cat -u"},
			User: "nobody", Group: "nogroup"},
	}
	if len(maps) != len(want) {
		t.Errorf("got %d maps; want %d", len(maps), len(want))
	}
	for name, w := range want {
		m := maps[name]
		if m == nil {
			t.Errorf("map %s: missing", name)
			continue
		}
		got := *m
		got.Pos = parser.Pos{}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("map %s: got %+v; want %+v", name, got, w)
		}
	}
	if maps["up"].Pos.Line != 11 {
		t.Errorf("map up: got line %d; want 11 (the later definition wins)", maps["up"].Pos.Line)
	}
}

func TestRewriteMapDBD(t *testing.T) {
	cfg, _, _ := loadRewrite(t, "LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so\n"+
		"RewriteMap q \"dbd:SELECT v FROM t WHERE k = %s\"\nRewriteMap f fastdbd:x\n", nil)
	m := cfg.Main.Rewrite.Maps
	if m["q"].Type != MapDBD || m["q"].Query != "SELECT v FROM t WHERE k = %s" {
		t.Errorf("dbd map: got %+v", m["q"])
	}
	if m["f"].Type != MapFastDBD || m["f"].Query != "x" {
		t.Errorf("fastdbd map: got %+v", m["f"])
	}
}

// Errors recorded from apache2 2.4.71 for the same lines.
func TestRewriteErrors(t *testing.T) {
	tests := []struct{ conf, want string }{
		{"RewriteRule\n", "RewriteRule: bad argument line ''"},
		{"RewriteRule \"^/a /b\n", `RewriteRule: bad argument line '"^/a /b'`},
		{"RewriteCond %{X}\n", "RewriteCond: bad argument line '%{X}'"},
		{"RewriteRule ^/a /b [ L ]\n", "RewriteRule: bad flag delimiters"},
		{"RewriteRule ^/a /b \"\"\n", "RewriteRule: bad flag delimiters"},
		{"RewriteRule ^/a /b []\n", "RewriteRule: unknown flag ''"},
		{"RewriteRule ^/a /b [L,,NC]\n", "RewriteRule: unknown flag ''"},
		{"RewriteRule ^/a /b \"[ ,L]\"\n", "RewriteRule: unknown flag ',L,'"},
		{"RewriteRule ^/a /b \"[L, ]\"\n", "RewriteRule: unknown flag ','"},
		{"RewriteRule ^/a /b [L]]\n", "RewriteRule: unknown flag 'L]'"},
		{"RewriteRule ^/a /b [Q]\n", "RewriteRule: unknown flag 'Q'"},
		{"RewriteRule ^/a /b [X=1]\n", "RewriteRule: unknown flag 'X'"},
		{"RewriteRule ^/a /b [BNE]\n", "RewriteRule: flag 'BNE' wants a list of characters (i.e. [BNE=...])"},
		{"RewriteRule ^/a /b [R=418]\n", "RewriteRule: invalid HTTP response code '418' for flag 'R'"},
		{"RewriteRule ^/a /b [R=0]\n", "RewriteRule: invalid HTTP response code '0' for flag 'R'"},
		{"RewriteRule ^/a /b [R=3xx]\n", "RewriteRule: invalid HTTP response code '3xx' for flag 'R'"},
		{"RewriteRule !( /b\n", "RewriteRule: cannot compile regular expression '('"},
		{"RewriteCond %{X} !( [NC]\nRewriteRule ^ -\n", "RewriteCond: cannot compile regular expression '('"},
		{"RewriteCond %{X} a [NC,Foo=1]\n", "RewriteCond: unknown flag 'Foo'"},
		{"RewriteOptions Inherit \"AllowAnyURI Bogus\"\n", "RewriteOptions: unknown option 'Bogus'"},
		{"RewriteOptions LongURLOptimization\n", "RewriteOptions: unknown option 'LongURLOptimization'"},
		{"RewriteBase /x\n", "RewriteBase: only valid in per-directory config files"},
		{"<Location /x>\nRewriteBase x\n</Location>\n", "RewriteBase: argument is not a valid URL"},
		{"RewriteMap m int:TOUPPER\n", "RewriteMap: internal map not found:TOUPPER"},
		{"RewriteMap m txt:/nonexistent/map\n", "RewriteMap: file for map m not found:/nonexistent/map"},
		{"RewriteMap m txt:/nonexistent/\n", "RewriteMap: file for map m not found:/nonexistent/"},
		{"RewriteMap m dbm=sdbm:/nonexistent\n", "RewriteMap: file for map m not found:/nonexistent.dir"},
		{"RewriteMap m dbm=ndbm:/nonexistent\n", "RewriteMap: dbm type ndbm is invalid"},
		{"RewriteMap m dbm=:/nonexistent\n", "RewriteMap: dbm type  is invalid"},
		{"RewriteMap m dbm=gdbm\n", "RewriteMap: bad map:dbm=gdbm"},
		{"RewriteMap m dbmx:/x\n", "RewriteMap: bad map:dbmx:/x"},
		{"RewriteMap m dbd:x\n", "RewriteMap types dbd and fastdbd require mod_dbd!"},
		{"RewriteMap m \"prg:/nonexistent/prog -x\"\n", "RewriteMap: file for map m not found:/nonexistent/prog"},
	}
	for _, tt := range tests {
		t.Run(tt.conf, func(t *testing.T) {
			if got := rewriteErr(t, tt.conf); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestRewriteAccepts(t *testing.T) {
	for _, conf := range []string{
		"RewriteRule ^/a /b [R=103]\n",
		"RewriteRule ^/a /b [R=500]\n",
		"RewriteRule ^/a /b [R=-1]\n",
		"RewriteRule ^/a /b [R=]\n",
		"RewriteRule ^/a /b [L=foo,F=x]\n",
		"RewriteMap m txt:\n",
		"RewriteMap m prg:\n",
		"RewriteMap m int:toupper extra\n",
		"<If \"true\">\nRewriteBase /y\nRewriteRule a b\n</If>\n",
	} {
		if got := rewriteErr(t, conf); got != "" {
			t.Errorf("%q: got error %q; want none", conf, got)
		}
	}
}

func TestTokenizeToArgv(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"/bin/cat", []string{"/bin/cat"}},
		{"  /bin/x  -a\t'b c' \"d e\" f\\ g", []string{"/bin/x", "-a", "b c", "d e", "f g"}},
	}
	for _, tt := range tests {
		if got := tokenizeToArgv(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenizeToArgv(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestAprServerRootRelative(t *testing.T) {
	tests := []struct{ root, p, want string }{
		{"/srv", "", "/srv/"},
		{"/srv", "maps/a", "/srv/maps/a"},
		{"/srv", "a/../../b//c/./d/", "/b/c/d/"},
		{"/srv", "/a/../b//c", "/b/c"},
		{"/srv", "/x/", "/x/"},
		{"/srv", "foo:/x", "/srv/foo:/x"},
	}
	for _, tt := range tests {
		if got := aprServerRootRelative(tt.root, tt.p); got != tt.want {
			t.Errorf("aprServerRootRelative(%q, %q): got %q; want %q", tt.root, tt.p, got, tt.want)
		}
	}
}
