package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// TLS to https:// and wss:// backends, as mod_ssl's proxy side does it.
//
// The SSLProxy* settings in force for a request are the server's
// (the main server's, overlaid by the virtual host's) merged with every
// <Proxy> and <ProxyMatch> section that matches the backend URL, in
// config order (httpd's proxy_walk). Without SSLProxyEngine On httpd
// opens the TCP connection, refuses to start TLS on it and answers 500.
//
// The handshake sends the backend host name as SNI (the client's Host
// with ProxyPreserveHost On), never an IP address. SSLProxyVerify
// require checks the chain against SSLProxyCACertificateFile during the
// handshake. Whatever SSLProxyVerify says, mod_ssl then checks the
// certificate's dates (SSLProxyCheckPeerExpire, default on) and its
// names (SSLProxyCheckPeerName, default on: the DNS names of its
// subjectAltName and its CNs, never its IP addresses, a leading "*."
// matching one label; SSLProxyCheckPeerCN On with the name check Off
// compares the CN alone). A failed handshake or check is httpd's 500
// "Error during SSL Handshake with remote server".

// tlsOpt is a mod_ssl flag that may be unset: the checks treat unset
// apart from Off.
type tlsOpt uint8

const (
	tlsUnset tlsOpt = iota
	tlsOn
	tlsOff
)

func optOf(o directives.Opt[bool]) tlsOpt {
	switch {
	case !o.Set:
		return tlsUnset
	case o.Val:
		return tlsOn
	}
	return tlsOff
}

// tlsProxyConf is the merged SSLProxy* configuration of a request.
type tlsProxyConf struct {
	engine       bool
	verify       directives.TLSVerify
	checkName    tlsOpt
	checkCN      tlsOpt
	checkExpire  tlsOpt
	caFile       string
	machineFile  string
	protocol     directives.TLSProtocols // 0: mod_ssl's default
	cipherSuite  string                  // OpenSSL syntax; not applied
	tls13Ciphers string
}

// mergeTLSProxy overlays the settings over sets on c, as mod_ssl's
// per-directory merge does.
func (c *tlsProxyConf) merge(over *directives.TLSProxy) {
	if over.Engine.Set {
		c.engine = over.Engine.Val
	}
	if over.Verify.Set {
		c.verify = over.Verify.Val
	}
	if o := optOf(over.CheckPeerName); o != tlsUnset {
		c.checkName = o
	}
	if o := optOf(over.CheckPeerCN); o != tlsUnset {
		c.checkCN = o
	}
	if o := optOf(over.CheckPeerExpire); o != tlsUnset {
		c.checkExpire = o
	}
	if over.CACertificateFile.Set {
		c.caFile = over.CACertificateFile.Val
	}
	if over.MachineCertificateFile.Set {
		c.machineFile = over.MachineCertificateFile.Val
	}
	if over.Protocol.Set {
		c.protocol = over.Protocol.Val
	}
	if over.CipherSuite.Set {
		c.cipherSuite = over.CipherSuite.Val
	}
	if over.TLS13Ciphers.Set {
		c.tls13Ciphers = over.TLS13Ciphers.Val
	}
}

// tlsRoutes is a router's SSLProxy* configuration: the server-level
// settings and the <Proxy> sections that may add to them, with the
// client configurations built from them, one per distinct set of
// matching sections.
type tlsRoutes struct {
	base     tlsProxyConf
	sections []*directives.Section
	clients  sync.Map // key of matching sections → *tlsClient
}

// newTLSRoutes gathers the SSLProxy* settings of server srv (main or
// one of its virtual hosts).
func newTLSRoutes(main, srv *directives.Server) *tlsRoutes {
	t := &tlsRoutes{}
	servers := []*directives.Server{main}
	if srv != nil && srv != main {
		servers = append(servers, srv)
	}
	for _, s := range servers {
		if s.Dir != nil {
			t.base.merge(&s.Dir.TLS.Proxy)
		}
	}
	for _, s := range servers {
		for _, sec := range s.Sections {
			if (sec.Kind == directives.SectionProxy || sec.Kind == directives.SectionProxyMatch) && sec.Dir != nil && tlsProxySet(&sec.Dir.TLS.Proxy) {
				t.sections = append(t.sections, sec)
			}
		}
	}
	return t
}

func tlsProxySet(p *directives.TLSProxy) bool {
	return p.Engine.Set || p.Verify.Set || p.CheckPeerName.Set || p.CheckPeerCN.Set || p.CheckPeerExpire.Set ||
		p.CACertificateFile.Set || p.MachineCertificateFile.Set || p.Protocol.Set || p.CipherSuite.Set || p.TLS13Ciphers.Set
}

// client returns the TLS client configuration for a request routed to
// url.
func (t *tlsRoutes) client(url string) (*tlsClient, error) {
	var key strings.Builder
	var matched []*directives.Section
	for i, sec := range t.sections {
		if sec.MatchesProxyURL(url) {
			key.WriteString(strconv.Itoa(i))
			key.WriteByte(',')
			matched = append(matched, sec)
		}
	}
	if v, ok := t.clients.Load(key.String()); ok {
		return v.(*tlsClient), nil
	}
	conf := t.base
	for _, sec := range matched {
		conf.merge(&sec.Dir.TLS.Proxy)
	}
	c, err := newTLSClient(conf)
	if err != nil {
		return nil, err
	}
	v, _ := t.clients.LoadOrStore(key.String(), c)
	return v.(*tlsClient), nil
}

// tlsClient is one SSLProxy* configuration made ready for handshakes.
type tlsClient struct {
	conf         tlsProxyConf
	roots        *x509.CertPool // nil unless the chain is verified
	certs        []tls.Certificate
	minVer, maxV uint16
}

// newTLSClient reads the files a configuration names.
func newTLSClient(conf tlsProxyConf) (*tlsClient, error) {
	c := &tlsClient{conf: conf}
	if conf.verify == "require" || conf.verify == "optional" {
		c.roots = x509.NewCertPool()
		if conf.caFile != "" {
			data, err := os.ReadFile(conf.caFile)
			if err != nil {
				return nil, fmt.Errorf("SSLProxyCACertificateFile: %w", err)
			}
			if !c.roots.AppendCertsFromPEM(data) {
				return nil, fmt.Errorf("SSLProxyCACertificateFile: no certificate in %s", conf.caFile)
			}
		}
	}
	if conf.machineFile != "" {
		certs, err := readMachineCerts(conf.machineFile)
		if err != nil {
			return nil, err
		}
		c.certs = certs
	}
	c.minVer, c.maxV = protocolRange(conf.protocol)
	return c, nil
}

// protocolRange is the lowest and highest version of an SSLProxyProtocol
// set (OpenSSL takes the versions between them); 0 and 0 leave Go's
// defaults.
func protocolRange(p directives.TLSProtocols) (lo, hi uint16) {
	versions := []struct {
		bit directives.TLSProtocols
		v   uint16
	}{{directives.TLSv1, tls.VersionTLS10}, {directives.TLSv1_1, tls.VersionTLS11}, {directives.TLSv1_2, tls.VersionTLS12}, {directives.TLSv1_3, tls.VersionTLS13}}
	for _, e := range versions {
		if p&e.bit != 0 {
			if lo == 0 {
				lo = e.v
			}
			hi = e.v
		}
	}
	return lo, hi
}

// readMachineCerts reads SSLProxyMachineCertificateFile: PEM
// certificates, each followed by its unencrypted private key.
func readMachineCerts(path string) ([]tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("SSLProxyMachineCertificateFile: %w", err)
	}
	var out []tls.Certificate
	var pending []byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		block := pem.EncodeToMemory(b)
		switch {
		case b.Type == "CERTIFICATE":
			pending = block
		case strings.HasSuffix(b.Type, "PRIVATE KEY") && pending != nil:
			c, err := tls.X509KeyPair(pending, block)
			if err != nil {
				return nil, fmt.Errorf("SSLProxyMachineCertificateFile: %s: %w", path, err)
			}
			out = append(out, c)
			pending = nil
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("SSLProxyMachineCertificateFile: no certificate with its key in %s", path)
	}
	return out, nil
}

// config is the crypto/tls configuration of one handshake; hostname is
// mod_ssl's proxy-request-hostname ("" for none), sent as SNI unless it
// is an IP address.
func (c *tlsClient) config(hostname string) *tls.Config {
	cfg := &tls.Config{
		// The chain, the dates and the names are checked as mod_ssl
		// checks them, below; crypto/tls's own checks differ.
		InsecureSkipVerify: true,
		MinVersion:         c.minVer,
		MaxVersion:         c.maxV,
	}
	if c.minVer != 0 && c.minVer < tls.VersionTLS12 {
		// Debian's OpenSSL refuses TLS 1.0 and 1.1 (MinProtocol
		// TLSv1.2): a set of only those fails every handshake.
		cfg.MinVersion = tls.VersionTLS12
	}
	if hostname != "" && net.ParseIP(hostname) == nil {
		cfg.ServerName = hostname
	}
	if len(c.certs) > 0 {
		certs := c.certs
		cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return chooseClientCert(certs, cri), nil
		}
	}
	if c.roots != nil {
		roots := c.roots
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots, time.Now())
		}
	}
	return cfg
}

// chooseClientCert is mod_ssl's ssl_callback_proxy_cert: the first
// certificate when the backend names no CA, else the first one issued
// by a CA it names, else none.
func chooseClientCert(certs []tls.Certificate, cri *tls.CertificateRequestInfo) *tls.Certificate {
	if len(cri.AcceptableCAs) == 0 {
		return &certs[0]
	}
	for i := range certs {
		leaf := certs[i].Leaf
		if leaf == nil {
			continue
		}
		for _, ca := range cri.AcceptableCAs {
			if string(leaf.RawIssuer) == string(ca) {
				return &certs[i]
			}
		}
	}
	return &tls.Certificate{}
}

// errVerify is a chain SSLProxyVerify refuses.
var errVerify = errors.New("proxy: the backend's certificate chain does not verify")

// verifyChain checks the backend's chain against roots at now.
func verifyChain(raw [][]byte, roots *x509.CertPool, now time.Time) error {
	if len(raw) == 0 {
		return errVerify
	}
	certs := make([]*x509.Certificate, 0, len(raw))
	for _, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("%w: %w", errVerify, err)
		}
		certs = append(certs, c)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("%w: %w", errVerify, err)
	}
	return nil
}

// checkPeer is what mod_ssl checks after the handshake, whatever
// SSLProxyVerify says: the dates, then the names. It returns the
// reason for a refusal, or "".
func (c *tlsClient) checkPeer(cert *x509.Certificate, hostname string, now time.Time) string {
	conf := &c.conf
	if conf.checkExpire != tlsOff {
		if cert == nil || !now.After(cert.NotBefore) || !now.Before(cert.NotAfter) {
			return "SSL Proxy: Peer certificate is expired"
		}
	}
	if conf.checkName != tlsOff && (conf.checkCN != tlsOff || conf.checkName == tlsOn) && hostname != "" {
		if cert == nil || !matchCertName(cert, hostname) {
			return "SSL Proxy: Peer certificate does not match for hostname " + hostname
		}
	} else if conf.checkCN == tlsOn && hostname != "" {
		cn := ""
		if cert != nil {
			cn = cert.Subject.CommonName
		}
		match := strings.EqualFold(cn, hostname)
		if !match && strings.HasPrefix(cn, "*.") {
			if i := strings.IndexByte(hostname, '.'); i >= 0 {
				match = strings.EqualFold(hostname[i:], cn[1:])
			}
		}
		if !match {
			return "SSL Proxy: Peer certificate CN mismatch: Certificate CN: " + cn + " Requested hostname: " + hostname
		}
	}
	return ""
}

// matchCertName is modssl_X509_match_name with wildcards: the DNS names
// of the subjectAltName, then every CN of the subject; "*.rest" matches
// a name whose part from its first dot is ".rest". IP addresses in the
// subjectAltName are not looked at.
func matchCertName(cert *x509.Certificate, name string) bool {
	ids := append([]string(nil), cert.DNSNames...)
	for _, atv := range cert.Subject.Names {
		if atv.Type.Equal([]int{2, 5, 4, 3}) {
			if s, ok := atv.Value.(string); ok {
				ids = append(ids, s)
			}
		}
	}
	for _, id := range ids {
		if strings.HasPrefix(id, "*.") {
			if i := strings.IndexByte(name, '.'); i >= 0 && strings.EqualFold(id[1:], name[i:]) {
				return true
			}
		}
		if strings.EqualFold(id, name) {
			return true
		}
	}
	return false
}

// tlsScheme reports whether the backend URL asks for TLS.
func (f *forward) tlsScheme() bool { return f.bu.Scheme == "https" || f.bu.Scheme == "wss" }

// tlsHostname is mod_ssl's proxy-request-hostname: with ProxyPreserveHost
// On the client's host name (r->hostname), else the backend's.
func (f *forward) tlsHostname() string {
	if !f.rq.Dir.PreserveHost.Get(false) {
		return f.bu.Host
	}
	h := f.rq.Client.Header
	if !h.Has("Host") {
		return ""
	}
	host := h.Get("Host")
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			return strings.ToLower(host[1:i])
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.ToLower(strings.TrimRight(host, "."))
}

// tlsClientFor returns the TLS client configuration of the request and
// its host name, or an error status when its files cannot be read.
func (f *forward) tlsClientFor() (*tlsClient, string, *Error) {
	t := f.rt.tls
	if t == nil {
		t = &tlsRoutes{}
	}
	url := f.bu.URL
	if f.route != "" {
		url = f.route
	}
	c, err := t.client(url)
	if err != nil {
		e := statusError(500, "AH00961: "+f.bu.Scheme+": failed to enable ssl support for "+f.bu.Host+": "+err.Error(), err)
		f.logf("%s", e.Log)
		return nil, "", e
	}
	return c, f.tlsHostname(), nil
}

// pooledTLS returns an idle connection whose TLS server name is the one
// this request needs; idle ones for another name are closed, as httpd's
// ap_proxy_determine_connection does.
func (f *forward) pooledTLS(pl *pool, sni string) *conn {
	for {
		c := pl.get(time.Now())
		if c == nil || c.sni == sni {
			return c
		}
		c.nc.Close()
	}
}

// startTLS turns a new backend connection into a TLS one: httpd refuses
// without SSLProxyEngine On (500), then mod_ssl shakes hands within the
// I/O timeout and checks the certificate; any failure is httpd's 500
// "Error during SSL Handshake with remote server".
func (f *forward) startTLS(c *conn, tc *tlsClient, hostname string) *Error {
	addr := c.nc.RemoteAddr().String()
	if !tc.conf.engine {
		f.logf("AH01961:  failed to enable ssl support [Hint: if using mod_ssl, see SSLProxyEngine]")
		e := statusError(500, fmt.Sprintf("AH00961: %s: failed to enable ssl support for %s (%s)", f.bu.Scheme, addr, f.bu.Host), nil)
		f.logf("%s", e.Log)
		return e
	}
	raw := c.nc
	tconn := tls.Client(raw, tc.config(hostname))
	raw.SetDeadline(time.Now().Add(f.timeout))
	err := tconn.Handshake()
	reason := ""
	if err == nil {
		var leaf *x509.Certificate
		if st := tconn.ConnectionState(); len(st.PeerCertificates) > 0 {
			leaf = st.PeerCertificates[0]
		}
		reason = tc.checkPeer(leaf, hostname, time.Now())
	} else if errors.Is(err, errVerify) {
		f.logf("AH02039: Certificate Verification: %s", verifyReason(err))
	}
	raw.SetDeadline(time.Time{})
	if err == nil && reason == "" {
		c.nc = tconn
		c.br.Reset(tconn)
		c.bw.Reset(tconn)
		c.sni = hostname
		return nil
	}
	if reason != "" {
		f.p.Log.Info().Msg(reason)
	}
	f.logf("AH01084: pass request body failed to %s (%s)", addr, f.bu.Host)
	e := proxyError(500, "Error during SSL Handshake with remote server", f.rq.URI, err)
	f.logf("%s", e.Log)
	f.logf("AH01097: pass request body failed to %s (%s) from %s ()", addr, f.bu.Host, f.rq.ClientIP)
	return e
}

// verifyReason words a failed chain as OpenSSL's verify errors.
func verifyReason(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "Error (20): unable to get local issuer certificate"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "Error (10): certificate has expired"
	}
	return "Error: " + err.Error()
}

// rawConn is the TCP connection under a TLS one, for the liveness check
// of idle connections.
func rawConn(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return nc
}
