package directives

import (
	"testing"
	"time"
)

func TestPorticoTunnelIdleTimeout(t *testing.T) {
	tests := []struct {
		arg  string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{"0", 0},
		{"1500ms", 1500 * time.Millisecond},
		{"2mi", 2 * time.Minute},
	}
	for _, tt := range tests {
		cfg, _ := mustLoad(t, "", "<IfModule portico_module>\nPorticoTunnelIdleTimeout "+tt.arg+"\n</IfModule>\n")
		got := cfg.Main.Dir.Proxy.TunnelIdleTimeout
		if !got.Set || got.Val != tt.want {
			t.Errorf("PorticoTunnelIdleTimeout %s: got %v (set %v); want %v", tt.arg, got.Val, got.Set, tt.want)
		}
	}
	cfg, _ := mustLoad(t, "", "<Location /ws/>\nPorticoTunnelIdleTimeout 5\n</Location>\n")
	if cfg.Main.Dir.Proxy.TunnelIdleTimeout.Set {
		t.Errorf("a <Location>'s PorticoTunnelIdleTimeout leaked into the server level")
	}
	wantErrors(t, "", []struct{ conf, err string }{
		{"PorticoTunnelIdleTimeout soon\n", "PorticoTunnelIdleTimeout must be a number of seconds (or a time with a unit: ms, s, mi, h), 0 for none"},
		{"PorticoTunnelIdleTimeout 5 6\n", "PorticoTunnelIdleTimeout takes one argument, Idle timeout of upgraded (WebSocket) connections: a number of seconds, or with a unit (ms, s, mi, h); 0 disables it"},
	})
}

func TestPorticoModuleNotListed(t *testing.T) {
	cfg, _ := mustLoad(t, "", "")
	for _, m := range cfg.Modules {
		if m.ID == PorticoModule {
			t.Errorf("portico_module is listed among the loaded modules (-M): %+v", m)
		}
	}
}
