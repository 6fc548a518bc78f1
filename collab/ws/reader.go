package ws

// frameReader reassembles frames and messages from the bytes read off one
// connection. It holds no buffer while the connection is idle between
// messages: bytes are parsed in place in the caller's read buffer, and only
// an incomplete frame or fragmented message is copied aside.
type frameReader struct {
	partial []byte // bytes of an incomplete frame carried over to the next read
	msg     []byte // payload of a fragmented message so far
	msgOp   byte   // opcode of the fragmented message
	inMsg   bool
	server  bool // we are the server: frames must be masked
	limit   int  // maximum message payload size

	// Streaming of large single-frame messages to a ChunkHandler: their
	// payload is handed over as it arrives instead of being assembled.
	stream    bool // the handler takes chunks
	streaming bool // inside a streamed frame
	sop       byte
	smask     [4]byte
	smasked   bool
	spos      int
	sleft     int64
	stotal    int64
}

// streamMin is the smallest frame payload streamed to a ChunkHandler.
const streamMin = 256 << 10

// frameSink receives what feed parses. Payload slices are only valid during
// the call.
type frameSink interface {
	message(op byte, payload []byte) error
	control(op byte, payload []byte) error
	chunk(op byte, p []byte, first, last bool, total int64) error
}

// feed parses data (which it may modify: payloads are unmasked in place) and
// calls sink for each complete message and control frame. An error means
// the connection must be closed; the close code is closeCodeFor(err) unless
// the sink returned it.
func (r *frameReader) feed(data []byte, sink frameSink) error {
	if r.streaming {
		k := int64(len(data))
		if k > r.sleft {
			k = r.sleft
		}
		p := data[:k]
		if r.smasked {
			r.spos = maskBytes(r.smask, r.spos, p)
		}
		r.sleft -= k
		if r.sleft == 0 {
			r.streaming = false
		}
		if err := sink.chunk(r.sop, p, false, r.sleft == 0, r.stotal); err != nil {
			return err
		}
		data = data[k:]
		if len(data) == 0 {
			return nil
		}
	}
	if len(r.partial) > 0 {
		// Fill up the carried-over frame first. The common case is a large
		// frame arriving over several reads: append into the buffer sized
		// for it when its header was parsed.
		r.partial = append(r.partial, data...)
		data = r.partial
		r.partial = r.partial[:0]
		rest, err := r.parse(data, sink)
		if err != nil {
			r.partial = nil
			return err
		}
		if len(rest) == 0 {
			r.partial = nil // release the buffer of an idle connection
			return nil
		}
		// Keep the tail at the front of the same buffer.
		r.partial = data[:copy(data, rest)]
		return nil
	}
	rest, err := r.parse(data, sink)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		r.partial = append(make([]byte, 0, r.want(rest)), rest...)
	}
	return nil
}

// want is the capacity worth reserving for an incomplete frame: its whole
// size once the header is known (bounded by the limit, which was checked).
func (r *frameReader) want(rest []byte) int {
	h, err := ParseFrameHeader(rest)
	if err != nil {
		return max(len(rest), 16)
	}
	return h.Size + int(h.Length)
}

// parse consumes every complete frame at the start of data and returns the
// unconsumed tail.
func (r *frameReader) parse(data []byte, sink frameSink) ([]byte, error) {
	for len(data) > 0 {
		h, err := ParseFrameHeader(data)
		if err == ErrIncomplete {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if r.server && !h.Masked {
			return nil, ErrMaskRequired
		}
		if !r.server && h.Masked {
			return nil, ErrMaskForbidden
		}
		// Check sizes against the limit before waiting for the payload, so
		// that a length claiming gigabytes is refused at once.
		if h.Op < OpClose {
			total := h.Length
			if h.Op == OpContinuation {
				total += int64(len(r.msg))
			}
			if total > int64(r.limit) {
				return nil, ErrTooBig
			}
		}
		end := int64(h.Size) + h.Length
		if int64(len(data)) < end {
			if r.stream && h.Fin && h.Op == OpBinary && !r.inMsg && h.Length >= streamMin && len(data) >= h.Size {
				p := data[h.Size:]
				r.streaming, r.sop, r.smask, r.smasked, r.stotal = true, h.Op, h.Mask, h.Masked, h.Length
				r.sleft = h.Length - int64(len(p))
				r.spos = 0
				if h.Masked {
					r.spos = maskBytes(h.Mask, 0, p)
				}
				return nil, sink.chunk(h.Op, p, true, false, h.Length)
			}
			return data, nil
		}
		payload := data[h.Size:end]
		if h.Masked {
			maskBytes(h.Mask, 0, payload)
		}
		data = data[end:]
		switch h.Op {
		case OpClose, OpPing, OpPong:
			if err := sink.control(h.Op, payload); err != nil {
				return nil, err
			}
		case OpContinuation:
			if !r.inMsg {
				return nil, ErrBadContinuation
			}
			r.msg = append(r.msg, payload...)
			if h.Fin {
				msg, op := r.msg, r.msgOp
				r.msg, r.inMsg = nil, false
				if err := r.deliver(op, msg, sink); err != nil {
					return nil, err
				}
			}
		default:
			if r.inMsg {
				return nil, ErrBadContinuation
			}
			if h.Fin {
				if err := r.deliver(h.Op, payload, sink); err != nil {
					return nil, err
				}
				continue
			}
			r.inMsg, r.msgOp = true, h.Op
			r.msg = append(make([]byte, 0, len(payload)*2), payload...)
		}
	}
	return nil, nil
}

func (r *frameReader) deliver(op byte, payload []byte, sink frameSink) error {
	return sink.message(op, payload)
}
