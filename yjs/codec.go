package yjs

import "errors"

// ID identifies one unit of content: the client that created it and the
// client's clock (the number of units it had created before).
type ID struct {
	Client uint64
	Clock  uint64
}

// encoder writes the fields of structs and delete sets in update format v1
// or v2 (yjs UpdateEncoderV1/V2 and DSEncoderV1/V2). In v1 every field goes
// to one byte stream; in v2 most go to their own run-length encoded column
// and only the rest to the main stream.
type encoder struct {
	v2   bool
	rest []byte
	err  error

	keyClock   intDiffOptRleEncoder
	client     uintOptRleEncoder
	leftClock  intDiffOptRleEncoder
	rightClock intDiffOptRleEncoder
	info       rleEncoder
	str        stringEncoder
	parentInfo rleEncoder
	typeRef    uintOptRleEncoder
	len        uintOptRleEncoder
	keyCount   uint64
	dsCurr     uint64
}

func newEncoder(v2 bool) *encoder {
	e := &encoder{v2: v2}
	e.info.s = -1
	e.parentInfo.s = -1
	return e
}

func (e *encoder) reset(v2 bool) {
	e.v2 = v2
	e.rest = e.rest[:0]
	e.err = nil
	e.keyClock.reset()
	e.client.reset()
	e.leftClock.reset()
	e.rightClock.reset()
	e.info.reset()
	e.str.reset()
	e.parentInfo.reset()
	e.typeRef.reset()
	e.len.reset()
	e.keyCount = 0
	e.dsCurr = 0
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *encoder) writeVarUint(v uint64) { e.rest = AppendVarUint(e.rest, v) }

func (e *encoder) writeClient(c uint64) {
	if e.v2 {
		e.client.write(c)
	} else {
		e.rest = AppendVarUint(e.rest, c)
	}
}

func (e *encoder) writeLeftID(id ID) {
	if e.v2 {
		e.client.write(id.Client)
		e.leftClock.write(id.Clock)
	} else {
		e.rest = AppendVarUint(AppendVarUint(e.rest, id.Client), id.Clock)
	}
}

func (e *encoder) writeRightID(id ID) {
	if e.v2 {
		e.client.write(id.Client)
		e.rightClock.write(id.Clock)
	} else {
		e.rest = AppendVarUint(AppendVarUint(e.rest, id.Client), id.Clock)
	}
}

func (e *encoder) writeInfo(info byte) {
	if e.v2 {
		e.info.write(info)
	} else {
		e.rest = append(e.rest, info)
	}
}

func (e *encoder) writeString(s string) {
	if e.v2 {
		e.str.write(s)
	} else {
		e.rest = AppendVarString(e.rest, s)
	}
}

// writeText writes UTF-8 text whose UTF-16 length is known.
func (e *encoder) writeText(s []byte, units int) {
	if e.v2 {
		e.str.writeBytes(s, units)
	} else {
		e.rest = AppendVarBytes(e.rest, s)
	}
}

func (e *encoder) writeParentInfo(isYKey bool) {
	var b byte
	if isYKey {
		b = 1
	}
	if e.v2 {
		e.parentInfo.write(b)
	} else {
		e.rest = append(e.rest, b)
	}
}

func (e *encoder) writeTypeRef(ref uint8) {
	if e.v2 {
		e.typeRef.write(uint64(ref))
	} else {
		e.rest = append(e.rest, ref)
	}
}

func (e *encoder) writeLen(n uint64) {
	if e.v2 {
		e.len.write(n)
	} else {
		e.rest = AppendVarUint(e.rest, n)
	}
}

func (e *encoder) writeAny(v any) { e.rest = appendAny(e.rest, v) }

func (e *encoder) writeBuf(b []byte) { e.rest = AppendVarBytes(e.rest, b) }

// writeJSON writes an embed or a formatting value: JSON text in v1, a lib0
// value in v2.
func (e *encoder) writeJSON(v any) {
	if e.v2 {
		e.rest = appendAny(e.rest, v)
		return
	}
	e.rest = appendJSONVarString(e.rest, v, e)
}

// appendJSONVarString appends JSON.stringify(v) as a var-string. yjs
// fails on a value JSON cannot render (undefined, bigint), and so do we.
func appendJSONVarString(dst []byte, v any, e *encoder) []byte {
	js, ok, err := appendJSON(nil, v)
	if err != nil {
		e.fail(err)
	} else if !ok {
		e.fail(errors.New("yjs: undefined cannot be encoded as JSON"))
	}
	return AppendVarBytes(dst, js)
}

func (e *encoder) writeKey(k string) {
	if e.v2 {
		// yjs never reuses a key index when writing (its key cache is
		// disabled), so every key is new.
		e.keyClock.write(e.keyCount)
		e.keyCount++
		e.str.write(k)
	} else {
		e.rest = AppendVarString(e.rest, k)
	}
}

func (e *encoder) resetDsCurVal() { e.dsCurr = 0 }

func (e *encoder) writeDsClock(clock uint64) {
	if !e.v2 {
		e.rest = AppendVarUint(e.rest, clock)
		return
	}
	if clock < e.dsCurr {
		e.fail(errors.New("yjs: delete set ranges out of order cannot be encoded in format v2"))
		return
	}
	e.rest = AppendVarUint(e.rest, clock-e.dsCurr)
	e.dsCurr = clock
}

func (e *encoder) writeDsLen(n uint64) {
	if !e.v2 {
		e.rest = AppendVarUint(e.rest, n)
		return
	}
	if n == 0 {
		e.fail(errors.New("yjs: an empty delete range cannot be encoded in format v2"))
		return
	}
	e.rest = AppendVarUint(e.rest, n-1)
	e.dsCurr += n
}

// bytes returns the encoded update in a new slice (update handlers may
// keep it; see Doc.OnUpdate). In v2 the columns come first, each prefixed
// by its length, then the main stream without a prefix.
func (e *encoder) bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	if !e.v2 {
		return append([]byte(nil), e.rest...), nil
	}
	keyClock := e.keyClock.finish()
	client := e.client.finish()
	left := e.leftClock.finish()
	right := e.rightClock.finish()
	typeRef := e.typeRef.finish()
	lens := e.len.finish()
	strLens := e.str.lens.finish()
	strCol := sizeVarUint(uint64(len(e.str.buf))) + len(e.str.buf) + len(strLens)
	n := 1 + len(e.rest) + 9*5 + len(keyClock) + len(client) + len(left) + len(right) +
		len(e.info.buf) + strCol + len(e.parentInfo.buf) + len(typeRef) + len(lens)
	out := make([]byte, 0, n)
	out = append(out, 0) // feature flag, always 0
	out = AppendVarBytes(out, keyClock)
	out = AppendVarBytes(out, client)
	out = AppendVarBytes(out, left)
	out = AppendVarBytes(out, right)
	out = AppendVarBytes(out, e.info.buf)
	out = AppendVarUint(out, uint64(strCol))
	out = AppendVarBytes(out, e.str.buf)
	out = append(out, strLens...)
	out = AppendVarBytes(out, e.parentInfo.buf)
	out = AppendVarBytes(out, typeRef)
	out = AppendVarBytes(out, lens)
	out = append(out, e.rest...)
	return out, nil
}

// decoder reads what encoder writes.
type decoder struct {
	v2   bool
	rest reader

	keyClock   intDiffOptRleDecoder
	client     uintOptRleDecoder
	leftClock  intDiffOptRleDecoder
	rightClock intDiffOptRleDecoder
	info       rleDecoder
	str        stringDecoder
	parentInfo rleDecoder
	typeRef    uintOptRleDecoder
	len        uintOptRleDecoder
	keys       []string
	dsCurr     uint64
	err        error
}

func newDecoder(b []byte, v2 bool) *decoder {
	d := &decoder{}
	d.init(b, v2)
	return d
}

func (d *decoder) init(b []byte, v2 bool) {
	*d = decoder{v2: v2, rest: reader{b: b}}
	if !v2 {
		return
	}
	r := &d.rest
	r.varUint() // feature flag, unused
	d.keyClock.r.b = r.varBytes()
	d.client.r.b = r.varBytes()
	d.leftClock.r.b = r.varBytes()
	d.rightClock.r.b = r.varBytes()
	d.info.r.b = r.varBytes()
	d.str.init(r.varBytes())
	d.parentInfo.r.b = r.varBytes()
	d.typeRef.r.b = r.varBytes()
	d.len.r.b = r.varBytes()
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// error returns the first error of any of the streams.
func (d *decoder) error() error {
	if d.err != nil {
		return d.err
	}
	if d.rest.err != nil {
		return d.rest.err
	}
	if !d.v2 {
		return nil
	}
	for _, err := range [...]error{d.keyClock.r.err, d.client.r.err, d.leftClock.r.err, d.rightClock.r.err,
		d.info.r.err, d.str.err, d.parentInfo.r.err, d.typeRef.r.err, d.len.r.err} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) readClient() uint64 {
	if d.v2 {
		c := d.client.read()
		if c > maxSafeInteger {
			d.fail(errOverflow)
		}
		return c
	}
	return d.rest.varUint()
}

func (d *decoder) clockValue(v int64) uint64 {
	if v < 0 || v > maxSafeInteger {
		d.fail(malformed("clock %d out of range", v))
		return 0
	}
	return uint64(v)
}

func (d *decoder) readLeftID() ID {
	if d.v2 {
		c := d.readClient()
		return ID{c, d.clockValue(d.leftClock.read())}
	}
	c := d.rest.varUint()
	return ID{c, d.rest.varUint()}
}

func (d *decoder) readRightID() ID {
	if d.v2 {
		c := d.readClient()
		return ID{c, d.clockValue(d.rightClock.read())}
	}
	c := d.rest.varUint()
	return ID{c, d.rest.varUint()}
}

func (d *decoder) readInfo() byte {
	if d.v2 {
		return d.info.read()
	}
	return d.rest.uint8()
}

func (d *decoder) readString() string {
	if d.v2 {
		return d.str.read()
	}
	return d.rest.varString()
}

func (d *decoder) readParentInfo() bool {
	if d.v2 {
		return d.parentInfo.read() == 1
	}
	return d.rest.varUint() == 1
}

func (d *decoder) readTypeRef() uint64 {
	if d.v2 {
		return d.typeRef.read()
	}
	return d.rest.varUint()
}

func (d *decoder) readLen() uint64 {
	if d.v2 {
		n := d.len.read()
		if n > maxSafeInteger {
			d.fail(errOverflow)
			return 0
		}
		return n
	}
	return d.rest.varUint()
}

func (d *decoder) readAny() any { return d.rest.readAny(0) }

func (d *decoder) readBuf() []byte {
	p := d.rest.varBytes()
	return append(make([]byte, 0, len(p)), p...)
}

func (d *decoder) readJSON() any {
	if d.v2 {
		return d.rest.readAny(0)
	}
	s := d.rest.varString()
	if d.rest.err != nil {
		return nil
	}
	v, err := parseJSON(s)
	if err != nil {
		d.fail(err)
		return nil
	}
	return v
}

func (d *decoder) readKey() string {
	if !d.v2 {
		return d.rest.varString()
	}
	k := d.keyClock.read()
	if k >= 0 && k < int64(len(d.keys)) {
		return d.keys[k]
	}
	s := d.str.read()
	d.keys = append(d.keys, s)
	return s
}

func (d *decoder) resetDsCurVal() { d.dsCurr = 0 }

func (d *decoder) readDsClock() uint64 {
	v := d.rest.varUint()
	if !d.v2 {
		return v
	}
	d.dsCurr += v
	if d.dsCurr > maxSafeInteger {
		d.fail(errOverflow)
		return 0
	}
	return d.dsCurr
}

func (d *decoder) readDsLen() uint64 {
	v := d.rest.varUint()
	if !d.v2 {
		return v
	}
	v++
	d.dsCurr += v
	if d.dsCurr > maxSafeInteger {
		d.fail(errOverflow)
		return 0
	}
	return v
}
