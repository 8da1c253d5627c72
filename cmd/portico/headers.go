package main

import (
	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/headers"
	"github.com/portico-proxy/portico/internal/http1"
	"github.com/portico-proxy/portico/server"
)

// headersKey is the key of a request's mod_headers state on its
// Exchange.
type headersKey struct{}

// headersHooks plugs mod_headers into the server: the early pass when
// the request has been read (before mod_rewrite's server pass), the
// RequestHeader actions just before the request is proxied (fixups),
// and the Header actions on every response head but a 101.
func headersHooks(s *server.Server) {
	next := s.Hooks.Rewrite
	s.Hooks.Rewrite = func(x *server.Exchange) bool {
		headersEarly(x)
		return next != nil && next(x)
	}
	s.Hooks.RequestHeaders = func(x *server.Exchange, h *http1.Headers) {
		if len(x.Dir.Headers) == 0 && x.Value(headersKey{}) == nil {
			return
		}
		st := headersState(x)
		st.Proxied = true
		st.Fixup(x.Dir.Headers, h)
	}
	s.Hooks.ResponseHeaders = func(x *server.Exchange, status int, h *http1.Headers) {
		dir := x.Dir
		if dir == nil {
			// A request refused before its server was chosen gets the
			// main server's level.
			dir = x.MainServer().Dir
		}
		var acts []directives.HeaderAction
		if dir != nil {
			acts = dir.Headers
		}
		if len(acts) == 0 && x.Value(headersKey{}) == nil {
			return
		}
		st := headersState(x)
		errorPage := x.ErrorResponse()
		if !errorPage && !st.FixedUp() && !st.Proxied {
			// A response the server made itself ran the fixups too.
			st.Fixup(acts, &x.Req.Header)
		}
		*h = st.Response(acts, &x.Req.Header, errorPage, *h)
	}
}

// headersEarly runs the "early" actions of the server level: the main
// server's, then the virtual host's.
func headersEarly(x *server.Exchange) {
	main := x.MainServer()
	var acts []directives.HeaderAction
	if main != nil && main.Dir != nil {
		acts = main.Dir.Headers
	}
	if x.Server != nil && x.Server != main && x.Server.Dir != nil && len(x.Server.Dir.Headers) > 0 {
		acts = append(append([]directives.HeaderAction(nil), acts...), x.Server.Dir.Headers...)
	}
	hasEarly := false
	for i := range acts {
		hasEarly = hasEarly || acts[i].Early
	}
	if !hasEarly {
		return
	}
	headersState(x).Early(acts, &x.Req.Header)
}

// headersState returns the request's mod_headers state, made on first
// use.
func headersState(x *server.Exchange) *headers.State {
	if st, ok := x.Value(headersKey{}).(*headers.State); ok {
		return st
	}
	st := headers.NewState(x, x.Start)
	st.Log = func(msg string) { x.Log.Error().Msg(msg) }
	x.SetValue(headersKey{}, st)
	return st
}
