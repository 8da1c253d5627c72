package directives

import (
	"strings"
	"testing"
)

// firstError loads httpd.conf (with the MPM loaded first) and returns the
// first error as httpd prints it, with the case directory as $DIR, or ""
// when there is none.
func firstError(t *testing.T, conf string, more map[string]string) string {
	t.Helper()
	files := map[string]string{"httpd.conf": mpm + conf}
	for k, v := range more {
		files[k] = v
	}
	_, diags, dir := loadTree(t, files, nil)
	err := diags.Err()
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.(*Diagnostic).HTTPD("portico"), dir, "$DIR")
}

// TestVirtualHostAddresses follows httpd's get_addresses and APR's
// apr_parse_addr_port; the errors were checked against apache2 2.4.71.
func TestVirtualHostAddresses(t *testing.T) {
	tests := []struct {
		arg   string
		err   string // "" = accepted
		addrs string // want, when accepted: host:port …
	}{
		{arg: "*:80", addrs: "*:80"},
		{arg: "*", addrs: "*:*"}, // httpd takes a lone * as any port
		{arg: "*:*", addrs: "*:*"},
		{arg: "_default_:443", addrs: "_default_:443"},
		{arg: "127.0.0.1:0080 [::1]:8080", addrs: "127.0.0.1:80 ::1:8080"},
		{arg: `127.0.0.1:80 "" *:81`, addrs: "127.0.0.1:80 *:81"},
		{arg: "[::1]", addrs: "::1"},
		{arg: "*:99999", err: "The address or port is invalid"},
		{arg: "*:0", err: "The address or port is invalid"},
		{arg: ":80", err: "The address or port is invalid"},
		{arg: "[::1]:99999", err: "The address or port is invalid"},
		{arg: "[::1", err: "The address or port is invalid"},
		{arg: "[1.2.3.4]:80", err: "The address or port is invalid"},
		{arg: "[::1%]:80", err: "The address or port is invalid"},
		{arg: "80", err: "Missing address for VirtualHost"},
		{arg: "*:80 99999", err: "The address or port is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			conf := "<VirtualHost " + tt.arg + ">\nServerName x\n</VirtualHost>\n"
			cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": mpm + conf}, nil)
			if tt.err != "" {
				err := diags.Err()
				if err == nil || err.(*Diagnostic).Msg != tt.err {
					t.Fatalf("got error %v; want %q", err, tt.err)
				}
				return
			}
			if err := diags.Err(); err != nil {
				t.Fatalf("got error %v", err)
			}
			var got []string
			for _, a := range cfg.VirtualHosts[0].Addrs {
				s := a.Host
				if a.Port != "" {
					s += ":" + a.Port
				}
				got = append(got, s)
			}
			if g := strings.Join(got, " "); g != tt.addrs {
				t.Errorf("addresses %q; want %q", g, tt.addrs)
			}
		})
	}
}

func TestLogLevel(t *testing.T) {
	const proxy = "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n"
	tests := []struct {
		conf  string
		err   string // the walk error's message; "" = none
		level string // want: the main server's LogLevel
	}{
		{conf: "LogLevel warn", level: "warn"},
		{conf: "LogLevel INFO core:debug", level: "INFO core:debug"},
		{conf: proxy + "LogLevel warn proxy:info mod_proxy.c:trace8 proxy_module:error",
			level: "warn proxy:info mod_proxy.c:trace8 proxy_module:error"},
		{conf: "LogLevel warn http:info so:debug", level: "warn http:info so:debug"},
		{conf: "LogLevel warn proxy:info", err: "Cannot find module proxy"},
		{conf: "LogLevel loud", err: logLevelError},
		{conf: "LogLevel core:loud", err: "core:loud: " + logLevelError},
		{conf: "LogLevel core:", err: "Module specifier 'core' must be followed by a log level keyword"},
		{conf: "LogLevel :info", err: "Cannot find module "},
	}
	for _, tt := range tests {
		t.Run(tt.conf, func(t *testing.T) {
			cfg, diags, _ := loadTree(t, map[string]string{"httpd.conf": mpm + tt.conf + "\n"}, nil)
			err := diags.Err()
			switch {
			case tt.err != "":
				if err == nil || err.(*Diagnostic).Msg != tt.err {
					t.Fatalf("got error %v; want %q", err, tt.err)
				}
			case err != nil:
				t.Fatalf("got error %v", err)
			case cfg.Main.LogLevel != tt.level:
				t.Errorf("LogLevel %q; want %q", cfg.Main.LogLevel, tt.level)
			}
		})
	}
}

func TestMPMCount(t *testing.T) {
	if got := firstError(t, "", nil); got != "" {
		t.Errorf("one MPM: got %q", got)
	}
	want := "AH00534: portico: Configuration error: More than one MPM loaded."
	if got := firstError(t, "LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n", nil); got != want {
		t.Errorf("two MPMs: got %q; want %q", got, want)
	}
	_, diags, _ := loadTree(t, map[string]string{"httpd.conf": "ServerAdmin x\n"}, nil)
	if err := diags.Err(); err == nil || !strings.Contains(err.Error(), "No MPM loaded.") {
		t.Errorf("no MPM: got %v", err)
	}
}

// TestStructuralErrors covers the read errors the parser marks, as httpd
// 2.4.71 prints them.
func TestStructuralErrors(t *testing.T) {
	tests := []struct {
		name, conf string
		more       map[string]string
		want       string
	}{
		{
			name: "unclosed sections make one error at the outermost",
			conf: "<VirtualHost *:80>\n<Location /x>\n<If \"true\">\n",
			want: `portico: Syntax error on line 2 of $DIR/httpd.conf: $DIR/httpd.conf:4: <If> was not closed.\n$DIR/httpd.conf:3: <Location> was not closed.\n$DIR/httpd.conf:2: <VirtualHost> was not closed.`,
		},
		{
			name: "a known section is spelled as registered",
			conf: "<location /x>\n<virtualhost *:80>\n",
			want: `portico: Syntax error on line 2 of $DIR/httpd.conf: $DIR/httpd.conf:3: <VirtualHost> was not closed.\n$DIR/httpd.conf:2: <Location> was not closed.`,
		},
		{
			name: "an unknown section is spelled as written",
			conf: "<foo /x>\n<bar>\n",
			want: `portico: Syntax error on line 2 of $DIR/httpd.conf: $DIR/httpd.conf:3: <bar> was not closed.\n$DIR/httpd.conf:2: <foo> was not closed.`,
		},
		{
			name: "the expected closing tag is spelled as registered",
			conf: "<location /x>\n</directory>\n",
			want: "portico: Syntax error on line 3 of $DIR/httpd.conf: Expected </Location> but saw </directory>",
		},
		{
			name: "unclosed in an included file",
			conf: "Include $DIR/open.conf\n",
			more: map[string]string{"open.conf": "\n<Location /x>\n"},
			want: "portico: Syntax error on line 2 of $DIR/httpd.conf: Syntax error on line 2 of $DIR/open.conf: $DIR/open.conf:2: <Location> was not closed.",
		},
		{
			name: "a byte order mark starts the first name",
			conf: "",
			more: map[string]string{"httpd.conf": "\xef\xbb\xbfServerAdmin x\n" + mpm},
			want: "AH00526: Syntax error on line 1 of $DIR/httpd.conf:\nInvalid command '\\xef\\xbb\\xbfServerAdmin', perhaps misspelled or defined by a module not included in the server configuration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstError(t, tt.conf, tt.more); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
