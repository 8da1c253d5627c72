package proxy

import (
	"errors"
	"testing"
)

func TestCanon(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		nocanon    bool
		encoded    bool
		args       string
		hasArgs    bool
		keepSlash  bool
		wantURL    string
		wantTarget string
		wantStatus int
	}{
		// Observed on httpd 2.4.71: /pp/a%3Fb/%7Euser/a+b/a;b/%41%42/%25/%e2%82%ac/x~y
		// reaches the backend as /back/a%3Fb/~user/a+b/a;b/AB/%25/%E2%82%AC/x~y.
		{name: "re-encoding", url: "http://B:80/back/a?b/~user/a+b/a;b/AB/%/\xe2\x82\xac/x~y", wantURL: "http://b/back/a%3Fb/~user/a+b/a;b/AB/%25/%E2%82%AC/x~y", wantTarget: "/back/a%3Fb/~user/a+b/a;b/AB/%25/%E2%82%AC/x~y"},
		{name: "query verbatim", url: "http://h:8080/x", args: "q=a%20b&r=1", hasArgs: true, wantURL: "http://h:8080/x?q=a%20b&r=1", wantTarget: "/x?q=a%20b&r=1"},
		{name: "empty query kept", url: "http://h/x", hasArgs: true, wantTarget: "/x?", wantURL: "http://h/x?"},
		{name: "space encoded", url: "http://h/a b\"<>", wantTarget: "/a%20b%22%3C%3E", wantURL: "http://h/a%20b%22%3C%3E"},
		{name: "https default port dropped", url: "https://H:443/p", wantURL: "https://h/p", wantTarget: "/p"},
		{name: "ws port kept", url: "ws://h:8080/p", wantURL: "ws://h:8080/p", wantTarget: "/p"},
		{name: "no path", url: "http://h:81", wantURL: "http://h:81/", wantTarget: "/"},
		{name: "ipv6", url: "http://[::1]:8080/p", wantURL: "http://[::1]:8080/p", wantTarget: "/p"},
		{name: "nocanon raw", url: "http://h/nc/a%20b/%41%25x?q=%20", nocanon: true, args: "ignored", hasArgs: true, wantURL: "http://h/nc/a%20b/%41%25x?q=%20", wantTarget: "/nc/a%20b/%41%25x?q=%20"},
		{name: "nocanon control char", url: "http://h/a b", nocanon: true, wantStatus: 403},
		{name: "query with space", url: "http://h/a", args: "a b", hasArgs: true, wantStatus: 403},
		{name: "encoded mapping", url: "http://h/e/a%2Fb", encoded: true, args: "x=1", hasArgs: true, wantURL: "http://h/e/a%2Fb?x=1", wantTarget: "/e/a%2Fb?x=1"},
		{name: "NoDecode keeps %2F", url: "http://h/a%2Fb%41", keepSlash: true, wantURL: "http://h/a%2Fb%2541", wantTarget: "/a%2Fb%2541"},
		{name: "NoDecode bad escape", url: "http://h/a%zz", keepSlash: true, wantStatus: 400},
		{name: "bad port", url: "http://h:0/", wantStatus: 400},
		{name: "port too big", url: "http://h:70000/", wantStatus: 400},
		{name: "empty host", url: "http:///x", wantStatus: 400},
		{name: "garbage port becomes host", url: "http://127.0.0.1:19090abc", wantURL: "http://[127.0.0.1:19090abc]/", wantTarget: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Match{Outcome: Proxied, URL: tt.url, NoCanon: tt.nocanon, Encoded: tt.encoded}
			bu, ok, err := Canon(m, &CanonRequest{Args: tt.args, HasArgs: tt.hasArgs, KeepEncodedSlashes: tt.keepSlash})
			if !ok {
				t.Fatalf("Canon(%q) declined the scheme", tt.url)
			}
			if tt.wantStatus != 0 {
				var ce *CanonError
				if !errors.As(err, &ce) || ce.Status != tt.wantStatus {
					t.Fatalf("got %v; want status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bu.URL != tt.wantURL || bu.Target != tt.wantTarget {
				t.Errorf("got URL %q target %q; want %q %q", bu.URL, bu.Target, tt.wantURL, tt.wantTarget)
			}
		})
	}
}

func TestCanonOtherScheme(t *testing.T) {
	for _, u := range []string{"ajp://h/", "balancer://c/x", "fcgi://h:9000/"} {
		if _, ok, _ := Canon(&Match{URL: u}, &CanonRequest{}); ok {
			t.Errorf("Canon(%q) accepted a scheme mod_proxy_http does not handle", u)
		}
	}
}

func FuzzCanon(f *testing.F) {
	for _, s := range []string{"http://h/a%20b?x", "https://[::1]:443/%", "ws://h:1/a b", "http://u:p@h/x", "http://h:99999/", "HTTP://X/\x00"} {
		f.Add(s, "q=1", false, false)
	}
	f.Fuzz(func(t *testing.T, url, args string, nocanon, keep bool) {
		m := &Match{Outcome: Proxied, URL: url, NoCanon: nocanon}
		bu, ok, err := Canon(m, &CanonRequest{Args: args, HasArgs: args != "", KeepEncodedSlashes: keep})
		if !ok || err != nil {
			return
		}
		if bu.Target == "" || bu.Target[0] != '/' {
			t.Fatalf("target %q does not start with '/'", bu.Target)
		}
		if !vcharObstext(bu.Target) {
			t.Fatalf("target %q holds a control character or space", bu.Target)
		}
		if bu.Port < 1 || bu.Port > 65535 {
			t.Fatalf("port %d out of range", bu.Port)
		}
		if !nocanon {
			// A canonical path is stable: encoding it again changes nothing
			// but the '%' signs it introduced.
			again, ok := canonEncPath(bu.Target[1:], true)
			if ok && len(again) < len(bu.Target)-1 {
				t.Fatalf("re-encoding %q shrank it to %q", bu.Target, again)
			}
		}
	})
}
