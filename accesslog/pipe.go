package accesslog

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// pipe is a piped log ("|program"), as httpd's reliable piped logs: the
// program reads the log lines on its standard input; the pipe is
// Portico's, so when the program dies a new one is started on the same
// pipe and no line written meanwhile is lost.
type pipe struct {
	cmdline string
	shell   bool
	r, w    *os.File
	errLog  zerolog.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	closing bool
	done    chan struct{}
}

// OpenPipe starts a piped log program ("|program", "||program" or
// "|$command") and returns the pipe to it; Close ends it.
func OpenPipe(target string, errLog zerolog.Logger) (io.WriteCloser, error) {
	return startPipe(strings.TrimPrefix(target, "|"), errLog)
}

// startPipe starts the program of a piped log. As in httpd 2.4,
// "|program args" and "||program args" run the program directly (its
// words split at blanks, quotes kept together), "|$command" runs it
// with /bin/sh -c.
func startPipe(spec string, errLog zerolog.Logger) (*pipe, error) {
	spec = strings.TrimPrefix(spec, "|")
	p := &pipe{cmdline: spec, errLog: errLog, done: make(chan struct{})}
	if rest, ok := strings.CutPrefix(spec, "$"); ok {
		p.cmdline, p.shell = rest, true
	}
	if strings.TrimSpace(p.cmdline) == "" {
		return nil, errors.New("AH00104: unable to start piped log program '" + spec + "'")
	}
	var err error
	if p.r, p.w, err = os.Pipe(); err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		p.r.Close()
		p.w.Close()
		return nil, errors.New("AH00104: unable to start piped log program '" + p.cmdline + "': " + err.Error())
	}
	go p.watch()
	return p, nil
}

func (p *pipe) command() *exec.Cmd {
	if p.shell {
		return exec.Command("/bin/sh", "-c", p.cmdline)
	}
	args := splitArgs(p.cmdline)
	return &exec.Cmd{Path: args[0], Args: args}
}

func (p *pipe) start() error {
	cmd := p.command()
	cmd.Stdin = p.r
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd = cmd
	return nil
}

// watch restarts the program whenever it ends, until Close.
func (p *pipe) watch() {
	defer close(p.done)
	for {
		p.mu.Lock()
		cmd := p.cmd
		p.mu.Unlock()
		err := cmd.Wait()
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			return
		}
		p.errLog.Warn().Msg("AH00106: piped log program '" + p.cmdline + "' failed unexpectedly")
		for {
			if err = p.start(); err == nil {
				break
			}
			p.errLog.Error().Err(err).Msg("AH00105: piped log program '" + p.cmdline + "' failed to restart")
			p.mu.Unlock()
			time.Sleep(time.Second)
			p.mu.Lock()
			if p.closing {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
	}
}

func (p *pipe) Write(b []byte) (int, error) {
	// Writes of up to PIPE_BUF bytes on a pipe are atomic.
	return p.w.Write(b)
}

// Close closes the pipe, so the program sees the end of its input, and
// waits a moment for it to finish before ending it.
func (p *pipe) Close() error {
	p.mu.Lock()
	p.closing = true
	cmd := p.cmd
	p.mu.Unlock()
	err := p.w.Close()
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		<-p.done
	}
	p.r.Close()
	return err
}

// splitArgs is apr_tokenize_to_argv: words separated by blanks, a
// double- or single-quoted word kept whole, a backslash escaping the
// next character.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args
}
