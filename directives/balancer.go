package directives

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico-proxy/portico/parser"
)

// Balancer is a balancer:// group of workers (httpd's proxy_balancer).
//
// Each parameter is an Opt: Set says whether the configuration gave it;
// while unset, Val holds httpd's default or what the comment says.
type Balancer struct {
	// Name is "balancer://name": the URL up to its path, lower-cased.
	// (BalancerMember accepts any URL as a balancer name, so another
	// scheme is possible.)
	Name string
	// VPath is the front-end path httpd records for the
	// balancer-manager: the ProxyPass path that last named the
	// balancer, else "/"; VHost is the host part of such a path, if
	// any.
	VPath, VHost string
	// Members lists the BalancerMember workers in order.
	Members []*Worker
	// Section is the <Proxy balancer://…> section linked to the
	// balancer (httpd's section_config); nil when none is.
	Section *Section
	// Pos is where the balancer was first named.
	Pos parser.Pos

	// LBMethod is lbmethod=; default "byrequests".
	LBMethod Opt[string]
	// MaxAttempts is maxattempts=, failover attempts; unset means one
	// fewer than the number of members, or 0 with a single member
	// (EffectiveMaxAttempts).
	MaxAttempts Opt[int]
	// NoFailover is nofailover=; default Off.
	NoFailover Opt[bool]
	// StickySession is stickysession= as written, "COOKIE" or
	// "COOKIE|urlparam"; default "" (no stickiness).
	StickySession Opt[string]
	// StickyCookie and StickyParam are StickySession split at '|': the
	// cookie name and the URL parameter name (both the whole value when
	// there is no '|').
	StickyCookie, StickyParam string
	// StickySessionSep is stickysessionsep=, the character before the
	// route in a session id; default "."; "" for Off (the whole value
	// is the route).
	StickySessionSep Opt[string]
	// ScolonPathDelim is scolonpathdelim= (';' also ends the URL
	// parameter); default Off.
	ScolonPathDelim Opt[bool]
	// Timeout is timeout=, how long to wait for a usable member; Val 0
	// means not to wait.
	Timeout Opt[time.Duration]
	// FailOnStatus is failonstatus=, response statuses that put the
	// member in error; default none.
	FailOnStatus Opt[[]int]
	// FailOnTimeout is failontimeout=; default Off.
	FailOnTimeout Opt[bool]
	// Nonce is nonce=, the balancer-manager's token; unset means a
	// random UUID chosen at start; set to "" by nonce=None.
	Nonce Opt[string]
	// Growth is growth=, member slots that can be added at run time;
	// default 0.
	Growth Opt[int]
	// ForceRecovery is forcerecovery=; default On.
	ForceRecovery Opt[bool]
}

// EffectiveMaxAttempts is the number of failover attempts httpd uses:
// MaxAttempts when set, else len(Members)-1 (0 for a single member).
func (b *Balancer) EffectiveMaxAttempts() int {
	if b.MaxAttempts.Set || len(b.Members) <= 1 {
		return b.MaxAttempts.Val
	}
	return len(b.Members) - 1
}

const (
	balancerPrefix       = "balancer://"
	balancerNameSize     = 96 // PROXY_BALANCER_MAX_NAME_SIZE
	balancerRouteSize    = 64 // PROXY_BALANCER_MAX_ROUTE_SIZE (vpath)
	balancerHostnameSize = 64 // PROXY_BALANCER_MAX_HOSTNAME_SIZE (vhost)
	providerNameSize     = 16 // PROXY_MAX_PROVIDER_NAME_SIZE
	nonceSize            = 37 // APR_UUID_FORMATTED_LENGTH + 1
)

// isBalancerURL is ap_proxy_valid_balancer_name: the URL starts with
// "balancer://" in any case.
func isBalancerURL(s string) bool {
	return len(s) >= len(balancerPrefix) && strings.EqualFold(s[:len(balancerPrefix)], balancerPrefix)
}

// balancerKey is the name a URL gives its balancer: up to the path,
// lower-cased; ok is false without "scheme://x".
func balancerKey(url string) (string, bool) {
	head, ok := splitSchemeHost(url)
	if !ok {
		return "", false
	}
	return strings.ToLower(head), true
}

// getBalancer is ap_proxy_get_balancer: the server's balancer the URL
// names, or nil.
func getBalancer(ps *ProxyServer, url string) *Balancer {
	key, ok := balancerKey(url)
	if !ok {
		return nil
	}
	for _, b := range ps.Balancers {
		if b.Name == key {
			return b
		}
	}
	return nil
}

// defineBalancer is ap_proxy_define_balancer: it adds a balancer named by
// url to the server and sets its front-end path from alias (skipped when
// alias is empty). The error is httpd's text without the directive name.
func defineBalancer(c *Cmd, ps *ProxyServer, url, alias string) (*Balancer, error) {
	key, ok := balancerKey(url)
	if !ok {
		return nil, fmt.Errorf("Bad syntax for a balancer name (%s)", url)
	}
	if len(key) >= balancerNameSize {
		return nil, fmt.Errorf("balancer name (%s) too long", key)
	}
	b := &Balancer{Name: key, Pos: c.Pos}
	b.LBMethod.Val = "byrequests"
	b.StickySessionSep.Val = "."
	b.ForceRecovery.Val = true
	ps.Balancers = append(ps.Balancers, b)
	if alias != "" {
		if err := b.updateVPath(alias); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// updateVPath is ap_proxy_update_balancer: it records the path and host
// of the front-end URL (a ProxyPass path).
func (b *Balancer) updateVPath(alias string) error {
	u, err := parseAprURI(alias)
	if err != nil {
		return fmt.Errorf("unable to parse: %s", alias)
	}
	if u.Path != "" {
		if len(u.Path) >= balancerRouteSize {
			return fmt.Errorf("balancer %s front-end virtual-path (%s) too long", b.Name, u.Path)
		}
		b.VPath = u.Path
	}
	if u.HasHost {
		if len(u.Hostname) >= balancerHostnameSize {
			return fmt.Errorf("balancer %s front-end vhost name (%s) too long", b.Name, u.Hostname)
		}
		b.VHost = u.Hostname
	}
	return nil
}

// lbmethodModules maps each lbmethod provider to the module registering
// it: httpd looks the provider up when the parameter is read.
var lbmethodModules = map[string]string{
	"byrequests": "lbmethod_byrequests_module",
	"bybusyness": "lbmethod_bybusyness_module",
	"bytraffic":  "lbmethod_bytraffic_module",
	"heartbeat":  "lbmethod_heartbeat_module",
}

// setBalancerParam is httpd's set_balancer_param. The error is httpd's
// text; callers add their prefix.
func setBalancerParam(c *Cmd, b *Balancer, key, val string) error {
	pos := c.Pos
	switch strings.ToLower(key) {
	case "stickysession":
		// httpd builds a "too long" message here but never returns it;
		// the value is silently cut to 63 bytes.
		v := truncate(val, 63)
		b.StickySession.Put(v, pos)
		cookie, param, found := strings.Cut(v, "|")
		if !found {
			param = v
		}
		b.StickyCookie, b.StickyParam = cookie, param
	case "stickysessionsep":
		if len(val) != 1 {
			if !strings.EqualFold(val, "off") {
				return errors.New("stickysessionsep must be a single character or Off")
			}
			b.StickySessionSep.Put("", pos)
		} else {
			b.StickySessionSep.Put(val, pos)
		}
	case "nofailover":
		on, ok := onOff(val)
		if !ok {
			return errors.New("failover must be On|Off")
		}
		b.NoFailover.Put(on, pos)
	case "timeout":
		n := cAtoi(val)
		if n < 1 {
			return errors.New("timeout must be at least one second")
		}
		b.Timeout.Put(time.Duration(n)*time.Second, pos)
	case "maxattempts":
		n := cAtoi(val)
		if n < 0 {
			return errors.New("maximum number of attempts must be a positive number")
		}
		b.MaxAttempts.Put(n, pos)
	case "lbmethod":
		if len(val) > providerNameSize-1 {
			return errors.New("unknown lbmethod")
		}
		mod, ok := lbmethodModules[val]
		if !ok || !c.ModuleLoaded(mod) {
			return errors.New("unknown lbmethod")
		}
		b.LBMethod.Put(val, pos)
	case "scolonpathdelim":
		on, ok := onOff(val)
		if !ok {
			return errors.New("scolonpathdelim must be On|Off")
		}
		b.ScolonPathDelim.Put(on, pos)
	case "failonstatus":
		codes := []int{}
		for _, tok := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
			n := cAtoi(tok)
			if n < 100 || n > 599 {
				return errors.New("failonstatus must be one or more HTTP response codes")
			}
			codes = append(codes, n)
		}
		b.FailOnStatus.Put(codes, pos)
	case "failontimeout":
		on, ok := onOff(val)
		if !ok {
			return errors.New("failontimeout must be On|Off")
		}
		b.FailOnTimeout.Put(on, pos)
	case "nonce":
		if strings.EqualFold(val, "none") {
			b.Nonce.Put("", pos)
		} else {
			if len(val) >= nonceSize {
				return errors.New("Provided nonce is too large")
			}
			b.Nonce.Put(val, pos)
		}
	case "growth":
		n := cAtoi(val)
		if n < 1 || n > 100 {
			return errors.New("growth must be between 1 and 100")
		}
		b.Growth.Put(n, pos)
	case "forcerecovery":
		on, ok := onOff(val)
		if !ok {
			return errors.New("forcerecovery must be On|Off")
		}
		b.ForceRecovery.Put(on, pos)
	default:
		return errors.New("unknown Balancer parameter")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func init() {
	Register("proxy_module", "BalancerMember", buildBalancerMember)
}

// buildBalancerMember is BalancerMember [balancer://name] url [k=v …].
// Inside a section the section's path is the balancer name.
func buildBalancerMember(c *Cmd) error {
	if err := c.CheckContext(NotInHtaccess); err != nil {
		return err
	}
	path, hasPath := proxyCmdPath(c)
	inSection := hasPath
	var name string
	hasName := false
	var params []Param
	for _, word := range parser.Words(c.Raw) {
		if key, val, ok := strings.Cut(word, "="); ok {
			params = setParam(params, key, val)
			continue
		}
		switch {
		case !hasPath:
			path, hasPath = word, true
		case !hasName:
			name, hasName = word, true
		case inSection:
			return errors.New("BalancerMember can not have a balancer name when defined in a location")
		default:
			return errors.New("Invalid BalancerMember parameter. Parameter must be in the form 'key=value'")
		}
	}
	if !hasPath {
		return errors.New("BalancerMember must define balancer name when outside <Proxy > section")
	}
	if !hasName {
		return errors.New("BalancerMember must define remote proxy server")
	}
	real, ok := deSocketfy(name)
	if !ok {
		return errors.New(`BalancerMember uses an invalid "unix:" URL`)
	}
	path = strings.ToLower(path)
	ps := &c.Server().Proxy
	b := getBalancer(ps, path)
	if b == nil {
		var err error
		if b, err = defineBalancer(c, ps, path, "/"); err != nil {
			return errors.New("BalancerMember " + err.Error())
		}
	}
	w := FindWorker(b.Members, real, false, false)
	shared := w != nil
	if !shared {
		var err error
		if w, err = defineWorker(c, name, false, b); err != nil {
			return errors.New("BalancerMember " + err.Error())
		}
		b.Members = append(b.Members, w)
		w.copyServerParams(ps)
	}
	if w.Section == nil {
		w.Section = b.Section
	}
	for _, p := range params {
		if shared {
			c.Warn("AH01150", "proxy", "Ignoring parameter '%s=%s' for worker '%s' because of worker sharing", p.Key, p.Value, w.DisplayName())
			continue
		}
		if err := setWorkerParam(c, w, p.Key, p.Value); err != nil {
			return errors.New("BalancerMember " + err.Error())
		}
	}
	return nil
}

// setParam is apr_table_setn on a parameter list: a key already present
// (any case) keeps its place and first spelling and takes the new value.
func setParam(list []Param, key, val string) []Param {
	for i := range list {
		if strings.EqualFold(list[i].Key, key) {
			list[i].Value = val
			return list
		}
	}
	return append(list, Param{Key: key, Value: val})
}
