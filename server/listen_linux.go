package server

import (
	"net"
	"syscall"
)

// listenConfig is how Portico opens a Listen socket on Linux: with
// TCP_DEFER_ACCEPT of 30 seconds, as httpd's default AcceptFilter "data"
// sets it, so that a connection is handed over only once the client has
// sent something (an idle new connection is not timed out by Timeout).
func listenConfig() net.ListenConfig {
	return net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, 30)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}
