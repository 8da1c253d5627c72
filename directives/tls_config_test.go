package directives

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTLSConfig(t *testing.T) {
	files := map[string]string{
		"httpd.conf": mpm + `LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
SSLSessionCache shmcb:/tmp/cache(512000)
<VirtualHost *:443>
ServerName tls.example
SSLEngine on
SSLCertificateFile cert.pem
SSLCertificateKeyFile $DIR/key.pem
SSLCertificateChainFile chain.pem
SSLCACertificateFile ca.pem
SSLProtocol all -TLSv1 -TLSv1.1
SSLCipherSuite HIGH:!MD5
SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384
SSLHonorCipherOrder on
SSLVerifyClient optional
SSLProxyEngine on
SSLProxyVerify on
SSLProxyCheckPeerName off
<Proxy https://backend/>
SSLProxyCACertificateFile ca.pem
SSLProxyMachineCertificateFile client.pem
SSLProxyProtocol +TLSv1.3
SSLProxyCipherSuite TLSv1.3 TLS_CHACHA20_POLY1305_SHA256
SSLProxyCheckPeerExpire off
</Proxy>
<Location /admin>
SSLVerifyClient require
SSLCipherSuite HIGH
</Location>
</VirtualHost>
`,
	}
	for _, f := range []string{"cert.pem", "key.pem", "chain.pem", "ca.pem", "client.pem"} {
		files[f] = "-----BEGIN-----\n"
	}
	cfg, diags, dir := loadTree(t, files, nil)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if sc := cfg.Main.TLS.SessionCache; sc.Val != "shmcb:/tmp/cache(512000)" {
		t.Errorf("SSLSessionCache: got %+v", sc)
	}
	v := cfg.VirtualHosts[0]
	tl := v.TLS
	if !tl.Engine.Val || tl.Engine.Pos.Line != 8 {
		t.Errorf("SSLEngine: got %+v", tl.Engine)
	}
	if len(tl.CertificateFiles) != 1 || tl.CertificateFiles[0].Path != filepath.Join(dir, "cert.pem") ||
		len(tl.CertificateKeyFiles) != 1 || tl.CertificateKeyFiles[0].Path != filepath.Join(dir, "key.pem") {
		t.Errorf("certificates: got %+v / %+v", tl.CertificateFiles, tl.CertificateKeyFiles)
	}
	if tl.CertificateChainFile.Val != filepath.Join(dir, "chain.pem") || tl.CACertificateFile.Val != filepath.Join(dir, "ca.pem") {
		t.Errorf("chain/CA: got %+v / %+v", tl.CertificateChainFile, tl.CACertificateFile)
	}
	if tl.Protocol.Val != TLSv1_2|TLSv1_3 {
		t.Errorf("SSLProtocol: got %v", tl.Protocol.Val)
	}
	if tl.CipherSuite.Val != "HIGH:!MD5:!aNULL:!eNULL:!EXP" || tl.TLS13Ciphers.Val != "TLS_AES_256_GCM_SHA384" {
		t.Errorf("ciphers: got %q / %q", tl.CipherSuite.Val, tl.TLS13Ciphers.Val)
	}
	if !tl.HonorCipherOrder.Val || tl.VerifyClient.Val != "optional" {
		t.Errorf("honor/verify: got %+v / %+v", tl.HonorCipherOrder, tl.VerifyClient)
	}
	px := v.Dir.TLS.Proxy
	if !px.Engine.Val || px.Verify.Val != "require" || !px.CheckPeerName.Set || px.CheckPeerName.Val {
		t.Errorf("server-level SSLProxy*: got %+v", px)
	}
	var proxy, admin *Section
	for _, s := range v.Sections {
		switch s.Kind {
		case SectionProxy:
			proxy = s
		case SectionLocation:
			admin = s
		}
	}
	if proxy == nil || admin == nil {
		t.Fatalf("sections: got %+v", v.Sections)
	}
	pp := proxy.Dir.TLS.Proxy
	if pp.CACertificateFile.Val != filepath.Join(dir, "ca.pem") || pp.MachineCertificateFile.Val != filepath.Join(dir, "client.pem") ||
		pp.Protocol.Val != TLSv1_3 || pp.TLS13Ciphers.Val != "TLS_CHACHA20_POLY1305_SHA256" || !pp.CheckPeerExpire.Set {
		t.Errorf("<Proxy> SSLProxy*: got %+v", pp)
	}
	if a := admin.Dir.TLS; a.VerifyClient.Val != "require" || a.CipherSuite.Val != "HIGH:!aNULL:!eNULL:!EXP" {
		t.Errorf("<Location> TLS: got %+v", a)
	}
}

func TestSSLProtocolWarning(t *testing.T) {
	cfg, diags, _ := loadMods(t, "ssl", "SSLProtocol all -TLSv1 TLSv1.3\n")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range diags {
		if d.Code == "AH02532" && d.Module == "ssl" && d.Msg == "SSLProtocol: Protocol 'TLSv1.3' overrides already set parameter(s). Check if a +/- prefix is missing." {
			found = true
		}
	}
	if !found {
		t.Errorf("no AH02532 warning in %v", diags)
	}
	if got := cfg.Main.TLS.Protocol.Val; got != TLSv1_3 {
		t.Errorf("got %v; want TLSv1.3", got)
	}
}

func TestTLSErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantErrors(t, "ssl", []struct{ conf, err string }{
		{"SSLCertificateFile /nonexistent/cert.pem\n", "SSLCertificateFile: file '/nonexistent/cert.pem' does not exist or is empty"},
		{"SSLCertificateKeyFile " + empty + "\n", "SSLCertificateKeyFile: file '" + empty + "' does not exist or is empty"},
		{"SSLCertificateFile relative.pem\n", "SSLCertificateFile: file '$DIR/relative.pem' does not exist or is empty"},
		{"SSLCACertificateFile /tmp\n", "SSLCACertificateFile: file '/tmp' does not exist or is empty"},
		{"SSLEngine maybe\n", "Argument must be On or Off"},
		{"SSLProtocol TLSv1.4\n", "SSLProtocol: Illegal protocol 'TLSv1.4'"},
		{"SSLProxyProtocol +bogus\n", "SSLProxyProtocol: Illegal protocol 'bogus'"},
		{"SSLProtocol SSLv2\n", "SSLProtocol: SSLv2 is no longer supported"},
		{"SSLProtocol +SSLv3\n", "SSLv3 not supported by this version of OpenSSL"},
		{"SSLCipherSuite FOO HIGH\n", "protocol 'FOO' not supported"},
		{"<Location /x>\nSSLCipherSuite TLSv1.3 X\n</Location>\n", "TLSv1.3 ciphers cannot be set inside a directory context"},
		{"SSLVerifyClient maybe\n", "SSLVerifyClient: Invalid argument 'maybe'"},
		{"SSLProxyVerify maybe\n", "SSLProxyVerify: Invalid argument 'maybe'"},
		{"SSLSessionCache shmcb:/tmp/x\n", "SSLSessionCache: 'shmcb' session cache not supported (known names: ). Maybe you need to load the appropriate socache module (mod_socache_shmcb?)."},
		{"<VirtualHost *:80>\nServerName a\nSSLSessionCache none\n</VirtualHost>\n", "SSLSessionCache cannot occur within <VirtualHost> section"},
	})
	_, diags, _ := loadMods(t, "ssl", "SSLCertificateFile pkcs11:token=x\n")
	if err := diags.Err(); err != nil {
		t.Errorf("pkcs11 URI: got %v", err)
	}
}
