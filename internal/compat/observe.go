package compat

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portico-proxy/portico/internal/compat/backend"
)

// recorder collects the observations of one run in the order they happen.
// A backend records a request when it has read it whole, before it
// answers, so a request always comes before the response it caused.
type recorder struct {
	mu     sync.Mutex
	blocks []string
	norm   normaliser
}

func (r *recorder) add(block string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocks = append(r.blocks, block)
}

// text returns the observation, every block normalised.
func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, blk := range r.blocks {
		b.WriteString(r.norm.text(blk))
		b.WriteString("\n")
	}
	return b.String()
}

// backendEvent records what a backend observed.
func (r *recorder) backendEvent(e backend.Event) {
	head := fmt.Sprintf("--- %s conn %d", e.Backend, e.Conn)
	if e.Request == nil {
		r.add(head + " " + e.Note)
		return
	}
	req := e.Request
	var b strings.Builder
	b.WriteString(head + " request\n" + req.Line + "\n")
	for _, f := range req.Header {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	b.WriteString("body: " + backend.Describe(req.Body, req.BodyLen, req.SHA256))
	for _, f := range req.Trailer {
		b.WriteString("\ntrailer: " + f.Name + ": " + f.Value)
	}
	r.add(b.String())
}

// errorPageStart is how httpd's canned error pages begin (Portico's must
// begin the same way for the error-page rule to apply to them).
const errorPageStart = `<!DOCTYPE HTML PUBLIC "-//`

// formatResponse formats a response the client read; err is how reading
// it ended early, if it did.
func formatResponse(label string, resp *response, err error, d time.Duration) string {
	var b strings.Builder
	if resp.raw {
		b.WriteString("--- " + label + " response (not HTTP/1.x)\n")
		b.WriteString("bytes: " + backend.Describe(resp.body, int64(len(resp.body)), sha(resp.body)))
		return b.String()
	}
	errorPage := strings.HasPrefix(string(resp.body), errorPageStart)
	b.WriteString("--- " + label + " response\n" + resp.status + "\n")
	for _, l := range resp.header {
		b.WriteString(normaliseHeader(l, errorPage) + "\n")
	}
	switch {
	case errorPage:
		b.WriteString("body: error page")
	case resp.chunked:
		b.WriteString("body (chunked): " + backend.Describe(resp.body, int64(len(resp.body)), sha(resp.body)))
	default:
		b.WriteString("body: " + backend.Describe(resp.body, int64(len(resp.body)), sha(resp.body)))
	}
	for _, t := range resp.trailer {
		b.WriteString("\ntrailer: " + t)
	}
	if err != nil {
		b.WriteString("\nthen: " + readFailure(err, d))
	}
	return b.String()
}

var (
	productServer = regexp.MustCompile(`^(?:Apache|Portico)(?:[/ ]|$)`)
	productVia    = regexp.MustCompile(`\((?:Apache|Portico)[^)]*\)`)
)

// normaliseHeader applies the per-field rules of testdata/compat/README.md
// to one response header line.
func normaliseHeader(l string, errorPage bool) string {
	name, value, ok := strings.Cut(l, ":")
	if !ok {
		return l
	}
	v := strings.TrimSpace(value)
	switch strings.ToLower(name) {
	case "date":
		return name + ": $DATE"
	case "server":
		if productServer.MatchString(v) {
			return name + ": $SERVER"
		}
	case "etag":
		return name + ": $ETAG"
	case "last-modified":
		return name + ": $LAST_MODIFIED"
	case "via":
		return productVia.ReplaceAllString(l, "($$SERVER)")
	case "allow":
		// httpd lists the methods in the order of a hash table seeded
		// afresh at each start: only the set is compared.
		methods := strings.Split(v, ",")
		sort.Strings(methods)
		return name + ": " + strings.Join(methods, ",")
	case "content-length":
		if errorPage {
			return name + ": $ERROR_PAGE_LENGTH"
		}
	}
	return l
}

// normaliser turns the run's directory, addresses and ports into their
// placeholders.
type normaliser struct {
	names []replacement // longest first
	ports map[string]string
}

var portRef = regexp.MustCompile(`:(\d{1,5})\b`)

func (v vars) normaliser() normaliser {
	n := normaliser{ports: map[string]string{}}
	for _, r := range v.names {
		if strings.ContainsAny(r.old, ":/") {
			n.names = append(n.names, r)
		} else {
			n.ports[r.old] = r.new
		}
	}
	sort.SliceStable(n.names, func(i, j int) bool { return len(n.names[i].old) > len(n.names[j].old) })
	return n
}

func (n normaliser) text(s string) string {
	for _, r := range n.names {
		s = strings.ReplaceAll(s, r.old, r.new)
	}
	return portRef.ReplaceAllStringFunc(s, func(m string) string {
		if ph, ok := n.ports[m[1:]]; ok {
			return ":" + ph
		}
		return m
	})
}
