package collab

import (
	"errors"

	"github.com/tandem-docs/tandem/yjs"
)

// clockRange is the clocks [from, to) of some structs of one client.
type clockRange struct{ from, to uint64 }

// clockRanges are the clocks of an update's structs, per client: sorted,
// disjoint intervals.
type clockRanges map[uint64][]clockRange

// add records [from, to) for client, merging touching intervals.
func (cr clockRanges) add(client, from, to uint64) {
	rs := cr[client]
	if n := len(rs); n > 0 && rs[n-1].to >= from && rs[n-1].from <= from {
		rs[n-1].to = max(rs[n-1].to, to)
		cr[client] = rs
		return
	}
	rs = append(rs, clockRange{from, to})
	// Keep them sorted and merged (updates of a client mostly arrive in
	// order, so this rarely does more than the append).
	for i := len(rs) - 1; i > 0 && rs[i-1].from > rs[i].from; i-- {
		rs[i-1], rs[i] = rs[i], rs[i-1]
	}
	out := rs[:1]
	for _, r := range rs[1:] {
		if last := &out[len(out)-1]; r.from <= last.to {
			last.to = max(last.to, r.to)
		} else {
			out = append(out, r)
		}
	}
	cr[client] = out
}

// covering returns the end of the interval of client that contains clock,
// or 0 if none does.
func (cr clockRanges) covering(client, clock uint64) uint64 {
	for _, r := range cr[client] {
		if r.from <= clock && clock < r.to {
			return r.to
		}
	}
	return 0
}

var errRanges = errors.New("malformed update")

// updateRanges reads a v1 update's struct headers and adds the clocks its
// structs cover (Skips excluded) to cr. It returns whether the update
// carries deletions. It decodes only what it must to find each struct's
// length, without integrating anything.
//
// When an instance catches up with updates another instance appended, its
// own pending updates may hold some of the same structs (a client that sent
// them to both instances); these ranges let it drop those from what it still
// has to append, so nothing is stored twice.
func updateRanges(u []byte, cr clockRanges) (bool, error) {
	r := rangeReader{b: u}
	nclients := r.uint()
	for i := uint64(0); i < nclients && r.err == nil; i++ {
		nstructs := r.uint()
		client := r.uint()
		clock := r.uint()
		if nstructs > uint64(len(r.b)) {
			return false, errRanges
		}
		for j := uint64(0); j < nstructs && r.err == nil; j++ {
			n, skip := r.structLen()
			if !skip && n > 0 && cr != nil {
				cr.add(client, clock, clock+n)
			}
			clock += n
		}
	}
	// Delete set: clients, each with (clock, length) pairs.
	deletes := false
	nds := r.uint()
	for i := uint64(0); i < nds && r.err == nil; i++ {
		r.uint()
		n := r.uint()
		if n > uint64(len(r.b)) {
			return false, errRanges
		}
		for j := uint64(0); j < n && r.err == nil; j++ {
			r.uint()
			if r.uint() > 0 {
				deletes = true
			}
		}
	}
	if r.err != nil {
		return false, r.err
	}
	return deletes, nil
}

type rangeReader struct {
	b   []byte
	err error
}

func (r *rangeReader) fail() {
	r.err = errRanges
	r.b = nil
}

func (r *rangeReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n, err := yjs.ReadVarUint(r.b)
	if err != nil {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rangeReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes skips a length-prefixed byte string and returns it.
func (r *rangeReader) bytes() []byte {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// structLen reads one struct and returns its length in clocks and whether
// it is a Skip.
func (r *rangeReader) structLen() (uint64, bool) {
	info := r.byte()
	switch info & 0x1f {
	case 0: // GC
		return r.uint(), false
	case 10: // Skip
		return r.uint(), true
	}
	if info&0xc0 == 0 {
		// No origins: the parent follows, then the map key if any.
		if r.uint() == 1 {
			r.bytes() // root type name
		} else {
			r.uint()
			r.uint()
		}
		if info&0x20 != 0 {
			r.bytes()
		}
	} else {
		if info&0x80 != 0 {
			r.uint()
			r.uint()
		}
		if info&0x40 != 0 {
			r.uint()
			r.uint()
		}
	}
	switch info & 0x1f {
	case 1: // Deleted
		return r.uint(), false
	case 2: // JSON
		n := r.uint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.bytes()
		}
		return n, false
	case 3: // Binary
		r.bytes()
		return 1, false
	case 4: // String
		return uint64(utf16Len(r.bytes())), false
	case 5: // Embed
		r.bytes()
		return 1, false
	case 6: // Format
		r.bytes()
		r.bytes()
		return 1, false
	case 7: // Type
		if ref := r.uint(); ref == 3 || ref == 5 { // XmlElement, XmlHook
			r.bytes()
		}
		return 1, false
	case 8: // Any
		n := r.uint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.skipAny(0)
		}
		return n, false
	case 9: // Doc
		r.bytes()
		r.skipAny(0)
		return 1, false
	}
	r.fail()
	return 0, false
}

// skipAny skips one value in lib0's writeAny format.
func (r *rangeReader) skipAny(depth int) {
	if depth > 100 {
		r.fail()
		return
	}
	switch r.byte() {
	case 127, 126, 121, 120: // undefined, null, false, true
	case 125: // var-int
		for r.err == nil && r.byte()&0x80 != 0 {
		}
	case 124: // float32
		r.skip(4)
	case 123, 122: // float64, bigint
		r.skip(8)
	case 119: // string
		r.bytes()
	case 118: // object
		n := r.uint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.bytes()
			r.skipAny(depth + 1)
		}
	case 117: // array
		n := r.uint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.skipAny(depth + 1)
		}
	case 116: // Uint8Array
		r.bytes()
	default:
		r.fail()
	}
}

func (r *rangeReader) skip(n int) {
	if r.err != nil || len(r.b) < n {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

// utf16Len is the length in UTF-16 code units of UTF-8 text, counted as the
// yjs package counts it.
func utf16Len(s []byte) int {
	n := len(s)
	for _, c := range s {
		switch {
		case c < 0x80:
		case c < 0xc0:
			n--
		case c >= 0xf0:
			n++
		}
	}
	return n
}

// withoutRanges returns u without the structs that others covers: for
// each client of u whose first struct lies inside an interval of others,
// the structs below that interval's end. Deletions are kept (applying one
// twice changes nothing). It returns nil if nothing is left.
func withoutRanges(u []byte, others clockRanges) ([]byte, error) {
	mine := clockRanges{}
	deletes, err := updateRanges(u, mine)
	if err != nil {
		return u, err
	}
	var pairs []byte
	n, dropped := 0, 0
	for c, rs := range mine {
		if end := others.covering(c, rs[0].from); end > 0 {
			pairs = appendVarUint(appendVarUint(pairs, c), end)
			n++
			for _, r := range rs {
				if r.to <= end {
					dropped++
				}
			}
		}
	}
	if n == 0 {
		return u, nil
	}
	if !deletes {
		total := 0
		for _, rs := range mine {
			total += len(rs)
		}
		if dropped == total {
			return nil, nil
		}
	}
	return yjs.DiffUpdate(u, append(appendVarUint(nil, uint64(n)), pairs...))
}
