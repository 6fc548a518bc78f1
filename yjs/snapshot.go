package yjs

import (
	"errors"
	"sort"
)

// Snapshot is the state of a document at one moment: which clocks existed
// and which were deleted (yjs Snapshot). With garbage collection off, the
// content of any type at a snapshot can be recovered.
type Snapshot struct {
	ds *deleteSet
	sv map[uint64]uint64
}

// Snapshot returns the document's current snapshot.
func (d *Doc) Snapshot() *Snapshot {
	sv := map[uint64]uint64{}
	for _, e := range d.stateVector() {
		sv[e.client] = e.clock
	}
	return &Snapshot{ds: d.deleteSetFromStore(), sv: sv}
}

// EncodeSnapshot encodes a snapshot in format v1 (yjs encodeSnapshot).
func EncodeSnapshot(s *Snapshot) []byte { return encodeSnapshot(s, false) }

// EncodeSnapshotV2 encodes a snapshot in format v2.
func EncodeSnapshotV2(s *Snapshot) []byte { return encodeSnapshot(s, true) }

func encodeSnapshot(s *Snapshot, v2 bool) []byte {
	e := newEncoder(v2)
	s.ds.write(e)
	entries := make([]stateVectorEntry, 0, len(s.sv))
	for c, k := range s.sv {
		entries = append(entries, stateVectorEntry{c, k})
	}
	sv := encodeStateVector(entries)
	if e.err != nil {
		// An empty range in a decoded v1 snapshot cannot be written in v2.
		return nil
	}
	return append(e.rest, sv...)
}

// DecodeSnapshot decodes a v1 snapshot.
func DecodeSnapshot(b []byte) (*Snapshot, error) { return decodeSnapshot(b, false) }

// DecodeSnapshotV2 decodes a v2 snapshot.
func DecodeSnapshotV2(b []byte) (*Snapshot, error) { return decodeSnapshot(b, true) }

func decodeSnapshot(b []byte, v2 bool) (*Snapshot, error) {
	d := &decoder{v2: v2, rest: reader{b: b}}
	ds := readDeleteSet(d)
	if err := d.error(); err != nil {
		return nil, err
	}
	sv, err := decodeStateVector(b[d.rest.pos:])
	if err != nil {
		return nil, err
	}
	return &Snapshot{ds: ds, sv: sv}, nil
}

// Equal reports whether two snapshots describe the same state.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if len(s.sv) != len(o.sv) || len(s.ds.entries) != len(o.ds.entries) {
		return false
	}
	for c, k := range s.sv {
		if ok, has := o.sv[c]; !has || ok != k {
			return false
		}
	}
	for _, e := range s.ds.entries {
		r2 := o.ds.ranges(e.client)
		if len(r2) != len(e.ranges) {
			return false
		}
		for i, r := range e.ranges {
			if r != r2[i] {
				return false
			}
		}
	}
	return true
}

// isVisible reports whether an item exists and is not deleted at snap
// (or now, with a nil snap).
func (d *Doc) isVisible(it *item, snap *Snapshot) bool {
	if snap == nil {
		return !it.deleted()
	}
	id := d.clients[it.client()]
	clock, ok := snap.sv[id]
	return ok && clock > uint64(it.clock) && !snap.ds.isDeleted(ID{id, uint64(it.clock)})
}

// splitSnapshotAffectedStructs splits items at the snapshot's borders so
// that every item is wholly inside or outside it.
func (d *Doc) splitSnapshotAffectedStructs(tx *Transaction, snap *Snapshot) {
	clients := make([]uint64, 0, len(snap.sv))
	for c := range snap.sv {
		clients = append(clients, c)
	}
	sort.Slice(clients, func(i, j int) bool { return clients[i] < clients[j] })
	for _, client := range clients {
		clock := snap.sv[client]
		c, ok := d.lookupClient(client)
		if ok && clock < uint64(d.state(c)) {
			d.getItemCleanStart(tx, c, uint32(clock))
		}
	}
	d.iterateDeleted(tx, snap.ds, func(ref) {})
}

var errSnapshotGC = errors.New("yjs: snapshots need a document with garbage collection off")

// DocFromSnapshot returns a new document (gc off) holding the state of d
// at snap. d must have garbage collection off (yjs createDocFromSnapshot).
func (d *Doc) DocFromSnapshot(snap *Snapshot, opts ...Option) (*Doc, error) {
	if d.gc {
		return nil, errSnapshotGC
	}
	var update []byte
	var err error
	d.transact(func(tx *Transaction) {
		e := newEncoder(true)
		size := 0
		for _, clock := range snap.sv {
			if clock > 0 {
				size++
			}
		}
		e.writeVarUint(uint64(size))
		clients := make([]uint64, 0, len(snap.sv))
		for c := range snap.sv {
			clients = append(clients, c)
		}
		// yjs iterates the snapshot's map in insertion order; a decoded
		// snapshot's order is descending client ids.
		sort.Slice(clients, func(i, j int) bool { return clients[i] > clients[j] })
		for _, client := range clients {
			clock := snap.sv[client]
			if clock == 0 {
				continue
			}
			c, ok := d.lookupClient(client)
			if ok && clock < uint64(d.state(c)) {
				d.getItemCleanStart(tx, c, uint32(clock))
			}
			structs := &structList{}
			if ok {
				structs = &d.structs[c]
			}
			last := -1
			if structs.len() > 0 {
				last = d.findIndex(structs, uint32(clock-1))
			}
			e.writeVarUint(uint64(last + 1))
			e.writeClient(client)
			e.writeVarUint(0)
			for i := 0; i <= last; i++ {
				d.writeItem(e, d.items.at(structs.at(i).r), 0)
			}
		}
		snap.ds.write(e)
		update, err = e.bytes()
	}, nil, true)
	if err != nil {
		return nil, err
	}
	nd := NewDoc(append([]Option{WithGC(false)}, opts...)...)
	if err := nd.ApplyUpdateV2(update, "snapshot"); err != nil {
		return nil, err
	}
	return nd, nil
}

// ToDeltaAt returns the text's content at snap as a delta. With prev set,
// content added since prev is marked {"ychange": {"type": "added"}} and
// content removed by snap {"ychange": {"type": "removed"}}. The document
// must have garbage collection off.
func (t *Text) ToDeltaAt(snap, prev *Snapshot) []Delta { return t.t().toDelta(snap, prev) }

// StringAt returns the text's content at snap.
func (t *Text) StringAt(snap *Snapshot) string {
	var out []byte
	for _, op := range t.t().toDelta(snap, nil) {
		if s, ok := op.Insert.(string); ok {
			out = append(out, s...)
		}
	}
	return string(out)
}

// ValuesAt returns the array's elements at snap.
func (a *Array) ValuesAt(snap *Snapshot) []any {
	t := a.t()
	d := t.doc
	var out []any
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if it.countable() && d.isVisible(it, snap) {
			for i := 0; i < int(it.length); i++ {
				out = append(out, exportValue(d.itemValue(it, i)))
			}
		}
		n = it.right
	}
	return out
}

// EntriesAt returns the map's entries at snap.
func (m *Map) EntriesAt(snap *Snapshot) map[string]any { return m.t().mapAllAt(snap) }

// AttributesAt returns the element's attributes at snap.
func (e *XmlElement) AttributesAt(snap *Snapshot) map[string]any { return e.t().mapAllAt(snap) }

// mapAllAt is yjs typeMapGetAllSnapshot.
func (t *ytype) mapAllAt(snap *Snapshot) map[string]any {
	d := t.doc
	out := map[string]any{}
	for k, r := range t.entries {
		v := r
		for v != 0 {
			it := d.items.at(v)
			clock, ok := snap.sv[d.clients[it.client()]]
			if ok && uint64(it.clock) < clock {
				break
			}
			v = it.left
		}
		if v != 0 && d.isVisible(d.items.at(v), snap) {
			out[k] = exportValue(t.entryValue(v))
		}
	}
	return out
}
