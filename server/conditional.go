package server

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/portico-proxy/portico/internal/http1"
)

// condition is httpd's ap_condition_e.
type condition int

const (
	condNone condition = iota
	condNoMatch
	condWeak
	condStrong
)

// validators are what a static response's conditions are checked
// against: its ETag, Last-Modified and the request time, in seconds as
// httpd compares them.
type validators struct {
	etag    string
	mtime   int64
	reqTime int64
}

// meetsConditions is httpd's ap_meets_conditions for a 200 response:
// 412, 304, or 0 to send the response.
func meetsConditions(req *http1.Request, v validators) int {
	in := req.Header
	isGet := req.Method == "GET" || req.Method == "HEAD"
	_, hasRange := lookupField(in, "Range")
	notModified := -1

	if im, ok := lookupField(in, "If-Match"); ok {
		if !(strings.HasPrefix(im, "*") || findETag(im, v.etag, true)) {
			return 412
		}
	}
	if ius, ok := lookupField(in, "If-Unmodified-Since"); ok {
		t := parseHTTPDate(ius)
		if t != 0 && v.mtime > t && !(v.reqTime < v.mtime+60 && hasRange) {
			return 412
		}
		notModified = 0
	}
	if inm, ok := lookupField(in, "If-None-Match"); ok {
		cond := condNoMatch
		switch {
		case strings.HasPrefix(inm, "*"):
			cond = condStrong
		case isGet && hasRange:
			if findETag(inm, v.etag, true) {
				cond = condStrong
			}
		case isGet:
			if findETag(inm, v.etag, false) {
				cond = condWeak
			}
		default:
			if findETag(inm, v.etag, true) {
				cond = condStrong
			}
		}
		switch {
		case cond == condNoMatch:
			notModified = 0
		case !isGet:
			return 412
		case notModified != 0:
			notModified = 1
		}
	}
	if ims, ok := lookupField(in, "If-Modified-Since"); ok {
		t := parseHTTPDate(ims)
		cond := condNoMatch
		if t >= v.mtime && t <= v.reqTime {
			switch {
			case v.reqTime >= v.mtime+60:
				cond = condStrong
			case !hasRange:
				cond = condWeak
			}
		}
		switch {
		case cond == condNoMatch:
			notModified = 0
		case isGet && notModified != 0:
			notModified = 1
		}
	}
	if ifRange(req, v) > condNone {
		return 0
	}
	if notModified == 1 {
		return 304
	}
	return 0
}

// ifRange is httpd's ap_condition_if_range.
func ifRange(req *http1.Request, v validators) condition {
	ir, ok := lookupField(req.Header, "If-Range")
	if _, r := lookupField(req.Header, "Range"); !ok || !r {
		return condNone
	}
	if strings.HasPrefix(ir, `"`) {
		if ir == v.etag {
			return condStrong
		}
		return condNoMatch
	}
	if parseHTTPDate(ir) == v.mtime && v.reqTime >= v.mtime+60 {
		return condStrong
	}
	return condNoMatch
}

func lookupField(h http1.Headers, name string) (string, bool) {
	for _, f := range h {
		if equalFoldASCII(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// findETag is ap_find_etag_strong / ap_find_etag_weak: whether etag is
// in the comma-separated list. The strong comparison never matches a
// weak tag.
func findETag(list, etag string, strong bool) bool {
	if strong && strings.HasPrefix(etag, "W/") {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if strong {
			if t == etag {
				return true
			}
			continue
		}
		if strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// parseHTTPDate is apr_date_parse_http in seconds: 0 for a date it
// cannot read.
func parseHTTPDate(s string) int64 {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC1123, time.RFC850, time.ANSIC, "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix()
		}
	}
	return 0
}

// byteRange is one range of a response body, end included.
type byteRange struct{ start, end int64 }

// Limits of httpd's byterange filter (MaxRanges, MaxRangeOverlaps,
// MaxRangeReversals defaults).
const (
	maxRanges    = 200
	maxOverlaps  = 20
	maxReversals = 20
)

// parseRanges is httpd's ap_set_byterange for a body of size bytes: the
// merged ranges to send, or nil to send the whole body; unsatisfiable is
// set when every range starts past the end (416).
func parseRanges(spec string, size int64) (ranges []byteRange, unsatisfiable bool) {
	if len(spec) < 6 || !strings.EqualFold(spec[:6], "bytes=") || size <= 0 {
		return nil, false
	}
	spec = spec[6:]
	var (
		ostart, oend        int64
		inMerge             bool
		sum                 int64
		overlaps, reversals int
		anyUnsatisfiable    bool
	)
	for _, cur := range strings.Split(spec, ",") {
		if cur == "" {
			break
		}
		dash := strings.IndexByte(cur, '-')
		if dash < 0 {
			return nil, false
		}
		var start, end int64
		if dash == 0 {
			n, ok := strictLength(cur[1:])
			if !ok || n < 1 {
				return nil, false
			}
			start, end = size-n, size-1
		} else {
			n, ok := strictLength(cur[:dash])
			if !ok {
				return nil, false
			}
			start = n
			if rest := cur[dash+1:]; rest != "" {
				e, ok := strictLength(rest)
				if !ok || start > e {
					return nil, false
				}
				end = e
			} else {
				end = size - 1
				if start == 0 {
					// "0-" stands for the whole body, whatever else
					// was asked.
					ranges, sum = ranges[:0], 0
					inMerge, ostart, oend = true, 0, end
					break
				}
			}
		}
		if start < 0 {
			start = 0
		}
		if start >= size {
			anyUnsatisfiable = true
			continue
		}
		if end >= size {
			end = size - 1
		}
		if !inMerge {
			ostart, oend, inMerge = start, end, true
			continue
		}
		inMerge = false
		if start >= ostart && end <= oend {
			inMerge = true
		}
		if start < ostart && end >= ostart-1 {
			ostart = start
			reversals++
			inMerge = true
		}
		if end >= oend && start <= oend+1 {
			oend = end
			inMerge = true
		}
		if inMerge {
			overlaps++
			continue
		}
		ranges = append(ranges, byteRange{ostart, oend})
		sum += oend - ostart + 1
		inMerge, ostart, oend = true, start, end
	}
	if inMerge {
		ranges = append(ranges, byteRange{ostart, oend})
		sum += oend - ostart + 1
	} else if len(ranges) == 0 && anyUnsatisfiable {
		return nil, true
	}
	if sum > size || len(ranges) > maxRanges || overlaps > maxOverlaps || reversals > maxReversals {
		return nil, false
	}
	return ranges, false
}

// strictLength is ap_parse_strict_length: decimal digits only.
func strictLength(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// multipartBoundary separates the parts of a multi-range response; like
// httpd's, it is made once per process.
var multipartBoundary = func() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// multipartRanges is the multipart/byteranges body of httpd's byterange
// filter over f, and its length; -1 when httpd would send it in pieces
// (more than 32 ranges), so that the length is not known in advance.
func multipartRanges(f io.ReaderAt, ranges []byteRange, size int64, ctype string) (io.Reader, int64) {
	var parts []io.Reader
	var n int64
	for _, r := range ranges {
		head := "\r\n--" + multipartBoundary
		if ctype != "" {
			head += "\r\nContent-type: " + ctype
		}
		head += "\r\nContent-range: bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end, 10) +
			"/" + strconv.FormatInt(size, 10) + "\r\n\r\n"
		parts = append(parts, strings.NewReader(head), io.NewSectionReader(f, r.start, r.end-r.start+1))
		n += int64(len(head)) + r.end - r.start + 1
	}
	tail := "\r\n--" + multipartBoundary + "--\r\n"
	parts = append(parts, strings.NewReader(tail))
	n += int64(len(tail))
	if len(ranges) > 32 {
		n = -1
	}
	return io.MultiReader(parts...), n
}
