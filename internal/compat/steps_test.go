package compat

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

func TestParseSteps(t *testing.T) {
	script := `# a comment
send
GET /a HTTP/1.1
Host: x\t1

body\
.
send-repeat 3 ab\r\n
wait-response 2 head timeout=3s
wait-close
backend-stop backend2
ws-send nofin nomask rsv=4 text hi\x21
ws-send size=5 binary
read 4
sleep 200ms
`
	steps, err := ParseSteps(script)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{StepSend, StepSendRepeat, StepWaitResponse, StepWaitClose, StepBackendStop, StepWSSend, StepWSSend, StepRead, StepSleep}
	if len(steps) != len(kinds) {
		t.Fatalf("got %d steps; want %d", len(steps), len(kinds))
	}
	for i, k := range kinds {
		if steps[i].Kind != k {
			t.Errorf("step %d: got %q; want %q", i, steps[i].Kind, k)
		}
	}
	if got, want := string(steps[0].Data), "GET /a HTTP/1.1\r\nHost: x\t1\r\n\r\nbody"; got != want {
		t.Errorf("send data: got %q; want %q", got, want)
	}
	if got := steps[0].Line; got != 2 {
		t.Errorf("send line: got %d; want 2", got)
	}
	if st := steps[1]; st.Count != 3 || string(st.Data) != "ab\r\n" {
		t.Errorf("send-repeat: got %d × %q; want 3 × %q", st.Count, st.Data, "ab\r\n")
	}
	if st := steps[2]; st.Count != 2 || !st.Head || st.Timeout != 3*time.Second {
		t.Errorf("wait-response: got count %d head %v timeout %v", st.Count, st.Head, st.Timeout)
	}
	if st := steps[3]; st.Timeout != DefaultCloseTimeout {
		t.Errorf("wait-close timeout: got %v; want %v", st.Timeout, DefaultCloseTimeout)
	}
	if st := steps[4]; st.Backend != "backend2" {
		t.Errorf("backend-stop: got %q", st.Backend)
	}
	f := steps[5].Frame
	if f.Fin || f.Masked || f.RSV != 4 || f.Opcode != wsframe.OpText || string(f.Payload) != "hi!" {
		t.Errorf("ws-send: got %+v", f)
	}
	if f := steps[6].Frame; !f.Fin || !f.Masked || f.MaskKey != ClientMaskKey || string(f.Payload) != "abcde" {
		t.Errorf("ws-send size=5: got %+v", f)
	}
	if st := steps[7]; st.Count != 4 || st.Timeout != DefaultResponseTimeout {
		t.Errorf("read: got %d, %v", st.Count, st.Timeout)
	}
	if st := steps[8]; st.Timeout != 200*time.Millisecond {
		t.Errorf("sleep: got %v", st.Timeout)
	}
}

func TestParseStepsErrors(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"unknown step", "fly away\n", `steps line 1: unknown step "fly"`},
		{"unterminated send", "\nsend\nGET / HTTP/1.1\n", "steps line 2: send block not ended"},
		{"send with arguments", "send GET /\n", "send takes no arguments"},
		{"bad escape", "send\n\\q\n.\n", `steps line 2: unknown escape \q`},
		{"short hex escape", "send\nab\\x4\n.\n", `\x needs two hex digits`},
		{"bad backend", "backend-stop web\n", "usage: backend-stop NAME"},
		{"bad timeout", "wait-response timeout=forever\n", `bad timeout "forever"`},
		{"bad wait argument", "wait-response body\n", `unknown wait-response argument "body"`},
		{"bad opcode", "ws-send texty x\n", `unknown websocket opcode "texty"`},
		{"size and payload", "ws-send size=3 text abc\n", "exclude each other"},
		{"long sleep", "sleep 1h\n", `bad duration "1h"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSteps(tt.script)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseCase(t *testing.T) {
	c, err := ParseCase("x", []byte("One line.\n-- httpd.conf --\nProxyPass / http://$BACKEND/\n-- htdocs/a.txt --\nA\n-- steps --\nsend\nGET / HTTP/1.1\n.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Comment != "One line." || c.Conf != "ProxyPass / http://$BACKEND/\n" || len(c.Files) != 1 || c.Files[0].Name != "htdocs/a.txt" {
		t.Errorf("got %+v", c)
	}
	for _, tt := range []struct{ name, archive, want string }{
		{"no comment", "-- httpd.conf --\n-- steps --\n", "one-line description"},
		{"two-line comment", "a\nb\n-- httpd.conf --\n-- steps --\n", "one-line description"},
		{"no steps", "c\n-- httpd.conf --\n", "no steps"},
		{"no conf", "c\n-- steps --\n", "no httpd.conf"},
		{"twice", "c\n-- httpd.conf --\n-- httpd.conf --\n-- steps --\n", "appears twice"},
		{"escaping file", "c\n-- httpd.conf --\n-- ../x --\n-- steps --\n", "leaves the case directory"},
		{"bad steps", "c\n-- httpd.conf --\n-- steps --\njump\n", "unknown step"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCase("x", []byte(tt.archive))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestCasesParse checks every committed case.
func TestCasesParse(t *testing.T) {
	cases, err := LoadCases("../../testdata/compat")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Errorf("got %d cases; want at least 60", len(cases))
	}
}
