package server

import (
	"strconv"
	"strings"

	"github.com/portico-proxy/portico/directives"
	"github.com/portico-proxy/portico/internal/http1"
)

// errorDoctype is the first line of httpd's error pages as Debian's
// apache2 sends it.
const errorDoctype = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">` + "\n"

// Error answers the request with status as httpd's ap_die does: the
// ErrorDocument for status in the merged configuration if there is one
// (a text, a redirect to an external URL, or the local URL served in
// place of the page, keeping status), else httpd's own error page. For
// redirects set the Location with ErrorLocation instead.
func (x *Exchange) Error(status int) {
	x.errorWith(status, "")
}

// ErrorLocation answers with a redirect status (301, 302 …) to location,
// with httpd's page.
func (x *Exchange) ErrorLocation(status int, location string) {
	x.errorWith(status, location)
}

func (x *Exchange) errorWith(status int, location string) {
	if x.wrote {
		return
	}
	if x.forceStatus != 0 {
		// Serving an ErrorDocument failed: remember why; the caller
		// sends the first error's page.
		x.recursive = status
		return
	}
	dir := x.Dir
	if dir == nil {
		dir = x.vh.dir
	}
	if doc, ok := dir.ErrorDocuments[status]; ok && x.errorDepth == 0 && x.readErr == nil && location == "" {
		target := doc.Target
		switch {
		case !strings.Contains(target, " ") && strings.HasPrefix(target, "/"):
			// A local URL: served as a GET in place of the page, with
			// the error's status.
			x.errorDepth++
			x.serveErrorDocument(status, target)
			return
		case !strings.Contains(target, " ") && directives.IsURL(target):
			x.writeErrorPage(302, target, 0)
			return
		default:
			x.writeText(status, target)
			return
		}
	}
	x.writeErrorPage(status, location, x.recursive)
}

// serveErrorDocument runs the pipeline again for the local URL of an
// ErrorDocument. If that fails too, the first error's page is sent with
// httpd's note about the second.
func (x *Exchange) serveErrorDocument(status int, target string) {
	orig := x.Req
	uri, args, hasArgs := target, "", false
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri, args, hasArgs = uri[:i], uri[i+1:], true
	}
	method := "GET"
	if orig.Method == "HEAD" {
		method = "HEAD"
	}
	req := *orig
	req.Method = method
	req.Target = target
	x.Req = &req
	x.URI, x.Args, x.HasArgs = uri, args, hasArgs
	x.Dir = walkLocations(x.vh.dir, x.vh.sections, uri)
	x.forceStatus = status
	x.c.srv.route(x)
	x.Req = orig
	if x.wrote {
		return
	}
	// The ErrorDocument itself failed: answer the first error.
	x.forceStatus = 0
	x.writeErrorPage(status, "", x.recursive)
}

// writeText sends an ErrorDocument text.
func (x *Exchange) writeText(status int, text string) {
	x.errorPage = true
	x.respond(status, "", nil, "text/html; charset=iso-8859-1", strings.NewReader(text), int64(len(text)))
}

// writeErrorPage sends httpd's page for status (ap_send_error_response);
// recursive is the status of a failed ErrorDocument, 0 if none.
func (x *Exchange) writeErrorPage(status int, location string, recursive int) {
	x.errorPage = true
	h := append(http1.Headers(nil), x.errHeader...)
	if location != "" && (status >= 300 && status < 400 || status == 201) {
		h.Add("Location", location)
	}
	if status == 405 || status == 501 {
		h.Add("Allow", x.allowed())
	}
	const ctype = "text/html; charset=iso-8859-1"
	if status == 204 || status == 304 {
		x.respond(status, "", h, ctype, nil, -1)
		return
	}
	body := errorPage(status, x.errReason, x.Req.Method, location, x.vh.admin, x.errNotes, recursive)
	length := int64(len(body))
	if x.errNoLength {
		length = -1
	}
	x.respond(status, x.errReason, h, ctype, strings.NewReader(body), length)
}

// errorPage is the body of httpd's error page.
func errorPage(status int, reason, method, location, admin, notes string, recursive int) string {
	title := statusLine(status)
	if reason != "" {
		title = strconv.Itoa(status) + " " + reason
	}
	h1 := strings.TrimPrefix(title, strconv.Itoa(status))
	h1 = strings.TrimPrefix(h1, " ")
	var b strings.Builder
	b.WriteString(errorDoctype)
	b.WriteString("<html><head>\n<title>" + title + "</title>\n</head><body>\n<h1>" + h1 + "</h1>\n")
	b.WriteString(cannedError(status, method, location, admin, notes))
	if recursive != 0 {
		b.WriteString("<p>Additionally, a " + statusLine(recursive) +
			"\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// cannedError is httpd's get_canned_error_string.
func cannedError(status int, method, location, admin, notes string) string {
	esc := escapeHTML
	switch status {
	case 301, 302, 307, 308:
		return "<p>The document has moved <a href=\"" + esc(location) + "\">here</a>.</p>\n"
	case 303:
		return "<p>The answer to your request is located <a href=\"" + esc(location) + "\">here</a>.</p>\n"
	case 305:
		return "<p>This resource is only accessible through the proxy\n<br />\nYou will need to configure your client to use that proxy.</p>\n"
	case 401, 407:
		return "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n"
	case 400:
		return "<p>Your browser sent a request that this server could not understand.<br />\n" + notes + "</p>\n"
	case 403:
		return "<p>You don't have permission to access this resource." + notes + "</p>\n"
	case 404:
		return "<p>The requested URL was not found on this server.</p>\n"
	case 405:
		return "<p>The requested method " + esc(method) + " is not allowed for this URL.</p>\n"
	case 406:
		return "<p>An appropriate representation of the requested resource could not be found on this server.</p>\n"
	case 300:
		return ""
	case 411:
		return "<p>A request of the requested method " + esc(method) + " requires a valid Content-length.<br />\n" + notes + "</p>\n"
	case 412:
		return "<p>The precondition on the request for this URL evaluated to false.</p>\n"
	case 501:
		return "<p>" + esc(method) + " not supported for current URL.<br />\n" + notes + "</p>\n"
	case 502:
		return "<p>The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n" + notes + "</p>\n"
	case 506:
		return "<p>A variant for the requested resource\n<pre>\n\n</pre>\nis itself a negotiable resource. This indicates a configuration error.</p>\n"
	case 408:
		return "<p>Server timeout waiting for the HTTP request from the client.</p>\n"
	case 410:
		return "<p>The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource.</p>\n"
	case 413:
		return "The requested resource does not allow request data with " + esc(method) + " requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n"
	case 414:
		return "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n" + notes + "</p>\n"
	case 415:
		return "<p>The supplied request data is not in a format\nacceptable for processing by this resource.</p>\n"
	case 416:
		return "<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>\n"
	case 417:
		return "<p>No expectation was seen, the Expect request-header \nfield was not presented by the client.\n" + notes + "</p><p>Only the 100-continue expectation is supported.</p>\n"
	case 422:
		return "<p>The server understands the media type of the\nrequest entity, but was unable to process the\ncontained instructions.</p>\n"
	case 423:
		return "<p>The requested resource is currently locked.\nThe lock must be released or proper identification\ngiven before the method can be applied.</p>\n"
	case 424:
		return "<p>The method could not be performed on the resource\nbecause the requested action depended on another\naction and that other action failed.</p>\n"
	case 426:
		return "<p>The requested resource can only be retrieved\nusing SSL.  The server is willing to upgrade the current\nconnection to SSL, but your client doesn't support it.\nEither upgrade your client, or try requesting the page\nusing https://\n"
	case 428:
		return "<p>The request is required to be conditional.</p>\n"
	case 429:
		return "<p>The user has sent too many requests\nin a given amount of time.</p>\n"
	case 431:
		return "<p>The server refused this request because\nthe request header fields are too large.</p>\n"
	case 507:
		return "<p>The method could not be performed on the resource\nbecause the server is unable to store the\nrepresentation needed to successfully complete the\nrequest.  There is insufficient free space left in\nyour storage allocation.</p>\n"
	case 503:
		return "<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n"
	case 504:
		return "<p>The gateway did not receive a timely response\nfrom the upstream server or application.</p>\n"
	case 508:
		return "<p>The server terminated an operation because\nit encountered an infinite loop.</p>\n"
	case 510:
		return "<p>A mandatory extension policy in the request is not\naccepted by the server for this resource.</p>\n"
	case 511:
		return "<p>The client needs to authenticate to gain\nnetwork access.</p>\n"
	case 421:
		return "<p>The client needs a new connection for this\nrequest as the requested host name does not match\nthe Server Name Indication (SNI) in use for this\nconnection.</p>\n"
	case 451:
		return "<p>Access to this URL has been denied for legal reasons.<br />\n" + notes + "</p>\n"
	}
	if notes != "" {
		// httpd shows the notes of ap_proxyerror (verbose-error-to *).
		return notes + "<p />\n"
	}
	return "<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n " +
		esc(admin) + " to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n"
}

// escapeHTML is ap_escape_html: &, <, > and " become entities.
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// statusLine is httpd's status line for status ("404 Not Found").
func statusLine(status int) string { return directives.StatusLine(status) }
