//go:build linux

package ws

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Loop owns the event-loop goroutines and the connections registered with
// them.
type Loop struct {
	cfg     Config
	pollers []*poller
	next    atomic.Uint32
	gen     atomic.Uint32
	dials   atomic.Uint32
	count   atomic.Int64
	closing atomic.Bool
	wg      sync.WaitGroup
}

type poller struct {
	loop  *Loop
	epfd  int
	efd   int // eventfd that wakes the poller
	mu    sync.Mutex
	conns map[int]*Conn
	// closedQ holds connections closed from outside the loop (or by the
	// handler) whose Closed callback and teardown the loop still owes.
	closedQ []*Conn
	// early holds new connections whose first bytes arrived with the
	// handshake; teardown holds broken connections to drop.
	early    []*Conn
	teardown []*Conn
	stopped  bool
	buf      []byte
	batch    Batch
	now      int64
}

// Conn is one WebSocket connection on a Loop.
type Conn struct {
	p       *poller
	fd      int
	gen     uint32
	h       Handler
	server  bool
	session any

	// Loop goroutine only.
	rd        frameReader
	lastRead  int64
	pinged    bool
	notified  bool // Closed was called
	deadline  int64
	readShut  bool
	destroyed bool
	early     bool // rd.partial holds bytes read with the handshake

	mu     sync.Mutex
	out    []seg
	outOff int
	owned  int // pending bytes counted against the bound
	// Frame boundaries of the pending output, as offsets in the stream of
	// bytes ever queued, so that an overflowing connection can drop what
	// was not started and put its close frame right behind the frame on
	// the wire.
	qTotal, wTotal, lastEnd int64
	ends                    []int64
	dirty                   bool
	wantWrite               bool
	shutWr                  bool
	state                   int
	closeErr                *CloseError
}

// NewLoop starts a loop's pollers.
func NewLoop(cfg Config) (*Loop, error) {
	cfg.setDefaults()
	l := &Loop{cfg: cfg}
	for range cfg.Pollers {
		p, err := newPoller(l)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.pollers = append(l.pollers, p)
		l.wg.Add(1)
		go p.run()
	}
	return l, nil
}

func newPoller(l *Loop) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("ws: epoll_create: %w", err)
	}
	r, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, fmt.Errorf("ws: eventfd: %w", errno)
	}
	efd := int(r)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(efd), Pad: -1}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, efd, &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(efd)
		return nil, fmt.Errorf("ws: epoll_ctl eventfd: %w", err)
	}
	return &poller{loop: l, epfd: epfd, efd: efd, conns: map[int]*Conn{}, buf: make([]byte, l.cfg.ReadBufferBytes)}, nil
}

// Len is the number of open connections.
func (l *Loop) Len() int { return int(l.count.Load()) }

// Upgrade answers a WebSocket handshake on the standard HTTP server, takes
// the connection over from net/http and registers it with the loop. session
// is attached to the connection before any message can arrive. Messages
// may be delivered to h before Upgrade returns.
//
// The connection must be a plain TCP or Unix socket (TLS terminates in
// front of Tandem): the loop reads and writes the file descriptor itself.
func (l *Loop) Upgrade(w http.ResponseWriter, r *http.Request, h Handler, session any) (*Conn, error) {
	if l.closing.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return nil, errors.New("ws: loop is shutting down")
	}
	key, err := checkHandshake(r)
	if err != nil {
		w.Header().Set("Sec-WebSocket-Version", "13")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, err
	}
	rc := http.NewResponseController(w)
	nc, brw, err := rc.Hijack()
	if err != nil {
		http.Error(w, "websocket: cannot take over the connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("ws: hijack: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("ws: handshake: %w", err)
	}
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = append([]byte(nil), early...)
	}
	return l.adopt(nc, h, session, true, early)
}

// Dial opens a client connection to a ws:// URL's host and path and
// registers it with the loop. Client frames are masked with the all-zero
// key, which RFC 6455 permits as a key value; it spares a load generator the
// XOR while the server still does its share of the work.
func (l *Loop) Dial(addr, path string, header http.Header, h Handler, session any) (*Conn, error) {
	var local net.IP
	if n := len(l.cfg.LocalIPs); n > 0 {
		local = l.cfg.LocalIPs[int(l.dials.Add(1))%n]
	}
	fd, err := dialTCP4(addr, local)
	if err != nil {
		return nil, err
	}
	// The handshake runs blocking, with a timeout, on the new socket.
	tv := syscall.Timeval{Sec: 10}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	key := newKey()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	for k, vs := range header {
		for _, v := range vs {
			req += k + ": " + v + "\r\n"
		}
	}
	req += "\r\n"
	if err := writeAll(fd, []byte(req)); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	var buf [2048]byte
	n := 0
	end := -1
	for end < 0 {
		if n == len(buf) {
			syscall.Close(fd)
			return nil, errors.New("ws: handshake response too long")
		}
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || k == 0 {
			syscall.Close(fd)
			return nil, fmt.Errorf("ws: handshake response: %v", err)
		}
		n += k
		end = bytes.Index(buf[:n], []byte("\r\n\r\n"))
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf[:end+4])), nil)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("ws: handshake response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		syscall.Close(fd)
		return nil, fmt.Errorf("ws: handshake refused: %s", resp.Status)
	}
	var early []byte
	if rest := buf[end+4 : n]; len(rest) > 0 {
		early = append([]byte(nil), rest...)
	}
	tv = syscall.Timeval{}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	return l.register(fd, h, session, false, early, false)
}

// dialTCP4 connects a blocking socket to an IPv4 host:port. A load
// generator opens thousands of connections a second; going around Go's
// runtime poller (which the loop would take the socket from anyway) halves
// the work of each.
func dialTCP4(addr string, local net.IP) (int, error) {
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return -1, err
	}
	ip4 := ta.IP.To4()
	if ip4 == nil {
		return -1, fmt.Errorf("ws: %s is not an IPv4 address", addr)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if l4 := local.To4(); l4 != nil {
		// Let connect pick the port for the whole 4-tuple
		// (IP_BIND_ADDRESS_NO_PORT), not bind for the address alone.
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
		src := &syscall.SockaddrInet4{}
		copy(src.Addr[:], l4)
		if err := syscall.Bind(fd, src); err != nil {
			syscall.Close(fd)
			return -1, fmt.Errorf("ws: bind %s: %w", local, err)
		}
	}
	sa := &syscall.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ip4)
	for {
		err = syscall.Connect(fd, sa)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("ws: connect %s: %w", addr, err)
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	return fd, nil
}

const ipBindAddressNoPort = 24 // IP_BIND_ADDRESS_NO_PORT, Linux 4.2

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// adopt moves a connection from Go's runtime poller onto ours: it
// duplicates the descriptor, closes the net.Conn (which unregisters it from
// the runtime) and registers the duplicate.
func (l *Loop) adopt(nc net.Conn, h Handler, session any, server bool, early []byte) (*Conn, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("ws: %T is not a socket (terminate TLS in front of Tandem)", nc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		nc.Close()
		return nil, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(s uintptr) {
		fd, derr = dupCloexec(int(s))
	}); err != nil {
		nc.Close()
		return nil, err
	}
	nc.Close()
	if derr != nil {
		return nil, fmt.Errorf("ws: dup: %w", derr)
	}
	// The duplicate shares the file status flags of Go's socket, which is
	// non-blocking already: setting it again would cost two system calls
	// per connection.
	return l.register(fd, h, session, server, early, true)
}

// register puts a connected socket on a poller; nonblocking says it is
// in non-blocking mode already.
func (l *Loop) register(fd int, h Handler, session any, server bool, early []byte, nonblocking bool) (*Conn, error) {
	if !nonblocking {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
			return nil, err
		}
	}
	p := l.pollers[int(l.next.Add(1))%len(l.pollers)]
	c := &Conn{p: p, fd: fd, gen: l.gen.Add(1), h: h, server: server, session: session}
	c.rd.server = server
	c.rd.limit = l.cfg.MaxMessageBytes
	_, c.rd.stream = h.(ChunkHandler)
	c.lastRead = time.Now().UnixNano()
	// Bytes the peer sent right after the handshake, already read by the
	// HTTP stack, go in front of anything the loop reads later.
	c.rd.partial = early
	c.early = len(early) > 0
	p.mu.Lock()
	if p.stopped || l.closing.Load() {
		p.mu.Unlock()
		syscall.Close(fd)
		return nil, errors.New("ws: loop is shutting down")
	}
	p.conns[fd] = c
	p.mu.Unlock()
	l.count.Add(1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd), Pad: int32(c.gen)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.conns, fd)
		p.mu.Unlock()
		l.count.Add(-1)
		syscall.Close(fd)
		return nil, fmt.Errorf("ws: epoll_ctl: %w", err)
	}
	if len(early) > 0 {
		p.mu.Lock()
		p.early = append(p.early, c)
		p.mu.Unlock()
		p.wake()
	}
	return c, nil
}

func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func (p *poller) wake() {
	var one = [8]byte{1}
	syscall.Write(p.efd, one[:])
}

// Session is the value attached by Upgrade or Dial.
func (c *Conn) Session() any { return c.session }

// Queue queues msg as one binary message, copying it. It reports whether
// the connection needs a Flush that was not already due.
func (c *Conn) Queue(msg []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return false
	}
	var hdr [14]byte
	var h []byte
	if c.server {
		h = AppendFrameHeader(hdr[:0], OpBinary, true, len(msg), nil)
	} else {
		h = AppendFrameHeader(hdr[:0], OpBinary, true, len(msg), &zeroKey)
	}
	c.appendOwned(h)
	c.appendOwned(msg)
	c.endFrame()
	if c.owned > c.p.loop.cfg.SendQueueBytes && c.overLimit() {
		return false
	}
	return c.markDirty()
}

var zeroKey [4]byte

func (c *Conn) header(dst []byte, op byte, n int) []byte {
	if c.server {
		return AppendFrameHeader(dst, op, true, n, nil)
	}
	return AppendFrameHeader(dst, op, true, n, &zeroKey)
}

// QueueParts queues one binary message made of a and p, both copied.
func (c *Conn) QueueParts(a, p []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return false
	}
	var hdr [14]byte
	c.appendOwned(c.header(hdr[:0], OpBinary, len(a)+len(p)))
	c.appendOwned(a)
	c.appendOwned(p)
	c.endFrame()
	if c.owned > c.p.loop.cfg.SendQueueBytes && c.overLimit() {
		return false
	}
	return c.markDirty()
}

// QueueShared queues one binary message made of head (copied) and shared
// (by reference: it must not change afterwards, and it does not count
// against the send queue bound, since it costs the connection no memory).
func (c *Conn) QueueShared(head, shared []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return false
	}
	var hdr [14]byte
	c.appendOwned(c.header(hdr[:0], OpBinary, len(head)+len(shared)))
	c.appendOwned(head)
	if len(shared) <= 512 || !c.server {
		c.appendOwned(shared)
	} else {
		c.out = append(c.out, seg{b: shared})
		c.qTotal += int64(len(shared))
	}
	c.endFrame()
	if c.owned > c.p.loop.cfg.SendQueueBytes && c.overLimit() {
		return false
	}
	return c.markDirty()
}

// QueueFrame queues a complete frame built with AppendMessage by reference:
// the frame must not change afterwards. Server connections only.
func (c *Conn) QueueFrame(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return false
	}
	if !c.server || len(frame) <= 512 {
		c.appendOwned(frame) // small: coalesce with its neighbours
	} else {
		// Shared, but it counts: a client that does not read would keep
		// every broadcast alive.
		c.out = append(c.out, seg{b: frame, counted: true})
		c.owned += len(frame)
		c.qTotal += int64(len(frame))
	}
	c.endFrame()
	if c.owned > c.p.loop.cfg.SendQueueBytes && c.overLimit() {
		return false
	}
	return c.markDirty()
}

func (c *Conn) markDirty() bool {
	if c.dirty {
		return false
	}
	c.dirty = true
	return true
}

// appendOwned copies b into the connection's pooled buffers.
func (c *Conn) appendOwned(b []byte) {
	for len(b) > 0 {
		if n := len(c.out); n > 0 && c.out[n-1].pooled != nil {
			last := &c.out[n-1]
			if room := cap(last.b) - len(last.b); room > 0 {
				k := min(room, len(b))
				last.b = append(last.b, b[:k]...)
				c.owned += k
				c.qTotal += int64(k)
				b = b[k:]
				continue
			}
		}
		var pb *[]byte
		if len(b) > chunkSize {
			// A large message gets a buffer of its own, not from the pool
			// (releaseSeg returns only chunk-sized buffers). Its own
			// variable: taking the address of buf would move buf to the
			// heap on every call, small messages included.
			own := make([]byte, 0, len(b))
			pb = &own
		} else {
			pb = chunkPool.Get().(*[]byte)
		}
		buf := (*pb)[:0]
		k := min(cap(buf), len(b))
		buf = append(buf, b[:k]...)
		c.owned += k
		c.qTotal += int64(k)
		b = b[k:]
		c.out = append(c.out, seg{b: buf, pooled: pb, counted: true})
	}
}

// overLimit is called when the queue passes its bound: the bound is on
// what the peer has not taken, so first hand the socket what it accepts
// now; if the queue is still over the bound, close the connection.
func (c *Conn) overLimit() bool {
	c.flushLocked()
	if c.state != stateOpen {
		return true
	}
	if c.owned <= c.p.loop.cfg.SendQueueBytes {
		c.dirty = false // flushed
		return false
	}
	c.overflowLocked()
	return true
}

func (c *Conn) overflowLocked() {
	c.dropUnstarted()
	c.closeLocked(c.p.loop.cfg.OverflowCode, "send queue overflow: the client does not read fast enough", false)
}

// Flush writes queued data without blocking; what the socket does not take
// now is written by the loop when it can.
func (c *Conn) Flush() {
	c.mu.Lock()
	c.dirty = false
	c.flushLocked()
	c.mu.Unlock()
}

// Send queues msg and flushes.
func (c *Conn) Send(msg []byte) {
	c.Queue(msg)
	c.Flush()
}

// Pending is the number of queued bytes not yet written.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := -c.outOff
	for _, s := range c.out {
		n += len(s.b)
	}
	return n
}

const maxIov = 64

func (c *Conn) flushLocked() {
	if c.state == stateClosed {
		return
	}
	var iov [maxIov]syscall.Iovec
	for len(c.out) > 0 {
		n := 0
		for i := 0; i < len(c.out) && n < maxIov; i++ {
			b := c.out[i].b
			if i == 0 {
				b = b[c.outOff:]
			}
			if len(b) == 0 {
				continue
			}
			iov[n].Base = &b[0]
			iov[n].SetLen(len(b))
			n++
		}
		if n == 0 {
			c.consume(c.pendingLocked())
			break
		}
		w, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(c.fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
		if errno == syscall.EINTR {
			continue
		}
		if errno == syscall.EAGAIN {
			break
		}
		if errno != 0 {
			c.brokenLocked(errno)
			return
		}
		c.consume(int(w))
	}
	if len(c.out) > 0 {
		if !c.wantWrite {
			c.wantWrite = true
			c.epollMod(syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLOUT)
		}
		return
	}
	if c.wantWrite {
		c.wantWrite = false
		c.epollMod(syscall.EPOLLIN | syscall.EPOLLRDHUP)
	}
	if c.state == stateClosing && !c.shutWr {
		// Everything including our close frame is in the kernel: send FIN
		// and wait for the peer's close before dropping the socket, so that
		// unread input does not turn our close into a reset.
		c.shutWr = true
		syscall.Shutdown(c.fd, syscall.SHUT_WR)
	}
}

func (c *Conn) pendingLocked() int {
	n := -c.outOff
	for _, s := range c.out {
		n += len(s.b)
	}
	return n
}

func (c *Conn) consume(n int) {
	c.wTotal += int64(n)
	k := 0
	for k < len(c.ends) && c.ends[k] <= c.wTotal {
		c.lastEnd = c.ends[k]
		k++
	}
	i := 0
	for n > 0 && i < len(c.out) {
		s := &c.out[i]
		left := len(s.b) - c.outOff
		if n < left {
			c.outOff += n
			break
		}
		n -= left
		c.releaseSeg(s)
		c.out[i] = seg{}
		c.outOff = 0
		i++
	}
	if i < len(c.out) {
		c.out = c.out[i:]
		c.ends = c.ends[k:]
		return
	}
	// Everything is written. A connection that gets a few frames per
	// flush keeps its two small slices for the next one (at some hundred
	// thousand flushes a second, their allocation shows); a long queue
	// gives its memory back.
	c.outOff = 0
	c.out = c.out[:0]
	if cap(c.out) > keepSegs {
		c.out = nil
	}
	c.ends = c.ends[:0]
	if cap(c.ends) > keepEnds {
		c.ends = nil
	}
}

// keepSegs and keepEnds bound the capacity a connection keeps in its
// drained output queue: one pooled chunk, a few frame ends (some 80
// bytes an idle connection holds).
const (
	keepSegs = 1
	keepEnds = 4
)

func (c *Conn) endFrame() { c.ends = append(c.ends, c.qTotal) }

// dropUnstarted discards queued frames not yet begun on the wire, keeping
// the rest of a frame that is partly written.
func (c *Conn) dropUnstarted() {
	keep := int64(0)
	if len(c.ends) > 0 && c.wTotal > c.lastEnd {
		keep = c.ends[0] - c.wTotal
	}
	i, off := 0, c.outOff
	for ; i < len(c.out) && keep > 0; i++ {
		l := int64(len(c.out[i].b) - off)
		if keep < l {
			// Cut this segment short. A counted segment gives back the
			// bytes cut; a pooled buffer keeps its capacity.
			cut := l - keep
			if c.out[i].counted {
				c.owned -= int(cut)
			}
			c.out[i].b = c.out[i].b[:off+int(keep)]
			keep = 0
			i++
			break
		}
		keep -= l
		off = 0
	}
	for j := i; j < len(c.out); j++ {
		c.releaseSeg(&c.out[j])
		c.out[j] = seg{}
	}
	c.out = c.out[:i]
	if len(c.out) == 0 {
		c.out, c.outOff = nil, 0
	}
	c.qTotal = c.wTotal + int64(c.pendingLocked())
	if len(c.ends) > 0 && c.qTotal > c.wTotal {
		c.ends = c.ends[:1]
		c.ends[0] = c.qTotal
	} else {
		c.ends = nil
	}
}

func (c *Conn) releaseSeg(s *seg) {
	if s.counted {
		c.owned -= len(s.b)
	}
	if s.pooled != nil {
		if cap(s.b) == chunkSize {
			*s.pooled = s.b[:0]
			chunkPool.Put(s.pooled)
		}
	}
}

func (c *Conn) epollMod(events uint32) {
	ev := syscall.EpollEvent{Events: events, Fd: int32(c.fd), Pad: int32(c.gen)}
	syscall.EpollCtl(c.p.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}

// brokenLocked handles a write error: the peer is gone.
func (c *Conn) brokenLocked(err error) {
	if c.state == stateOpen {
		c.closeErr = &CloseError{Code: 1006, Reason: err.Error(), Remote: true}
	}
	c.state = stateClosing
	c.dropOutput()
	c.deadlineNow()
	c.p.enqueueClosed(c)
}

func (c *Conn) dropOutput() {
	for i := range c.out {
		c.releaseSeg(&c.out[i])
	}
	c.out, c.outOff = nil, 0
}

func (c *Conn) deadlineNow() {
	// The loop tears the socket down on its next turn.
	c.p.mu.Lock()
	c.p.teardown = append(c.p.teardown, c)
	c.p.mu.Unlock()
}

// Close starts the closing handshake with code and reason. Queued data is
// still written first. It is safe to call from any goroutine, more than
// once; Closed is delivered on the loop goroutine.
func (c *Conn) Close(code int, reason string) {
	c.mu.Lock()
	c.closeLocked(code, reason, false)
	c.mu.Unlock()
}

func (c *Conn) closeLocked(code int, reason string, remote bool) {
	if c.state != stateOpen {
		return
	}
	c.state = stateClosing
	c.closeErr = &CloseError{Code: code, Reason: reason, Remote: remote}
	payload := closePayload(code, reason)
	var hdr [14]byte
	var h []byte
	if c.server {
		h = AppendFrameHeader(hdr[:0], OpClose, true, len(payload), nil)
	} else {
		h = AppendFrameHeader(hdr[:0], OpClose, true, len(payload), &zeroKey)
	}
	c.appendOwned(h)
	c.appendOwned(payload)
	c.endFrame()
	c.flushLocked()
	c.p.enqueueClosed(c)
}

// CloseErr is why the connection closed, or nil while it is open.
func (c *Conn) CloseErr() *CloseError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

func (p *poller) enqueueClosed(c *Conn) {
	p.mu.Lock()
	p.closedQ = append(p.closedQ, c)
	p.mu.Unlock()
	p.wake()
}

// frameSink of a connection, on the loop goroutine.
type connSink struct {
	c *Conn
}

func (s connSink) message(op byte, payload []byte) error {
	c := s.c
	c.mu.Lock()
	open := c.state == stateOpen
	c.mu.Unlock()
	if !open {
		return nil
	}
	if op == OpText {
		return errTextMessage
	}
	c.h.Message(c, payload, &c.p.batch)
	return nil
}

func (s connSink) chunk(op byte, p []byte, first, last bool, total int64) error {
	c := s.c
	c.mu.Lock()
	open := c.state == stateOpen
	c.mu.Unlock()
	if !open {
		return nil
	}
	if op == OpText {
		return errTextMessage
	}
	c.h.(ChunkHandler).MessageChunk(c, p, first, last, total)
	return nil
}

func (s connSink) control(op byte, payload []byte) error {
	c := s.c
	switch op {
	case OpPing:
		c.mu.Lock()
		if c.state == stateOpen {
			var hdr [14]byte
			var h []byte
			if c.server {
				h = AppendFrameHeader(hdr[:0], OpPong, true, len(payload), nil)
			} else {
				h = AppendFrameHeader(hdr[:0], OpPong, true, len(payload), &zeroKey)
			}
			c.appendOwned(h)
			c.appendOwned(payload)
			c.endFrame()
			if c.markDirty() {
				c.p.batch.conns = append(c.p.batch.conns, c)
			}
		}
		c.mu.Unlock()
	case OpPong:
	case OpClose:
		code, reason, err := parseClosePayload(payload)
		if err != nil {
			return err
		}
		c.mu.Lock()
		if c.state == stateOpen {
			// Echo the peer's close, then drop the socket once it is out.
			echo := code
			if echo == CloseNoStatus {
				echo = 0
			}
			c.closeLocked(echo, "", true)
			c.closeErr = &CloseError{Code: code, Reason: reason, Remote: true}
		}
		done := len(c.out) == 0
		c.mu.Unlock()
		if done {
			c.p.destroy(c)
		}
		c.readShut = true
	}
	return nil
}

// run is the poller's loop.
func (p *poller) run() {
	defer p.loop.wg.Done()
	events := make([]syscall.EpollEvent, 256)
	lastSweep := time.Now().UnixNano()
	for {
		n, err := syscall.EpollWait(p.epfd, events, 1000)
		if err != nil && err != syscall.EINTR {
			return
		}
		p.now = time.Now().UnixNano()
		for i := range n {
			ev := &events[i]
			if ev.Pad == -1 {
				var b [8]byte
				syscall.Read(p.efd, b[:])
				continue
			}
			p.mu.Lock()
			c := p.conns[int(ev.Fd)]
			p.mu.Unlock()
			if c == nil || c.gen != uint32(ev.Pad) || c.destroyed {
				continue
			}
			p.handle(c, ev.Events)
		}
		p.batch.Flush()
		if p.drainQueues() {
			return
		}
		// Under load epoll always has events and this goroutine would keep
		// its processor until preempted (10 ms); let the goroutines that
		// the handlers woke (the group committer, above all) run now.
		runtime.Gosched()
		if p.now-lastSweep >= int64(time.Second) {
			lastSweep = p.now
			p.sweep()
			p.batch.Flush()
		}
	}
}

func (p *poller) handle(c *Conn, events uint32) {
	if events&syscall.EPOLLOUT != 0 {
		c.mu.Lock()
		c.flushLocked()
		done := c.state == stateClosing && len(c.out) == 0 && c.readShut
		c.mu.Unlock()
		if done {
			p.destroy(c)
			return
		}
	}
	if events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		p.read(c)
	}
}

// feedEarly parses the bytes that arrived with the handshake, before
// anything read later (loop goroutine).
func (p *poller) feedEarly(c *Conn) {
	if !c.early || c.destroyed {
		return
	}
	c.early = false
	if c.readShut {
		return
	}
	if err := c.rd.feed(nil, connSink{c}); err != nil {
		c.Close(closeCodeFor(err), err.Error())
		c.readShut = true
	}
}

func (p *poller) read(c *Conn) {
	p.feedEarly(c)
	if c.destroyed {
		// The early bytes ended the connection (a close frame right after
		// the handshake): its descriptor is closed and its number may
		// already belong to a new socket, possibly a blocking one being
		// dialed on another goroutine. Reading it would steal that
		// socket's bytes, or block the whole loop.
		return
	}
	for {
		n, err := syscall.Read(c.fd, p.buf)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			c.mu.Lock()
			if c.state == stateOpen {
				c.state = stateClosing
				reason := "connection closed without a close frame"
				if err != nil {
					reason = err.Error()
				}
				c.closeErr = &CloseError{Code: 1006, Reason: reason, Remote: true}
			}
			c.mu.Unlock()
			p.destroy(c)
			return
		}
		c.lastRead = p.now
		c.pinged = false
		if c.readShut {
			continue // discard input after the close handshake
		}
		if err := c.rd.feed(p.buf[:n], connSink{c}); err != nil {
			c.Close(closeCodeFor(err), err.Error())
			c.readShut = true
			return
		}
		if c.destroyed {
			return
		}
		if n < len(p.buf) {
			return
		}
	}
}

// destroy closes the socket and delivers Closed. Loop goroutine only.
func (p *poller) destroy(c *Conn) {
	if c.destroyed {
		return
	}
	c.destroyed = true
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = &CloseError{Code: 1006, Reason: "connection dropped", Remote: true}
	}
	c.state = stateClosed
	c.dropOutput()
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	syscall.Close(c.fd)
	cerr := c.closeErr
	c.mu.Unlock()
	p.mu.Lock()
	if p.conns[c.fd] == c {
		delete(p.conns, c.fd)
	}
	p.mu.Unlock()
	c.rd = frameReader{}
	p.loop.count.Add(-1)
	p.notify(c, cerr)
}

func (p *poller) notify(c *Conn, err *CloseError) {
	if c.notified {
		return
	}
	c.notified = true
	c.h.Closed(c, err)
}

// drainQueues handles connections closed from outside and early input. It
// reports whether the poller should stop.
func (p *poller) drainQueues() bool {
	p.mu.Lock()
	closed, teardown, early, stopped := p.closedQ, p.teardown, p.early, p.stopped
	p.closedQ, p.teardown, p.early = nil, nil, nil
	p.mu.Unlock()
	for _, c := range early {
		p.feedEarly(c)
	}
	for _, c := range closed {
		if c.destroyed {
			continue
		}
		if c.deadline == 0 {
			c.deadline = p.now + int64(p.loop.cfg.CloseTimeout)
		}
		c.mu.Lock()
		cerr := c.closeErr
		c.mu.Unlock()
		p.notify(c, cerr)
	}
	for _, c := range teardown {
		p.destroy(c)
	}
	p.batch.Flush()
	if stopped {
		p.mu.Lock()
		all := make([]*Conn, 0, len(p.conns))
		for _, c := range p.conns {
			all = append(all, c)
		}
		p.mu.Unlock()
		for _, c := range all {
			p.destroy(c)
		}
		syscall.Close(p.epfd)
		syscall.Close(p.efd)
		return true
	}
	return false
}

// sweep pings silent connections, closes dead ones and drops closing ones
// past their deadline.
func (p *poller) sweep() {
	cfg := &p.loop.cfg
	p.mu.Lock()
	all := make([]*Conn, 0, len(p.conns))
	for _, c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		if c.destroyed {
			continue
		}
		c.mu.Lock()
		state := c.state
		c.mu.Unlock()
		switch {
		case state != stateOpen:
			if c.deadline != 0 && p.now > c.deadline {
				p.destroy(c)
			}
		case p.now-c.lastRead > int64(cfg.IdleTimeout):
			c.Close(CloseGoingAway, "idle timeout")
		case p.now-c.lastRead > int64(cfg.PingAfter) && !c.pinged:
			c.pinged = true
			c.mu.Lock()
			var hdr [14]byte
			var h []byte
			if c.server {
				h = AppendFrameHeader(hdr[:0], OpPing, true, 0, nil)
			} else {
				h = AppendFrameHeader(hdr[:0], OpPing, true, 0, &zeroKey)
			}
			c.appendOwned(h)
			c.endFrame()
			if c.markDirty() {
				p.batch.conns = append(p.batch.conns, c)
			}
			c.mu.Unlock()
		}
	}
}

// CloseAll starts closing every connection with code and reason (for
// example 1012 on shutdown) and refuses new ones.
func (l *Loop) CloseAll(code int, reason string) {
	l.closing.Store(true)
	for _, p := range l.pollers {
		p.mu.Lock()
		all := make([]*Conn, 0, len(p.conns))
		for _, c := range p.conns {
			all = append(all, c)
		}
		p.mu.Unlock()
		for _, c := range all {
			c.Close(code, reason)
		}
	}
}

// Close stops the pollers and drops every connection at once (after
// delivering Closed). Use CloseAll first for a graceful end.
func (l *Loop) Close() {
	l.closing.Store(true)
	for _, p := range l.pollers {
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
		p.wake()
	}
	l.wg.Wait()
}
