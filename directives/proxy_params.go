package directives

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Field sizes of httpd's proxy_worker_shared that bound string parameters.
const (
	workerRouteSize  = 64 // PROXY_WORKER_MAX_ROUTE_SIZE
	workerSchemeSize = 16 // PROXY_WORKER_MAX_SCHEME_SIZE
	workerSecretSize = 64 // PROXY_WORKER_MAX_SECRET_SIZE
	maxInt32         = 1<<31 - 1
)

// setWorkerParam is httpd's set_worker_param: it checks and applies one
// key=value to a worker. Keys it does not know go to mod_proxy_hcheck when
// that module is loaded. The error is httpd's text; callers add their
// prefix ("ProxyPass ", "BalancerMember " …).
func setWorkerParam(c *Cmd, w *Worker, key, val string) error {
	pos := c.Pos
	switch strings.ToLower(key) {
	case "loadfactor":
		n := cDoubleToInt(cAtof(val) * 100.0)
		if n < 100 || n > 10000 {
			return errors.New("LoadFactor must be a number between 1..100")
		}
		w.LBFactor.Put(n, pos)
	case "retry":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Retry must be a positive value")
		}
		w.Retry.Put(time.Duration(n)*time.Second, pos)
	case "ttl":
		n := cAtoi(val)
		if n < 1 {
			return errors.New("TTL must be at least one second")
		}
		w.TTL.Put(time.Duration(n)*time.Second, pos)
	case "min":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Min must be a positive number")
		}
		w.Min.Put(n, pos)
	case "max":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Max must be a positive number")
		}
		w.Max.Put(n, pos)
	case "smax":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("Smax must be a positive number")
		}
		w.SMax.Put(n, pos)
	case "acquire":
		d, err := aprTimeoutParse(val, "ms")
		if err != nil {
			return errors.New("Acquire timeout has wrong format")
		}
		if d < time.Millisecond {
			return errors.New("Acquire must be at least one millisecond")
		}
		w.Acquire.Put(d, pos)
	case "timeout":
		n := cAtoi(val)
		if n < 1 {
			return errors.New("Timeout must be at least one second")
		}
		w.Timeout.Put(time.Duration(n)*time.Second, pos)
	case "iobuffersize":
		n := cAtol(val)
		if n < 512 && n != 0 {
			return errors.New("IOBufferSize must be >= 512 bytes, or 0 for system default.")
		}
		if n == 0 {
			n = 8192
		}
		w.IOBufferSize.Put(int(n), pos)
	case "receivebuffersize":
		n := cAtoi(val)
		if n < 512 && n != 0 {
			return errors.New("ReceiveBufferSize must be >= 512 bytes, or 0 for system default.")
		}
		w.ReceiveBufferSize.Put(n, pos)
	case "keepalive":
		on, ok := onOff(val)
		if !ok {
			return errors.New("KeepAlive must be On|Off")
		}
		w.KeepAlive.Put(on, pos)
	case "disablereuse":
		on, ok := onOff(val)
		if !ok {
			return errors.New("DisableReuse must be On|Off")
		}
		w.DisableReuse.Put(on, pos)
	case "enablereuse":
		on, ok := onOff(val)
		if !ok {
			return errors.New("EnableReuse must be On|Off")
		}
		w.DisableReuse.Put(!on, pos)
	case "addressttl":
		if val == "-1" {
			w.AddressTTL.Put(-1, pos)
			break
		}
		d, err := aprTimeoutParse(val, "s")
		if err != nil || d > maxInt32*time.Second || d%time.Second != 0 {
			return fmt.Errorf("AddressTTL must be -1 or a number of seconds not exceeding (%d)", maxInt32)
		}
		w.AddressTTL.Put(int(d/time.Second), pos)
	case "route":
		if len(val) >= workerRouteSize {
			return fmt.Errorf("Route length must be < %d characters", workerRouteSize)
		}
		w.Route.Put(val, pos)
	case "redirect":
		if len(val) >= workerRouteSize {
			return fmt.Errorf("Redirect length must be < %d characters", workerRouteSize)
		}
		w.Redirect.Put(val, pos)
	case "status":
		st, err := applyWorkerStatus(w.Status.Val, val)
		if err != nil {
			return err
		}
		w.Status.Put(st, pos)
	case "flushpackets":
		switch v := strings.ToLower(val); v {
		case "on", "off", "auto":
			w.FlushPackets.Put(v, pos)
		default:
			return errors.New("flushpackets must be on|off|auto")
		}
	case "flushwait":
		n := cAtoi(val)
		if n > 1000 || n < 0 {
			return errors.New("flushwait must be <= 1000, or 0 for system default of 10 millseconds.")
		}
		d := 10 * time.Millisecond
		if n != 0 {
			d = time.Duration(n) * time.Millisecond
		}
		w.FlushWait.Put(d, pos)
	case "ping":
		d, err := aprTimeoutParse(val, "s")
		if err != nil {
			return errors.New("Ping/Pong timeout has wrong format")
		}
		if d < time.Millisecond {
			return errors.New("Ping/Pong timeout must be at least one millisecond")
		}
		w.Ping.Put(d, pos)
	case "lbset":
		n := cAtoi(val)
		if n < 0 || n > 99 {
			return errors.New("lbset must be between 0 and 99")
		}
		w.LBSet.Put(n, pos)
	case "connectiontimeout":
		d, err := aprTimeoutParse(val, "s")
		if err != nil {
			return errors.New("Connectiontimeout has wrong format")
		}
		if d < time.Millisecond {
			return errors.New("Connectiontimeout must be at least one millisecond.")
		}
		w.ConnectionTimeout.Put(d, pos)
	case "flusher":
		if len(val) >= workerSchemeSize {
			return fmt.Errorf("flusher name length must be < %d characters", workerSchemeSize)
		}
		w.Flusher.Put(val, pos)
	case "upgrade":
		v := val
		if strings.EqualFold(v, "ANY") {
			v = "*"
		}
		if len(v) >= workerSchemeSize {
			return fmt.Errorf("upgrade protocol length must be < %d characters", workerSchemeSize)
		}
		w.Upgrade.Put(v, pos)
	case "responsefieldsize":
		n := cAtol(val)
		if n < 0 {
			return errors.New("ResponseFieldSize must be greater than 0 bytes, or 0 for system default.")
		}
		if n == 0 {
			n = 8192
		}
		w.ResponseFieldSize.Put(int(n), pos)
	case "secret":
		if len(val) >= workerSecretSize {
			return fmt.Errorf("Secret length must be < %d characters", workerSecretSize)
		}
		w.Secret.Put(val, pos)
	default:
		if c.ModuleLoaded("proxy_hcheck_module") {
			return setWorkerHCParam(c, w, nil, key, val)
		}
		return errors.New("unknown Worker parameter")
	}
	return nil
}

// applyWorkerStatus applies a status= value to flags as httpd does: each
// letter sets its flag, or clears it after a '-' (a '+' sets again); the
// mode carries on to the following letters. A '+' or '-' must be
// followed by a letter.
func applyWorkerStatus(st WorkerStatus, val string) (WorkerStatus, error) {
	set := true
	for i := 0; i < len(val); i++ {
		switch val[i] {
		case '+':
			set = true
			i++
		case '-':
			set = false
			i++
		}
		var letter byte
		if i < len(val) {
			letter = val[i]
			if letter >= 'a' && letter <= 'z' {
				letter -= 'a' - 'A'
			}
		}
		found := false
		for _, f := range workerStatusFlags {
			if f.letter == letter {
				if set {
					st |= f.bit
				} else {
					st &^= f.bit
				}
				found = true
				break
			}
		}
		if !found {
			return st, errors.New("Unknown status parameter option")
		}
	}
	return st, nil
}
