package collab

import (
	"bytes"
	"testing"
)

// The parsers below see every byte a client sends. They must refuse bad
// input with an error, never panic, and never allocate by a length field
// before checking it against the data.

func FuzzParseBody(f *testing.F) {
	f.Add(appendSync(nil, syncStep1, []byte{0}))
	f.Add(appendSync(nil, syncUpdate, textInsert(1, 0, "hi")))
	f.Add(appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: 1, clock: 2, state: []byte(`{"a":1}`)}})))
	f.Add(appendVarString([]byte{msgAuth, authToken}, "token"))
	f.Add(appendVarString([]byte{msgStateless}, "x"))
	f.Add([]byte{msgQueryAwareness})
	f.Add([]byte{msgSync, syncUpdate, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseBody(b)
		if err != nil {
			return
		}
		switch m.typ {
		case msgSync, msgSyncReply:
			// The parsed pieces re-encode to the start of the input when
			// the input used minimal var-uints.
			re := appendSync(nil, m.syncType, m.payload)
			re[0] = byte(m.typ)
			if b[0] < 0x80 && b[1] < 0x80 && minimalLen(b[2:]) && !bytes.HasPrefix(b, re) {
				t.Fatalf("re-encoded %x is not a prefix of %x", re, b)
			}
		case msgAwareness:
			if _, err := parseAwareness(nil, m.payload); err != nil {
				return // a well-framed but bad awareness payload is refused later
			}
		}
	})
}

// minimalLen reports whether b starts with a var-uint in its shortest form.
func minimalLen(b []byte) bool {
	v, rest, err := readVarUint(b)
	return err == nil && varUintLen(v) == len(b)-len(rest)
}

func FuzzParseAwareness(f *testing.F) {
	f.Add(appendAwareness(nil, []awarenessEntry{{clientID: 1, clock: 2, state: []byte(`{"user":{"name":"a"}}`)}}))
	f.Add(appendAwareness(nil, []awarenessEntry{{clientID: 1 << 40, clock: 0, state: nullState}, {clientID: 3, clock: 9, state: []byte(`{}`)}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := parseAwareness(nil, b)
		if err != nil {
			return
		}
		// Whatever parses, re-encodes and parses to the same entries.
		es2, err := parseAwareness(nil, appendAwareness(nil, es))
		if err != nil || len(es2) != len(es) {
			t.Fatalf("round trip: %v, %d vs %d entries", err, len(es2), len(es))
		}
		for i := range es {
			if es[i].clientID != es2[i].clientID || es[i].clock != es2[i].clock || !bytes.Equal(es[i].state, es2[i].state) {
				t.Fatalf("entry %d differs after a round trip", i)
			}
		}
	})
}

func FuzzHocuspocusEnvelope(f *testing.F) {
	f.Add(append(appendVarString(nil, "doc"), appendSync(nil, syncStep1, []byte{0})...))
	f.Add(append(appendVarString(nil, "doc\x00session"), appendVarString(appendVarString([]byte{msgAuth, authToken}, "t"), "4.7.0")...))
	f.Add([]byte{msgPing})
	f.Add([]byte{0x05, 'a', 'b'})
	f.Fuzz(func(t *testing.T, b []byte) {
		key, body, err := readVarString(b)
		if err != nil {
			return
		}
		if len(key)+varUintLen(uint64(len(key))) > len(b) {
			t.Fatalf("key longer than the message")
		}
		parseBody(body)
	})
}

func FuzzParseStateVector(f *testing.F) {
	f.Add([]byte{0})
	f.Add(appendVarUint(appendVarUint([]byte{1}, 1001), 5))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := map[uint64]uint64{}
		if err := parseStateVector(b, m); err == nil && len(m) > len(b) {
			t.Fatalf("%d clients from %d bytes", len(m), len(b))
		}
	})
}
