package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestRecordApache only records, with -update; the comparisons are in
// TestReadRequestApache and TestReadResponseApache.
func TestRecordApache(t *testing.T) {
	if !*update {
		t.Skip("records only with -update")
	}
	o := loadObservations(t)
	if len(o.Requests) != len(requestCases) || len(o.Responses) != len(responseCases) {
		t.Fatalf("recorded %d requests, %d responses; want %d, %d", len(o.Requests), len(o.Responses), len(requestCases), len(responseCases))
	}
}

// refusedByProxy are requests ap_read_request accepts but mod_proxy_http
// then refuses with 500 (AH01093: it forwards no Transfer-Encoding other
// than exactly "chunked"): the reader must accept them.
var refusedByProxy = map[string]bool{
	"te_gzip_chunked":    true,
	"te_chunked_chunked": true,
	"te_two_fields":      true,
}

func statusFor(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func unquote(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("observation %s: %v", s, err)
	}
	return u
}

// notForwardedAsIs are the fields mod_proxy_http sets itself on the
// forwarded request.
var notForwardedAsIs = []string{"Expect", "Host", "Connection", "Content-Length", "Transfer-Encoding", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Server"}

func forwardable(h Headers) []string {
	var out []string
	for _, f := range h {
		skip := false
		for _, n := range notForwardedAsIs {
			skip = skip || equalFold(f.Name, n)
		}
		if !skip {
			out = append(out, f.Name+": "+f.Value)
		}
	}
	return out
}

// TestReadRequestApache reads every request apache2 2.4.71 was sent and
// checks that ReadRequest refuses it with the status apache2 answered, or
// accepts it when apache2 did; for accepted requests, that the fields and
// the body are those apache2 forwarded to its backend (names' case, order,
// merged duplicates, joined folds, decoded chunks).
func TestReadRequestApache(t *testing.T) {
	o := loadObservations(t)
	byName := map[string]requestRecord{}
	for _, r := range o.Requests {
		byName[r.Name] = r
	}
	for _, c := range requestCases {
		t.Run(c.name, func(t *testing.T) {
			obs, ok := byName[c.name]
			if !ok {
				t.Fatalf("no observation of %s in %s; record with -update", c.name, observationsFile)
			}
			fwd := unquote(t, obs.Forwarded)
			accepted := fwd != "" || obs.Status/100 == 2 || refusedByProxy[c.name]
			r, err := ReadRequest(bufio.NewReader(strings.NewReader(c.raw)), Limits{})
			var body []byte
			if err == nil {
				body, err = io.ReadAll(r.Body)
			}
			if accepted {
				if err != nil {
					t.Fatalf("ReadRequest: %v; %s accepted it", err, o.Server)
				}
			} else {
				if err == nil {
					t.Fatalf("accepted; %s answered %d", o.Server, obs.Status)
				}
				if got := statusFor(err); got != obs.Status {
					t.Fatalf("status %d (%v); %s answered %d", got, err, o.Server, obs.Status)
				}
				return
			}
			if fwd == "" {
				return
			}
			head, fbody, _ := strings.Cut(fwd, "\r\n\r\n")
			var want []string
			for _, l := range strings.Split(head, "\r\n")[1:] {
				name, _, _ := strings.Cut(l, ":")
				if forwardable(Headers{{name, ""}}) != nil {
					want = append(want, l)
				}
			}
			got := forwardable(r.Header)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("fields\n%q\n%s forwarded\n%q", got, o.Server, want)
			}
			if string(body) != fbody {
				t.Errorf("body %q; %s forwarded %q", body, o.Server, fbody)
			}
		})
	}
}

// TestReadResponseApache reads every backend response apache2 2.4.71
// proxied and checks that ReadResponse fails where apache2 answered 502,
// and otherwise gives apache2's status and body. Where apache2 answered
// 500 for a field it refused to send, WriteResponseHead must refuse it.
func TestReadResponseApache(t *testing.T) {
	o := loadObservations(t)
	byName := map[string]responseRecord{}
	for _, r := range o.Responses {
		byName[r.Name] = r
	}
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			obs, ok := byName[c.name]
			if !ok {
				t.Fatalf("no observation of %s in %s; record with -update", c.name, observationsFile)
			}
			method := "GET"
			if strings.HasPrefix(c.name, "head_") {
				method = "HEAD"
			}
			br := bufio.NewReader(strings.NewReader(c.raw))
			r, err := ReadResponse(br, method, Limits{})
			// A 100 the client did not ask for is not passed on.
			for err == nil && r.Status == 100 {
				r, err = ReadResponse(br, method, Limits{})
			}
			var body []byte
			if err == nil {
				body, err = io.ReadAll(r.Body)
			}
			if obs.Status == 502 {
				if err == nil {
					t.Fatalf("read status %d body %q; %s answered 502", r.Status, body, o.Server)
				}
				if !errors.Is(err, ErrBadResponse) {
					t.Errorf("error %v does not wrap ErrBadResponse", err)
				}
				return
			}
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadResponse: %v; %s answered %d", err, o.Server, obs.Status)
			}
			if obs.Status == 500 {
				werr := WriteResponseHead(bufio.NewWriter(io.Discard), r)
				if statusFor(werr) != 500 {
					t.Errorf("WriteResponseHead: %v; %s answered 500", werr, o.Server)
				}
				return
			}
			if r.Status != obs.Status {
				t.Errorf("status %d; %s answered %d", r.Status, o.Server, obs.Status)
			}
			if want := unquote(t, obs.Body); r.Status/100 != 1 && !bytes.Equal(body, []byte(want)) {
				t.Errorf("body %q; %s answered %q", body, o.Server, want)
			}
		})
	}
}
