package backend

import (
	"crypto/tls"
	"net"
	"time"
)

// handshakeTimeout bounds a TLS backend's wait for a client's handshake.
const handshakeTimeout = 10 * time.Second

// ServeTLS is Serve over TLS with cfg. Each connection's handshake is
// done first and recorded as a note: "tls TLSv1.3 sni=NAME" (sni=none
// when the client sent no server name), with " client=CN" when the
// client sent a certificate, or "tls handshake failed" when the client
// gave up or was refused (no reason: OpenSSL and Go word their alerts
// differently). A failed handshake ends the connection. A connection
// closed before its first byte is not recorded: when a proxy closes a
// connection it never used is not part of what it does.
func ServeTLS(name string, ln net.Listener, cfg *tls.Config, observe func(Event)) *Backend {
	b := &Backend{name: name, addr: ln.Addr().String(), observe: observe, conns: map[net.Conn]bool{}}
	b.wrap = func(c net.Conn, n int) (net.Conn, bool) {
		cc := &countingConn{Conn: c}
		tc := tls.Server(cc, cfg)
		c.SetDeadline(time.Now().Add(handshakeTimeout))
		err := tc.Handshake()
		c.SetDeadline(time.Time{})
		if err != nil && cc.n == 0 {
			return nil, false
		}
		note := "tls handshake failed"
		if err == nil {
			note = "tls " + HandshakeNote(tc.ConnectionState())
		}
		if b.observe != nil {
			b.observe(Event{Backend: b.name, Conn: n, Note: note})
		}
		return tc, err == nil
	}
	b.serve(ln)
	return b
}

// HandshakeNote describes a completed handshake as ServeTLS records it:
// the version, the server name the client asked for and the subject
// common name of the client's certificate, if any.
func HandshakeNote(st tls.ConnectionState) string {
	s := tls.VersionName(st.Version)
	// "TLS 1.3" is spelled as OpenSSL and mod_ssl spell it.
	switch st.Version {
	case tls.VersionTLS10:
		s = "TLSv1"
	case tls.VersionTLS11:
		s = "TLSv1.1"
	case tls.VersionTLS12:
		s = "TLSv1.2"
	case tls.VersionTLS13:
		s = "TLSv1.3"
	}
	sni := st.ServerName
	if sni == "" {
		sni = "none"
	}
	s += " sni=" + sni
	if len(st.PeerCertificates) > 0 {
		s += " client=" + st.PeerCertificates[0].Subject.CommonName
	}
	return s
}

// countingConn counts the bytes read.
type countingConn struct {
	net.Conn
	n int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	return n, err
}
