// Package ws implements WebSocket (RFC 6455) connections on an epoll event
// loop instead of a goroutine per connection.
//
// A goroutine parked in Read costs its stack (8 KB once grown) plus read and
// write buffers for every idle connection; an event loop keeps an idle
// connection down to its small Conn struct and the kernel's socket buffers.
// Connections are accepted by the ordinary net/http server (Upgrade hijacks
// the request's connection after the handshake) so the endpoints live on
// Tandem's main HTTP server, or dialed (Dial, for load generators and tests).
//
// Reads are parsed on the loop goroutine and handed to a Handler, which must
// not block. Writes are queued per connection and written by Flush, so a
// caller that sends many messages in one step pays one system call per
// connection; a prebuilt frame can be queued by reference (QueueFrame), so a
// large message sent to many connections is neither copied nor re-encoded.
// A connection whose unsent bytes pass its bound is closed with a close code.
//
// Only what the Yjs protocols need is supported: binary and text messages,
// fragmentation, ping/pong and the close handshake; no extensions (the
// handshake never offers permessage-deflate).
package ws

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// Close codes of RFC 6455 section 7.4.1 used by this package. Applications
// use the private range 4000-4999 for their own.
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003
	CloseNoStatus        = 1005
	CloseInvalidPayload  = 1007
	ClosePolicyViolation = 1008
	CloseMessageTooBig   = 1009
	CloseInternalError   = 1011
	CloseServiceRestart  = 1012
	CloseTryAgainLater   = 1013
)

// CloseError is the reason a connection closed: the close code and text
// sent to (or received from) the peer.
type CloseError struct {
	Code   int
	Reason string
	Remote bool // the peer closed, or the connection broke
}

func (e *CloseError) Error() string {
	side := "local"
	if e.Remote {
		side = "remote"
	}
	return fmt.Sprintf("websocket closed (%s) %d: %s", side, e.Code, e.Reason)
}

// FrameHeader is a parsed frame header.
type FrameHeader struct {
	Fin    bool
	Op     byte
	Masked bool
	Mask   [4]byte
	Length int64 // payload length
	Size   int   // header size in bytes
}

// Errors of ParseFrameHeader. Each maps to a close code (see closeCodeFor).
var (
	ErrIncomplete      = errors.New("ws: incomplete frame header")
	ErrReservedBits    = errors.New("ws: reserved bits set without an extension")
	ErrBadOpcode       = errors.New("ws: unknown opcode")
	ErrControlTooLong  = errors.New("ws: control frame longer than 125 bytes")
	ErrControlFragment = errors.New("ws: fragmented control frame")
	ErrBadLength       = errors.New("ws: payload length out of range")
	ErrMaskRequired    = errors.New("ws: client frame is not masked")
	ErrMaskForbidden   = errors.New("ws: server frame is masked")
	ErrTooBig          = errors.New("ws: message exceeds the size limit")
	ErrBadContinuation = errors.New("ws: continuation frame without a message, or new message inside a fragmented one")
	ErrBadClose        = errors.New("ws: malformed close frame")
)

// ParseFrameHeader parses the header at the start of b. It returns
// ErrIncomplete if b is too short to hold the whole header, and an error for
// any header RFC 6455 forbids (without extensions).
func ParseFrameHeader(b []byte) (FrameHeader, error) {
	var h FrameHeader
	if len(b) < 2 {
		return h, ErrIncomplete
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&0x80 != 0
	if b0&0x70 != 0 {
		return h, ErrReservedBits
	}
	h.Op = b0 & 0x0f
	switch h.Op {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !h.Fin {
			return h, ErrControlFragment
		}
	default:
		return h, ErrBadOpcode
	}
	h.Masked = b1&0x80 != 0
	n := int64(b1 & 0x7f)
	h.Size = 2
	switch n {
	case 126:
		if len(b) < 4 {
			return h, ErrIncomplete
		}
		n = int64(binary.BigEndian.Uint16(b[2:]))
		if n < 126 {
			return h, ErrBadLength // not the minimal encoding
		}
		h.Size = 4
	case 127:
		if len(b) < 10 {
			return h, ErrIncomplete
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 || u < 1<<16 {
			return h, ErrBadLength
		}
		n = int64(u)
		h.Size = 10
	}
	if h.Op >= OpClose && n > 125 {
		return h, ErrControlTooLong
	}
	h.Length = n
	if h.Masked {
		if len(b) < h.Size+4 {
			return h, ErrIncomplete
		}
		copy(h.Mask[:], b[h.Size:h.Size+4])
		h.Size += 4
	}
	return h, nil
}

// AppendFrameHeader appends an unmasked (server-to-client) header, or a
// masked one when mask is non-nil.
func AppendFrameHeader(dst []byte, op byte, fin bool, length int, mask *[4]byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var mbit byte
	if mask != nil {
		mbit = 0x80
	}
	switch {
	case length < 126:
		dst = append(dst, b0, mbit|byte(length))
	case length < 1<<16:
		dst = append(dst, b0, mbit|126, byte(length>>8), byte(length))
	default:
		dst = append(dst, b0, mbit|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if mask != nil {
		dst = append(dst, mask[:]...)
	}
	return dst
}

// FrameHeaderSize is the size of an unmasked header for a payload of n bytes.
func FrameHeaderSize(n int) int {
	switch {
	case n < 126:
		return 2
	case n < 1<<16:
		return 4
	default:
		return 10
	}
}

// AppendMessage appends one complete unmasked binary frame holding msg.
func AppendMessage(dst []byte, msg []byte) []byte {
	dst = AppendFrameHeader(dst, OpBinary, true, len(msg), nil)
	return append(dst, msg...)
}

// maskBytes XORs b with the mask key starting at key offset pos and returns
// the offset after b.
func maskBytes(key [4]byte, pos int, b []byte) int {
	if key == [4]byte{} {
		return (pos + len(b)) & 3
	}
	// Rotate the key so that word-wide XOR starts at offset pos.
	var k [8]byte
	for i := range 8 {
		k[i] = key[(pos+i)&3]
	}
	kw := binary.LittleEndian.Uint64(k[:])
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		binary.LittleEndian.PutUint64(b[i:], v^kw)
	}
	for ; i < len(b); i++ {
		b[i] ^= k[i&7]
	}
	return (pos + len(b)) & 3
}

// closePayload encodes a close frame body.
func closePayload(code int, reason string) []byte {
	if code == 0 || code == CloseNoStatus {
		return nil
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	b := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	return append(b, reason...)
}

// parseClosePayload decodes a close frame body.
func parseClosePayload(b []byte) (int, string, error) {
	switch {
	case len(b) == 0:
		return CloseNoStatus, "", nil
	case len(b) == 1:
		return 0, "", ErrBadClose
	}
	code := int(binary.BigEndian.Uint16(b))
	if !validCloseCode(code) {
		return 0, "", ErrBadClose
	}
	return code, string(b[2:]), nil
}

func validCloseCode(c int) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// closeCodeFor maps a parse error to the close code sent to the peer.
func closeCodeFor(err error) int {
	switch {
	case errors.Is(err, ErrTooBig):
		return CloseMessageTooBig
	case errors.Is(err, errTextMessage):
		return CloseUnsupportedData
	default:
		return CloseProtocolError
	}
}

var errTextMessage = errors.New("ws: text messages are not accepted")
