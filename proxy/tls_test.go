package proxy

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

const sslModule = "LoadModule ssl_module modules/mod_ssl.so\n"

// testCert is a certificate with its key, signed by parent (nil: self-signed).
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte // certificate then key
}

func makeCert(t *testing.T, tmpl *x509.Certificate, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p = append(p, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...)
	return &testCert{cert: cert, key: key, pem: p}
}

func makeCA(t *testing.T) *testCert {
	return makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil)
}

func (c *testCert) tlsCert(t *testing.T) tls.Certificate {
	t.Helper()
	tc, err := tls.X509KeyPair(c.pem, c.pem)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTLSSettingsMerge(t *testing.T) {
	ca := writeFile(t, "ca.pem", makeCA(t).pem)
	cfg := loadConf(t, sslModule+`SSLProxyEngine On
SSLProxyCheckPeerName Off
SSLProxyProtocol TLSv1.2
<VirtualHost 127.0.0.1:8080>
  SSLProxyCheckPeerExpire Off
  <Proxy https://a.test/>
    SSLProxyVerify require
    SSLProxyCACertificateFile `+ca+`
    SSLProxyCheckPeerName On
  </Proxy>
  <ProxyMatch ^https://b\.test/>
    SSLProxyEngine Off
  </ProxyMatch>
  <Proxy https://*.wild/*>
    SSLProxyProtocol TLSv1.3
  </Proxy>
</VirtualHost>
`)
	main := NewRouter(cfg.Main, cfg.Main)
	vh := NewRouter(cfg.Main, cfg.VirtualHosts[0])
	tests := []struct {
		name    string
		rt      *Router
		url     string
		engine  bool
		verify  directives.TLSVerify
		nameChk tlsOpt
		expire  tlsOpt
		ca      string
		proto   directives.TLSProtocols
	}{
		{name: "main server", rt: main, url: "https://a.test/x", engine: true, nameChk: tlsOff, expire: tlsUnset, proto: directives.TLSv1_2},
		{name: "vhost inherits and adds", rt: vh, url: "https://c.test/", engine: true, nameChk: tlsOff, expire: tlsOff, proto: directives.TLSv1_2},
		{name: "<Proxy> prefix", rt: vh, url: "https://a.test/x", engine: true, verify: "require", nameChk: tlsOn, expire: tlsOff, ca: ca, proto: directives.TLSv1_2},
		{name: "<Proxy> prefix does not match", rt: vh, url: "https://a.testing/x", engine: true, nameChk: tlsOff, expire: tlsOff, proto: directives.TLSv1_2},
		{name: "<ProxyMatch>", rt: vh, url: "https://b.test/", engine: false, nameChk: tlsOff, expire: tlsOff, proto: directives.TLSv1_2},
		{name: "<Proxy> wildcard", rt: vh, url: "https://x.wild/p", engine: true, nameChk: tlsOff, expire: tlsOff, proto: directives.TLSv1_3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.rt.tls.client(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			got := c.conf
			if got.engine != tt.engine || got.verify != tt.verify || got.checkName != tt.nameChk || got.checkExpire != tt.expire || got.caFile != tt.ca || got.protocol != tt.proto {
				t.Errorf("got engine %v verify %q name %v expire %v ca %q protocol %v; want %v %q %v %v %q %v",
					got.engine, got.verify, got.checkName, got.checkExpire, got.caFile, got.protocol,
					tt.engine, tt.verify, tt.nameChk, tt.expire, tt.ca, tt.proto)
			}
			if (c.roots != nil) != (tt.verify == "require") {
				t.Errorf("roots loaded %v; want %v", c.roots != nil, tt.verify == "require")
			}
			again, _ := tt.rt.tls.client(tt.url)
			if again != c {
				t.Errorf("a second request built a new client configuration")
			}
		})
	}
}

func TestProtocolRange(t *testing.T) {
	tests := []struct {
		set    directives.TLSProtocols
		lo, hi uint16
	}{
		{0, 0, 0},
		{directives.TLSv1_2, tls.VersionTLS12, tls.VersionTLS12},
		{directives.TLSv1_3, tls.VersionTLS13, tls.VersionTLS13},
		{directives.TLSAll, tls.VersionTLS10, tls.VersionTLS13},
		{directives.TLSv1 | directives.TLSv1_2, tls.VersionTLS10, tls.VersionTLS12},
	}
	for _, tt := range tests {
		if lo, hi := protocolRange(tt.set); lo != tt.lo || hi != tt.hi {
			t.Errorf("protocolRange(%v) = %x, %x; want %x, %x", tt.set, lo, hi, tt.lo, tt.hi)
		}
	}
	// TLS 1.0 and 1.1 alone are refused, as Debian's OpenSSL does.
	c := &tlsClient{}
	c.minVer, c.maxV = protocolRange(directives.TLSv1_1)
	if cfg := c.config("h"); cfg.MinVersion <= cfg.MaxVersion {
		t.Errorf("TLSv1.1 only: versions %x..%x; want none", cfg.MinVersion, cfg.MaxVersion)
	}
}

func TestCheckPeer(t *testing.T) {
	ca := makeCA(t)
	leaf := func(cn string, dns []string, ips []net.IP, from, to time.Time) *x509.Certificate {
		return makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns, IPAddresses: ips, NotBefore: from, NotAfter: to}, ca).cert
	}
	now := time.Now()
	good := leaf("localhost", []string{"localhost", "*.svc.test"}, []net.IP{net.IPv4(127, 0, 0, 1)}, now.Add(-time.Hour), now.Add(time.Hour))
	expired := leaf("localhost", []string{"localhost"}, nil, now.Add(-2*time.Hour), now.Add(-time.Hour))
	cnOnly := leaf("cn.test", nil, nil, now.Add(-time.Hour), now.Add(time.Hour))
	wildCN := leaf("*.cn.test", []string{"other.test"}, nil, now.Add(-time.Hour), now.Add(time.Hour))
	tests := []struct {
		name     string
		conf     tlsProxyConf
		cert     *x509.Certificate
		hostname string
		want     string // a prefix of the refusal, "" for none
	}{
		{name: "defaults, DNS name", cert: good, hostname: "localhost"},
		{name: "defaults, wildcard one label", cert: good, hostname: "a.svc.test"},
		{name: "defaults, wildcard two labels", cert: good, hostname: "a.b.svc.test", want: "SSL Proxy: Peer certificate does not match for hostname a.b.svc.test"},
		{name: "defaults, IP SAN does not count", cert: good, hostname: "127.0.0.1", want: "SSL Proxy: Peer certificate does not match"},
		{name: "defaults, CN counts", cert: cnOnly, hostname: "cn.test"},
		{name: "no host name, no name check", cert: good, hostname: ""},
		{name: "defaults, expired", cert: expired, hostname: "localhost", want: "SSL Proxy: Peer certificate is expired"},
		{name: "expire check off", conf: tlsProxyConf{checkExpire: tlsOff}, cert: expired, hostname: "localhost"},
		{name: "CheckPeerName Off", conf: tlsProxyConf{checkName: tlsOff}, cert: good, hostname: "wrong.test"},
		{name: "CheckPeerCN Off alone", conf: tlsProxyConf{checkCN: tlsOff}, cert: good, hostname: "wrong.test"},
		{name: "CheckPeerCN Off, CheckPeerName On", conf: tlsProxyConf{checkCN: tlsOff, checkName: tlsOn}, cert: good, hostname: "wrong.test", want: "SSL Proxy: Peer certificate does not match"},
		{name: "CN only: match", conf: tlsProxyConf{checkName: tlsOff, checkCN: tlsOn}, cert: good, hostname: "LOCALHOST"},
		{name: "CN only: DNS names ignored", conf: tlsProxyConf{checkName: tlsOff, checkCN: tlsOn}, cert: wildCN, hostname: "other.test", want: "SSL Proxy: Peer certificate CN mismatch: Certificate CN: *.cn.test Requested hostname: other.test"},
		{name: "CN only: wildcard", conf: tlsProxyConf{checkName: tlsOff, checkCN: tlsOn}, cert: wildCN, hostname: "a.cn.test"},
		{name: "no certificate", cert: nil, hostname: "localhost", want: "SSL Proxy: Peer certificate is expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &tlsClient{conf: tt.conf}
			got := c.checkPeer(tt.cert, tt.hostname, now)
			if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
				t.Errorf("checkPeer = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestVerifyChain(t *testing.T) {
	ca, other := makeCA(t), makeCA(t)
	leaf := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	if err := verifyChain([][]byte{leaf.cert.Raw}, roots, time.Now()); err != nil {
		t.Errorf("chain to the CA: %v", err)
	}
	wrong := x509.NewCertPool()
	wrong.AddCert(other.cert)
	err := verifyChain([][]byte{leaf.cert.Raw}, wrong, time.Now())
	if !errors.Is(err, errVerify) || verifyReason(err) != "Error (20): unable to get local issuer certificate" {
		t.Errorf("chain to another CA: %v (%s); want error 20", err, verifyReason(err))
	}
	err = verifyChain([][]byte{leaf.cert.Raw}, roots, time.Now().Add(48*time.Hour))
	if verifyReason(err) != "Error (10): certificate has expired" {
		t.Errorf("expired chain: %v; want error 10", err)
	}
}

func TestReadMachineCerts(t *testing.T) {
	ca := makeCA(t)
	a := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "a"}}, ca)
	b := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "b"}}, nil)
	certs, err := readMachineCerts(writeFile(t, "m.pem", append(append([]byte(nil), a.pem...), b.pem...)))
	if err != nil || len(certs) != 2 {
		t.Fatalf("got %d certificates, %v; want 2", len(certs), err)
	}
	if got := chooseClientCert(certs, &tls.CertificateRequestInfo{}); got.Leaf.Subject.CommonName != "a" {
		t.Errorf("no CA named: chose %q; want the first", got.Leaf.Subject.CommonName)
	}
	if got := chooseClientCert(certs, &tls.CertificateRequestInfo{AcceptableCAs: [][]byte{b.cert.RawSubject}}); got.Leaf == nil || got.Leaf.Subject.CommonName != "b" {
		t.Errorf("CA of b named: did not choose b")
	}
	if got := chooseClientCert(certs, &tls.CertificateRequestInfo{AcceptableCAs: [][]byte{[]byte("nobody")}}); len(got.Certificate) != 0 {
		t.Errorf("unknown CA named: sent a certificate")
	}
	if _, err := readMachineCerts(writeFile(t, "k.pem", ca.pem[:strings.Index(string(ca.pem), "-----BEGIN EC")])); err == nil {
		t.Errorf("a certificate without its key was accepted")
	}
}

// tlsBackend is a TLS server on 127.0.0.1 answering 200 to every request
// and recording the server name of each connection's handshake.
type tlsBackend struct {
	ln  net.Listener
	mu  sync.Mutex
	sni []string
	wg  sync.WaitGroup
}

func startTLSBackend(t *testing.T, cert tls.Certificate) *tlsBackend {
	t.Helper()
	b := &tlsBackend{}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		b.mu.Lock()
		b.sni = append(b.sni, h.ServerName)
		b.mu.Unlock()
		return nil, nil
	}}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.ln = ln
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http1.ReadRequest(br, http1.Limits{})
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

func (b *tlsBackend) names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.sni...)
}

func TestServeTLS(t *testing.T) {
	ca := makeCA(t)
	good := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}}, ca)
	caFile := writeFile(t, "ca.pem", ca.pem)
	tests := []struct {
		name     string
		conf     string // $P is the backend's port
		host     string // the client's Host
		want     int
		wantSNI  []string
		wantLog  string
		requests int
	}{
		{name: "engine off", conf: "ProxyPass /r/ https://localhost:$P/", want: 500, wantLog: "AH00961: https: failed to enable ssl support for 127.0.0.1:"},
		{name: "engine on, reused", conf: "SSLProxyEngine On\nProxyPass /r/ https://localhost:$P/", want: 200, wantSNI: []string{"localhost"}, requests: 3},
		{name: "verify require", conf: "SSLProxyEngine On\nSSLProxyVerify require\nSSLProxyCACertificateFile " + caFile + "\nProxyPass /r/ https://localhost:$P/", want: 200, wantSNI: []string{"localhost"}},
		{name: "IP address: no SNI, name refused", conf: "SSLProxyEngine On\nProxyPass /r/ https://127.0.0.1:$P/", want: 500, wantSNI: []string{""}, wantLog: "Error during SSL Handshake with remote server"},
		{name: "ProxyPreserveHost: client's host as SNI", conf: "SSLProxyEngine On\nProxyPreserveHost On\nProxyPass /r/ https://127.0.0.1:$P/", host: "LocalHost:8443", want: 200, wantSNI: []string{"localhost"}},
		{name: "ProxyPreserveHost: SNI changes, new connection", conf: "SSLProxyEngine On\nSSLProxyCheckPeerName Off\nProxyPreserveHost On\nProxyPass /r/ https://127.0.0.1:$P/", host: "a.test", want: 200, wantSNI: []string{"a.test", "b.test"}, requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := startTLSBackend(t, good.tlsCert(t))
			_, port, _ := net.SplitHostPort(be.ln.Addr().String())
			rt, dir := proxyConf(t, sslModule+strings.ReplaceAll(tt.conf, "$P", port)+"\n")
			var logs strings.Builder
			p := newProxy(t)
			p.Log = p.Log.Output(io.MultiWriter(&logs, zerolog.NewTestWriter(t)))
			n := max(tt.requests, 1)
			for i := range n {
				host := tt.host
				if host == "" {
					host = "proxy.test"
				}
				if tt.name == "ProxyPreserveHost: SNI changes, new connection" && i == 1 {
					host = "b.test"
				}
				_, st, err := do(t, p, rt, dir, "GET /r/x HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
				if st != tt.want {
					t.Fatalf("request %d: status %d (%v); want %d", i, st, err, tt.want)
				}
			}
			if got := be.names(); strings.Join(got, ",") != strings.Join(tt.wantSNI, ",") {
				t.Errorf("handshakes with server names %q; want %q", got, tt.wantSNI)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q; want it to contain %q", logs.String(), tt.wantLog)
			}
		})
	}
}
