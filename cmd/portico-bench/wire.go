package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// The load tool and its backend speak just enough HTTP/1.1 and RFC 6455
// for a benchmark, without allocating on the hot path: a message head is
// read line by line from a bufio.Reader and only the fields the
// benchmark needs are kept.

// maxHeadLines and maxLine bound a message head so that a broken peer
// cannot make either side read without end.
const (
	maxHeadLines = 100
	maxLine      = 8 << 10
)

// head is what the benchmark keeps of a request or response head.
type head struct {
	first         []byte // request or status line, without CRLF; valid until the next read
	status        int    // responses only
	contentLength int64  // -1 when absent
	chunked       bool
	close         bool // Connection: close, or HTTP/1.0 without keep-alive
	upgrade       bool // Upgrade: websocket with Connection: upgrade
	wsKey         string
	wsAccept      string
}

var (
	hContentLength    = []byte("content-length")
	hTransferEncoding = []byte("transfer-encoding")
	hConnection       = []byte("connection")
	hUpgrade          = []byte("upgrade")
	hWSKey            = []byte("sec-websocket-key")
	hWSAccept         = []byte("sec-websocket-accept")
)

// readHead reads one message head. response says whether the first line
// is a status line, whose code it parses.
func readHead(br *bufio.Reader, response bool) (head, error) {
	h := head{contentLength: -1}
	line, err := readLine(br)
	if err != nil {
		return h, err
	}
	// The first line must survive the header reads below.
	h.first = append([]byte(nil), line...)
	http10 := bytes.HasPrefix(h.first, []byte("HTTP/1.0")) || bytes.HasSuffix(h.first, []byte("HTTP/1.0"))
	if response {
		if len(h.first) < 12 || !bytes.HasPrefix(h.first, []byte("HTTP/1.")) || h.first[8] != ' ' {
			return h, fmt.Errorf("malformed status line %q", h.first)
		}
		code, err := strconv.Atoi(string(h.first[9:12]))
		if err != nil {
			return h, fmt.Errorf("malformed status line %q", h.first)
		}
		h.status = code
	}
	keepAlive, connUpgrade, wsUpgrade := false, false, false
	for i := 0; ; i++ {
		if i == maxHeadLines {
			return h, errors.New("message head has too many lines")
		}
		line, err := readLine(br)
		if err != nil {
			return h, unexpectedEOF(err)
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return h, fmt.Errorf("malformed header line %q", line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, hContentLength):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return h, fmt.Errorf("bad Content-Length %q", value)
			}
			h.contentLength = n
		case asciiEqualFold(name, hTransferEncoding):
			h.chunked = hasToken(value, "chunked")
		case asciiEqualFold(name, hConnection):
			h.close = h.close || hasToken(value, "close")
			keepAlive = keepAlive || hasToken(value, "keep-alive")
			connUpgrade = connUpgrade || hasToken(value, "upgrade")
		case asciiEqualFold(name, hUpgrade):
			wsUpgrade = hasToken(value, "websocket")
		case asciiEqualFold(name, hWSKey):
			h.wsKey = string(value)
		case asciiEqualFold(name, hWSAccept):
			h.wsAccept = string(value)
		}
	}
	if http10 && !keepAlive {
		h.close = true
	}
	h.upgrade = connUpgrade && wsUpgrade
	return h, nil
}

// readLine returns one line without its CR LF.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxLine {
		return nil, errors.New("header line too long")
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// discardBody reads the body a head announces and returns its length.
func discardBody(br *bufio.Reader, h head) (int64, error) {
	if h.chunked {
		var total int64
		for {
			line, err := readLine(br)
			if err != nil {
				return total, unexpectedEOF(err)
			}
			if i := bytes.IndexByte(line, ';'); i >= 0 {
				line = line[:i]
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil || n < 0 {
				return total, fmt.Errorf("bad chunk size %q", line)
			}
			if n == 0 {
				for { // trailer
					line, err := readLine(br)
					if err != nil {
						return total, unexpectedEOF(err)
					}
					if len(line) == 0 {
						return total, nil
					}
				}
			}
			if _, err := br.Discard(int(n)); err != nil {
				return total, unexpectedEOF(err)
			}
			total += n
			if line, err := readLine(br); err != nil || len(line) != 0 {
				return total, errors.New("chunk not followed by CRLF")
			}
		}
	}
	if h.contentLength <= 0 {
		return 0, nil
	}
	n, err := br.Discard(int(h.contentLength))
	return int64(n), unexpectedEOF(err)
}

func asciiEqualFold(a, lower []byte) bool {
	if len(a) != len(lower) {
		return false
	}
	for i, c := range a {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// hasToken reports whether a comma-separated header value holds token,
// compared without case.
func hasToken(value []byte, token string) bool {
	for len(value) > 0 {
		var item []byte
		if i := bytes.IndexByte(value, ','); i >= 0 {
			item, value = value[:i], value[i+1:]
		} else {
			item, value = value, nil
		}
		if asciiEqualFold(bytes.TrimSpace(item), []byte(token)) {
			return true
		}
	}
	return false
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxFrame bounds the payload of a frame either side accepts.
const maxFrame = wsframe.MaxPayload

// appendFrame appends a whole final frame: header, then payload masked
// with key when masked is set.
func appendFrame(dst []byte, op byte, payload []byte, masked bool, key [4]byte) []byte {
	dst = append(dst, 0x80|op)
	mask := byte(0)
	if masked {
		mask = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, mask|byte(n))
	case n <= 0xffff:
		dst = append(dst, mask|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, mask|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !masked {
		return append(dst, payload...)
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	maskBytes(dst[start:], key)
	return dst
}

// maskBytes applies (or removes) a frame mask in place.
func maskBytes(b []byte, key [4]byte) {
	k := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}
