package backend

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/portico-proxy/portico/internal/compat/wsframe"
)

// upgrade answers a request with 101 and then echoes: WebSocket frames for
// a WebSocket handshake, raw bytes for any other protocol.
func (c *conn) upgrade(req *Request, proto string, cmd commands) error {
	if proto == "" {
		proto = "websocket"
	}
	w := bufio.NewWriter(c.c)
	io.WriteString(w, "HTTP/1.1 101 Switching Protocols\r\n")
	fmt.Fprintf(w, "Upgrade: %s\r\nConnection: Upgrade\r\n", proto)
	key := req.Get("Sec-WebSocket-Key")
	ws := strings.EqualFold(proto, "websocket") && key != ""
	if ws {
		fmt.Fprintf(w, "Sec-WebSocket-Accept: %s\r\n", wsframe.AcceptKey(key))
	}
	for _, f := range cmd.headers {
		fmt.Fprintf(w, "%s: %s\r\n", f.Name, f.Value)
	}
	io.WriteString(w, "\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if ws {
		return c.echoFrames()
	}
	return c.echoBytes()
}

// echoFrames answers WebSocket frames until a close frame or the end of
// the connection, noting each frame received. Frames that arrived
// together are all noted before any is answered, so the record does not
// depend on how fast the client reads the first answer.
func (c *conn) echoFrames() error {
	for {
		c.c.SetReadDeadline(time.Now().Add(idle))
		frames, err := c.readFrames()
		for _, f := range frames {
			c.note("websocket frame: %s", FrameString(f))
		}
		for _, f := range frames {
			reply := wsframe.Frame{Fin: f.Fin, Opcode: f.Opcode, Payload: f.Payload}
			switch f.Opcode {
			case wsframe.OpPing:
				reply.Opcode = wsframe.OpPong
			case wsframe.OpPong:
				continue
			}
			if err := wsframe.Write(c.c, reply); err != nil {
				return err
			}
			if f.Opcode == wsframe.OpClose {
				return nil
			}
		}
		if err != nil {
			if err == io.EOF {
				c.note("websocket: connection closed")
				return nil
			}
			c.note("websocket: %v", err)
			return nil
		}
	}
}

// readFrames reads one frame, then every further frame already in the
// read buffer, up to a close frame.
func (c *conn) readFrames() ([]wsframe.Frame, error) {
	var frames []wsframe.Frame
	for {
		f, err := wsframe.Read(c.br)
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
		if f.Opcode == wsframe.OpClose || c.br.Buffered() == 0 {
			return frames, nil
		}
	}
}

// echoBytes sends back every byte received until the peer closes.
func (c *conn) echoBytes() error {
	buf := make([]byte, 32<<10)
	for {
		c.c.SetReadDeadline(time.Now().Add(idle))
		n, err := c.br.Read(buf)
		if n > 0 {
			if _, werr := c.c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return nil
		}
	}
}

// FrameString describes a frame for a report: FIN, reserved bits, opcode,
// masking and payload.
func FrameString(f wsframe.Frame) string {
	var b strings.Builder
	if f.Fin {
		b.WriteString("fin ")
	} else {
		b.WriteString("nofin ")
	}
	if f.RSV != 0 {
		fmt.Fprintf(&b, "rsv=%d ", f.RSV)
	}
	b.WriteString(wsframe.OpcodeName(f.Opcode))
	if f.Masked {
		b.WriteString(" masked")
	}
	b.WriteString(" payload ")
	sum := ""
	if len(f.Payload) > 512 {
		sum = sha256hex(f.Payload)
	}
	b.WriteString(Describe(f.Payload, int64(len(f.Payload)), sum))
	return b.String()
}
