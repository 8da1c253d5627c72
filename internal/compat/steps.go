package compat

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// Step kinds of the steps script (see testdata/compat/README.md).
const (
	StepSend          = "send"
	StepSendRepeat    = "send-repeat"
	StepWaitResponse  = "wait-response"
	StepWaitClose     = "wait-close"
	StepNewConnection = "new-connection"
	StepClose         = "close"
	StepCloseWrite    = "close-write"
	StepSleep         = "sleep"
	StepBackendStop   = "backend-stop"
	StepBackendStart  = "backend-start"
	StepWSSend        = "ws-send"
	StepWSRecv        = "ws-recv"
	StepRead          = "read"
)

// Step is one parsed step.
type Step struct {
	Kind    string
	Line    int           // line of the step in the script, from 1
	Data    []byte        // send, send-repeat (one unit), ws-send payload, read
	Count   int           // send-repeat count; read byte count; wait-response count
	Head    bool          // wait-response: the request was HEAD
	Timeout time.Duration // wait-response, wait-close, ws-recv, read
	Backend string        // backend-stop, backend-start
	Frame   wsframe.Frame // ws-send
}

// Default waits of the steps that read.
const (
	DefaultResponseTimeout = 10 * time.Second
	DefaultCloseTimeout    = 2 * time.Second
)

// BackendNames are the backends every case may use, as the steps name them.
var BackendNames = []string{"backend", "backend2", "backend3"}

// ParseSteps parses a steps script.
func ParseSteps(script string) ([]Step, error) {
	lines := strings.Split(script, "\n")
	var steps []Step
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		errf := func(format string, args ...any) error {
			return fmt.Errorf("steps line %d: %s", i+1, fmt.Sprintf(format, args...))
		}
		words := strings.Fields(trimmed)
		st := Step{Kind: words[0], Line: i + 1}
		args := words[1:]
		opts, rest, err := stepOptions(args)
		if err != nil {
			return nil, errf("%v", err)
		}
		st.Timeout = opts.timeout
		switch st.Kind {
		case StepSend:
			if len(args) > 0 {
				return nil, errf("send takes no arguments; its bytes follow on the next lines, up to a line \".\"")
			}
			start := i
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("steps line %d: send block not ended by a line \".\"", start+1)
				}
				l := strings.TrimSuffix(lines[i], "\r")
				if l == "." {
					break
				}
				b, eol, err := unescape(l)
				if err != nil {
					return nil, fmt.Errorf("steps line %d: %v", i+1, err)
				}
				st.Data = append(st.Data, b...)
				if eol {
					st.Data = append(st.Data, '\r', '\n')
				}
			}
		case StepSendRepeat:
			if len(args) < 2 {
				return nil, errf("usage: send-repeat COUNT TEXT")
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 || n > 1<<24 {
				return nil, errf("bad count %q", args[0])
			}
			st.Count = n
			text := strings.TrimSpace(strings.TrimPrefix(trimmed, words[0]))
			text = strings.TrimSpace(strings.TrimPrefix(text, args[0]))
			b, _, err := unescape(text)
			if err != nil {
				return nil, errf("%v", err)
			}
			st.Data = b
		case StepWaitResponse:
			st.Count = 1
			for _, a := range rest {
				if n, err := strconv.Atoi(a); err == nil && n >= 1 && n <= 100 {
					st.Count = n
					continue
				}
				if a != "head" {
					return nil, errf("unknown wait-response argument %q (want head, a count or timeout=D)", a)
				}
				st.Head = true
			}
			if st.Timeout == 0 {
				st.Timeout = DefaultResponseTimeout
			}
		case StepWaitClose, StepWSRecv:
			if len(rest) > 0 {
				return nil, errf("unexpected argument %q", rest[0])
			}
			if st.Timeout == 0 {
				st.Timeout = DefaultCloseTimeout
				if st.Kind == StepWSRecv {
					st.Timeout = DefaultResponseTimeout
				}
			}
		case StepRead:
			if len(rest) != 1 {
				return nil, errf("usage: read N [timeout=D]")
			}
			n, err := strconv.Atoi(rest[0])
			if err != nil || n < 1 || n > 1<<24 {
				return nil, errf("bad byte count %q", rest[0])
			}
			st.Count = n
			if st.Timeout == 0 {
				st.Timeout = DefaultResponseTimeout
			}
		case StepNewConnection, StepClose, StepCloseWrite:
			if len(args) > 0 {
				return nil, errf("%s takes no arguments", st.Kind)
			}
		case StepSleep:
			if len(args) != 1 {
				return nil, errf("usage: sleep DURATION")
			}
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 || d > 30*time.Second {
				return nil, errf("bad duration %q (at most 30s)", args[0])
			}
			st.Timeout = d
		case StepBackendStop, StepBackendStart:
			if len(args) != 1 || !isBackend(args[0]) {
				return nil, errf("usage: %s NAME, NAME one of %s", st.Kind, strings.Join(BackendNames, ", "))
			}
			st.Backend = args[0]
		case StepWSSend:
			f, err := parseWSSend(trimmed)
			if err != nil {
				return nil, errf("%v", err)
			}
			st.Frame = f
		default:
			return nil, errf("unknown step %q", st.Kind)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

type stepOpts struct{ timeout time.Duration }

// stepOptions takes the timeout=D option out of args.
func stepOptions(args []string) (stepOpts, []string, error) {
	var o stepOpts
	var rest []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "timeout="); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > 60*time.Second {
				return o, nil, fmt.Errorf("bad timeout %q (at most 60s)", v)
			}
			o.timeout = d
			continue
		}
		rest = append(rest, a)
	}
	return o, rest, nil
}

func isBackend(name string) bool {
	for _, n := range BackendNames {
		if n == name {
			return true
		}
	}
	return false
}

// ClientMaskKey is the masking key of every frame the client sends, fixed
// so that the bytes on the wire are the same in every run.
var ClientMaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// parseWSSend parses "ws-send [fin|nofin] [mask|nomask] [rsv=N] [size=N]
// OPCODE [PAYLOAD]".
func parseWSSend(line string) (wsframe.Frame, error) {
	f := wsframe.Frame{Fin: true, Masked: true, MaskKey: ClientMaskKey}
	rest := strings.TrimSpace(strings.TrimPrefix(line, StepWSSend))
	size := -1
	for {
		word, after, _ := strings.Cut(rest, " ")
		switch {
		case word == "fin":
			f.Fin = true
		case word == "nofin":
			f.Fin = false
		case word == "mask":
			f.Masked = true
		case word == "nomask":
			f.Masked = false
		case strings.HasPrefix(word, "rsv="):
			n, err := strconv.Atoi(word[4:])
			if err != nil || n < 0 || n > 7 {
				return f, fmt.Errorf("bad rsv %q (0-7)", word)
			}
			f.RSV = byte(n)
		case strings.HasPrefix(word, "size="):
			n, err := strconv.Atoi(word[5:])
			if err != nil || n < 0 || n > wsframe.MaxPayload {
				return f, fmt.Errorf("bad size %q", word)
			}
			size = n
		default:
			if word == "" {
				return f, fmt.Errorf("usage: ws-send [fin|nofin] [mask|nomask] [rsv=N] [size=N] OPCODE [PAYLOAD]")
			}
			op, err := wsframe.ParseOpcode(word)
			if err != nil {
				return f, err
			}
			f.Opcode = op
			payload, _, err := unescape(after)
			if err != nil {
				return f, err
			}
			if size >= 0 {
				if len(payload) > 0 {
					return f, fmt.Errorf("size= and a payload exclude each other")
				}
				payload = patternBytes(size)
			}
			f.Payload = payload
			return f, nil
		}
		rest = strings.TrimSpace(after)
	}
}

// patternBytes returns n bytes of a repeating pattern.
func patternBytes(n int) []byte {
	const unit = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = unit[i%len(unit)]
	}
	return b
}

// unescape interprets the escapes of a send line: \r \n \t \\ \xHH; a lone
// backslash at the end of the line means "no line end" (eol false).
func unescape(s string) (b []byte, eol bool, err error) {
	eol = true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i == len(s)-1 {
			return b, false, nil
		}
		i++
		switch s[i] {
		case 'r':
			b = append(b, '\r')
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case '\\':
			b = append(b, '\\')
		case 'x':
			if i+3 > len(s) {
				return nil, false, fmt.Errorf("\\x needs two hex digits")
			}
			n, perr := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if perr != nil {
				return nil, false, fmt.Errorf("bad escape \\x%s", s[i+1:i+3])
			}
			b = append(b, byte(n))
			i += 2
		default:
			return nil, false, fmt.Errorf("unknown escape \\%c (known: \\r \\n \\t \\\\ \\xHH, and a final \\ for no line end)", s[i])
		}
	}
	return b, eol, nil
}
