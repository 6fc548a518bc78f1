package yjs

import "slices"

// Functions over encoded updates that need no document (yjs updates.js).
// They produce exactly the bytes yjs produces for the same input.

// MergeUpdates merges v1 updates into one v1 update.
func MergeUpdates(updates [][]byte) ([]byte, error) { return mergeUpdates(updates, false) }

// MergeUpdatesV2 merges v2 updates into one v2 update.
func MergeUpdatesV2(updates [][]byte) ([]byte, error) { return mergeUpdates(updates, true) }

// DiffUpdate returns the part of a v1 update that a peer with the given
// state vector is missing.
func DiffUpdate(update, stateVector []byte) ([]byte, error) {
	return diffUpdate(update, stateVector, false)
}

// DiffUpdateV2 is DiffUpdate for v2 updates.
func DiffUpdateV2(update, stateVector []byte) ([]byte, error) {
	return diffUpdate(update, stateVector, true)
}

// EncodeStateVectorFromUpdate returns the state vector of the document a v1
// update would produce on its own.
func EncodeStateVectorFromUpdate(update []byte) ([]byte, error) {
	return stateVectorFromUpdate(update, false)
}

// EncodeStateVectorFromUpdateV2 is EncodeStateVectorFromUpdate for v2.
func EncodeStateVectorFromUpdateV2(update []byte) ([]byte, error) {
	return stateVectorFromUpdate(update, true)
}

// ConvertUpdateV1ToV2 re-encodes a v1 update in format v2.
func ConvertUpdateV1ToV2(update []byte) ([]byte, error) { return convertUpdate(update, false, true) }

// ConvertUpdateV2ToV1 re-encodes a v2 update in format v1.
func ConvertUpdateV2ToV1(update []byte) ([]byte, error) { return convertUpdate(update, true, false) }

// lazyWriter writes structs client by client without knowing the number of
// structs per client in advance (yjs LazyStructWriter).
type lazyWriter struct {
	enc        *encoder
	currClient uint64
	written    uint64
	parts      []lazyPart
}

type lazyPart struct {
	written uint64
	rest    []byte
}

func (w *lazyWriter) flush() {
	if w.written > 0 {
		w.parts = append(w.parts, lazyPart{w.written, w.enc.rest})
		w.enc.rest = nil
		w.written = 0
	}
}

func (w *lazyWriter) write(b *block, offset uint64) {
	if w.written > 0 && w.currClient != b.client {
		w.flush()
	}
	if w.written == 0 {
		w.currClient = b.client
		w.enc.writeClient(b.client)
		w.enc.writeVarUint(b.clock + offset)
	}
	writeBlock(w.enc, b, offset)
	w.written++
}

func (w *lazyWriter) finish() {
	w.flush()
	e := w.enc
	e.rest = AppendVarUint(e.rest[:0], uint64(len(w.parts)))
	for _, p := range w.parts {
		e.rest = AppendVarUint(e.rest, p.written)
		e.rest = append(e.rest, p.rest...)
	}
}

// blockReader iterates the blocks of a decoded update, optionally leaving
// out Skips (yjs LazyStructReader).
type blockReader struct {
	blocks      []block
	pos         int
	filterSkips bool
	curr        *block
	ds          *deleteSet
}

func newBlockReader(u *decodedUpdate, filterSkips bool) *blockReader {
	r := &blockReader{blocks: u.blocks, pos: -1, filterSkips: filterSkips, ds: u.ds}
	r.next()
	return r
}

func (r *blockReader) next() *block {
	for {
		r.pos++
		if r.pos >= len(r.blocks) {
			r.curr = nil
			return nil
		}
		r.curr = &r.blocks[r.pos]
		if !r.filterSkips || r.curr.kind != blockSkip {
			return r.curr
		}
	}
}

func mergeUpdates(updates [][]byte, v2 bool) ([]byte, error) {
	decoded := make([]*decodedUpdate, len(updates))
	for i, u := range updates {
		d, err := decodeUpdate(u, v2)
		if err != nil {
			return nil, err
		}
		decoded[i] = d
	}
	if len(updates) == 1 {
		return updates[0], nil
	}
	return mergeDecoded(decoded, v2)
}

// mergeDecoded is yjs mergeUpdatesV2 over decoded updates.
func mergeDecoded(decoded []*decodedUpdate, v2 bool) ([]byte, error) {
	readers := make([]*blockReader, len(decoded))
	for i, d := range decoded {
		readers[i] = newBlockReader(d, true)
	}
	w := &lazyWriter{enc: newEncoder(v2)}
	var currWrite block
	haveWrite := false
	cmp := func(a, b *blockReader) int {
		c1, c2 := a.curr, b.curr
		if c1.client == c2.client {
			if c1.clock == c2.clock {
				if c1.kind == c2.kind {
					return 0
				}
				if c1.kind == blockSkip {
					return 1
				}
				return -1
			}
			if c1.clock < c2.clock {
				return -1
			}
			return 1
		}
		if c2.client < c1.client {
			return -1
		}
		return 1
	}
	for {
		live := readers[:0]
		for _, r := range readers {
			if r.curr != nil {
				live = append(live, r)
			}
		}
		readers = live
		jsSort(readers, cmp)
		if len(readers) == 0 {
			break
		}
		currDecoder := readers[0]
		firstClient := currDecoder.curr.client
		if haveWrite {
			curr := currDecoder.curr
			iterated := false
			for curr != nil && curr.clock+curr.length <= currWrite.clock+currWrite.length && curr.client >= currWrite.client {
				curr = currDecoder.next()
				iterated = true
			}
			if curr == nil || curr.client != firstClient || (iterated && curr.clock > currWrite.clock+currWrite.length) {
				continue
			}
			if firstClient != currWrite.client {
				w.write(&currWrite, 0)
				currWrite = *curr
				currDecoder.next()
			} else if currWrite.clock+currWrite.length < curr.clock {
				if currWrite.kind == blockSkip {
					// Extend the skip (yjs does, even over curr).
					currWrite.length = curr.clock + curr.length - currWrite.clock
				} else {
					w.write(&currWrite, 0)
					diff := curr.clock - currWrite.clock - currWrite.length
					currWrite = block{kind: blockSkip, client: firstClient, clock: currWrite.clock + currWrite.length, length: diff}
				}
			} else {
				diff := currWrite.clock + currWrite.length - curr.clock
				next := *curr
				if diff > 0 {
					if currWrite.kind == blockSkip {
						// Prefer to slice the skip: the other struct has
						// more information.
						currWrite.length -= diff
					} else {
						next = sliceBlock(curr, diff)
					}
				}
				if !mergeBlocks(&currWrite, &next) {
					w.write(&currWrite, 0)
					currWrite = next
					currDecoder.next()
				}
			}
		} else {
			currWrite = *currDecoder.curr
			haveWrite = true
			currDecoder.next()
		}
		for next := currDecoder.curr; next != nil && next.client == firstClient &&
			next.clock == currWrite.clock+currWrite.length && next.kind != blockSkip; next = currDecoder.next() {
			w.write(&currWrite, 0)
			currWrite = *next
		}
	}
	if haveWrite {
		w.write(&currWrite, 0)
	}
	w.finish()
	dss := make([]*deleteSet, len(decoded))
	for i, d := range decoded {
		dss[i] = d.ds
	}
	mergeDeleteSets(dss).write(w.enc)
	return w.enc.bytes()
}

// mergeBlocks appends right to left when yjs would merge them while merging
// updates: GC with GC and Skip with Skip. Items never merge there (yjs
// requires left.right == right, which unintegrated items never satisfy).
func mergeBlocks(left, right *block) bool {
	if left.kind != right.kind || left.kind == blockItem {
		return false
	}
	left.length += right.length
	return true
}

func diffUpdate(update, sv []byte, v2 bool) ([]byte, error) {
	state, err := decodeStateVector(sv)
	if err != nil {
		return nil, err
	}
	u, err := decodeUpdate(update, v2)
	if err != nil {
		return nil, err
	}
	w := &lazyWriter{enc: newEncoder(v2)}
	r := newBlockReader(u, false)
	for r.curr != nil {
		curr := r.curr
		client := curr.client
		svClock := state[client]
		if curr.kind == blockSkip {
			r.next()
			continue
		}
		if curr.clock+curr.length > svClock {
			var offset uint64
			if svClock > curr.clock {
				offset = svClock - curr.clock
			}
			w.write(curr, offset)
			for r.next(); r.curr != nil && r.curr.client == client; r.next() {
				w.write(r.curr, 0)
			}
		} else {
			for r.curr != nil && r.curr.client == client && r.curr.clock+r.curr.length <= svClock {
				r.next()
			}
		}
	}
	w.finish()
	u.ds.write(w.enc)
	return w.enc.bytes()
}

func stateVectorFromUpdate(update []byte, v2 bool) ([]byte, error) {
	u, err := decodeUpdate(update, v2)
	if err != nil {
		return nil, err
	}
	var body []byte
	size := 0
	r := newBlockReader(u, false)
	if curr := r.curr; curr != nil {
		currClient := curr.client
		stopCounting := curr.clock != 0
		var currClock uint64
		if !stopCounting {
			currClock = curr.clock + curr.length
		}
		for ; curr != nil; curr = r.next() {
			if currClient != curr.client {
				if currClock != 0 {
					size++
					body = AppendVarUint(body, currClient)
					body = AppendVarUint(body, currClock)
				}
				currClient = curr.client
				currClock = 0
				stopCounting = curr.clock != 0
			}
			if curr.kind == blockSkip {
				stopCounting = true
			}
			if !stopCounting {
				currClock = curr.clock + curr.length
			}
		}
		if currClock != 0 {
			size++
			body = AppendVarUint(body, currClient)
			body = AppendVarUint(body, currClock)
		}
	}
	out := AppendVarUint(make([]byte, 0, len(body)+2), uint64(size))
	return append(out, body...), nil
}

func convertUpdate(update []byte, fromV2, toV2 bool) ([]byte, error) {
	u, err := decodeUpdate(update, fromV2)
	if err != nil {
		return nil, err
	}
	w := &lazyWriter{enc: newEncoder(toV2)}
	for i := range u.blocks {
		w.write(&u.blocks[i], 0)
	}
	w.finish()
	u.ds.write(w.enc)
	return w.enc.bytes()
}

// decodeStateVector decodes a state vector. Like yjs, a later entry for
// the same client wins.
func decodeStateVector(sv []byte) (map[uint64]uint64, error) {
	r := reader{b: sv}
	n := r.count(2)
	m := make(map[uint64]uint64, n)
	for i := 0; i < n && r.err == nil; i++ {
		client := r.varUint()
		clock := r.varUint()
		m[client] = clock
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// stateVectorEntry is one client's clock.
type stateVectorEntry struct {
	client, clock uint64
}

// encodeStateVector writes entries sorted by descending client, as yjs
// writeStateVector does.
func encodeStateVector(entries []stateVectorEntry) []byte {
	slices.SortStableFunc(entries, func(a, b stateVectorEntry) int {
		switch {
		case a.client > b.client:
			return -1
		case a.client < b.client:
			return 1
		}
		return 0
	})
	out := AppendVarUint(make([]byte, 0, 1+len(entries)*8), uint64(len(entries)))
	for _, e := range entries {
		out = AppendVarUint(out, e.client)
		out = AppendVarUint(out, e.clock)
	}
	return out
}
