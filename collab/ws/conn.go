package ws

import (
	"net"
	"sync"
	"time"
)

// Handler receives a connection's messages and its end. Calls for one
// connection are serial, on its loop goroutine, and must not block: long
// work belongs on another goroutine.
type Handler interface {
	// Message is called for each complete binary message. msg is only valid
	// during the call. Sends queued on b are flushed when the loop finishes
	// its current batch of events.
	Message(c *Conn, msg []byte, b *Batch)
	// Closed is called exactly once, after the last Message, when the
	// connection is closed by either side or breaks.
	Closed(c *Conn, err *CloseError)
}

// ChunkHandler is a Handler that takes large messages in pieces as they
// arrive (a load generator counting the bytes of an initial sync, say),
// instead of having them assembled in memory. Messages of a single frame
// from 256 KiB up are streamed; others still go to Message.
type ChunkHandler interface {
	Handler
	// MessageChunk is called with consecutive pieces of one message; first
	// and last mark its ends, total is its size.
	MessageChunk(c *Conn, chunk []byte, first, last bool, total int64)
}

// Config tunes a Loop. Zero fields take the defaults.
type Config struct {
	// MaxMessageBytes bounds an incoming message (after reassembly of
	// fragments). Larger ones close the connection with 1009. Default 16 MiB.
	MaxMessageBytes int
	// SendQueueBytes bounds the bytes a connection may have queued but not
	// yet written because the peer does not read fast enough. The shared
	// part of a QueueShared message (a cached initial sync, already held by
	// its room) does not count. Past the bound the connection is closed
	// with OverflowCode. Default 4 MiB.
	SendQueueBytes int
	// OverflowCode is the close code for a send queue overflow. Default 1008.
	OverflowCode int
	// PingAfter is how long a connection may stay silent before the loop
	// pings it; IdleTimeout is how long before it is closed (1001). The
	// defaults, 30 s and 75 s, keep dead peers from holding memory forever.
	PingAfter, IdleTimeout time.Duration
	// CloseTimeout is how long a closing connection waits for its queued
	// data and the peer's close before the socket is dropped. Default 2 s.
	CloseTimeout time.Duration
	// Pollers is the number of event-loop goroutines. Default 1: one loop
	// handles tens of thousands of connections, and the work per message
	// happens in the handler anyway.
	Pollers int
	// ReadBufferBytes is the size of each poller's read buffer. Default 64 KiB.
	ReadBufferBytes int
	// LocalIPs, for Dial, are IPv4 source addresses to spread outgoing
	// connections over (round robin). A load generator opening tens of
	// thousands of connections to one address otherwise spends most of its
	// time in the kernel's search for a free ephemeral port.
	LocalIPs []net.IP
}

func (c *Config) setDefaults() {
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 16 << 20
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = 4 << 20
	}
	if c.OverflowCode == 0 {
		c.OverflowCode = ClosePolicyViolation
	}
	if c.PingAfter <= 0 {
		c.PingAfter = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 75 * time.Second
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 2 * time.Second
	}
	if c.Pollers <= 0 {
		c.Pollers = 1
	}
	if c.ReadBufferBytes <= 0 {
		c.ReadBufferBytes = 64 << 10
	}
}

// Batch collects connections with queued data so that each is flushed once,
// with one system call, at the end of a step of work.
type Batch struct {
	conns []*Conn
}

// Queue queues msg on c as one binary message.
func (b *Batch) Queue(c *Conn, msg []byte) {
	if c.Queue(msg) {
		b.conns = append(b.conns, c)
	}
}

// QueueFrame queues a complete, immutable frame on c by reference.
func (b *Batch) QueueFrame(c *Conn, frame []byte) {
	if c.QueueFrame(frame) {
		b.conns = append(b.conns, c)
	}
}

// QueueParts queues one binary message made of a and b, both copied.
func (b *Batch) QueueParts(c *Conn, a, p []byte) {
	if c.QueueParts(a, p) {
		b.conns = append(b.conns, c)
	}
}

// QueueShared queues one binary message made of head (copied) and shared
// (sent by reference; it must not change afterwards).
func (b *Batch) QueueShared(c *Conn, head, shared []byte) {
	if c.QueueShared(head, shared) {
		b.conns = append(b.conns, c)
	}
}

// Flush writes what was queued on every connection of the batch.
func (b *Batch) Flush() {
	for i, c := range b.conns {
		c.Flush()
		b.conns[i] = nil
	}
	b.conns = b.conns[:0]
}

// Len is the number of connections waiting for a flush.
func (b *Batch) Len() int { return len(b.conns) }

// seg is one pending piece of output: a pooled buffer owned by the
// connection, or a shared frame held by reference.
type seg struct {
	b       []byte
	pooled  *[]byte
	counted bool // counts against the send queue bound
}

const chunkSize = 4 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// connection states
const (
	stateOpen    = iota
	stateClosing // close frame queued; waiting for the peer or the deadline
	stateClosed  // socket closed
)
