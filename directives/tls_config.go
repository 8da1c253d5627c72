package directives

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico-proxy/portico/parser"
)

// The directives of mod_ssl (modules/ssl/ssl_engine_config.c) that a TLS
// front end and TLS to backends need.
func init() {
	Register("ssl_module", "SSLEngine", buildSSLEngine)
	Register("ssl_module", "SSLCertificateFile", func(c *Cmd) error {
		p, err := sslCheckFile(c, true)
		if err != nil {
			return err
		}
		t := &c.Server().TLS
		t.CertificateFiles = append(t.CertificateFiles, TLSFile{Path: p, Pos: c.Pos})
		return nil
	})
	Register("ssl_module", "SSLCertificateKeyFile", func(c *Cmd) error {
		p, err := sslCheckFile(c, true)
		if err != nil {
			return err
		}
		t := &c.Server().TLS
		t.CertificateKeyFiles = append(t.CertificateKeyFiles, TLSFile{Path: p, Pos: c.Pos})
		return nil
	})
	Register("ssl_module", "SSLCertificateChainFile", sslFile(func(c *Cmd) *Opt[string] { return &c.Server().TLS.CertificateChainFile }))
	Register("ssl_module", "SSLCACertificateFile", func(c *Cmd) error {
		p, err := sslCheckFile(c, false)
		if err != nil {
			return err
		}
		if c.InDirContext() {
			return errors.New("Your SSL library does not have support for per-directory CA")
		}
		c.Server().TLS.CACertificateFile.Put(p, c.Pos)
		return nil
	})
	Register("ssl_module", "SSLProtocol", func(c *Cmd) error {
		return sslProtocol(c, &c.Server().TLS.Protocol)
	})
	Register("ssl_module", "SSLCipherSuite", func(c *Cmd) error {
		if c.InDirContext() {
			return sslCipherSuite(c, &c.Dir().TLS.CipherSuite, nil)
		}
		t := &c.Server().TLS
		return sslCipherSuite(c, &t.CipherSuite, &t.TLS13Ciphers)
	})
	Register("ssl_module", "SSLHonorCipherOrder", func(c *Cmd) error {
		c.Server().TLS.HonorCipherOrder.Put(c.On, c.Pos)
		return nil
	})
	Register("ssl_module", "SSLVerifyClient", func(c *Cmd) error {
		v, err := sslVerify(c)
		if err != nil {
			return err
		}
		if c.InDirContext() {
			c.Dir().TLS.VerifyClient.Put(v, c.Pos)
		} else {
			c.Server().TLS.VerifyClient.Put(v, c.Pos)
		}
		return nil
	})
	Register("ssl_module", "SSLSessionCache", buildSSLSessionCache)

	Register("ssl_module", "SSLProxyEngine", sslProxyFlag(func(p *TLSProxy) *Opt[bool] { return &p.Engine }))
	Register("ssl_module", "SSLProxyCheckPeerName", sslProxyFlag(func(p *TLSProxy) *Opt[bool] { return &p.CheckPeerName }))
	Register("ssl_module", "SSLProxyCheckPeerCN", sslProxyFlag(func(p *TLSProxy) *Opt[bool] { return &p.CheckPeerCN }))
	Register("ssl_module", "SSLProxyCheckPeerExpire", sslProxyFlag(func(p *TLSProxy) *Opt[bool] { return &p.CheckPeerExpire }))
	Register("ssl_module", "SSLProxyVerify", func(c *Cmd) error {
		v, err := sslVerify(c)
		if err != nil {
			return err
		}
		c.Dir().TLS.Proxy.Verify.Put(v, c.Pos)
		return nil
	})
	Register("ssl_module", "SSLProxyCACertificateFile", sslFile(func(c *Cmd) *Opt[string] { return &c.Dir().TLS.Proxy.CACertificateFile }))
	Register("ssl_module", "SSLProxyMachineCertificateFile", sslFile(func(c *Cmd) *Opt[string] { return &c.Dir().TLS.Proxy.MachineCertificateFile }))
	Register("ssl_module", "SSLProxyProtocol", func(c *Cmd) error {
		return sslProtocol(c, &c.Dir().TLS.Proxy.Protocol)
	})
	Register("ssl_module", "SSLProxyCipherSuite", func(c *Cmd) error {
		p := &c.Dir().TLS.Proxy
		return sslCipherSuite(c, &p.CipherSuite, &p.TLS13Ciphers)
	})
}

// TLSServer holds a server's mod_ssl configuration.
type TLSServer struct {
	// Engine is SSLEngine: TLS on this server's connections.
	Engine Opt[bool]
	// CertificateFiles and CertificateKeyFiles list SSLCertificateFile
	// and SSLCertificateKeyFile in order (the n-th key goes with the
	// n-th certificate), resolved against ServerRoot.
	CertificateFiles    []TLSFile
	CertificateKeyFiles []TLSFile
	// CertificateChainFile and CACertificateFile are resolved against
	// ServerRoot.
	CertificateChainFile Opt[string]
	CACertificateFile    Opt[string]
	Protocol             Opt[TLSProtocols]
	// CipherSuite is the OpenSSL cipher list for TLS 1.2 and below, with
	// ":!aNULL:!eNULL:!EXP" appended as mod_ssl does; TLS13Ciphers is
	// "SSLCipherSuite TLSv1.3 …".
	CipherSuite      Opt[string]
	TLS13Ciphers     Opt[string]
	HonorCipherOrder Opt[bool]
	VerifyClient     Opt[TLSVerify]
	// SessionCache is SSLSessionCache as written (global: main server
	// only). Portico keeps its own session cache and ignores it.
	SessionCache Opt[string]
}

// TLSDir holds mod_ssl's per-directory settings: SSLVerifyClient and
// SSLCipherSuite in a section, and the SSLProxy* settings (server level,
// or per <Proxy> section).
type TLSDir struct {
	VerifyClient Opt[TLSVerify]
	CipherSuite  Opt[string]
	Proxy        TLSProxy
}

// TLSProxy is how Portico talks TLS to https:// and wss:// backends.
type TLSProxy struct {
	// Engine is SSLProxyEngine: without it httpd refuses TLS backends.
	Engine Opt[bool]
	Verify Opt[TLSVerify]
	// CheckPeerName, CheckPeerCN and CheckPeerExpire default to on.
	CheckPeerName   Opt[bool]
	CheckPeerCN     Opt[bool]
	CheckPeerExpire Opt[bool]
	// CACertificateFile and MachineCertificateFile are resolved against
	// ServerRoot.
	CACertificateFile      Opt[string]
	MachineCertificateFile Opt[string]
	Protocol               Opt[TLSProtocols]
	CipherSuite            Opt[string]
	TLS13Ciphers           Opt[string]
}

// TLSFile is a file named by a directive.
type TLSFile struct {
	Path string
	Pos  parser.Pos
}

// TLSVerify is a certificate verification mode: "none", "optional",
// "require" or "optional_no_ca" ("off" and "on" are read as none and
// require).
type TLSVerify string

// TLSProtocols is a set of protocol versions (SSLProtocol).
type TLSProtocols uint8

// Protocol versions.
const (
	TLSv1 TLSProtocols = 1 << iota
	TLSv1_1
	TLSv1_2
	TLSv1_3
	// TLSAll is "all": every version this OpenSSL offers (SSLv3 is
	// not among them).
	TLSAll = TLSv1 | TLSv1_1 | TLSv1_2 | TLSv1_3
)

// String lists the versions, e.g. "TLSv1.2 TLSv1.3".
func (p TLSProtocols) String() string {
	var parts []string
	for _, v := range []struct {
		bit  TLSProtocols
		name string
	}{{TLSv1, "TLSv1"}, {TLSv1_1, "TLSv1.1"}, {TLSv1_2, "TLSv1.2"}, {TLSv1_3, "TLSv1.3"}} {
		if p&v.bit != 0 {
			parts = append(parts, v.name)
		}
	}
	return strings.Join(parts, " ")
}

func buildSSLEngine(c *Cmd) error {
	switch arg := c.Args[0]; {
	case strings.EqualFold(arg, "on"):
		c.Server().TLS.Engine.Put(true, c.Pos)
	case strings.EqualFold(arg, "off"):
		c.Server().TLS.Engine.Put(false, c.Pos)
	case strings.EqualFold(arg, "optional"):
		// httpd 2.4.71 logs notice AH10510 and leaves the setting alone.
		c.Note("AH10510", "'SSLEngine optional' is no longer supported")
	default:
		return errors.New("Argument must be On or Off")
	}
	return nil
}

// sslCheckFile is mod_ssl's ssl_cmd_check_file: the path, relative to
// ServerRoot, must be a regular file that is not empty. With engine set,
// a "pkcs11:" URI is taken as it is.
func sslCheckFile(c *Cmd, engine bool) (string, error) {
	arg := c.Args[0]
	if engine && strings.HasPrefix(arg, "pkcs11:") {
		return arg, nil
	}
	p := arg
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.Config().ServerRoot, p)
	}
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() <= 0 {
		return "", fmt.Errorf("%s: file '%s' does not exist or is empty", c.Spec.Name, p)
	}
	return p, nil
}

func sslFile(field func(*Cmd) *Opt[string]) func(*Cmd) error {
	return func(c *Cmd) error {
		p, err := sslCheckFile(c, false)
		if err != nil {
			return err
		}
		field(c).Put(p, c.Pos)
		return nil
	}
}

func sslProxyFlag(field func(*TLSProxy) *Opt[bool]) func(*Cmd) error {
	return func(c *Cmd) error {
		field(&c.Dir().TLS.Proxy).Put(c.On, c.Pos)
		return nil
	}
}

// sslVerify is mod_ssl's ssl_cmd_verify_parse.
func sslVerify(c *Cmd) (TLSVerify, error) {
	switch arg := strings.ToLower(c.Args[0]); arg {
	case "none", "off":
		return "none", nil
	case "optional", "optional_no_ca":
		return TLSVerify(arg), nil
	case "require", "on":
		return "require", nil
	}
	return "", fmt.Errorf("%s: Invalid argument '%s'", c.Spec.Name, c.Args[0])
}

// sslCipherSuite is SSLCipherSuite and SSLProxyCipherSuite: "[protocol]
// ciphers", the protocol "SSL" (the default) or "TLSv1.3". tls13 is nil
// where TLS 1.3 ciphers may not be set (a directory context).
func sslCipherSuite(c *Cmd, suite, tls13 *Opt[string]) error {
	proto, list := "SSL", c.Args[0]
	if len(c.Args) == 2 {
		proto, list = c.Args[0], c.Args[1]
	}
	switch proto {
	case "SSL":
		suite.Put(list+":!aNULL:!eNULL:!EXP", c.Pos)
		return nil
	case "TLSv1.3":
		if tls13 == nil {
			return errors.New("TLSv1.3 ciphers cannot be set inside a directory context")
		}
		tls13.Put(list, c.Pos)
		return nil
	}
	return fmt.Errorf("protocol '%s' not supported", proto)
}

// sslProtocol is mod_ssl's ssl_cmd_protocol_parse: words "[+-]version",
// where a version without a sign replaces what came before it (with
// warning AH02532 when something did).
func sslProtocol(c *Cmd, dst *Opt[TLSProtocols]) error {
	var set TLSProtocols
	rest := c.Raw
	for rest != "" {
		var w string
		w, rest = parser.GetWord(rest)
		var action byte
		if w != "" && (w[0] == '+' || w[0] == '-') {
			action, w = w[0], w[1:]
		}
		var v TLSProtocols
		switch strings.ToLower(w) {
		case "sslv2":
			if action == '-' {
				continue
			}
			return errors.New("SSLProtocol: SSLv2 is no longer supported")
		case "sslv3":
			if action != '-' {
				return errors.New("SSLv3 not supported by this version of OpenSSL")
			}
			continue
		case "tlsv1":
			v = TLSv1
		case "tlsv1.1":
			v = TLSv1_1
		case "tlsv1.2":
			v = TLSv1_2
		case "tlsv1.3":
			v = TLSv1_3
		case "all":
			v = TLSAll
		default:
			return fmt.Errorf("%s: Illegal protocol '%s'", c.Spec.Name, w)
		}
		switch action {
		case '-':
			set &^= v
		case '+':
			set |= v
		default:
			if set != 0 {
				serverWarn(c, "AH02532", "ssl", "%s: Protocol '%s' overrides already set parameter(s). Check if a +/- prefix is missing.", c.Spec.Name, w)
			}
			set = v
		}
	}
	dst.Put(set, c.Pos)
	return nil
}

// socacheProviders are the session cache providers each socache module
// registers, in the order httpd lists them.
var socacheProviders = []struct{ module, names string }{
	{"socache_shmcb_module", "shmcb,default"},
	{"socache_dbm_module", "dbm"},
	{"socache_memcache_module", "memcache"},
	{"socache_redis_module", "redis"},
	{"socache_dc_module", "dc"},
}

// buildSSLSessionCache checks SSLSessionCache as mod_ssl does at -t
// time: global only, and the provider's module must be loaded.
func buildSSLSessionCache(c *Cmd) error {
	if err := c.CheckContext(GlobalOnly); err != nil {
		return err
	}
	arg := c.Args[0]
	if !strings.EqualFold(arg, "none") && !strings.EqualFold(arg, "nonenotnull") {
		name, _, _ := strings.Cut(arg, ":")
		var known []string
		found := false
		for _, p := range socacheProviders {
			if !c.ModuleLoaded(p.module) {
				continue
			}
			for _, n := range strings.Split(p.names, ",") {
				known = append(known, n)
				found = found || n == name
			}
		}
		if !found {
			return fmt.Errorf("SSLSessionCache: '%s' session cache not supported (known names: %s). "+
				"Maybe you need to load the appropriate socache module (mod_socache_%s?).",
				name, strings.Join(known, ","), name)
		}
	}
	c.Server().TLS.SessionCache.Put(arg, c.Pos)
	return nil
}
