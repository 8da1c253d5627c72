package directives

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads arbitrary text as a whole configuration (with an include
// directory beside it): whatever the input, Load returns diagnostics or a
// Config, never panics, and an error always has a message.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"ServerName localhost\n",
		"LoadModule proxy_module x.so\nProxyPass /a http://127.0.0.1:1/ timeout=5\n",
		"<IfModule !mod_x.c>\nDefine X y\n</IfModule>\nServerName ${X}\n",
		"<Location /x>\n<If \"true\">\n</If>\n</Location>\n",
		"Include inc/*.conf\n",
		"<VirtualHost *:80>\nServerAlias a b\n</VirtualHost>\n",
		"<IfVersion >= 2.4>\n</IfVersion>\n",
		"\"\\\n",
	}
	matches, _ := filepath.Glob("../testdata/configtest/*.txtar")
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "inc"), 0o755)
		os.WriteFile(filepath.Join(dir, "inc", "a.conf"), []byte("Define FROM_INC 1\n"), 0o644)
		file := filepath.Join(dir, "httpd.conf")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(Options{File: file, ServerRoot: dir, Getenv: func(string) (string, bool) { return "", false }})
		if diags.Err() == nil && cfg == nil {
			t.Fatal("no error and no config")
		}
		for _, d := range diags {
			if strings.TrimSpace(d.Msg) == "" {
				t.Fatalf("diagnostic without message: %+v", d)
			}
		}
		_ = Lint(cfg)
	})
}
