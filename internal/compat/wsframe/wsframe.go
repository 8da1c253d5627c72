// Package wsframe reads and writes RFC 6455 WebSocket frames and computes
// the handshake's accept key. It is the small WebSocket codec of the
// compatibility harness: the test backend echoes frames with it and the
// harness client sends and receives them.
package wsframe

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Opcodes of RFC 6455 section 5.2.
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// MaxPayload bounds the payload Read accepts, so that a corrupt length
// cannot make it allocate without limit.
const MaxPayload = 16 << 20

// Frame is one WebSocket frame.
type Frame struct {
	Fin     bool
	RSV     byte // the three reserved bits, in the low bits
	Opcode  byte
	Masked  bool
	MaskKey [4]byte
	Payload []byte // unmasked
}

// Write writes f to w, masking the payload with f.MaskKey when f.Masked.
func Write(w io.Writer, f Frame) error {
	var hdr [14]byte
	hdr[0] = f.Opcode & 0x0f
	hdr[0] |= (f.RSV & 0x7) << 4
	if f.Fin {
		hdr[0] |= 0x80
	}
	n := 2
	switch l := len(f.Payload); {
	case l < 126:
		hdr[1] = byte(l)
	case l <= 0xffff:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(l))
		n = 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(l))
		n = 10
	}
	payload := f.Payload
	if f.Masked {
		hdr[1] |= 0x80
		copy(hdr[n:], f.MaskKey[:])
		n += 4
		payload = make([]byte, len(f.Payload))
		for i, b := range f.Payload {
			payload[i] = b ^ f.MaskKey[i%4]
		}
	}
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// Header is a frame's header: everything but the payload.
type Header struct {
	Fin     bool
	RSV     byte
	Opcode  byte
	Masked  bool
	MaskKey [4]byte
	Length  int64 // the payload's length, at most MaxPayload
}

// ReadHeader reads the header of the next frame from r, leaving its
// payload unread. A length over MaxPayload is an error.
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
	var b [8]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return h, err
	}
	h.Fin = b[0]&0x80 != 0
	h.RSV = (b[0] >> 4) & 0x7
	h.Opcode = b[0] & 0x0f
	h.Masked = b[1]&0x80 != 0
	length := uint64(b[1] & 0x7f)
	switch length {
	case 126:
		if _, err := io.ReadFull(r, b[:2]); err != nil {
			return h, unexpected(err)
		}
		length = uint64(binary.BigEndian.Uint16(b[:2]))
	case 127:
		if _, err := io.ReadFull(r, b[:8]); err != nil {
			return h, unexpected(err)
		}
		length = binary.BigEndian.Uint64(b[:8])
	}
	if length > MaxPayload {
		return h, fmt.Errorf("websocket frame payload of %d bytes exceeds the limit of %d", length, MaxPayload)
	}
	h.Length = int64(length)
	if h.Masked {
		if _, err := io.ReadFull(r, h.MaskKey[:]); err != nil {
			return h, unexpected(err)
		}
	}
	return h, nil
}

// Read reads one frame from r and unmasks its payload.
func Read(r io.Reader) (Frame, error) {
	h, err := ReadHeader(r)
	f := Frame{Fin: h.Fin, RSV: h.RSV, Opcode: h.Opcode, Masked: h.Masked, MaskKey: h.MaskKey}
	if err != nil {
		return f, err
	}
	f.Payload = make([]byte, h.Length)
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		return f, unexpected(err)
	}
	if f.Masked {
		for i := range f.Payload {
			f.Payload[i] ^= f.MaskKey[i%4]
		}
	}
	return f, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// acceptGUID is the fixed GUID of RFC 6455 section 1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

var opNames = map[byte]string{
	OpContinuation: "cont", OpText: "text", OpBinary: "binary",
	OpClose: "close", OpPing: "ping", OpPong: "pong",
}

// OpcodeName returns the name of an opcode ("text", "close" …), or its
// number for a reserved one.
func OpcodeName(op byte) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return strconv.Itoa(int(op))
}

// ParseOpcode is the inverse of OpcodeName; it also accepts a number 0-15.
func ParseOpcode(s string) (byte, error) {
	for op, n := range opNames {
		if n == s {
			return op, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 15 {
		return 0, fmt.Errorf("unknown websocket opcode %q (want cont, text, binary, close, ping, pong or 0-15)", s)
	}
	return byte(n), nil
}
