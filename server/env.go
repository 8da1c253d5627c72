package server

// The request environment (httpd's r->subprocess_env): variables set
// while the request is processed, by mod_rewrite's [E=] today, read by
// ProxyPass interpolate and the proxy's environment switches
// (proxy-nokeepalive, force-proxy-request-1.0 …).

// envVar is one request environment variable.
type envVar struct{ name, value string }

// Env returns a request environment variable.
func (x *Exchange) Env(name string) (string, bool) {
	for i := len(x.env) - 1; i >= 0; i-- {
		if x.env[i].name == name {
			return x.env[i].value, true
		}
	}
	return "", false
}

// SetEnv sets a request environment variable.
func (x *Exchange) SetEnv(name, value string) {
	for i := range x.env {
		if x.env[i].name == name {
			x.env[i].value = value
			return
		}
	}
	x.env = append(x.env, envVar{name, value})
}

// UnsetEnv removes a request environment variable.
func (x *Exchange) UnsetEnv(name string) {
	for i := range x.env {
		if x.env[i].name == name {
			x.env = append(x.env[:i], x.env[i+1:]...)
			return
		}
	}
}
