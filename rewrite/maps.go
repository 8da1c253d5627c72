package rewrite

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/portico-proxy/portico/directives"
)

// mapCache holds the answers of text maps, per file, dropped when the
// file's modification time changes (httpd's map cache).
type mapCache struct {
	mu    sync.Mutex
	files map[string]*mapFile
}

type mapFile struct {
	mtime time.Time
	vals  map[string]string // "" caches a miss
}

func newMapCache() *mapCache { return &mapCache{files: map[string]*mapFile{}} }

// maxTxtLine is REWRITE_MAX_TXT_MAP_LINE: longer lines are read in
// pieces, as apr_file_gets does.
const maxTxtLine = 1024

// lookupMap is lookup_map: the value of key in the map name, false when
// the map does not exist or has no (non-empty) value for key.
func (p *pass) lookupMap(name, key string) (string, bool) {
	m := p.sc.maps[name]
	if m == nil {
		return "", false
	}
	switch m.Type {
	case directives.MapTxt, directives.MapRnd:
		v, err := p.e.maps.lookupTxt(m.File, key)
		if err != nil {
			p.res.Log = append(p.res.Log, "AH00661: mod_rewrite: can't access text RewriteMap file "+m.File)
			return "", false
		}
		if v == "" {
			return "", false
		}
		if m.Type == directives.MapRnd {
			v = randomPart(v)
		}
		return v, v != ""
	case directives.MapInt:
		return intMap(m.Func, key), true
	}
	return "", false
}

// lookupTxt finds key in a text map file: the first line (not a comment,
// not starting with a space) whose first word is key gives its second
// word.
func (c *mapCache) lookupTxt(file, key string) (string, error) {
	st, err := os.Stat(file)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	mf := c.files[file]
	if mf == nil || !mf.mtime.Equal(st.ModTime()) {
		mf = &mapFile{mtime: st.ModTime(), vals: map[string]string{}}
		c.files[file] = mf
	}
	v, ok := mf.vals[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err = readTxtMap(file, key)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(mf.vals) < 100000 {
		mf.vals[key] = v
	}
	c.mu.Unlock()
	return v, nil
}

func readTxtMap(file, key string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		line, err := readPiece(br)
		if line == "" && err != nil {
			return "", nil
		}
		if line[0] == '#' || isSpace(line[0]) {
			continue
		}
		if !strings.HasPrefix(line, key) || len(line) == len(key) || !isSpace(line[len(key)]) {
			continue
		}
		rest := strings.TrimLeft(line[len(key):], " \t\r\n\v\f")
		if rest == "" {
			continue
		}
		end := strings.IndexAny(rest, " \t\r\n\v\f")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end], nil
	}
}

// readPiece is apr_file_gets with httpd's buffer: up to a newline
// (kept) or maxTxtLine bytes.
func readPiece(br *bufio.Reader) (string, error) {
	var b []byte
	for len(b) < maxTxtLine {
		c, err := br.ReadByte()
		if err != nil {
			return string(b), err
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	return string(b), nil
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// randomPart is select_random_value_part: one of the '|'-separated
// values, chosen at random.
func randomPart(v string) string {
	n := strings.Count(v, "|") + 1
	if n == 1 {
		return v
	}
	parts := strings.Split(v, "|")
	return parts[rand.IntN(n)]
}

// intMap runs an int: map function.
func intMap(fn, key string) string {
	switch fn {
	case "toupper":
		return strings.ToUpper(asciiOnly(key, true))
	case "tolower":
		return asciiOnly(key, false)
	case "escape":
		return escapeURI(key)
	case "unescape":
		return unescapeURL(key)
	}
	return key
}

// asciiOnly changes the case of ASCII letters only (apr_toupper and
// apr_tolower in the C locale).
func asciiOnly(s string, upper bool) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case upper && c >= 'a' && c <= 'z':
			b[i] = c - 32
		case !upper && c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

// unescapeURL is ap_unescape_url: %XX becomes the byte, except %2F and
// %00, which stay as written; a bad escape is kept.
func unescapeURL(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if v != '/' && v != 0 {
				b = append(b, v)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
