package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-proxy/portico/directives"
)

// testPreamble loads the modules the proxy tests need, as a real
// configuration does (Portico never opens the files).
const testPreamble = `LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
ServerName proxy.test
`

// loadConf reads conf (after testPreamble) with directives.Load, as
// `portico -f` does, and fails the test on any configuration error.
func loadConf(t testing.TB, conf string) *directives.Config {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(testPreamble+conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := directives.Load(directives.Options{File: file, ServerRoot: dir})
	if err := diags.Err(); err != nil {
		t.Fatalf("config:\n%s\n%v", conf, err)
	}
	return cfg
}

// proxyConf loads conf and returns the main server's router and its
// server-level mod_proxy directory settings.
func proxyConf(t testing.TB, conf string) (*Router, *directives.ProxyDir) {
	t.Helper()
	cfg := loadConf(t, conf)
	return NewRouter(cfg.Main, cfg.Main), &cfg.Main.Dir.Proxy
}

// setup loads "ProxyPass path url params" followed by the lines of extra.
func setup(t testing.TB, path, url, params string, extra ...string) (*Router, *directives.ProxyDir) {
	t.Helper()
	conf := "ProxyPass " + path + " " + url + " " + params + "\n" + strings.Join(extra, "\n") + "\n"
	return proxyConf(t, conf)
}

func TestLoadedConfigBuildsWorker(t *testing.T) {
	rt, dir := setup(t, "/r/", "http://127.0.0.1:9/x/", "timeout=7 disablereuse=On", "ProxyPreserveHost On", "ProxyVia Full")
	if len(rt.workers) != 1 {
		t.Fatalf("%d workers; want 1", len(rt.workers))
	}
	w := rt.workers[0]
	if w.Timeout.Val.Seconds() != 7 || !w.DisableReuse.Val || w.Reuse() {
		t.Errorf("worker timeout %v disablereuse %v reuse %v; want 7s, true, false", w.Timeout.Val, w.DisableReuse.Val, w.Reuse())
	}
	if !dir.PreserveHost.Get(false) || rt.srv.via != directives.ViaFull {
		t.Errorf("PreserveHost %v via %v; want On, Full", dir.PreserveHost.Get(false), rt.srv.via)
	}
}
