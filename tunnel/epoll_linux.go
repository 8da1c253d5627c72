//go:build linux

package tunnel

import (
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// The Linux engine: a few event loops, each with its own epoll set,
// watching the sockets of the tunnels given to it. A loop moves bytes
// with plain read and write through one buffer of its own; data that a
// peer cannot take yet waits in a per-direction buffer that exists only
// while it waits, and reading from the sending side pauses meanwhile.

const (
	loopBufSize   = 1 << 20 // the loop's read buffer
	perEventQuota = 1 << 20 // bytes read from one socket per wake-up
	sweepEvery    = time.Second
)

type epollEngine struct {
	loops []*loop
	next  int
	mu    sync.Mutex
}

func newEngine() engine {
	n := runtime.GOMAXPROCS(0)
	if n > 4 {
		n = 4
	}
	e := &epollEngine{}
	for i := 0; i < n; i++ {
		l, err := newLoop()
		if err != nil {
			for _, l := range e.loops {
				l.stop()
			}
			return nil
		}
		e.loops = append(e.loops, l)
	}
	return e
}

func (e *epollEngine) start(m *Manager, client net.Conn, clientBuf []byte, backend net.Conn, backendBuf []byte, opt Options, done func(Stats)) (bool, error) {
	if !rawCapable(client) || !rawCapable(backend) {
		return false, nil
	}
	cfd, err := takeFD(client)
	if err != nil {
		return false, nil
	}
	bfd, err := takeFD(backend)
	if err != nil {
		syscall.Close(cfd)
		return true, err
	}
	e.mu.Lock()
	l := e.loops[e.next%len(e.loops)]
	e.next++
	e.mu.Unlock()
	t := &tun{idle: opt.IdleTimeout, noHalf: opt.NoHalfClose, done: done, start: time.Now()}
	t.a = side{fd: cfd, t: t}
	t.b = side{fd: bfd, t: t}
	t.a.peer, t.b.peer = &t.b, &t.a
	if len(clientBuf) > 0 {
		if opt.HoldClientBuf {
			t.a.held = append([]byte(nil), clientBuf...)
		} else {
			t.b.pending = append(getPending(), clientBuf...)
		}
	}
	if len(backendBuf) > 0 {
		t.a.pending = append(getPending(), backendBuf...)
	}
	if err := l.add(t); err != nil {
		syscall.Close(cfd)
		syscall.Close(bfd)
		return true, err
	}
	return true, nil
}

func (e *epollEngine) closeAll() {
	for _, l := range e.loops {
		l.closeAll()
	}
}

func (e *epollEngine) stop() {
	for _, l := range e.loops {
		l.stop()
	}
}

// rawCapable reports whether the bytes of c are the socket's bytes, so
// the loop may read and write its descriptor directly.
func rawCapable(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// takeFD duplicates the connection's descriptor (close-on-exec, still
// non-blocking: the flag belongs to the shared open file) and closes the
// connection, which leaves Go's poller; the socket lives on in the copy.
func takeFD(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, syscall.EINVAL
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	err = rc.Control(func(f uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, f, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return -1, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	c.Close()
	return fd, nil
}

var pendingBufs = sync.Pool{New: func() any { return make([]byte, 0, 16<<10) }}

func getPending() []byte { return pendingBufs.Get().([]byte)[:0] }

func putPending(b []byte) {
	if cap(b) <= 1<<20 {
		pendingBufs.Put(b[:0]) //nolint:staticcheck // slices are small headers
	}
}

// tun is one tunnel: a is the client side, b the backend side.
type tun struct {
	a, b   side
	idle   time.Duration
	last   time.Time
	start  time.Time
	done   func(Stats)
	closed bool
	noHalf bool // a FIN on either side ends the tunnel
}

// side is one socket of a tunnel.
type side struct {
	fd       int
	t        *tun
	peer     *side
	pending  []byte // bytes waiting to be written to this socket
	eof      bool   // this socket sent its FIN (read returned 0)
	shutWr   bool   // we passed the peer's FIN on to this socket
	held     []byte // bytes read earlier, to go to the peer with this socket's next read
	sent     int64  // bytes written to this socket
	interest uint32 // events registered in epoll
}

type loop struct {
	epfd   int
	wakeR  int
	wakeW  int
	buf    []byte
	mu     sync.Mutex
	sides  map[int]*side
	tuns   map[*tun]struct{}
	now    time.Time
	swept  time.Time
	quit   bool
	closeQ bool
	exited chan struct{}
}

func newLoop() (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	l := &loop{epfd: epfd, wakeR: p[0], wakeW: p[1], buf: make([]byte, loopBufSize),
		sides: map[int]*side{}, tuns: map[*tun]struct{}{}, exited: make(chan struct{})}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wakeR)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wakeR, &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, err
	}
	go l.run()
	return l, nil
}

func (l *loop) wake() { syscall.Write(l.wakeW, []byte{0}) }

// add registers a tunnel's sockets.
func (l *loop) add(t *tun) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t.last = time.Now()
	for _, s := range []*side{&t.a, &t.b} {
		s.interest = s.wanted()
		ev := syscall.EpollEvent{Events: s.interest, Fd: int32(s.fd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, s.fd, &ev); err != nil {
			if s == &t.b {
				syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, t.a.fd, nil)
				delete(l.sides, t.a.fd)
			}
			return err
		}
		l.sides[s.fd] = s
	}
	l.tuns[t] = struct{}{}
	return nil
}

// wanted is the set of events the side needs: readable while its peer
// has nothing waiting, writable while it has bytes waiting for it.
func (s *side) wanted() uint32 {
	var ev uint32
	if !s.eof && len(s.peer.pending) == 0 {
		ev |= syscall.EPOLLIN | syscall.EPOLLRDHUP
	}
	if len(s.pending) > 0 {
		ev |= syscall.EPOLLOUT
	}
	return ev
}

func (l *loop) run() {
	defer close(l.exited)
	events := make([]syscall.EpollEvent, 128)
	l.swept = time.Now()
	for {
		n, err := syscall.EpollWait(l.epfd, events, int(sweepEvery/time.Millisecond))
		if err != nil && err != syscall.EINTR {
			return
		}
		l.mu.Lock()
		l.now = time.Now()
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			if fd == l.wakeR {
				var b [64]byte
				for {
					if k, _ := syscall.Read(l.wakeR, b[:]); k <= 0 {
						break
					}
				}
				continue
			}
			if s, ok := l.sides[fd]; ok && !s.t.closed {
				l.handle(s, events[i].Events)
			}
		}
		if l.closeQ {
			l.closeQ = false
			for t := range l.tuns {
				l.finish(t, Shutdown)
			}
		}
		if l.now.Sub(l.swept) >= sweepEvery {
			l.swept = l.now
			for t := range l.tuns {
				if t.idle > 0 && l.now.Sub(t.last) >= t.idle {
					l.finish(t, Idle)
				}
			}
		}
		quit := l.quit
		l.mu.Unlock()
		if quit {
			return
		}
	}
}

// handle reacts to the events of one socket.
func (l *loop) handle(s *side, ev uint32) {
	t := s.t
	if ev&(syscall.EPOLLOUT|syscall.EPOLLERR) != 0 && len(s.pending) > 0 {
		if !l.flush(s) {
			return
		}
	}
	if ev&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 && !s.eof && len(s.peer.pending) == 0 {
		if !l.pump(s) {
			return
		}
	}
	if t.a.eof && t.b.eof && len(t.a.pending) == 0 && len(t.b.pending) == 0 {
		l.finish(t, Closed)
		return
	}
	l.update(&t.a)
	l.update(&t.b)
}

// pump reads from s and writes to its peer until s has nothing more, the
// peer cannot take more, or the quota is used. It returns false when the
// tunnel ended.
func (l *loop) pump(s *side) bool {
	dst := s.peer
	if s.held != nil {
		// The held bytes go out in one write with what the socket
		// has now.
		n, err := syscall.Read(s.fd, l.buf)
		dst.pending = append(append(getPending(), s.held...), l.buf[:max(n, 0)]...)
		s.held = nil
		if n == 0 && err == nil {
			s.eof = true
		}
		return l.flush(dst)
	}
	for read := 0; read < perEventQuota; {
		n, err := syscall.Read(s.fd, l.buf)
		if n > 0 {
			read += n
			s.t.last = l.now
			w, werr := writeAll(dst.fd, l.buf[:n])
			dst.sent += int64(w)
			if werr != nil && werr != syscall.EAGAIN {
				l.finish(s.t, Error)
				return false
			}
			if w < n {
				dst.pending = append(getPending(), l.buf[w:n]...)
				return true
			}
			if n < len(l.buf) {
				// A short read emptied the socket; epoll says when
				// more comes, without a read that would only fail.
				return true
			}
			continue
		}
		if n == 0 && err == nil {
			s.eof = true
			if len(dst.pending) == 0 {
				if s.t.noHalf {
					l.finish(s.t, Closed)
					return false
				}
				l.shutWrite(dst)
			}
			return true
		}
		if err == syscall.EAGAIN || err == syscall.EINTR {
			return true
		}
		l.finish(s.t, Error)
		return false
	}
	return true
}

// flush writes the bytes waiting for s. It returns false when the tunnel
// ended.
func (l *loop) flush(s *side) bool {
	w, err := writeAll(s.fd, s.pending)
	s.sent += int64(w)
	if err != nil && err != syscall.EAGAIN {
		l.finish(s.t, Error)
		return false
	}
	if w > 0 {
		s.t.last = l.now
	}
	if w < len(s.pending) {
		s.pending = append(s.pending[:0], s.pending[w:]...)
		return true
	}
	putPending(s.pending)
	s.pending = nil
	if s.peer.eof {
		if s.t.noHalf {
			l.finish(s.t, Closed)
			return false
		}
		l.shutWrite(s)
	}
	return true
}

// shutWrite passes a FIN on to s.
func (l *loop) shutWrite(s *side) {
	if !s.shutWr {
		s.shutWr = true
		syscall.Shutdown(s.fd, syscall.SHUT_WR)
	}
}

func (l *loop) update(s *side) {
	if s.t.closed {
		return
	}
	w := s.wanted()
	if w == s.interest {
		return
	}
	s.interest = w
	ev := syscall.EpollEvent{Events: w, Fd: int32(s.fd)}
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, s.fd, &ev)
}

// finish closes both sockets of a tunnel and reports it.
func (l *loop) finish(t *tun, r Reason) {
	if t.closed {
		return
	}
	t.closed = true
	for _, s := range []*side{&t.a, &t.b} {
		syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
		delete(l.sides, s.fd)
		syscall.Close(s.fd)
		if s.pending != nil {
			putPending(s.pending)
			s.pending = nil
		}
	}
	delete(l.tuns, t)
	st := Stats{ClientToBackend: t.b.sent, BackendToClient: t.a.sent, Duration: time.Since(t.start), Reason: r}
	go t.done(st)
}

func (l *loop) closeAll() {
	l.mu.Lock()
	l.closeQ = true
	l.mu.Unlock()
	l.wake()
}

func (l *loop) stop() {
	l.mu.Lock()
	l.quit = true
	l.mu.Unlock()
	l.wake()
	<-l.exited
	l.mu.Lock()
	for t := range l.tuns {
		l.finish(t, Shutdown)
	}
	l.mu.Unlock()
	syscall.Close(l.epfd)
	syscall.Close(l.wakeR)
	syscall.Close(l.wakeW)
}

// writeAll writes b to a non-blocking socket until done or it would
// block; it returns how much was written.
func writeAll(fd int, b []byte) (int, error) {
	off := 0
	for off < len(b) {
		n, err := syscall.Write(fd, b[off:])
		if n > 0 {
			off += n
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return off, err
		}
		if n == 0 {
			return off, syscall.EAGAIN
		}
	}
	return off, nil
}
