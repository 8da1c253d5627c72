package compat

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
)

// Ports for servers and backends come from a range below the kernel's
// ephemeral ports (32768-60999 on Linux), handed out once each per test
// process. A port picked by listening on :0 and closing again could be
// taken at once by another case running in parallel, or by one of its
// backends after a backend-stop; this range is never used by the kernel's
// own allocation, so the only competitor is another process that binds
// fixed ports there, and a port found busy is skipped.
const (
	portRangeStart = 20000
	portRangeSize  = 12000
)

var ports struct {
	sync.Mutex
	next int
}

// ListenPort returns a listener on a fresh port of 127.0.0.1 from the
// harness range.
func ListenPort() (net.Listener, error) {
	ports.Lock()
	defer ports.Unlock()
	if ports.next == 0 {
		// Spread concurrent test processes over the range.
		ports.next = (os.Getpid() * 97) % portRangeSize
	}
	for range portRangeSize {
		p := portRangeStart + ports.next%portRangeSize
		ports.next++
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("no free port in 127.0.0.1:%d-%d", portRangeStart, portRangeStart+portRangeSize-1)
}

// freePort returns a port of the harness range that is free now, for a
// server to listen on.
func freePort() (int, error) {
	ln, err := ListenPort()
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
