package compat

import "strings"

// preambleModules are the modules every case has, in LoadModule order:
// identifier and file under /usr/lib/apache2/modules. Each LoadModule is
// wrapped in <IfModule !id> because Debian builds some of them in
// (log_config, unixd) and loading a module twice is an error.
var preambleModules = [][2]string{
	{"mpm_event_module", "mod_mpm_event.so"},
	{"authz_core_module", "mod_authz_core.so"},
	{"proxy_module", "mod_proxy.so"},
	{"proxy_http_module", "mod_proxy_http.so"},
	{"proxy_wstunnel_module", "mod_proxy_wstunnel.so"},
	{"proxy_balancer_module", "mod_proxy_balancer.so"},
	{"slotmem_shm_module", "mod_slotmem_shm.so"},
	{"lbmethod_byrequests_module", "mod_lbmethod_byrequests.so"},
	{"rewrite_module", "mod_rewrite.so"},
	{"headers_module", "mod_headers.so"},
	{"alias_module", "mod_alias.so"},
	{"dir_module", "mod_dir.so"},
	{"mime_module", "mod_mime.so"},
	{"log_config_module", "mod_log_config.so"},
	{"unixd_module", "mod_unixd.so"},
}

// Preamble returns the configuration put before every case's httpd.conf,
// with the placeholders still in it. root adds User/Group, which httpd
// needs to serve when started as root.
//
// The MPM is held to one child process so that every request shares one
// backend connection pool: with several children, which one accepts a
// client connection (and so whether a backend connection is reused) would
// change from run to run.
func Preamble(root bool) string {
	var b strings.Builder
	b.WriteString("# compat preamble: the same for Apache and Portico\n")
	b.WriteString("ServerRoot \"$DIR\"\n")
	for _, m := range preambleModules {
		b.WriteString("<IfModule !" + m[0] + ">\n")
		b.WriteString("  LoadModule " + m[0] + " /usr/lib/apache2/modules/" + m[1] + "\n")
		b.WriteString("</IfModule>\n")
	}
	b.WriteString(`Listen $LISTEN
ServerName localhost
ErrorLog $DIR/error.log
PidFile $DIR/httpd.pid
DefaultRuntimeDir $DIR/run
LogLevel warn
TypesConfig $DIR/mime.types
<IfModule mpm_event_module>
  StartServers 1
  ServerLimit 1
  ThreadsPerChild 25
  MaxRequestWorkers 25
  MinSpareThreads 1
  MaxSpareThreads 25
</IfModule>
`)
	if root {
		b.WriteString("User nobody\nGroup nogroup\n")
	}
	return b.String()
}

// mimeTypes is the TypesConfig of every case, so that static files get a
// Content-Type without depending on /etc/mime.types.
const mimeTypes = `text/html	html htm
text/plain	txt
text/css	css
application/json	json
image/png	png
`
