//go:build !linux

package server

import "net"

// listenConfig is how Portico opens a Listen socket: plainly, where
// TCP_DEFER_ACCEPT does not exist.
func listenConfig() net.ListenConfig { return net.ListenConfig{} }
