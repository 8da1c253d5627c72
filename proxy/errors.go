package proxy

import (
	"fmt"
	"strings"

	"github.com/portico-proxy/portico/internal/http1"
)

// Error is a failure the server turns into a response: Serve returns it
// before anything was written to the client.
type Error struct {
	// Status is the status to answer with.
	Status int
	// ProxyError is true when httpd answers through ap_proxyerror: the
	// status line reads "NNN Proxy Error" and the error page carries
	// Notes.
	ProxyError bool
	// Notes is the HTML httpd puts in its error page ("error-notes")
	// for a ProxyError; empty otherwise.
	Notes string
	// Override is true for ProxyErrorOverride: Status is the backend's,
	// its body was discarded, and the server must answer with its own
	// ErrorDocument or default page for Status.
	Override bool
	// Header holds fields to keep in the server's error response
	// (WWW-Authenticate of an overridden 401).
	Header http1.Headers
	// CloseClient is true when the client connection must be closed
	// without any response (httpd does so when a backend drops a
	// request that came on a kept-alive client connection, so that the
	// client retries).
	CloseClient bool
	// Log is the error-log line for the failure, with httpd's AH number
	// and text; empty when httpd logs nothing at the error level.
	Log string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Log != "" {
		return fmt.Sprintf("proxy: %d: %s", e.Status, e.Log)
	}
	return fmt.Sprintf("proxy: status %d", e.Status)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonPhrase is the reason phrase of an error response: "Proxy Error"
// for ap_proxyerror's, "" for the status's standard phrase.
func (e *Error) ReasonPhrase() string {
	if e.ProxyError {
		return "Proxy Error"
	}
	return ""
}

// proxyError is httpd's ap_proxyerror: the status with "Proxy Error" as
// its reason and message as the error page's reason. It logs AH00898.
func proxyError(status int, message, uri string, err error) *Error {
	return &Error{
		Status:     status,
		ProxyError: true,
		Notes:      "The proxy server could not handle the request<p>Reason: <strong>" + escapeHTML(message) + "</strong></p>",
		Log:        "AH00898: " + message + " returned by " + uri,
		Err:        err,
	}
}

// statusError is a plain status with a log line.
func statusError(status int, log string, err error) *Error {
	return &Error{Status: status, Log: log, Err: err}
}

// escapeHTML is ap_escape_html: '<', '>', '&' and '"' become entities.
func escapeHTML(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;", "\"", "&quot;")
