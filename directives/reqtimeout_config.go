package directives

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// RequestReadTimeout of mod_reqtimeout (modules/filters/mod_reqtimeout.c).
func init() {
	Register("reqtimeout_module", "RequestReadTimeout", buildRequestReadTimeout)
}

// RequestReadTimeout is a server's RequestReadTimeout settings, one per
// stage; a stage that is not Set keeps mod_reqtimeout's default
// (handshake=0, header=20-40,MinRate=500, body=20,MinRate=500).
type RequestReadTimeout struct {
	Handshake ReadTimeoutStage
	Header    ReadTimeoutStage
	Body      ReadTimeoutStage
}

// ReadTimeoutStage is one "stage=timeout[-maxtimeout][,MinRate=rate]".
type ReadTimeoutStage struct {
	Set bool
	// Timeout is the initial timeout in seconds; 0 disables the stage.
	Timeout int
	// MaxTimeout is the upper limit in seconds the timeout may grow to
	// while data arrives at MinRate; 0 for none.
	MaxTimeout int
	// MinRate is the minimum data rate in bytes per second that extends
	// the timeout; 0 for none.
	MinRate int
	Pos     parser.Pos
}

// buildRequestReadTimeout is mod_reqtimeout's set_reqtimeouts: each word
// key=value sets one stage, replacing what an earlier one said.
func buildRequestReadTimeout(c *Cmd) error {
	rt := &c.Server().ReqTimeout
	rest := c.Raw
	for rest != "" {
		var word string
		word, rest = parser.GetWord(rest)
		key, val, ok := strings.Cut(word, "=")
		if !ok {
			return errors.New("Invalid RequestReadTimeout parameter. Parameter must be in the form 'key=value'")
		}
		var stage *ReadTimeoutStage
		switch {
		case strings.EqualFold(key, "handshake"):
			stage = &rt.Handshake
		case strings.EqualFold(key, "header"):
			stage = &rt.Header
		case strings.EqualFold(key, "body"):
			stage = &rt.Body
		}
		var err error
		if stage == nil {
			err = errors.New("Unknown RequestReadTimeout parameter")
		} else {
			var st ReadTimeoutStage
			st, err = parseReadTimeoutStage(val)
			if err == nil {
				st.Set, st.Pos = true, c.Pos
				*stage = st
			}
		}
		if err != nil {
			return fmt.Errorf("RequestReadTimeout: %s=%s: %s", key, val, err)
		}
	}
	return nil
}

func parseReadTimeoutStage(val string) (ReadTimeoutStage, error) {
	var st ReadTimeoutStage
	i := strings.Index(strings.ToLower(val), ",minrate=")
	if i < 0 {
		if strings.Contains(val, "-") {
			return st, errors.New("Must set MinRate option if using timeout range")
		}
		n, err := reqtimeoutInt(val)
		if err != nil {
			return st, err
		}
		st.Timeout = n
		return st, nil
	}
	initial, rate := val[:i], val[i+len(",minrate="):]
	n, err := reqtimeoutInt(rate)
	if err != nil {
		return st, err
	}
	if n == 0 {
		return st, errors.New("Minimum data rate must be larger than 0")
	}
	st.MinRate = n
	if lo, hi, ok := strings.Cut(initial, "-"); ok {
		if st.MaxTimeout, err = reqtimeoutInt(hi); err != nil {
			return st, err
		}
		initial = lo
	}
	if st.Timeout, err = reqtimeoutInt(initial); err != nil {
		return st, err
	}
	if st.MaxTimeout != 0 && st.Timeout >= st.MaxTimeout {
		return st, errors.New("Maximum timeout must be larger than initial timeout")
	}
	return st, nil
}

// reqtimeoutInt is mod_reqtimeout's parse_int: strtol over the whole
// word, which must be a non-negative number.
func reqtimeoutInt(s string) (int, error) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == digits {
		return 0, fmt.Errorf("Value '%s' not numerical", s)
	}
	if i < len(s) {
		return 0, fmt.Errorf("Cannot parse '%s'", s[i:])
	}
	n, err := strconv.ParseInt(s[start:i], 10, 64)
	if err != nil {
		// strtol saturates; the value is then stored in a C int.
		n = math.MaxInt64
		if s[start] == '-' {
			n = math.MinInt64
		}
	}
	v := int(int32(n))
	if v < 0 {
		return 0, errors.New("Value must be non-negative")
	}
	return v, nil
}
