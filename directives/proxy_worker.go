package directives

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-proxy/portico/parser"
)

// Worker is a backend as mod_proxy knows it (httpd's proxy_worker): a
// normalised URL with the connection parameters that apply to every
// request whose backend URL it is the longest prefix of.
//
// Each parameter is an Opt: Set says whether the configuration gave it
// (a key=value, or for Timeout, IOBufferSize and ReceiveBufferSize the
// server's ProxyTimeout, ProxyIOBufferSize or ProxyReceiveBufferSize
// written before the worker was defined, which httpd copies in). While
// unset, Val holds httpd's default, or the zero value where the comment
// says the default comes from elsewhere.
type Worker struct {
	// Name identifies the worker (httpd's name_ex): the URL with scheme
	// and host lower-cased and a port equal to the scheme's default
	// removed, the rest as written. For a unix: socket worker it is
	// the URL after '|'. Names of 384 bytes or more are truncated.
	Name string
	// URL is the URL as written.
	URL string
	// Scheme is the lower-cased scheme ("http", "ws", "ajp" …).
	Scheme string
	// Host is the lower-cased host name or address, without brackets.
	Host string
	// Port is the port connections go to: the one written, else the
	// scheme's default; 0 when neither is known.
	Port int
	// Path is the part of Name after the host and port (path, query,
	// fragment); may be empty.
	Path string
	// UDSPath is the socket path of a "unix:/path|…" worker, relative
	// paths resolved against the runtime directory; empty otherwise.
	UDSPath string
	// Match is true for a worker defined by ProxyPassMatch or inside
	// <ProxyMatch>: its Name may hold $1…$9, which match any text when
	// a backend URL is compared with it.
	Match bool
	// AddressReusable is false when $N appears in the host or port:
	// the address must be resolved for every connection.
	AddressReusable bool
	// Balancer is the balancer the worker is a member of; nil for a
	// standalone worker.
	Balancer *Balancer
	// Section is the <Proxy> or <ProxyMatch> section whose per-directory
	// configuration applies to requests through this worker (httpd's
	// section_config); nil when none is linked.
	Section *Section
	// Pos is where the worker was defined.
	Pos parser.Pos

	// LBFactor is loadfactor×100 (httpd's lbfactor, 100…10000); default
	// 100.
	LBFactor Opt[int]
	// Retry is retry=, how long a member in error is skipped; default
	// 60s. Standalone workers are never put in error.
	Retry Opt[time.Duration]
	// TTL is ttl=, how long idle connections above SMax live; unset
	// means no limit.
	TTL Opt[time.Duration]
	// Min is min=, connections kept open; default 0.
	Min Opt[int]
	// Max is max=, the hard maximum of connections per process; Val 0
	// means the MPM's ThreadsPerChild.
	Max Opt[int]
	// SMax is smax=, the soft maximum; Val -1 means Max.
	SMax Opt[int]
	// Acquire is acquire=, the wait for a free pooled connection;
	// unset means waiting without limit.
	Acquire Opt[time.Duration]
	// Timeout is timeout= (whole seconds); Val 0 means the request's
	// server's ProxyTimeout, else its Timeout.
	Timeout Opt[time.Duration]
	// ConnectionTimeout is connectiontimeout=; Val 0 means Timeout's
	// chain.
	ConnectionTimeout Opt[time.Duration]
	// Ping is ping=, the wait for "100 Continue" on requests with a
	// body (CPING for AJP); unset means no ping.
	Ping Opt[time.Duration]
	// IOBufferSize is iobuffersize= in bytes; default 8192.
	IOBufferSize Opt[int]
	// ReceiveBufferSize is receivebuffersize= in bytes; 0 means the
	// operating system's default.
	ReceiveBufferSize Opt[int]
	// ResponseFieldSize is responsefieldsize=, the longest backend
	// response header line; default 8192.
	ResponseFieldSize Opt[int]
	// KeepAlive is keepalive= (TCP keep-alive probes); default Off.
	KeepAlive Opt[bool]
	// DisableReuse is disablereuse= (or enablereuse= inverted); default
	// Off, On for a Match worker whose URL holds '$'. When
	// AddressReusable is false connections are never reused whatever
	// it says.
	DisableReuse Opt[bool]
	// AddressTTL is addressttl= in seconds; -1 (the default) resolves
	// the address once per process, 0 (the default when the address is
	// not reusable) every time.
	AddressTTL Opt[int]
	// Route is route=, the sticky-session route of a member; default "".
	Route Opt[string]
	// Redirect is redirect=, the route to use when this member is
	// unusable; default "".
	Redirect Opt[string]
	// LBSet is lbset=, the member's set (0…99); default 0.
	LBSet Opt[int]
	// Status holds the initial status flags after status=; default
	// StatusIgnoreErrors for a standalone worker, none for a member.
	Status Opt[WorkerStatus]
	// FlushPackets is flushpackets= ("on", "off", "auto"; AJP and FCGI
	// only); default "off".
	FlushPackets Opt[string]
	// FlushWait is flushwait=; default 10ms.
	FlushWait Opt[time.Duration]
	// Flusher is flusher= (mod_proxy_fdpass); Val "" means "flush".
	Flusher Opt[string]
	// Upgrade is upgrade=: the protocols a client may upgrade to, a
	// comma list; "ANY" is stored as "*" (any protocol). Default
	// "WebSocket" for ws:// and wss:// workers, "" (no upgrade)
	// otherwise.
	Upgrade Opt[string]
	// Secret is secret= (AJP); default "".
	Secret Opt[string]

	// HCMethod is hcmethod= (mod_proxy_hcheck): "NONE" (default, no
	// checks), "TCP", "OPTIONS", "HEAD", "GET", "OPTIONS11", "HEAD11",
	// "GET11", "CPING".
	HCMethod Opt[string]
	// HCInterval is hcinterval=; default 30s.
	HCInterval Opt[time.Duration]
	// HCPasses and HCFails are hcpasses= and hcfails=; default 1.
	HCPasses Opt[int]
	HCFails  Opt[int]
	// HCURI is hcuri=, appended to the worker's path; default "".
	HCURI Opt[string]
	// HCExpr is hcexpr=, the name of a ProxyHCExpr; default "" (any
	// 2xx or 3xx passes).
	HCExpr Opt[string]
	// HCTemplate is hctemplate=, the ProxyHCTemplate whose values were
	// copied into the HC fields.
	HCTemplate Opt[string]
}

// WorkerStatus holds a worker's status flags, with httpd's bit values
// (PROXY_WORKER_* in mod_proxy.h).
type WorkerStatus uint16

// Worker status flags and the letters status= uses for them.
const (
	StatusInitialized  WorkerStatus = 0x0001 // O
	StatusIgnoreErrors WorkerStatus = 0x0002 // I
	StatusDrain        WorkerStatus = 0x0004 // N
	StatusGeneric      WorkerStatus = 0x0008 // G
	StatusInShutdown   WorkerStatus = 0x0010 // U
	StatusDisabled     WorkerStatus = 0x0020 // D
	StatusStopped      WorkerStatus = 0x0040 // S
	StatusInError      WorkerStatus = 0x0080 // E
	StatusHotStandby   WorkerStatus = 0x0100 // H
	StatusFree         WorkerStatus = 0x0200 // F
	StatusHCFail       WorkerStatus = 0x0400 // C
	StatusHotSpare     WorkerStatus = 0x0800 // R
)

// workerStatusFlags is httpd's proxy_wstat_tbl, in its order.
var workerStatusFlags = []struct {
	bit    WorkerStatus
	letter byte
	name   string
}{
	{StatusInitialized, 'O', "Init"}, {StatusIgnoreErrors, 'I', "Ign"},
	{StatusDrain, 'N', "Drn"}, {StatusGeneric, 'G', "Gen"},
	{StatusInShutdown, 'U', "Shut"}, {StatusDisabled, 'D', "Dis"},
	{StatusStopped, 'S', "Stop"}, {StatusInError, 'E', "Err"},
	{StatusHotStandby, 'H', "Stby"}, {StatusHotSpare, 'R', "Spar"},
	{StatusFree, 'F', "Free"}, {StatusHCFail, 'C', "HcFl"},
}

// String lists the flags as the balancer-manager shows them
// ("Ign Stby"); "" for none.
func (s WorkerStatus) String() string {
	var parts []string
	for _, f := range workerStatusFlags {
		if s&f.bit != 0 {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, " ")
}

// Usable reports whether a worker with these flags takes requests: none
// of D, S, E, C and U is set (httpd's PROXY_WORKER_NOT_USABLE_BITMAP).
func (s WorkerStatus) Usable() bool {
	return s&(StatusInShutdown|StatusDisabled|StatusStopped|StatusInError|StatusHCFail) == 0
}

// Standalone reports whether the worker serves requests directly rather
// than as a balancer member.
func (w *Worker) Standalone() bool { return w.Balancer == nil }

// DisplayName is the worker's name as httpd's messages print it
// (ap_proxy_worker_name): "unix:<socket>|<Name>" for socket workers.
func (w *Worker) DisplayName() string {
	if w.UDSPath != "" {
		return "unix:" + w.UDSPath + "|" + w.Name
	}
	return w.Name
}

// Reuse reports whether connections to the worker are pooled and reused.
func (w *Worker) Reuse() bool { return w.AddressReusable && !w.DisableReuse.Val }

const (
	workerNameSize     = 384 // PROXY_WORKER_EXT_NAME_SIZE
	workerHostnameSize = 256 // PROXY_RFC1035_HOSTNAME_SIZE
	workerUDSPathSize  = 96  // PROXY_WORKER_MAX_NAME_SIZE
	defaultRuntimeDir  = "/var/run/apache2"
)

// runtimeDirRelative is ap_runtime_dir_relative: a relative path is
// taken from DefaultRuntimeDir, or Debian's compiled-in runtime
// directory when none was set yet.
func runtimeDirRelative(c *Cmd, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	dir := c.Config().Global.DefaultRuntimeDir
	if dir == "" {
		dir = defaultRuntimeDir
	}
	return filepath.Join(dir, p)
}

// defineWorker is ap_proxy_define_worker_ex: it parses and normalises the
// URL and returns a new worker with httpd's defaults; the caller files it
// (server list or balancer). The error is httpd's text, to which the
// caller adds the directive's name.
func defineWorker(c *Cmd, url string, match bool, balancer *Balancer) (*Worker, error) {
	w := &Worker{URL: url, Match: match, Balancer: balancer, Pos: c.Pos, AddressReusable: true}
	ptr := url
	if len(url) >= 5 && strings.EqualFold(url[:5], "unix:") {
		if bar := strings.IndexByte(url[5:], '|'); bar >= 0 {
			if u, err := parseAprURI(url[:5+bar]); err == nil {
				w.UDSPath = runtimeDirRelative(c, u.Path)
				ptr = url[5+bar+1:]
			}
		}
	}
	dollars := ""
	if match {
		// $N in the host or port: never reuse the address. $N right
		// after "host:" is moved out of the port for parsing and put
		// back in front of the path.
		if i := strings.Index(ptr, "://"); i >= 0 {
			pos := i + 3
			for pos < len(ptr) && ptr[pos] != ':' && ptr[pos] != '/' {
				if ptr[pos] == '$' {
					w.AddressReusable = false
				}
				pos++
			}
			if pos < len(ptr) && ptr[pos] == ':' {
				pos++
				isRef := func(k int) bool { return k+1 < len(ptr) && ptr[k] == '$' && ptr[k+1] >= '0' && ptr[k+1] <= '9' }
				for pos < len(ptr) && !isRef(pos) && ptr[pos] != '/' {
					pos++
				}
				if isRef(pos) {
					end := pos + 2
					for end < len(ptr) && ptr[end] != '/' {
						end++
					}
					dollars = ptr[pos:end]
					ptr = ptr[:pos] + ptr[end:]
					w.AddressReusable = false
				}
			}
		}
	}
	u, err := parseAprURI(ptr)
	if err != nil {
		return nil, fmt.Errorf("Unable to parse URL: %s", url)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("URL must be absolute!: %s", url)
	}
	if !u.HasHost || u.Hostname == "" {
		if w.UDSPath == "" {
			return nil, fmt.Errorf("URL must be absolute!: %s", url)
		}
		u.Hostname, u.HasHost = "localhost", true
	} else {
		u.Hostname = strings.ToLower(u.Hostname)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	def := proxyPortOfScheme(u.Scheme)
	if u.Port != 0 && int(u.Port) == def {
		u.Port = 0
	}
	u.Path = dollars + u.Path
	name := u.unparse()
	if len(name) >= workerNameSize {
		trunc := name[:workerNameSize-1]
		c.Warn("AH10366", "proxy", "Alert! worker name (%s) too long; truncated to: %s", name, trunc)
		name = trunc
	}
	if len(u.Hostname) >= workerHostnameSize {
		return nil, fmt.Errorf("worker hostname (%s) too long", u.Hostname)
	}
	if len(w.UDSPath) >= workerUDSPathSize {
		return nil, fmt.Errorf("worker uds path (%s) too long", w.UDSPath)
	}
	w.Name, w.Scheme, w.Host = name, u.Scheme, u.Hostname
	w.Port = int(u.Port)
	if w.Port == 0 {
		w.Port = def
	}
	if i := strings.Index(name, "://"); i >= 0 {
		rest := name[i+3:]
		if k := strings.IndexAny(rest, "/?#"); k >= 0 {
			w.Path = rest[k:]
		}
	}
	w.setDefaults()
	return w, nil
}

// setDefaults fills each parameter's Val with httpd's default.
func (w *Worker) setDefaults() {
	w.LBFactor.Val = 100
	w.Retry.Val = 60 * time.Second
	w.SMax.Val = -1
	w.IOBufferSize.Val = 8192
	w.ResponseFieldSize.Val = 8192
	w.AddressTTL.Val = -1
	if !w.AddressReusable {
		w.AddressTTL.Val = 0
		w.DisableReuse.Val = true
	}
	if w.Match && strings.IndexByte(w.Name, '$') >= 0 {
		w.DisableReuse.Val = true
	}
	if w.Balancer == nil {
		w.Status.Val = StatusIgnoreErrors
	}
	w.FlushPackets.Val = "off"
	w.FlushWait.Val = 10 * time.Millisecond
	if w.Scheme == "ws" || w.Scheme == "wss" {
		w.Upgrade.Val = "WebSocket"
	}
	w.HCMethod.Val = "NONE"
	w.HCInterval.Val = 30 * time.Second
	w.HCPasses.Val = 1
	w.HCFails.Val = 1
}

// copyServerParams is httpd's PROXY_COPY_CONF_PARAMS: a new worker takes
// the ProxyTimeout, ProxyIOBufferSize and ProxyReceiveBufferSize its
// server has set so far.
func (w *Worker) copyServerParams(ps *ProxyServer) {
	if ps.Timeout.Set {
		w.Timeout = ps.Timeout
	}
	if ps.IOBufferSize.Set {
		w.IOBufferSize = ps.IOBufferSize
	}
	if ps.ReceiveBufferSize.Set {
		w.ReceiveBufferSize = ps.ReceiveBufferSize
	}
}

// FindWorker returns the worker of list whose name is the longest prefix
// of url (httpd's ap_proxy_get_worker_ex), as httpd picks the worker of a
// request from its backend URL, or nil. The match must cover at least
// url's "scheme://host[:port]", compared without case; the rest is
// compared exactly. A Match worker's name is compared as a pattern where
// $N matches any text. prefix and match say which kinds may be found
// (both false means both). On equal lengths the earlier worker wins.
func FindWorker(list []*Worker, url string, prefix, match bool) *Worker {
	if u, ok := deSocketfy(url); ok {
		url = u
	} else {
		return nil
	}
	head, ok := splitSchemeHost(url)
	if !ok {
		return nil
	}
	if !prefix && !match {
		prefix, match = true, true
	}
	lowered := strings.ToLower(head) + url[len(head):]
	minMatch := len(head)
	var best *Worker
	bestLen := 0
	for _, w := range list {
		n := len(w.Name)
		if n > len(url) || n < minMatch || n <= bestLen {
			continue
		}
		if w.Match {
			if !match || strcmpEmatch(lowered, w.Name) != 0 {
				continue
			}
		} else if !prefix || lowered[:n] != w.Name {
			continue
		}
		best, bestLen = w, n
	}
	return best
}

// strcmpEmatch is httpd's ap_proxy_strcmp_ematch: 0 when str starts with
// text matching expected, where each run of $N in expected matches any
// text (at least up to the rest) and "\x" stands for x; 1 for a mismatch,
// -1 when str ends first, -2 for a trailing backslash.
func strcmpEmatch(str, expected string) int {
	x, y := 0, 0
	for y < len(expected) {
		if expected[y] == '$' && y+1 < len(expected) && expected[y+1] >= '0' && expected[y+1] <= '9' {
			for y+1 < len(expected) && expected[y] == '$' && expected[y+1] >= '0' && expected[y+1] <= '9' {
				y += 2
			}
			if y >= len(expected) {
				return 0
			}
			for x < len(str) {
				ret := strcmpEmatch(str[x:], expected[y:])
				x++
				if ret != 1 {
					return ret
				}
			}
			return -1
		}
		if x >= len(str) {
			return -1
		}
		if expected[y] == '\\' {
			y++
			if y >= len(expected) {
				return -2
			}
		}
		if str[x] != expected[y] {
			return 1
		}
		x++
		y++
	}
	return 0
}
