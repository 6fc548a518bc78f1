package yjs

import "unicode/utf8"

// The column encoders of update format v2 (lib0 encoding.js): each field of
// the structs goes to its own column, compressed with one of these.

// rleEncoder run-length encodes bytes: a value, then (when the value
// changes) the run length minus one. The last run's length is never
// written; the decoder repeats the last value forever.
type rleEncoder struct {
	buf   []byte
	s     int // -1 before the first value
	count uint64
}

func (e *rleEncoder) reset() { e.buf, e.s, e.count = e.buf[:0], -1, 0 }

func (e *rleEncoder) write(v byte) {
	if e.s == int(v) {
		e.count++
		return
	}
	if e.count > 0 {
		e.buf = AppendVarUint(e.buf, e.count-1)
	}
	e.count = 1
	e.buf = append(e.buf, v)
	e.s = int(v)
}

// uintOptRleEncoder writes a value alone as a positive var-int, or a run as
// the negated value (negative zero included) followed by the run length
// minus two.
type uintOptRleEncoder struct {
	buf   []byte
	s     uint64
	count uint64
}

func (e *uintOptRleEncoder) reset() { e.buf, e.s, e.count = e.buf[:0], 0, 0 }

func (e *uintOptRleEncoder) write(v uint64) {
	if e.s == v {
		e.count++
		return
	}
	e.flush()
	e.count = 1
	e.s = v
}

func (e *uintOptRleEncoder) flush() {
	if e.count == 0 {
		return
	}
	e.buf = appendVarIntSign(e.buf, e.s, e.count > 1)
	if e.count > 1 {
		e.buf = AppendVarUint(e.buf, e.count-2)
	}
}

// finish flushes the pending run and returns the column.
func (e *uintOptRleEncoder) finish() []byte {
	e.flush()
	e.count = 0
	return e.buf
}

// intDiffOptRleEncoder encodes the differences between consecutive values;
// the lowest bit of the written var-int says whether a run length follows.
type intDiffOptRleEncoder struct {
	buf   []byte
	s     int64
	count uint64
	diff  int64
}

func (e *intDiffOptRleEncoder) reset() { e.buf, e.s, e.count, e.diff = e.buf[:0], 0, 0, 0 }

func (e *intDiffOptRleEncoder) write(v uint64) {
	d := int64(v) - e.s
	if e.diff == d {
		// lib0 compares against the initial diff of 0 too: a first value
		// of 0 starts a run without a flush.
		e.s = int64(v)
		e.count++
		return
	}
	e.flush()
	e.count = 1
	e.diff = d
	e.s = int64(v)
}

func (e *intDiffOptRleEncoder) flush() {
	if e.count == 0 {
		return
	}
	enc := e.diff * 2
	if e.count > 1 {
		enc++
	}
	if enc < 0 {
		e.buf = appendVarIntSign(e.buf, uint64(-enc), true)
	} else {
		e.buf = appendVarIntSign(e.buf, uint64(enc), false)
	}
	if e.count > 1 {
		e.buf = AppendVarUint(e.buf, e.count-2)
	}
}

func (e *intDiffOptRleEncoder) finish() []byte {
	e.flush()
	e.count = 0
	return e.buf
}

// stringEncoder concatenates strings into one and records their lengths in
// UTF-16 code units (JavaScript string lengths).
type stringEncoder struct {
	buf  []byte
	lens uintOptRleEncoder
}

func (e *stringEncoder) reset() { e.buf = e.buf[:0]; e.lens.reset() }

func (e *stringEncoder) write(s string) {
	e.buf = append(e.buf, s...)
	e.lens.write(uint64(utf16Len(s)))
}

// writeBytes writes UTF-8 text whose UTF-16 length is known.
func (e *stringEncoder) writeBytes(s []byte, units int) {
	e.buf = append(e.buf, s...)
	e.lens.write(uint64(units))
}

// appendTo appends the column: the concatenated string as a var-string,
// then the lengths.
func (e *stringEncoder) appendTo(dst []byte) []byte {
	dst = AppendVarBytes(dst, e.buf)
	return append(dst, e.lens.finish()...)
}

func sizeVarUint(v uint64) int {
	n := 1
	for v > 0x7f {
		v >>= 7
		n++
	}
	return n
}

// rleDecoder decodes an rleEncoder column.
type rleDecoder struct {
	r     reader
	s     byte
	count int64 // -1: repeat s forever
}

// read is small enough to be inlined: most reads are inside a run.
func (d *rleDecoder) read() byte {
	if d.count == 0 {
		d.next()
	}
	d.count--
	return d.s
}

func (d *rleDecoder) next() {
	d.s = d.r.uint8()
	if d.r.hasContent() {
		c := d.r.varUint()
		d.count = int64(c) + 1
	} else {
		d.count = -1
	}
}

// uintOptRleDecoder decodes a uintOptRleEncoder column.
type uintOptRleDecoder struct {
	r     reader
	s     uint64
	count uint64
}

func (d *uintOptRleDecoder) read() uint64 {
	if d.count == 0 {
		d.next()
	}
	d.count--
	return d.s
}

func (d *uintOptRleDecoder) next() {
	abs, neg := d.r.varInt()
	d.s = abs
	d.count = 1
	if neg {
		d.count = d.r.varUint() + 2
	}
}

// intDiffOptRleDecoder decodes an intDiffOptRleEncoder column. The values
// may come out negative for malformed input; callers validate them.
type intDiffOptRleDecoder struct {
	r     reader
	s     int64
	count uint64
	diff  int64
}

func (d *intDiffOptRleDecoder) read() int64 {
	if d.count == 0 {
		d.next()
	}
	d.s += d.diff
	d.count--
	return d.s
}

func (d *intDiffOptRleDecoder) next() {
	abs, neg := d.r.varInt()
	v := int64(abs)
	if neg {
		v = -v
	}
	d.diff = v >> 1 // floor(v / 2)
	d.count = 1
	if v&1 != 0 {
		d.count = d.r.varUint() + 2
	}
}

// stringDecoder decodes a stringEncoder column: one UTF-8 string sliced by
// UTF-16 lengths.
type stringDecoder struct {
	str   string
	pos   int // byte offset into str
	ascii bool
	// half is set when the previous string ended between the two halves
	// of the surrogate pair at pos.
	half bool
	lens uintOptRleDecoder
	err  error
}

func (d *stringDecoder) init(col []byte) {
	r := reader{b: col}
	d.str = r.varString()
	d.pos = 0
	d.half = false
	d.ascii = len(d.str) == utf16Len(d.str)
	d.lens = uintOptRleDecoder{r: reader{b: col[r.pos:]}}
	d.err = r.err
}

func (d *stringDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

var errStringColumn = malformed("string length past the end of the string column")

// read returns the next string. A length past the end of the column is an
// error. A slice that splits a surrogate pair gets U+FFFD for each half,
// which is what the lone halves become when yjs encodes them again.
func (d *stringDecoder) read() string {
	s, _ := d.readUnits()
	return s
}

// readUnits returns the next string and its length in UTF-16 units.
func (d *stringDecoder) readUnits() (string, uint64) {
	n := d.lens.read()
	if d.lens.r.err != nil {
		d.fail(d.lens.r.err)
		return "", 0
	}
	if n == 0 {
		return "", 0
	}
	if d.ascii {
		if n > uint64(len(d.str)-d.pos) {
			d.fail(errStringColumn)
			return "", 0
		}
		s := d.str[d.pos : d.pos+int(n)]
		d.pos += int(n)
		return s, n
	}
	var prefix string
	units := uint64(0)
	i := d.pos
	if d.half {
		prefix = "\uFFFD"
		units = 1
		i += 4
		d.half = false
	}
	start := i
	for units < n {
		if i >= len(d.str) {
			d.fail(errStringColumn)
			return "", 0
		}
		c := d.str[i]
		if c < 0x80 {
			i++
			units++
			continue
		}
		_, size := utf8.DecodeRuneInString(d.str[i:])
		if size == 4 {
			if units+1 == n {
				d.pos = i
				d.half = true
				return prefix + d.str[start:i] + "\uFFFD", n
			}
			units += 2
		} else {
			units++
		}
		i += size
	}
	d.pos = i
	if prefix != "" {
		return prefix + d.str[start:i], n
	}
	return d.str[start:i], n
}
