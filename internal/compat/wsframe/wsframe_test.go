package wsframe

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		for _, masked := range []bool{false, true} {
			in := Frame{Fin: n%2 == 0, RSV: 5, Opcode: OpBinary, Masked: masked, MaskKey: [4]byte{1, 2, 3, 4}, Payload: bytes.Repeat([]byte("x"), n)}
			var buf bytes.Buffer
			if err := Write(&buf, in); err != nil {
				t.Fatal(err)
			}
			out, err := Read(&buf)
			if err != nil {
				t.Fatalf("n=%d masked=%v: %v", n, masked, err)
			}
			if out.Fin != in.Fin || out.RSV != in.RSV || out.Opcode != in.Opcode || out.Masked != in.Masked || !bytes.Equal(out.Payload, in.Payload) {
				t.Errorf("n=%d masked=%v: got %+v", n, masked, out)
			}
			if buf.Len() != 0 {
				t.Errorf("n=%d: %d bytes left over", n, buf.Len())
			}
		}
	}
}

// TestRFCExample checks the masked "Hello" of RFC 6455 section 5.7.
func TestRFCExample(t *testing.T) {
	wire := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	f, err := Read(bytes.NewReader(wire))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Fin || f.Opcode != OpText || string(f.Payload) != "Hello" {
		t.Errorf("got %+v", f)
	}
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), wire) {
		t.Errorf("got % x; want % x", buf.Bytes(), wire)
	}
}

func TestReadErrors(t *testing.T) {
	if _, err := Read(strings.NewReader("")); err != io.EOF {
		t.Errorf("empty: got %v; want io.EOF", err)
	}
	if _, err := Read(bytes.NewReader([]byte{0x81, 0x05, 'a'})); err != io.ErrUnexpectedEOF {
		t.Errorf("short payload: got %v; want io.ErrUnexpectedEOF", err)
	}
	huge := []byte{0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0}
	if _, err := Read(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("huge: got %v", err)
	}
}

func TestAcceptKey(t *testing.T) {
	// RFC 6455 section 1.3.
	if got, want := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestOpcodeNames(t *testing.T) {
	for op := byte(0); op < 16; op++ {
		got, err := ParseOpcode(OpcodeName(op))
		if err != nil || got != op {
			t.Errorf("opcode %d: got %d, %v", op, got, err)
		}
	}
	if _, err := ParseOpcode("16"); err == nil {
		t.Error("ParseOpcode(16): no error")
	}
}
