package directives

import "testing"

func TestTraceEnable(t *testing.T) {
	cfg, _ := mustLoad(t, "", "TraceEnable Extended\n<VirtualHost *:80>\nTraceEnable off\n</VirtualHost>\n<VirtualHost *:81>\n</VirtualHost>\n")
	if got := cfg.Main.TraceEnable; !got.Set || got.Val != "extended" {
		t.Errorf("main: got %+v; want extended", got)
	}
	if got := cfg.VirtualHosts[0].TraceEnable; !got.Set || got.Val != "off" {
		t.Errorf("first virtual host: got %+v; want off", got)
	}
	if got := cfg.VirtualHosts[1].TraceEnable; got.Set {
		t.Errorf("second virtual host: got %+v; want unset", got)
	}
}

func TestTraceEnableErrors(t *testing.T) {
	wantErrors(t, "", []struct{ conf, err string }{
		{"TraceEnable bogus\n", "TraceEnable must be one of 'on', 'off', or 'extended'"},
		{"<Location />\nTraceEnable off\n</Location>\n", "TraceEnable not allowed in <Location> context"},
		{"TraceEnable\n", "TraceEnable takes one argument, 'on' (default), 'off' or 'extended' to trace request body content"},
	})
}
