package http1

import (
	"bufio"
	"errors"
	"io"
)

// errLineTooLong is returned by readLine when a line exceeds its limit.
var errLineTooLong = errors.New("http1: line too long")

// readLine returns the next line without its line ending (CRLF or bare LF).
// The returned bytes are only valid until the next read from br. A line
// longer than max bytes (line ending excluded) gives errLineTooLong; the rest
// of the line is left unread.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		if len(line) > max+1 {
			return nil, errLineTooLong
		}
		// Longer than the buffer but maybe within the limit: collect it.
		buf := append([]byte(nil), line...)
		for {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
			if len(buf) > max+2 {
				return nil, errLineTooLong
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		line = buf
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	if n > max {
		return nil, errLineTooLong
	}
	return line[:n], nil
}
