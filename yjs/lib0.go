package yjs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// This file holds lib0's binary encoding (npm lib0, encoding.js and
// decoding.js): the variable-length integers, strings and byte arrays every
// Yjs message is made of.

// ErrMalformed is wrapped by every error returned for bytes that are not a
// valid encoding: truncated input, out-of-range integers, invalid UTF-8,
// unknown tags and inconsistent structures.
var ErrMalformed = errors.New("yjs: malformed input")

var (
	errEOF      = fmt.Errorf("%w: unexpected end of input", ErrMalformed)
	errOverflow = fmt.Errorf("%w: integer out of range", ErrMalformed)
	errUTF8     = fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER. lib0 refuses
// larger integers, and so do we: no Yjs peer can represent them.
const maxSafeInteger = 1<<53 - 1

// AppendVarUint appends v in lib0's var-uint format: 7 bits per byte, least
// significant group first, the high bit set on every byte but the last.
func AppendVarUint(dst []byte, v uint64) []byte {
	for v > 0x7f {
		dst = append(dst, 0x80|byte(v&0x7f))
		v >>= 7
	}
	return append(dst, byte(v))
}

// ReadVarUint reads a var-uint from the start of b and returns it with the
// number of bytes consumed. Values above 2^53-1 are refused as lib0 does.
func ReadVarUint(b []byte) (v uint64, n int, err error) {
	r := reader{b: b}
	v = r.varUint()
	return v, r.pos, r.err
}

// AppendVarInt appends v in lib0's var-int format: the first byte carries a
// continuation bit, a sign bit and 6 bits of magnitude, later bytes 7 bits.
func AppendVarInt(dst []byte, v int64) []byte {
	if v < 0 {
		return appendVarIntSign(dst, uint64(-v), true)
	}
	return appendVarIntSign(dst, uint64(v), false)
}

// appendVarIntSign writes a sign and a magnitude separately, which is how
// lib0 writes negative zero (used by the v2 run-length encoders).
func appendVarIntSign(dst []byte, abs uint64, neg bool) []byte {
	b := byte(abs & 0x3f)
	if neg {
		b |= 0x40
	}
	abs >>= 6
	if abs > 0 {
		b |= 0x80
	}
	dst = append(dst, b)
	for abs > 0 {
		b = byte(abs & 0x7f)
		abs >>= 7
		if abs > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
	}
	return dst
}

// ReadVarInt reads a var-int from the start of b and returns it with the
// number of bytes consumed.
func ReadVarInt(b []byte) (v int64, n int, err error) {
	r := reader{b: b}
	abs, neg := r.varInt()
	if neg {
		return -int64(abs), r.pos, r.err
	}
	return int64(abs), r.pos, r.err
}

// AppendVarBytes appends p prefixed by its length as a var-uint.
func AppendVarBytes(dst, p []byte) []byte {
	dst = AppendVarUint(dst, uint64(len(p)))
	return append(dst, p...)
}

// ReadVarBytes reads a length-prefixed byte array from the start of b. The
// result aliases b.
func ReadVarBytes(b []byte) (p []byte, n int, err error) {
	r := reader{b: b}
	p = r.varBytes()
	return p, r.pos, r.err
}

// AppendVarString appends s as a length-prefixed UTF-8 string.
func AppendVarString(dst []byte, s string) []byte {
	dst = AppendVarUint(dst, uint64(len(s)))
	return append(dst, s...)
}

// ReadVarString reads a length-prefixed UTF-8 string from the start of b.
// Invalid UTF-8 is an error, as in lib0 (its TextDecoder is fatal).
func ReadVarString(b []byte) (s string, n int, err error) {
	r := reader{b: b}
	s = r.varString()
	return s, r.pos, r.err
}

// reader decodes lib0 values from a byte slice. The first error sticks:
// later reads return zero values, so callers can check err once after a
// batch of reads. Loops whose trip count comes from the input must check it
// (or bound the count by the remaining input) to stay finite.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.pos = len(r.b)
}

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) hasContent() bool { return r.pos < len(r.b) }

func (r *reader) uint8() byte {
	if r.pos >= len(r.b) {
		r.fail(errEOF)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) varUint() uint64 {
	b := r.b
	pos := r.pos
	if pos < len(b) && b[pos] < 0x80 {
		r.pos = pos + 1
		return uint64(b[pos])
	}
	var v uint64
	var shift uint
	for pos < len(b) {
		c := b[pos]
		pos++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			r.pos = pos
			if v > maxSafeInteger || (shift == 49 && c > 0x0f) {
				r.fail(errOverflow)
				return 0
			}
			return v
		}
		shift += 7
		if shift > 49 {
			r.fail(errOverflow)
			return 0
		}
	}
	r.fail(errEOF)
	return 0
}

// varInt returns the magnitude and the sign separately so that negative
// zero survives (lib0's run-length encoders give it a meaning).
func (r *reader) varInt() (abs uint64, neg bool) {
	if r.pos >= len(r.b) {
		r.fail(errEOF)
		return 0, false
	}
	c := r.b[r.pos]
	r.pos++
	abs = uint64(c & 0x3f)
	neg = c&0x40 != 0
	if c < 0x80 {
		return abs, neg
	}
	shift := uint(6)
	for r.pos < len(r.b) {
		c = r.b[r.pos]
		r.pos++
		abs |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if abs > maxSafeInteger || (shift == 48 && c > 0x1f) {
				r.fail(errOverflow)
				return 0, false
			}
			return abs, neg
		}
		shift += 7
		if shift > 48 {
			r.fail(errOverflow)
			return 0, false
		}
	}
	r.fail(errEOF)
	return 0, false
}

// length reads a var-uint that counts bytes still to come and refuses it
// when it exceeds the remaining input, before anything is allocated.
func (r *reader) length() int {
	n := r.varUint()
	if n > uint64(r.remaining()) {
		r.fail(errEOF)
		return 0
	}
	return int(n)
}

// count reads a var-uint that counts elements of at least minBytes bytes
// each and refuses it when the remaining input cannot hold them.
func (r *reader) count(minBytes int) int {
	n := r.varUint()
	if n > uint64(r.remaining()/minBytes) {
		r.fail(errEOF)
		return 0
	}
	return int(n)
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > r.remaining() {
		r.fail(errEOF)
		return nil
	}
	p := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return p
}

func (r *reader) varBytes() []byte { return r.bytes(r.length()) }

func (r *reader) varString() string {
	p := r.varBytes()
	if !utf8.Valid(p) {
		r.fail(errUTF8)
		return ""
	}
	return string(p)
}

func (r *reader) float32() float32 {
	p := r.bytes(4)
	if p == nil {
		return 0
	}
	return math.Float32frombits(binary.BigEndian.Uint32(p))
}

func (r *reader) float64() float64 {
	p := r.bytes(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(p))
}

func (r *reader) int64() int64 {
	p := r.bytes(8)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

func appendFloat32(dst []byte, f float32) []byte {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(f))
}

func appendFloat64(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(f))
}

// utf16Len returns the number of UTF-16 code units of s, the unit in which
// Yjs counts text (JavaScript's String.length).
func utf16Len(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			continue
		}
		// A continuation byte takes one unit back; a 4-byte sequence is two
		// units (a surrogate pair), so its lead gives one back.
		switch {
		case c < 0xc0:
			n--
		case c >= 0xf0:
			n++
		}
	}
	return n
}

// textUnits returns the UTF-16 length of UTF-8 text p, false if p is not
// valid UTF-8: one pass for ASCII, eight bytes at a time.
func textUnits(p []byte) (int, bool) {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 != 0 {
			return textUnitsSlow(p)
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x80 {
			return textUnitsSlow(p)
		}
	}
	return len(p), true
}

func textUnitsSlow(p []byte) (int, bool) {
	if !utf8.Valid(p) {
		return 0, false
	}
	return utf16LenBytes(p), true
}

func utf16LenBytes(s []byte) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			continue
		}
		switch {
		case c < 0xc0:
			n--
		case c >= 0xf0:
			n++
		}
	}
	return n
}
