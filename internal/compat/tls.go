package compat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portico-proxy/portico/internal/compat/backend"
)

// TLS backends: test backends that speak TLS, started for a case whose
// configuration or steps name them ($TLSBACKEND …). Their certificates
// are made at run time, once per test process, by a test CA; the case
// directory gets the PEM files a configuration points mod_ssl at:
//
//	$DIR/tls/ca.pem        the CA that signed every backend certificate
//	$DIR/tls/other-ca.pem  an unrelated CA (verification must fail)
//	$DIR/tls/client.pem    a client certificate and its key, signed by
//	                       the CA (SSLProxyMachineCertificateFile)
//
// No key is ever written outside the case's temporary directory.
// TLSBackendNames are the TLS backends a case may name:
//
//	tlsbackend     a certificate for localhost (CN and DNS name) and IP 127.0.0.1
//	tlsexpired     the same names, expired yesterday
//	tlswrongname   a certificate for wrong.example only
//	tls13only      the localhost certificate, TLS 1.3 only
//	tlsclientauth  the localhost certificate; requires a client certificate signed by the CA
//	tlsslow        the localhost certificate; answers a ClientHello after 2 seconds
var TLSBackendNames = []string{"tlsbackend", "tlsexpired", "tlswrongname", "tls13only", "tlsclientauth", "tlsslow"}

// slowHandshake is how long tlsslow waits before answering a ClientHello.
const slowHandshake = 2 * time.Second

// testPKI is the certificates of one test process.
type testPKI struct {
	caPEM, otherCAPEM, clientPEM []byte
	configs                      map[string]*tls.Config
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

func loadPKI() (*testPKI, error) {
	pkiOnce.Do(func() { pki, pkiErr = makePKI(time.Now()) })
	return pki, pkiErr
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64

func newSerial() *big.Int {
	serial++
	return big.NewInt(time.Now().UnixNano() + serial)
}

func makeCA(cn string, now time.Time) (*issuer, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Portico compat"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return &issuer{cert, key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// leaf is a certificate the CA signs, with its key.
func (ca *issuer) leaf(tmpl *x509.Certificate) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl.SerialNumber = newSerial()
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	return c, append(certPEM, keyPEM...), err
}

func makePKI(now time.Time) (*testPKI, error) {
	ca, caPEM, err := makeCA("Portico compat CA", now)
	if err != nil {
		return nil, err
	}
	_, otherPEM, err := makeCA("Portico compat other CA", now)
	if err != nil {
		return nil, err
	}
	server := func(cn string, dns []string, ips []net.IP, from, to time.Time) (tls.Certificate, error) {
		c, _, err := ca.leaf(&x509.Certificate{
			Subject:     pkix.Name{CommonName: cn},
			DNSNames:    dns,
			IPAddresses: ips,
			NotBefore:   from,
			NotAfter:    to,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		return c, err
	}
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	good, err := server("localhost", []string{"localhost"}, loopback, now.Add(-time.Hour), now.Add(7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	expired, err := server("localhost", []string{"localhost"}, loopback, now.Add(-72*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	wrong, err := server("wrong.example", []string{"wrong.example"}, nil, now.Add(-time.Hour), now.Add(7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	_, clientPEM, err := ca.leaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "portico-compat-client"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(7 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	one := func(c tls.Certificate) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{c}}
	}
	only13 := one(good)
	only13.MinVersion = tls.VersionTLS13
	clientAuth := one(good)
	clientAuth.ClientAuth = tls.RequireAndVerifyClientCert
	clientAuth.ClientCAs = roots
	slow := one(good)
	slow.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		time.Sleep(slowHandshake)
		return nil, nil
	}
	return &testPKI{
		caPEM: caPEM, otherCAPEM: otherPEM, clientPEM: clientPEM,
		configs: map[string]*tls.Config{
			"tlsbackend":    one(good),
			"tlsexpired":    one(expired),
			"tlswrongname":  one(wrong),
			"tls13only":     only13,
			"tlsclientauth": clientAuth,
			"tlsslow":       slow,
		},
	}, nil
}

// usesTLS reports whether a case needs the TLS files and which TLS
// backends it names.
func usesTLS(c *Case) (files bool, names []string) {
	text := c.Conf + "\n" + c.Steps
	for _, f := range c.Files {
		text += "\n" + string(f.Data)
	}
	for _, n := range TLSBackendNames {
		if strings.Contains(text, "$"+strings.ToUpper(n)) {
			names = append(names, n)
		}
	}
	files = len(names) > 0 || strings.Contains(text, "$DIR/tls/")
	return files, names
}

// startTLSBackends writes the TLS files into dir and starts the TLS
// backends c names, adding them to backends. It returns the backends it
// started, for the caller to stop.
func startTLSBackends(c *Case, dir string, observe func(backend.Event), backends map[string]*backend.Backend) ([]*backend.Backend, error) {
	files, names := usesTLS(c)
	if !files {
		return nil, nil
	}
	p, err := loadPKI()
	if err != nil {
		return nil, fmt.Errorf("making the test certificates: %w", err)
	}
	tdir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"ca.pem": p.caPEM, "other-ca.pem": p.otherCAPEM, "client.pem": p.clientPEM} {
		// Apache's children run as nobody and read these.
		if err := os.WriteFile(filepath.Join(tdir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	var started []*backend.Backend
	for _, n := range names {
		ln, err := ListenPort()
		if err != nil {
			return started, err
		}
		b := backend.ServeTLS(n, ln, p.configs[n], observe)
		backends[n] = b
		started = append(started, b)
	}
	return started, nil
}

// backendOrder lists the backends of a run for the placeholders: the
// plain ones, then the TLS ones started, by name.
func backendOrder(backends map[string]*backend.Backend) []string {
	names := append([]string(nil), BackendNames...)
	var extra []string
	for _, n := range TLSBackendNames {
		if backends[n] != nil {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}
