package yjs

import "sort"

// Encoding document state (yjs encoding.js).

// EncodeStateVector returns the document's state vector: for each client
// the next clock, clients in descending order.
func (d *Doc) EncodeStateVector() []byte {
	return encodeStateVector(d.stateVector())
}

func (d *Doc) stateVector() []stateVectorEntry {
	sv := make([]stateVectorEntry, 0, len(d.clients))
	for c := range d.structs {
		if d.structs[c].len() == 0 {
			continue
		}
		sv = append(sv, stateVectorEntry{d.clients[c], uint64(d.state(uint32(c)))})
	}
	return sv
}

// EncodeStateAsUpdate returns a v1 update with everything the document has
// that a peer with the given state vector lacks; nil means everything.
func (d *Doc) EncodeStateAsUpdate(stateVector []byte) ([]byte, error) {
	return d.encodeStateAsUpdate(stateVector, false)
}

// EncodeStateAsUpdateV2 is EncodeStateAsUpdate in format v2.
func (d *Doc) EncodeStateAsUpdateV2(stateVector []byte) ([]byte, error) {
	return d.encodeStateAsUpdate(stateVector, true)
}

func (d *Doc) encodeStateAsUpdate(sv []byte, v2 bool) ([]byte, error) {
	if sv == nil {
		sv = []byte{0}
	}
	target, err := decodeStateVector(sv)
	if err != nil {
		return nil, err
	}
	e := newEncoder(v2)
	d.writeClientsStructs(e, target)
	d.deleteSetFromStore().write(e)
	out, err := e.bytes()
	if err != nil {
		return nil, err
	}
	if d.pendingDs == nil && d.pendingStructs == nil {
		return out, nil
	}
	updates := [][]byte{out}
	if d.pendingDs != nil {
		updates = append(updates, d.pendingDs)
	}
	if d.pendingStructs != nil {
		diff, err := DiffUpdateV2(d.pendingStructs.update, sv)
		if err != nil {
			return nil, err
		}
		updates = append(updates, diff)
	}
	if v2 {
		return MergeUpdatesV2(updates)
	}
	for i := 1; i < len(updates); i++ {
		if updates[i], err = ConvertUpdateV2ToV1(updates[i]); err != nil {
			return nil, err
		}
	}
	return MergeUpdates(updates)
}

// writeClientsStructs writes the structs after the given clocks, clients in
// descending order (yjs writeClientsStructs).
func (d *Doc) writeClientsStructs(e *encoder, target map[uint64]uint64) {
	sm := d.scratch.starts[:0]
	for c := range d.structs {
		if d.structs[c].len() == 0 {
			continue
		}
		id := d.clients[c]
		clock, ok := target[id]
		if !ok {
			sm = append(sm, structStart{id, uint32(c), 0})
		} else if uint64(d.state(uint32(c))) > clock {
			sm = append(sm, structStart{id, uint32(c), uint32(clock)})
		}
	}
	d.writeStarts(e, sm)
}

// writeTransactionStructs writes the structs a transaction added.
func (d *Doc) writeTransactionStructs(e *encoder, tx *Transaction) {
	sm := d.scratch.starts[:0]
	for _, b := range tx.touched {
		if d.state(b.client) > b.clock {
			sm = append(sm, structStart{d.clients[b.client], b.client, b.clock})
		}
	}
	d.writeStarts(e, sm)
}

type structStart struct {
	client uint64
	c      uint32
	clock  uint32
}

func (d *Doc) writeStarts(e *encoder, sm []structStart) {
	if len(sm) > 1 {
		sort.Slice(sm, func(i, j int) bool { return sm[i].client > sm[j].client })
	}
	e.writeVarUint(uint64(len(sm)))
	for _, s := range sm {
		d.writeStructs(e, s.c, s.clock)
	}
	d.scratch.starts = sm[:0]
}

// writeStructs writes client c's structs from clock on (yjs writeStructs).
func (d *Doc) writeStructs(e *encoder, c, clock uint32) {
	structs := &d.structs[c]
	if first := structs.at(0).clock; clock < first {
		clock = first
	}
	i := d.findIndex(structs, clock)
	n := structs.len()
	e.writeVarUint(uint64(n - i))
	e.writeClient(d.clients[c])
	e.writeVarUint(uint64(clock))
	first := d.items.at(structs.at(i).r)
	d.writeItem(e, first, clock-first.clock)
	for j := i + 1; j < n; j++ {
		d.writeItem(e, d.items.at(structs.at(j).r), 0)
	}
}

// writeItem writes a struct from offset on (yjs Item.write and GC.write).
func (d *Doc) writeItem(e *encoder, it *item, offset uint32) {
	k := it.kind()
	if k == contentGC {
		e.writeInfo(contentGC)
		e.writeLen(uint64(it.length - offset))
		return
	}
	hasOrigin := it.hasOrigin() || offset > 0
	info := k
	if hasOrigin {
		info |= bitOrigin
	}
	if it.hasRight() {
		info |= bitRightOrigin
	}
	if it.hasSub() {
		info |= bitParentSub
	}
	e.writeInfo(info)
	if hasOrigin {
		if offset > 0 {
			e.writeLeftID(ID{d.clients[it.client()], uint64(it.clock + offset - 1)})
		} else {
			e.writeLeftID(ID{d.clients[it.oClient], uint64(it.oClock)})
		}
	}
	if it.hasRight() {
		e.writeRightID(ID{d.clients[it.roClient], uint64(it.roClock)})
	}
	if !hasOrigin && !it.hasRight() {
		t := d.types[it.parent]
		if t.item == 0 {
			e.writeParentInfo(true)
			e.writeString(t.rootName)
		} else {
			e.writeParentInfo(false)
			pi := d.items.at(t.item)
			e.writeLeftID(ID{d.clients[pi.client()], uint64(pi.clock)})
		}
		if it.hasSub() {
			e.writeString(d.keys[it.data2])
		}
	}
	d.writeContent(e, it, offset)
}

func (d *Doc) writeContent(e *encoder, it *item, offset uint32) {
	switch it.kind() {
	case contentDeleted:
		e.writeLen(uint64(it.length - offset))
	case contentString:
		if it.hasSub() {
			s := d.vals[it.data].(string)
			if offset > 0 {
				_, s = splitString(s, int(offset), int(it.length))
			}
			e.writeString(s)
			return
		}
		p := d.text.buf[it.data : it.data+it.data2]
		units := int(it.length - offset)
		if offset > 0 {
			if int(it.data2) == int(it.length) {
				p = p[offset:]
			} else {
				_, s := splitString(string(p), int(offset), int(it.length))
				e.writeString(s)
				return
			}
		}
		e.writeText(p, units)
	case contentAny:
		vals := d.vals[it.data].([]any)[offset:]
		e.writeLen(uint64(len(vals)))
		for _, v := range vals {
			e.writeAny(v)
		}
	case contentJSON:
		b := block{ref: contentJSON, length: uint64(it.length), content: blockContent{obj: d.vals[it.data]}}
		writeBlockContent(e, &b, uint64(offset))
	case contentBinary:
		e.writeBuf(d.vals[it.data].([]byte))
	case contentEmbed:
		e.writeJSON(d.vals[it.data])
	case contentFormat:
		f := d.vals[it.data].(*formatValue)
		e.writeKey(f.key)
		e.writeJSON(f.value)
	case contentType:
		t := d.types[it.data]
		e.writeTypeRef(t.kind)
		if t.kind == typeXmlElement || t.kind == typeXmlHook {
			e.writeKey(t.name)
		}
	case contentDoc:
		s := d.vals[it.data].(*subdocValue)
		e.writeString(s.guid)
		e.writeAny(s.opts)
	}
}

// deleteSetFromStore returns the deleted ranges of the whole document (yjs
// createDeleteSetFromStructStore).
func (d *Doc) deleteSetFromStore() *deleteSet {
	ds := &deleteSet{}
	for c := range d.structs {
		structs := &d.structs[c]
		n := structs.len()
		var ranges []dsRange
		for i := 0; i < n; i++ {
			it := d.items.at(structs.at(i).r)
			if !it.deleted() {
				continue
			}
			clock := uint64(it.clock)
			length := uint64(it.length)
			for i+1 < n {
				next := d.items.at(structs.at(i + 1).r)
				if !next.deleted() {
					break
				}
				length += uint64(next.length)
				i++
			}
			ranges = append(ranges, dsRange{clock, length})
		}
		if len(ranges) > 0 {
			j := ds.entry(d.clients[c], true)
			ds.entries[j].ranges = ranges
		}
	}
	return ds
}
