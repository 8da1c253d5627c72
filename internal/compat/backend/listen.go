package backend

import "net"

// StartOn is Start on a given address (host:port) instead of a fresh
// port of 127.0.0.1; the demo backend of `make run` uses it.
func StartOn(name, addr string, observe func(Event)) (*Backend, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &Backend{name: name, addr: ln.Addr().String(), observe: observe, conns: map[net.Conn]bool{}}
	b.serve(ln)
	return b, nil
}
