package directives

import (
	"reflect"
	"testing"
)

func TestLogConfig(t *testing.T) {
	cfg, _ := mustLoad(t, "ssl socache_shmcb", `LogFormat "%h %!200,304{Referer}i %<s %>s %^FB %{x}c\n" nick
LogFormat "%v %h"
CustomLog /tmp/a.log nick env=!nolog
GlobalLog "|/bin/cat" "%h" "expr=-n %{HTTP_HOST}"
TransferLog /tmp/t.log
BufferedLogs On
<VirtualHost *:80>
ServerName v
LogFormat "%U" nick
CustomLog /tmp/v.log nick
</VirtualHost>
`)
	m := cfg.Main
	nick, ok := m.LogFormats["nick"]
	if !ok || nick.Pos.Line != 4 {
		t.Fatalf("nickname: got %+v", m.LogFormats)
	}
	want := []LogFormatItem{
		{Tag: "h"}, {Literal: " "},
		{Tag: "i", Arg: "Referer", Statuses: []int{200, 304}, Negated: true}, {Literal: " "},
		{Tag: "s", Original: true}, {Literal: " "},
		{Tag: "s", Final: true}, {Literal: " "},
		{Tag: "^FB"}, {Literal: " "},
		{Tag: "c", Arg: "x"}, {Literal: "\n"},
	}
	if !reflect.DeepEqual(nick.Items, want) {
		t.Errorf("items:\ngot  %+v\nwant %+v", nick.Items, want)
	}
	if m.DefaultLogFormat == nil || m.DefaultLogFormat.Format != "%v %h" {
		t.Errorf("default format: got %+v", m.DefaultLogFormat)
	}
	logs := m.CustomLogs
	if len(logs) != 3 {
		t.Fatalf("got %d logs; want 3", len(logs))
	}
	if l := logs[0]; l.Format != "nick" || l.EnvVar != "nolog" || !l.EnvNegated || l.Inherit {
		t.Errorf("CustomLog: got %+v", l)
	}
	if l := logs[1]; l.Directive != "GlobalLog" || !l.Inherit || l.Cond == nil || l.Cond.Src != "-n %{HTTP_HOST}" || l.Target != "|/bin/cat" {
		t.Errorf("GlobalLog: got %+v", l)
	}
	if l := logs[2]; l.Directive != "TransferLog" || l.Format != "" || l.Items != nil {
		t.Errorf("TransferLog: got %+v", l)
	}
	if b := cfg.Global.BufferedLogs; !b.Set || !b.Val {
		t.Errorf("BufferedLogs: got %+v", b)
	}
	v := cfg.VirtualHosts[0]
	if v.LogFormats["nick"].Format != "%U" || len(v.CustomLogs) != 1 || m.LogFormats["nick"].Format == "%U" {
		t.Errorf("virtual host formats: got %+v, logs %+v", v.LogFormats, v.CustomLogs)
	}
}

func TestLogConfigErrors(t *testing.T) {
	wantErrors(t, "", []struct{ conf, err string }{
		{"LogFormat \"%Z\"\n", "Unrecognized LogFormat directive %Z"},
		{"LogFormat \"%{x}c\" n\n", "Unrecognized LogFormat directive %c"},
		{"LogFormat \"%{foo\" n\n", "Ran off end of LogFormat parsing args to some directive"},
		{"LogFormat \"%!200\" n\n", "Ran off end of LogFormat parsing args to some directive"},
		{"LogFormat \"%^FB %^xx\" n\n", "Unrecognized LogFormat directive %^"},
		{"CustomLog /tmp/x \"%h\" bogus\n", "error in condition clause"},
		{"CustomLog /tmp/x \"%h\" env=\n", "missing environment variable name"},
		{"CustomLog /tmp/x \"%h\" expr=\n", "missing condition"},
		{"CustomLog /tmp/x \"%h\" \"expr=%{SSL_PROTOCOL} == 1\"\n", "Variable 'SSL_PROTOCOL' does not exist"},
		{"CustomLog /tmp/x \"%q %J\"\n", "Unrecognized LogFormat directive %J"},
		{"<VirtualHost *:80>\nServerName a\nGlobalLog /tmp/x \"%h\"\n</VirtualHost>\n", "GlobalLog cannot occur within <VirtualHost> section"},
	})
}
