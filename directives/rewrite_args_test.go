package directives

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRewriteArgs(t *testing.T) {
	tests := []struct {
		line       string
		ok         bool
		a1, a2, a3 string
		hasA3      bool
		a2Last     byte
	}{
		{line: "", ok: false},
		{line: "^/a", ok: false},
		{line: `"^/a /b`, ok: false},
		{line: "  ^/a   /b  ", ok: true, a1: "^/a", a2: "/b", a2Last: 'b'},
		{line: "^/a /b [L]", ok: true, a1: "^/a", a2: "/b", a3: "[L]", hasA3: true, a2Last: 'b'},
		{line: "^/a /b [P, L]", ok: true, a1: "^/a", a2: "/b", a3: "[P,", hasA3: true, a2Last: 'b'},
		{line: `^/a /b "[P, L]" more`, ok: true, a1: "^/a", a2: "/b", a3: "[P, L]", hasA3: true, a2Last: 'b'},
		{line: `"^/a b" '/c d'`, ok: true, a1: "^/a b", a2: "/c d", a2Last: 'd'},
		{line: `^/a\ b /c\ d`, ok: true, a1: `^/a\ b`, a2: `/c\ d`, a2Last: 'd'},
		{line: `"^/a"`, ok: true, a1: "^/a"},
		{line: `"^/a"/b`, ok: true, a1: "^/a", a2: "/b", a2Last: 'b'},
		{line: `^/a ""`, ok: true, a1: "^/a"},
		{line: `^/a /b?`, ok: true, a1: "^/a", a2: "/b?", a2Last: '?'},
		{line: `^/a "/b?"`, ok: true, a1: "^/a", a2: "/b?", a2Last: '?'},
		{line: "^/a /b \"\"", ok: true, a1: "^/a", a2: "/b", hasA3: true, a2Last: 'b'},
		{line: "^/a\x00 /b", ok: false},
	}
	for _, tt := range tests {
		got, ok := parseRewriteArgs(tt.line)
		want := rewriteArgs{a1: tt.a1, a2: tt.a2, a3: tt.a3, hasA3: tt.hasA3, a2Last: tt.a2Last}
		if ok != tt.ok || (ok && got != want) {
			t.Errorf("parseRewriteArgs(%q): got %+v, %v; want %+v, %v", tt.line, got, ok, want, tt.ok)
		}
	}
}

type flagPair struct{ key, val string }

func recordFlags(field string) ([]flagPair, error) {
	var got []flagPair
	err := parseFlagField(field, func(k, v string) error {
		got = append(got, flagPair{k, v})
		return nil
	})
	return got, err
}

func TestParseFlagField(t *testing.T) {
	tests := []struct {
		field string
		want  []flagPair
		err   string
	}{
		{field: "[L]", want: []flagPair{{"L", ""}}},
		{field: "[R=301,L]", want: []flagPair{{"R", "301"}, {"L", ""}}},
		{field: "[ E=a:b=c , NC ]", want: []flagPair{{"E", "a:b=c"}, {"NC", ""}}},
		{field: "[]", want: []flagPair{{"", ""}}},
		{field: "[L,]", want: []flagPair{{"L", ""}, {"", ""}}},
		{field: "[,L]", want: []flagPair{{"", ""}, {"L", ""}}},
		{field: "[ ,L]", want: []flagPair{{",L,", ""}, {"L", ""}}},
		{field: "[ ,a=b]", want: []flagPair{{",a", "b,"}}},
		{field: "[L, ]", want: []flagPair{{"L", ""}, {",", ""}}},
		{field: "[=x]", want: []flagPair{{"", "x"}}},
		{field: "[ ]", want: []flagPair{{",", ""}}},
		{field: "", err: "bad flag delimiters"},
		{field: "[", err: "bad flag delimiters"},
		{field: "]", err: "bad flag delimiters"},
		{field: "[L", err: "bad flag delimiters"},
		{field: "L]", err: "bad flag delimiters"},
	}
	for _, tt := range tests {
		got, err := recordFlags(tt.field)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: got error %v; want %q", tt.field, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.field, got, err, tt.want)
		}
	}
}

// FuzzRewriteFlags feeds arbitrary RewriteRule and RewriteCond argument
// lines and flag fields to mod_rewrite's readers: they never panic, every
// error has a message, and a plain field (no blanks, no empty flag) gives
// exactly its comma-separated flags, each split at its first '='.
func FuzzRewriteFlags(f *testing.F) {
	for _, s := range []string{
		"[L]", "[R=301,L]", "[P,QSA,NE]", "[ ,L]", "[L, ]", "[]", "[=]",
		"[E=A:1,CO=a:b:c:0:/:secure,B=?&,BNE=/]", "[N=4294967297,S=-1]",
		"[R=299]", "[R=permanent]", "[Dfoo,UnsafeAllow3F,BCTLS,UNC]",
		"[NC,OR,NV]", "[nocase,ornext,novary,x]", `^/a /b "[L, NC]"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got, err := recordFlags(field)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without a message")
			}
			return
		}
		if field == "" || field[0] != '[' || field[len(field)-1] != ']' {
			t.Fatalf("%q accepted without brackets", field)
		}
		inner := field[1 : len(field)-1]
		plain := inner != "" && !strings.ContainsAny(inner, " \t\n\v\f\r\x00") &&
			!strings.Contains(inner, ",,") && inner[0] != ',' && inner[len(inner)-1] != ','
		if plain {
			var want []flagPair
			for _, item := range strings.Split(inner, ",") {
				k, v, _ := strings.Cut(item, "=")
				want = append(want, flagPair{k, v})
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: got %q; want %q", field, got, want)
			}
		}

		rf := newRuleFlags()
		if err := parseFlagField(field, rf.setRuleFlag); err != nil && err.Error() == "" {
			t.Fatal("rule flag error without a message")
		} else if err == nil && rf.Has(RuleStatus) && rf.Status != 403 && rf.Status != 410 && rf.Status != 500 && !knownStatus(rf.Status) {
			t.Fatalf("%q: status %d accepted", field, rf.Status)
		}
		var cf CondFlag
		if err := parseFlagField(field, setCondFlag(&cf)); err != nil && err.Error() == "" {
			t.Fatal("cond flag error without a message")
		}

		if args, ok := parseRewriteArgs(field); ok {
			if !strings.Contains(field, args.a1) || !strings.Contains(field, args.a2) || !strings.Contains(field, args.a3) {
				t.Fatalf("%q: words %+v are not taken from the line", field, args)
			}
		}
	})
}
