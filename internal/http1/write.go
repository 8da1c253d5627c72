package http1

import (
	"bufio"
	"io"
	"strconv"
)

// WriteRequestHead writes the request line and header fields of r as they
// are, names in their case and in their order, and the empty line.
func WriteRequestHead(w *bufio.Writer, r *Request) error {
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(r.Target)
	w.WriteByte(' ')
	if r.Proto != "" {
		w.WriteString(r.Proto)
	} else {
		writeProto(w, r.Major, r.Minor)
	}
	w.WriteString("\r\n")
	return writeHeaders(w, r.Header)
}

// WriteResponseHead writes the status line and header fields of r as they
// are, names in their case and in their order, and the empty line.
func WriteResponseHead(w *bufio.Writer, r *Response) error {
	if r.Proto != "" {
		w.WriteString(r.Proto)
	} else {
		writeProto(w, r.Major, r.Minor)
	}
	w.WriteByte(' ')
	var b [3]byte
	w.Write(strconv.AppendInt(b[:0], int64(r.Status), 10))
	w.WriteByte(' ')
	w.WriteString(r.Reason)
	w.WriteString("\r\n")
	return writeHeaders(w, r.Header)
}

func writeProto(w *bufio.Writer, major, minor int) {
	if major == 0 && minor == 0 {
		major, minor = 1, 1
	}
	w.WriteString("HTTP/")
	w.WriteByte(byte('0' + major))
	w.WriteByte('.')
	w.WriteByte(byte('0' + minor))
}

func writeHeaders(w *bufio.Writer, h Headers) error {
	for _, f := range h {
		w.WriteString(f.Name)
		w.WriteString(": ")
		w.WriteString(f.Value)
		w.WriteString("\r\n")
	}
	_, err := w.WriteString("\r\n")
	return err
}

// NewChunkedWriter returns a writer that writes each Write as one chunk to
// w; Close writes the last chunk and the empty trailer, not closing w.
func NewChunkedWriter(w io.Writer) io.WriteCloser {
	return &chunkedWriter{w: w}
}

type chunkedWriter struct {
	w   io.Writer
	buf []byte
}

func (c *chunkedWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.buf = strconv.AppendInt(c.buf[:0], int64(len(p)), 16)
	c.buf = append(c.buf, '\r', '\n')
	if _, err := c.w.Write(c.buf); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	if err != nil {
		return n, err
	}
	if _, err := io.WriteString(c.w, "\r\n"); err != nil {
		return n, err
	}
	return n, nil
}

func (c *chunkedWriter) Close() error {
	_, err := io.WriteString(c.w, "0\r\n\r\n")
	return err
}
