//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// connAlive reports whether an idle connection is still open with nothing
// to read (httpd's ap_proxy_is_socket_connected): a backend that closed
// it, or sent bytes nobody asked for, makes it unusable.
func connAlive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && alive
}
