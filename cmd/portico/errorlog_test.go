package main

import (
	"bytes"
	"regexp"
	"syscall"
	"testing"

	"github.com/rs/zerolog"
)

func TestErrorLogFormat(t *testing.T) {
	var buf bytes.Buffer
	e := newErrorLog(&buf, "warn proxy:info")
	log := zerolog.New(e).Level(e.zerologLevel())
	log.Info().Msg("AH00128: File does not exist: /x")                      // core at warn: dropped
	log.Info().Str("client", "127.0.0.1:5555").Msg("AH02900: upgrade")      // proxy_wstunnel at warn: dropped
	log.Info().Msg("AH01144: No protocol handler was valid for the URL /x") // proxy at info: kept
	log.Error().Str("client", "127.0.0.1:5555").Err(&errWrap{syscall.ECONNREFUSED}).Msg("AH00957: http: attempt to connect to 127.0.0.1:9 (127.0.0.1:9) failed")
	log.Info().Msg("AH00489: Portico configured -- resuming normal operations") // notice passes any level
	log.Warn().Msg("bad\x01byte")
	want := regexp.MustCompile(`^\[\w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] \[proxy:info\] \[pid \d+:tid \d+\] AH01144: No protocol handler was valid for the URL /x
\[[^]]+\] \[proxy:error\] \[pid \d+:tid \d+\] \(111\)Connection refused: \[client 127\.0\.0\.1:5555\] AH00957: http: attempt to connect to 127\.0\.0\.1:9 \(127\.0\.0\.1:9\) failed
\[[^]]+\] \[mpm_event:notice\] \[pid \d+:tid \d+\] AH00489: Portico configured -- resuming normal operations
\[[^]]+\] \[core:warn\] \[pid \d+:tid \d+\] bad\\x01byte
$`)
	if !want.Match(buf.Bytes()) {
		t.Errorf("error log:\n%s", buf.String())
	}
}

type errWrap struct{ err error }

func (e *errWrap) Error() string { return "dial tcp 127.0.0.1:9: connect: " + e.err.Error() }
func (e *errWrap) Unwrap() error { return e.err }
