package http1

import (
	"bufio"
	"errors"
	"io"
)

// errLineTooLong is returned by readLine when a line exceeds its limit.
var errLineTooLong = errors.New("http1: line too long")

// readLine returns the next line without its line ending and whether that
// ending was CRLF (false for a bare LF). The bytes are valid until the next
// read from br unless the line was longer than br's buffer. A line whose
// content is longer than max gives errLineTooLong; httpd's getline has the
// same bound: its buffer of limit+2 bytes holds limit+1 characters when the
// CR of the CRLF takes the place of the final NUL.
//
// At the end of input, a partial line gives io.ErrUnexpectedEOF and no
// input at all io.EOF.
func readLine(br *bufio.Reader, max int) (line []byte, crlf bool, err error) {
	line, err = br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		if len(line) > max+2 {
			return nil, false, errLineTooLong
		}
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
			if len(buf) > max+2 {
				return nil, false, errLineTooLong
			}
		}
		line = buf
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, err
	}
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
		crlf = true
	}
	if n > max {
		return nil, false, errLineTooLong
	}
	return line[:n], crlf, nil
}
