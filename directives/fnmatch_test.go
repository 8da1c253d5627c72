package directives

import "testing"

func TestMatchesProxyURL(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"https://*.example/", "https://a.example/", true},
		{"https://*/x", "https://a/b/x", true},
		{"https://h?/", "https://h1/", true},
		{"https://h[0-9]/", "https://h7/", true},
		{"https://h[!0-9]/", "https://h7/", false},
		{"https://*.example/", "https://a.example/more", false},
		// An escaped '*' makes no pattern (apr_fnmatch_test): the path is
		// a prefix compared as written, backslash included.
		{"https://a\\*/", "https://a*/", false},
		{"https://a[*]/", "https://a*/", true},
		{"http://b/", "http://b/x", true},
		{"http://b/x", "http://b/", false},
	}
	for _, tt := range tests {
		if got := (&Section{Kind: SectionProxy, Arg: tt.pat}).MatchesProxyURL(tt.s); got != tt.want {
			t.Errorf("<Proxy %q> against %q: = %v; want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}
