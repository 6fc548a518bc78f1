package ws

import (
	"bytes"
	"errors"
	"testing"
)

type recordSink struct {
	msgs [][]byte
	ctl  [][]byte
	cur  []byte
}

func (s *recordSink) message(op byte, p []byte) error {
	if op == OpText {
		return errTextMessage
	}
	s.msgs = append(s.msgs, append([]byte(nil), p...))
	return nil
}

// chunk reassembles streamed messages, so that streaming and assembling
// readers can be compared.
func (s *recordSink) chunk(op byte, p []byte, first, last bool, total int64) error {
	if first {
		s.cur = nil
	}
	s.cur = append(s.cur, p...)
	if last {
		if int64(len(s.cur)) != total {
			return errors.New("streamed message of the wrong size")
		}
		s.msgs = append(s.msgs, s.cur)
		s.cur = nil
	}
	return nil
}

func (s *recordSink) control(op byte, p []byte) error {
	s.ctl = append(s.ctl, append([]byte{op}, p...))
	return nil
}

// FuzzFrameReader feeds arbitrary bytes, whole and cut into pieces, to the
// frame reader: it must never panic, never hold more than the limit, and
// parse the same messages however the bytes are split across reads.
func FuzzFrameReader(f *testing.F) {
	key := [4]byte{9, 8, 7, 6}
	frame := func(op byte, fin bool, p []byte) []byte {
		b := AppendFrameHeader(nil, op, fin, len(p), &key)
		q := append([]byte(nil), p...)
		maskBytes(key, 0, q)
		return append(b, q...)
	}
	f.Add(frame(OpBinary, true, []byte("hello")), uint8(3))
	f.Add(append(frame(OpBinary, false, []byte("he")), append(frame(OpPing, true, nil), frame(OpContinuation, true, []byte("llo"))...)...), uint8(1))
	f.Add(frame(OpBinary, true, make([]byte, 300)), uint8(7))
	f.Add(append(frame(OpBinary, true, bytes.Repeat([]byte{7}, streamMin+5)), frame(OpBinary, true, []byte("after"))...), uint8(200))
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		const limit = 1 << 20
		whole := &recordSink{}
		r1 := frameReader{server: true, limit: limit}
		err1 := r1.feed(append([]byte(nil), data...), whole)
		pieces := &recordSink{}
		r2 := frameReader{server: true, limit: limit}
		var err2 error
		n := int(step%16) + 1
		buf := append([]byte(nil), data...)
		for i := 0; i < len(buf) && err2 == nil; i += n {
			err2 = r2.feed(buf[i:min(i+n, len(buf))], pieces)
		}
		streamed := &recordSink{}
		r3 := frameReader{server: true, limit: limit, stream: true}
		var err3 error
		for i := 0; i < len(buf) && err3 == nil; i += n {
			err3 = r3.feed(append([]byte(nil), data[i:min(i+n, len(data))]...), streamed)
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v, in pieces: %v", err1, err2)
		}
		if err1 == nil && (err3 != nil || len(streamed.msgs) != len(whole.msgs)) {
			t.Fatalf("streamed: %v, %d messages, want %d", err3, len(streamed.msgs), len(whole.msgs))
		}
		for i := range streamed.msgs {
			if err1 == nil && !bytes.Equal(streamed.msgs[i], whole.msgs[i]) {
				t.Fatalf("streamed message %d differs", i)
			}
		}
		if err1 != nil {
			if !errors.Is(err1, err2) && closeCodeFor(err1) != closeCodeFor(err2) {
				t.Fatalf("different errors: %v vs %v", err1, err2)
			}
			return
		}
		if len(whole.msgs) != len(pieces.msgs) || len(whole.ctl) != len(pieces.ctl) {
			t.Fatalf("whole: %d messages, %d control; pieces: %d, %d", len(whole.msgs), len(whole.ctl), len(pieces.msgs), len(pieces.ctl))
		}
		for i := range whole.msgs {
			if !bytes.Equal(whole.msgs[i], pieces.msgs[i]) {
				t.Fatalf("message %d differs", i)
			}
			if len(whole.msgs[i]) > limit {
				t.Fatalf("message of %d bytes passed the limit", len(whole.msgs[i]))
			}
		}
		if cap(r1.partial) > limit+14 || cap(r2.partial) > limit+14+16 {
			t.Fatalf("reader holds %d/%d bytes", cap(r1.partial), cap(r2.partial))
		}
	})
}
