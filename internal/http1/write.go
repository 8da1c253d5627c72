package http1

import (
	"bufio"
	"io"
	"strconv"
)

// WriteRequestHead writes the request line and header fields of r as they
// are, names in their case and in their order, and the empty line. It
// writes nothing and returns a *StatusError (500) when a field is not
// valid HTTP, so that no field can split the message.
func WriteRequestHead(w *bufio.Writer, r *Request) error {
	if err := checkFields(r.Header); err != nil {
		return err
	}
	for _, s := range [...]string{r.Method, r.Target, r.Proto} {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] == 0x7f {
				return &StatusError{500, "invalid request line: " + strconv.Quote(r.Method+" "+r.Target+" "+r.Proto)}
			}
		}
	}
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
// are, names in their case and in their order, and the empty line. As
// httpd's header filter, it writes nothing and returns a *StatusError
// (500) when a field name is not a token or a value holds control
// characters.
func WriteResponseHead(w *bufio.Writer, r *Response) error {
	if err := checkFields(r.Header); err != nil {
		return err
	}
	for i := 0; i < len(r.Reason); i++ {
		if c := r.Reason[i]; c < ' ' && c != '\t' || c == 0x7f {
			return &StatusError{500, "invalid reason phrase " + strconv.Quote(r.Reason)}
		}
	}
	if r.Proto != "" {
		w.WriteString(r.Proto)
	} else {
		writeProto(w, r.Major, r.Minor)
	}
	w.WriteByte(' ')
	if r.Status >= 0 && r.Status <= 999 {
		w.WriteByte(byte('0' + r.Status/100))
		w.WriteByte(byte('0' + r.Status/10%10))
		w.WriteByte(byte('0' + r.Status%10))
	} else {
		var b [20]byte
		w.Write(strconv.AppendInt(b[:0], int64(r.Status), 10))
	}
	w.WriteByte(' ')
	w.WriteString(r.Reason)
	w.WriteString("\r\n")
	return writeHeaders(w, r.Header)
}

// checkFields applies httpd's check_headers to fields about to be sent.
func checkFields(h Headers) error {
	for _, f := range h {
		if f.Name == "" {
			return &StatusError{500, "Empty response header name, aborting request"}
		}
		for i := 0; i < len(f.Name); i++ {
			if !isTchar(f.Name[i]) {
				return &StatusError{500, "Response header name '" + f.Name + "' contains invalid characters, aborting request"}
			}
		}
		for i := 0; i < len(f.Value); i++ {
			if c := f.Value[i]; c < ' ' && c != '\t' || c == 0x7f {
				return &StatusError{500, "Response header '" + f.Name + "' value of '" + f.Value + "' contains invalid characters, aborting request"}
			}
		}
	}
	return nil
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
