package directives

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path → content) under a new temporary directory,
// replacing $DIR in contents with the directory, and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "$DIR", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const mpm = "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"

func loadTree(t *testing.T, files map[string]string, env map[string]string) (*Config, Diagnostics, string) {
	t.Helper()
	dir := writeTree(t, files)
	cfg, diags := LoadForLint(Options{
		File:       filepath.Join(dir, "httpd.conf"),
		ServerRoot: dir,
		Getenv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	})
	return cfg, diags, dir
}

func TestReadPhase(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		defines string // want: cfg.DefineOrder joined by ","
		err     string // want: first error's message contains this ("" = no error)
		warn    string // want: some warning contains this
	}{
		{
			name: "include directory recurses in strcmp order with dot-files",
			files: map[string]string{
				"httpd.conf":     mpm + "Include inc\n",
				"inc/b.conf":     "Define B\n",
				"inc/.hidden":    "Define HIDDEN\n",
				"inc/A.txt":      "Define UPPER_A\n",
				"inc/sub/c.conf": "Define C\n",
				"inc/a.conf":     "Define A\n",
			},
			defines: ".hidden?", // placeholder replaced below
		},
		{
			name: "wildcard skips dot-files and descends into matching directories",
			files: map[string]string{
				"httpd.conf":           mpm + "Include conf.d/*.conf\n",
				"conf.d/.x.conf":       "Define DOT\n",
				"conf.d/b.conf":        "Define B\n",
				"conf.d/a.conf":        "Define A\n",
				"conf.d/sub.conf/z.cf": "Define Z\n",
			},
			defines: "A,B,Z",
		},
		{
			name:  "wildcard without match fails for Include",
			files: map[string]string{"httpd.conf": mpm + "Include conf.d/*.conf\n", "conf.d/x.txt": ""},
			err:   "Include/IncludeOptional: No matches for the wildcard '*.conf' in '$DIR/conf.d', failing",
		},
		{
			name:    "IncludeOptional accepts no match and a missing directory",
			files:   map[string]string{"httpd.conf": mpm + "IncludeOptional conf.d/*.conf\nIncludeOptional nodir/*.conf\nIncludeOptional none.conf\nDefine OK\n", "conf.d/x.txt": ""},
			defines: "OK",
		},
		{
			name:  "missing include file",
			files: map[string]string{"httpd.conf": mpm + "Include missing.conf\n"},
			err:   "Could not open configuration file $DIR/missing.conf: No such file or directory",
		},
		{
			name:  "include loop stops at depth 128",
			files: map[string]string{"httpd.conf": mpm + "Include loop.conf\n", "loop.conf": "Include loop.conf\n"},
			err:   "Exceeded maximum include depth of 128, There appears to be a recursion.",
		},
		{
			name:    "define substitutes before splitting; env is the fallback",
			files:   map[string]string{"httpd.conf": mpm + "Define V1 one\nDefine ${V1}_${HOME_X} x\n"},
			env:     map[string]string{"HOME_X": "env"},
			defines: "V1,one_env",
		},
		{
			name:    "undefined variable stays literal with AH00111",
			files:   map[string]string{"httpd.conf": mpm + "Define X ${NOPE}\n"},
			defines: "X",
			warn:    "Config variable ${NOPE} is not defined",
		},
		{
			name:  "define name with colon",
			files: map[string]string{"httpd.conf": mpm + "Define a:b\n"},
			err:   "Variable name must not contain ':'",
		},
		{
			name:    "undefine and ifdefine in text order",
			files:   map[string]string{"httpd.conf": mpm + "Define A\n<IfDefine A>\nDefine SAW_A\n</IfDefine>\nUnDefine A\n<IfDefine !A>\nDefine NO_A\n</IfDefine>\n"},
			defines: "SAW_A,NO_A",
		},
		{
			name:    "ifmodule by source and identifier; no .c is false",
			files:   map[string]string{"httpd.conf": mpm + "<IfModule mod_version.c>\nDefine SRC\n</IfModule>\n<IfModule version_module>\nDefine ID\n</IfModule>\n<IfModule mod_version>\nDefine BARE\n</IfModule>\n<IfModule ! mod_proxy.c>\nDefine NOPROXY\n</IfModule>\n"},
			defines: "SRC,ID,NOPROXY",
		},
		{
			name:    "ifversion operators",
			files:   map[string]string{"httpd.conf": mpm + "<IfVersion >= 2.4>\nDefine GE24\n</IfVersion>\n<IfVersion < 2.4.72>\nDefine LT\n</IfVersion>\n<IfVersion 2.4>\nDefine EQ24\n</IfVersion>\n<IfVersion ~ ^2\\.4\\.>\nDefine RE\n</IfVersion>\n<IfVersion !~ ^1>\nDefine NOT1\n</IfVersion>\n"},
			defines: "GE24,LT,RE,NOT1",
		},
		{
			name:  "ifversion bad operator",
			files: map[string]string{"httpd.conf": mpm + "<IfVersion => 2.4>\n</IfVersion>\n"},
			err:   "unrecognized operator '=>'",
		},
		{
			name:    "iffile relative to ServerRoot, ifdirective and ifsection",
			files:   map[string]string{"httpd.conf": mpm + "<IfFile httpd.conf>\nDefine FILE\n</IfFile>\n<IfDirective ServerName>\nDefine DIR\n</IfDirective>\n<IfDirective !ProxyPass>\nDefine NOPP\n</IfDirective>\n<IfSection VirtualHost>\nDefine SEC\n</IfSection>\n"},
			defines: "FILE,DIR,NOPP,SEC",
		},
		{
			name:    "unknown directive inside a false ifmodule is never read",
			files:   map[string]string{"httpd.conf": mpm + "<IfModule mod_nothing.c>\nNoSuchDirective x\n</IfModule>\nDefine OK\n"},
			defines: "OK",
		},
		{
			name:  "bad nesting inside a false ifmodule is reported",
			files: map[string]string{"httpd.conf": mpm + "<IfModule mod_nothing.c>\n<Location /x>\n</IfModule>\n"},
			err:   "Expected </Location> but saw </IfModule>",
		},
		{
			name:  "no MPM loaded",
			files: map[string]string{"httpd.conf": "ServerName x\n"},
			err:   "No MPM loaded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags, dir := loadTree(t, tt.files, tt.env)
			err := diags.Err()
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "$DIR", dir)
				if err == nil {
					t.Fatalf("got no error; want %q", want)
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("got error %q; want it to contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if tt.warn != "" && !hasDiag(diags, Warning, tt.warn) {
				t.Errorf("no warning containing %q in %v", tt.warn, diags)
			}
			got := strings.Join(cfg.DefineOrder, ",")
			if tt.name == "include directory recurses in strcmp order with dot-files" {
				tt.defines = "HIDDEN,UPPER_A,A,B,C"
			}
			if got != tt.defines {
				t.Errorf("defines: got %q; want %q", got, tt.defines)
			}
		})
	}
}

func hasDiag(ds Diagnostics, sev Severity, sub string) bool {
	for _, d := range ds {
		if d.Severity == sev && strings.Contains(d.Msg, sub) {
			return true
		}
	}
	return false
}

func TestReadErrorChainsThroughIncludes(t *testing.T) {
	_, diags, dir := loadTree(t, map[string]string{
		"httpd.conf": mpm + "Include a.conf\n",
		"a.conf":     "\nInclude b.conf\n",
		"b.conf":     "Include nothere.conf\n",
	}, nil)
	err := diags.Err()
	if err == nil {
		t.Fatal("got no error")
	}
	d := err.(*Diagnostic)
	want := "portico: Syntax error on line 2 of $DIR/httpd.conf: Syntax error on line 2 of $DIR/a.conf: Syntax error on line 1 of $DIR/b.conf: Could not open configuration file $DIR/nothere.conf: No such file or directory"
	want = strings.ReplaceAll(want, "$DIR", dir)
	if got := d.HTTPD("portico"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
