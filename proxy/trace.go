package proxy

import "github.com/portico-proxy/portico/directives"

// Worker returns the worker Serve would pick for the canonical backend
// URL url (BackendURL.URL): the longest-prefix match in the router's
// merged worker list, nil for httpd's generic reverse worker.
func (rt *Router) Worker(url string) *directives.Worker {
	return directives.FindWorker(rt.workers, url, false, false)
}

// Balancer returns the balancer a balancer:// URL names among the
// router's merged balancers, nil when none does.
func (rt *Router) Balancer(url string) *directives.Balancer {
	if !isBalancer(url) {
		return nil
	}
	return rt.balancer(url)
}
