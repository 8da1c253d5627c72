package directives

import (
	"strings"

	"github.com/portico-proxy/portico/internal/pcre"
	"github.com/portico-proxy/portico/parser"
)

// RewriteConf holds a mod_rewrite configuration: a server's (Server.Rewrite:
// maps, and the rules written outside any section) or a per-directory one
// (DirConf.Rewrite: a section's rules, or the server level's engine and
// options). A nil *RewriteConf means no rewrite directive was written there.
//
// As in httpd, RewriteEngine and RewriteOptions written at server level
// set both the server's configuration and the server level's
// per-directory one; RewriteRule and RewriteCond there belong to the
// server only.
type RewriteConf struct {
	// PerDir is true for a per-directory configuration: its rules match
	// the path relative to the section (after httpd strips the
	// directory prefix), not the whole URL-path with its leading '/'.
	PerDir bool
	// Engine is RewriteEngine; unset means off unless inherited.
	Engine Opt[bool]
	// Options is the union of every RewriteOptions line; Pos is the
	// last one.
	Options Opt[RewriteOption]
	// Base is RewriteBase (per-directory only).
	Base Opt[string]
	// Maps are the RewriteMaps of a server, by name; a later map of the
	// same name replaces an earlier one.
	Maps map[string]*RewriteMap
	// Rules are the RewriteRules in config order, each with the
	// RewriteConds written before it.
	Rules []*RewriteRule
	// Pending holds RewriteConds written after the last rule: httpd
	// keeps them for a rule that never comes, so they apply to nothing.
	Pending []*RewriteCond
}

// RewriteOption is a set of RewriteOptions.
type RewriteOption uint16

// RewriteOptions values, as httpd 2.4.71 accepts them.
const (
	// RewriteInherit appends the parent's rules after the local ones.
	RewriteInherit RewriteOption = 1 << iota
	// RewriteInheritBefore puts the parent's rules before the local ones.
	RewriteInheritBefore
	// RewriteInheritDown makes every child inherit (as Inherit) unless
	// it says IgnoreInherit.
	RewriteInheritDown
	// RewriteInheritDownBefore makes every child inherit (as
	// InheritBefore) unless it says IgnoreInherit.
	RewriteInheritDownBefore
	// RewriteIgnoreInherit refuses InheritDown/InheritDownBefore.
	RewriteIgnoreInherit
	// RewriteAllowNoSlash lets per-directory rules run for a directory
	// requested without its trailing slash.
	RewriteAllowNoSlash
	// RewriteAllowAnyURI lets server rules run for a request URI that is
	// not a URL-path.
	RewriteAllowAnyURI
	// RewriteMergeBase inherits RewriteBase from the parent.
	RewriteMergeBase
	// RewriteIgnoreContextInfo ignores the context prefix and docroot
	// (mod_userdir, mod_alias) when turning a relative substitution
	// back into a URL.
	RewriteIgnoreContextInfo
	// RewriteLegacyPrefixDocRoot prefixes DocumentRoot the way httpd
	// before 2.4.26 did.
	RewriteLegacyPrefixDocRoot
	// RewriteUnsafePrefixStat allows a server rule's substitution to
	// start with a variable or back-reference and still be checked
	// against the file system.
	RewriteUnsafePrefixStat
)

var rewriteOptionNames = []struct {
	opt  RewriteOption
	name string
}{
	{RewriteInherit, "Inherit"},
	{RewriteInheritBefore, "InheritBefore"},
	{RewriteInheritDown, "InheritDown"},
	{RewriteInheritDownBefore, "InheritDownBefore"},
	{RewriteIgnoreInherit, "IgnoreInherit"},
	{RewriteAllowNoSlash, "AllowNoSlash"},
	{RewriteAllowAnyURI, "AllowAnyURI"},
	{RewriteMergeBase, "MergeBase"},
	{RewriteIgnoreContextInfo, "IgnoreContextInfo"},
	{RewriteLegacyPrefixDocRoot, "LegacyPrefixDocRoot"},
	{RewriteUnsafePrefixStat, "UnsafePrefixStat"},
}

// String lists the options by their RewriteOptions names, space
// separated.
func (o RewriteOption) String() string {
	var parts []string
	for _, n := range rewriteOptionNames {
		if o&n.opt != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, " ")
}

// MapType is the kind of a RewriteMap.
type MapType uint8

// Map types.
const (
	MapTxt     MapType = iota // txt: (or no known prefix): a text file of key/value lines
	MapRnd                    // rnd: a text file whose values are |-separated choices
	MapDBM                    // dbm[=type]: a DBM file
	MapInt                    // int: a built-in function
	MapPrg                    // prg: an external program
	MapDBD                    // dbd: an SQL query through mod_dbd
	MapFastDBD                // fastdbd: an SQL query, answers cached
)

var mapTypeNames = [...]string{MapTxt: "txt", MapRnd: "rnd", MapDBM: "dbm", MapInt: "int", MapPrg: "prg", MapDBD: "dbd", MapFastDBD: "fastdbd"}

// String returns the type's prefix as written in RewriteMap, without the colon.
func (t MapType) String() string {
	if int(t) < len(mapTypeNames) {
		return mapTypeNames[t]
	}
	return "unknown"
}

// RewriteMap is one RewriteMap directive.
type RewriteMap struct {
	Name string
	Type MapType
	// Source is the map's second argument as written (type prefix
	// included).
	Source string
	// File is the data file (txt, rnd, dbm), resolved against
	// ServerRoot as httpd does.
	File string
	// DBMType is the DBM flavour of a dbm map: "default" (httpd's
	// default, db on Debian), "db", "gdbm" or "sdbm".
	DBMType string
	// Func is the built-in function of an int map: "toupper",
	// "tolower", "escape" or "unescape".
	Func string
	// Argv is the command line of a prg map, its program resolved
	// against ServerRoot.
	Argv []string
	// User and Group are the optional third argument of a prg map
	// ("user:group").
	User, Group string
	// Query is the SQL statement of a dbd or fastdbd map.
	Query string
	Pos   parser.Pos
}

// RewriteRule is one RewriteRule with the conditions written before it.
type RewriteRule struct {
	// Pattern is the regular expression as written, without a leading '!'.
	Pattern string
	// Negate is a leading '!': the rule applies when Pattern does not
	// match (and then sets no back-references).
	Negate bool
	// Regex is Pattern compiled (case-insensitive with [NC]).
	Regex *pcre.Regexp
	// Substitution is the second argument, as httpd keeps it: a
	// trailing '?' is removed (and QSNone set) unless QSA is given.
	Substitution string
	Flags        RuleFlags
	Conds        []*RewriteCond
	Pos          parser.Pos
}

// RuleFlag is a set of boolean RewriteRule flags.
type RuleFlag uint32

// RewriteRule flags. Several are implied rather than written: NoSub for a
// "-" substitution, Status and NoSub for [F], [G] and [R=non-3xx], QSLast
// for a trailing '?' with [QSA], QSNone for a trailing '?' without it or
// [QSD] without any '?'.
const (
	RuleRedirect         RuleFlag = 1 << iota // R, redirect
	RuleLast                                  // L, last
	RuleNext                                  // N, next
	RuleChain                                 // C, chain
	RuleNoSubreq                              // NS, nosubreq
	RuleProxy                                 // P, proxy
	RulePassThrough                           // PT, passthrough
	RuleQSAppend                              // QSA, qsappend
	RuleNoCase                                // NC, nocase
	RuleNoEscape                              // NE, noescape
	RuleNoSub                                 // "-" substitution, F, G, R=4xx/5xx
	RuleStatus                                // respond with Flags.Status: F, G, R=non-3xx
	RuleEscapeBackref                         // B, backrefescaping (and BCTLS)
	RuleDiscardPathInfo                       // DPI, discardpath
	RuleQSDiscard                             // QSD, qsdiscard
	RuleEnd                                   // END
	RuleEscapeNoPlus                          // BNP, backrefernoplus
	RuleQSLast                                // QSL, qslast
	RuleQSNone                                // implied: drop the query string
	RuleEscapeCtls                            // BCTLS
	RuleUnsafePrefixStat                      // UnsafePrefixStat
	RuleUnsafeAllow3F                         // UnsafeAllow3F
	RuleUNC                                   // UNC
)

var ruleFlagNames = [...]string{
	"R", "L", "N", "C", "NS", "P", "PT", "QSA", "NC", "NE", "NoSub", "Status",
	"B", "DPI", "QSD", "END", "BNP", "QSL", "QSNone", "BCTLS",
	"UnsafePrefixStat", "UnsafeAllow3F", "UNC",
}

// String lists the flags by their short names, comma separated.
func (f RuleFlag) String() string {
	var parts []string
	for i, n := range ruleFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// DefaultMaxRounds is how many times an [N] rule may restart the rule
// set when it sets no limit of its own (httpd's REWRITE_MAX_ROUNDS).
const DefaultMaxRounds = 32000

// RuleFlags is a RewriteRule's flag field, parsed.
type RuleFlags struct {
	// Raw is the flag field as written, brackets included; empty when
	// the rule has none.
	Raw  string
	Bits RuleFlag
	// Status is the response code: 302 unless [R=…] says otherwise,
	// 403 for [F], 410 for [G]. [R=name] with a name httpd does not
	// know (not permanent, temp or seeother) and not starting with a
	// digit gives 0, as in httpd.
	Status int
	// MaxRounds is the [N=n] limit, DefaultMaxRounds when not given.
	MaxRounds int
	// Skip is [S=n].
	Skip int
	// Type is [T=media-type], Handler is [H=handler].
	Type, Handler Opt[string]
	// Env holds the [E=…] values in order ("VAR:VAL", "VAR", "!VAR").
	Env []string
	// Cookies holds the [CO=…] values in order.
	Cookies []string
	// Escapes is [B=chars]: only those characters are escaped in
	// back-references. NoEscapes is [BNE=chars]: characters B leaves
	// alone.
	Escapes, NoEscapes string
}

// Has reports whether all of the flags f are set.
func (rf *RuleFlags) Has(f RuleFlag) bool { return rf.Bits&f == f }

// CondKind is how a RewriteCond compares its test string with its
// pattern.
type CondKind uint8

// Condition kinds (httpd's CONDPAT_*).
const (
	CondRegex      CondKind = iota // a regular expression
	CondFileExists                 // -f: a regular file
	CondFileSize                   // -s: a regular file with a size
	CondSymlink                    // -l, -L, -h: a symbolic link
	CondDir                        // -d: a directory
	CondExecutable                 // -x: executable
	CondURLLookup                  // -U: a sub-request on the URL succeeds
	CondFileLookup                 // -F: a sub-request on the file succeeds
	CondStrLT                      // <
	CondStrLE                      // <=
	CondStrEQ                      // =
	CondStrGT                      // >
	CondStrGE                      // >=
	CondIntLT                      // -lt
	CondIntLE                      // -le
	CondIntEQ                      // -eq (and -ne, negated)
	CondIntGT                      // -gt
	CondIntGE                      // -ge
	CondExpr                       // TestString "expr": an ap_expr
)

var condKindNames = [...]string{
	"regex", "-f", "-s", "-l", "-d", "-x", "-U", "-F",
	"<", "<=", "=", ">", ">=", "-lt", "-le", "-eq", "-gt", "-ge", "expr",
}

// String names the kind as written in a RewriteCond ("regex" and "expr"
// for those two).
func (k CondKind) String() string {
	if int(k) < len(condKindNames) {
		return condKindNames[k]
	}
	return "unknown"
}

// IsFileTest reports whether the kind looks at the file system or makes a
// sub-request.
func (k CondKind) IsFileTest() bool { return k >= CondFileExists && k <= CondFileLookup }

// IsStringCompare reports whether the kind compares strings (<, <=, =, >, >=).
func (k CondKind) IsStringCompare() bool { return k >= CondStrLT && k <= CondStrGE }

// IsIntCompare reports whether the kind compares integers (-lt … -ge).
func (k CondKind) IsIntCompare() bool { return k >= CondIntLT && k <= CondIntGE }

// CondFlag is a set of RewriteCond flags.
type CondFlag uint8

// RewriteCond flags.
const (
	CondNoCase CondFlag = 1 << iota // NC, nocase (regex and string comparisons only)
	CondOrNext                      // OR, ornext
	CondNoVary                      // NV, novary
)

// String lists the flags by their short names, comma separated.
func (f CondFlag) String() string {
	var parts []string
	for i, n := range []string{"NC", "OR", "NV"} {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// RewriteCond is one RewriteCond.
type RewriteCond struct {
	// Input is the test string as written (expanded per request).
	Input string
	// Written is the pattern argument as written.
	Written string
	// Pattern is what the condition compares with: Written without the
	// '!' and the operator (for "=x" it is "x"; `=""` gives ""); for
	// CondExpr the expression.
	Pattern string
	Kind    CondKind
	// Negate is a leading '!' (toggled by -ne, which is a negated -eq).
	Negate bool
	// Flags holds NC, OR and NV. NC is dropped, with httpd's warning
	// AH00665, for kinds other than regex and string comparisons.
	Flags CondFlag
	// FlagsRaw is the flag field as written, brackets included.
	FlagsRaw string
	// Regex is Pattern compiled, for CondRegex.
	Regex *pcre.Regexp
	Pos   parser.Pos
}

// RewriteDirectory is the directory httpd's per-directory rewrite
// configuration of a section carries (dconf->directory): the section's
// path (for <Proxy>, the URL without "proxy:") with a trailing slash;
// "*If/" for the <If> family.
func RewriteDirectory(sec *Section) string {
	if sec == nil {
		return ""
	}
	dir := sec.Arg
	switch sec.Kind {
	case SectionIf, SectionElseIf, SectionElse:
		dir = "*If"
	}
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return dir
}
