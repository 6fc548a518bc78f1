package collab

import (
	"errors"
	"unicode/utf8"
)

// The message layer of the two dialects, over lib0 encoding (var-uints,
// length-prefixed bytes and strings). Parsing is zero-copy: results alias
// the input, which is only valid while a message is being handled.

// Message types shared by y-websocket and Hocuspocus (Hocuspocus prefixes
// each message with the document name).
const (
	msgSync           = 0
	msgAwareness      = 1
	msgAuth           = 2
	msgQueryAwareness = 3
	msgSyncReply      = 4 // Hocuspocus: a sync message that asks for no step 1 in return
	msgStateless      = 5
	msgClose          = 7
	msgSyncStatus     = 8
	msgPing           = 9
	msgPong           = 10
)

// y-protocols sync message types.
const (
	syncStep1  = 0
	syncStep2  = 1
	syncUpdate = 2
)

// Auth message types (y-protocols auth and Hocuspocus).
const (
	authToken            = 0
	authPermissionDenied = 1 // Hocuspocus; y-protocols uses 0 from server to client
	authAuthenticated    = 2
	ywsPermissionDenied  = 0
)

var (
	errVarUint   = errors.New("malformed var-uint")
	errTruncated = errors.New("truncated message")
	errBadString = errors.New("string is not valid UTF-8")
	errTooLong   = errors.New("length field exceeds the message")
)

// readVarUint decodes a lib0 var-uint (7 bits per byte, little end first).
// It refuses more than 64 bits.
func readVarUint(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, nil, errVarUint
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, b[i+1:], nil
		}
		if i == 9 {
			return 0, nil, errVarUint
		}
	}
	return 0, nil, errTruncated
}

// readVarBytes decodes a var-uint length followed by that many bytes. The
// length is checked against what is left before anything is allocated.
func readVarBytes(b []byte) ([]byte, []byte, error) {
	n, rest, err := readVarUint(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(rest)) {
		return nil, nil, errTooLong
	}
	return rest[:n], rest[n:], nil
}

// readVarString is readVarBytes for UTF-8 text.
func readVarString(b []byte) (string, []byte, error) {
	p, rest, err := readVarBytes(b)
	if err != nil {
		return "", nil, err
	}
	if !utf8.Valid(p) {
		return "", nil, errBadString
	}
	return string(p), rest, nil
}

func appendVarUint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func appendVarBytes(dst, p []byte) []byte {
	dst = appendVarUint(dst, uint64(len(p)))
	return append(dst, p...)
}

func appendVarString(dst []byte, s string) []byte {
	dst = appendVarUint(dst, uint64(len(s)))
	return append(dst, s...)
}

func varUintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// message is one parsed protocol message.
type message struct {
	typ      uint64
	syncType uint64 // for msgSync
	payload  []byte // sync payload, awareness update, stateless payload
	token    string // for msgAuth
	authType uint64
}

// parseBody parses a message after any document-name prefix.
func parseBody(b []byte) (message, error) {
	var m message
	typ, rest, err := readVarUint(b)
	if err != nil {
		return m, err
	}
	m.typ = typ
	switch typ {
	case msgSync, msgSyncReply:
		if m.syncType, rest, err = readVarUint(rest); err != nil {
			return m, err
		}
		if m.syncType > syncUpdate {
			return m, errors.New("unknown sync message type")
		}
		if m.payload, _, err = readVarBytes(rest); err != nil {
			return m, err
		}
	case msgAwareness:
		if m.payload, _, err = readVarBytes(rest); err != nil {
			return m, err
		}
	case msgAuth:
		if m.authType, rest, err = readVarUint(rest); err != nil {
			return m, err
		}
		if m.authType == authToken {
			if m.token, _, err = readVarString(rest); err != nil {
				return m, err
			}
		}
	case msgQueryAwareness, msgClose:
	case msgStateless:
		var s string
		if s, _, err = readVarString(rest); err != nil {
			return m, err
		}
		m.payload = []byte(s)
	default:
		return m, errUnknownType
	}
	return m, nil
}

var errUnknownType = errors.New("unknown message type")

// awarenessEntry is one client's state in an awareness update. state is
// JSON; "null" means the client is gone.
type awarenessEntry struct {
	clientID uint64
	clock    uint64
	state    []byte
}

// maxAwarenessEntries bounds the entries of one awareness update; real
// clients send their own state, or a handful when relaying.
const maxAwarenessEntries = 1 << 12

// parseAwareness decodes an awareness update, appending to dst.
func parseAwareness(dst []awarenessEntry, b []byte) ([]awarenessEntry, error) {
	n, rest, err := readVarUint(b)
	if err != nil {
		return dst, err
	}
	if n > maxAwarenessEntries || n > uint64(len(rest)) {
		return dst, errTooLong
	}
	for range n {
		var e awarenessEntry
		if e.clientID, rest, err = readVarUint(rest); err != nil {
			return dst, err
		}
		if e.clock, rest, err = readVarUint(rest); err != nil {
			return dst, err
		}
		if e.state, rest, err = readVarBytes(rest); err != nil {
			return dst, err
		}
		if !utf8.Valid(e.state) {
			return dst, errBadString
		}
		dst = append(dst, e)
	}
	return dst, nil
}

var nullState = []byte("null")

func appendAwareness(dst []byte, entries []awarenessEntry) []byte {
	dst = appendVarUint(dst, uint64(len(entries)))
	for _, e := range entries {
		dst = appendVarUint(dst, e.clientID)
		dst = appendVarUint(dst, e.clock)
		dst = appendVarBytes(dst, e.state)
	}
	return dst
}

// parseStateVector decodes a Yjs state vector (count, then client/clock
// pairs) into dst.
func parseStateVector(b []byte, dst map[uint64]uint64) error {
	n, rest, err := readVarUint(b)
	if err != nil {
		return err
	}
	if n > uint64(len(rest)) {
		return errTooLong
	}
	for range n {
		var client, clock uint64
		if client, rest, err = readVarUint(rest); err != nil {
			return err
		}
		if clock, rest, err = readVarUint(rest); err != nil {
			return err
		}
		dst[client] = clock
	}
	return nil
}

// emptyStateVector reports whether sv encodes no clients: the client has
// nothing, so the cached full-state encoding answers it.
func emptyStateVector(sv []byte) bool {
	return len(sv) == 0 || (len(sv) == 1 && sv[0] == 0)
}

// emptyUpdate is the v1 update with no structs and no deletions.
func emptyUpdate(u []byte) bool {
	return len(u) == 2 && u[0] == 0 && u[1] == 0
}

// Builders of outgoing message bodies (without a document-name prefix).

func appendSync(dst []byte, syncType uint64, payload []byte) []byte {
	dst = append(dst, msgSync, byte(syncType))
	return appendVarBytes(dst, payload)
}

func appendAwarenessMsg(dst []byte, update []byte) []byte {
	dst = append(dst, msgAwareness)
	return appendVarBytes(dst, update)
}
