// Package http1 reads and writes HTTP/1.x messages on the wire the way
// Apache httpd 2.4 does: header fields keep their order and the case of
// their names, requests are checked with httpd's rules and refused with
// httpd's statuses, and bodies are delimited by Content-Length, chunked
// coding or the end of the connection.
package http1

// Header is one header field as written on the wire.
type Header struct{ Name, Value string }

// Headers keeps fields in order with their names' case; lookups ignore case.
type Headers []Header

// Get returns the value of the first field called name, "" if none.
func (h Headers) Get(name string) string {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Values returns the values of every field called name, in order.
func (h Headers) Values(name string) []string {
	var vs []string
	for i := range h {
		if equalFold(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Has reports whether a field called name is present.
func (h Headers) Has(name string) bool {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return true
		}
	}
	return false
}

// Add appends a field.
func (h *Headers) Add(name, value string) {
	*h = append(*h, Header{name, value})
}

// Set replaces every field called name by one with value, in the place of
// the first one; it appends the field when there is none.
func (h *Headers) Set(name, value string) {
	s := *h
	found := false
	j := 0
	for i := range s {
		if equalFold(s[i].Name, name) {
			if found {
				continue
			}
			found = true
			s[i].Value = value
		}
		s[j] = s[i]
		j++
	}
	if !found {
		*h = append(s, Header{name, value})
		return
	}
	clear(s[j:])
	*h = s[:j]
}

// Del removes every field called name.
func (h *Headers) Del(name string) {
	s := *h
	j := 0
	for i := range s {
		if equalFold(s[i].Name, name) {
			continue
		}
		s[j] = s[i]
		j++
	}
	clear(s[j:])
	*h = s[:j]
}

// equalFold compares two ASCII strings ignoring case, as header names are
// compared; it does not fold non-ASCII bytes.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
