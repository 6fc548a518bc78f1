package yjs

import "fmt"

// Operations shared by list types (Array, XmlFragment, XmlElement) and by
// the keyed part of every type (yjs typeList* and typeMap* functions).

// findLeft returns the visible item holding unit index-1 of t's list,
// split so that it ends there. index must be in 1..t.length.
func (t *ytype) findLeft(tx *Transaction, index int) ref {
	d := t.doc
	var n ref
	var off int
	if t.usesIndex() {
		n, off = t.posIndex().find(d, index-1)
	} else {
		n, off = t.scanFind(index - 1)
	}
	it := d.items.at(n)
	if off+1 < int(it.length) {
		d.getItemCleanStart(tx, it.client(), it.clock+uint32(off)+1)
	}
	return n
}

// findFirst returns the visible item holding unit index, split so that it
// starts there.
func (t *ytype) findFirst(tx *Transaction, index int) ref {
	d := t.doc
	var n ref
	var off int
	if t.usesIndex() {
		n, off = t.posIndex().find(d, index)
	} else {
		n, off = t.scanFind(index)
	}
	if off > 0 {
		it := d.items.at(n)
		return d.getItemCleanStart(tx, it.client(), it.clock+uint32(off))
	}
	return n
}

// scanFind walks the list for the visible item holding unit i.
func (t *ytype) scanFind(i int) (ref, int) {
	d := t.doc
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if v := int(it.visible()); v > 0 {
			if i < v {
				return n, i
			}
			i -= v
		}
		n = it.right
	}
	panic("yjs: position beyond the end of the list")
}

// indexThreshold is the list length from which position lookups build and
// use the position index instead of walking the list.
const indexThreshold = 64

// listValue is one value to insert into a list.
type listValue struct {
	kind uint8 // contentAny, contentBinary, contentType or contentDoc
	v    any
	typ  *ytype
}

// prepareValue converts a caller's value for storage in a list or map.
func (d *Doc) prepareValue(v any) (listValue, error) {
	switch v := v.(type) {
	case []byte:
		return listValue{kind: contentBinary, v: append([]byte(nil), v...)}, nil
	case Subdoc:
		opts, err := normalizeAny(v.Options)
		if err != nil {
			return listValue{}, err
		}
		if opts == nil {
			b := newObjectBuilder(0)
			opts = b.done()
		}
		return listValue{kind: contentDoc, v: &subdocValue{guid: v.GUID, opts: opts}}, nil
	case *Text, *Map, *Array, *XmlFragment, *XmlElement, *XmlText, *XmlHook:
		return listValue{}, fmt.Errorf("yjs: a shared type cannot be inserted again; use the Insert/Set methods that create one")
	}
	n, err := normalizeAny(v)
	if err != nil {
		return listValue{}, err
	}
	return listValue{kind: contentAny, v: n}, nil
}

// listInsert inserts values at index (yjs typeListInsertGenerics).
func (t *ytype) listInsert(tx *Transaction, index int, values []listValue) {
	var left ref
	if index > 0 {
		left = t.findLeft(tx, index)
	}
	t.listInsertAfter(tx, left, values)
}

// listInsertAfter inserts values after left, or at the start (yjs
// typeListInsertGenericsAfter): consecutive plain values share one item.
func (t *ytype) listInsertAfter(tx *Transaction, left ref, values []listValue) {
	d := t.doc
	right := t.start
	if left != 0 {
		right = d.items.at(left).right
	}
	var pack []any
	flush := func() {
		if len(pack) == 0 {
			return
		}
		r, it := t.newLocalItem(left, right, contentAny, uint32(len(pack)))
		it.data = d.putVal(pack)
		d.integrateItem(tx, r)
		left = r
		pack = nil
	}
	for _, v := range values {
		if v.kind == contentAny {
			pack = append(pack, v.v)
			continue
		}
		flush()
		r, it := t.newLocalItem(left, right, v.kind, 1)
		switch v.kind {
		case contentType:
			it.data = v.typ.num
		default:
			it.data = d.putVal(v.v)
		}
		d.integrateItem(tx, r)
		left = r
	}
	flush()
}

// listPush appends values after the last item of the list, deleted or not
// (yjs typeListPushGenerics).
func (t *ytype) listPush(tx *Transaction, values []listValue) {
	t.listInsertAfter(tx, t.lastItem(), values)
}

// lastItem returns the last item of t's list, deleted or not; 0 if none.
func (t *ytype) lastItem() ref {
	if t.usesIndex() {
		return t.posIndex().last()
	}
	d := t.doc
	n := t.start
	if n != 0 {
		for d.items.at(n).right != 0 {
			n = d.items.at(n).right
		}
	}
	return n
}

// usesIndex reports whether position lookups in t's list go through its
// position index (building it if needed) rather than a walk.
func (t *ytype) usesIndex() bool { return t.index != nil || t.length > indexThreshold }

// listDelete deletes length units from index (yjs typeListDelete).
func (t *ytype) listDelete(tx *Transaction, index, length int) {
	if length == 0 {
		return
	}
	d := t.doc
	n := t.findFirst(tx, index)
	for length > 0 && n != 0 {
		it := d.items.at(n)
		if !it.deleted() {
			if length < int(it.length) {
				d.getItemCleanStart(tx, it.client(), it.clock+uint32(length))
			}
			d.deleteItem(tx, n)
			length -= int(it.length)
		}
		n = it.right
	}
}

// listGet returns the value at index.
func (t *ytype) listGet(index int) (any, bool) {
	if index < 0 || index >= t.length {
		return nil, false
	}
	d := t.doc
	var n ref
	var off int
	if t.usesIndex() {
		n, off = t.posIndex().find(d, index)
	} else {
		n, off = t.scanFind(index)
	}
	return d.itemValue(d.items.at(n), off), true
}

// listValues returns every value of the list.
func (t *ytype) listValues() []any {
	d := t.doc
	out := make([]any, 0, t.length)
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.countable() {
			for i := 0; i < int(it.length); i++ {
				out = append(out, d.itemValue(it, i))
			}
		}
		n = it.right
	}
	return out
}

// mapSet sets key to value (yjs typeMapSet).
func (t *ytype) mapSet(key string, value any) error {
	v, err := t.doc.prepareValue(value)
	if err != nil {
		return err
	}
	if err := t.doc.checkRoom(1, 0); err != nil {
		return err
	}
	t.doc.transact(func(tx *Transaction) { t.mapSetValue(tx, key, v) }, nil, true)
	return nil
}

func (t *ytype) mapSetValue(tx *Transaction, key string, v listValue) {
	d := t.doc
	left := t.entries[key]
	r, it := t.newLocalItem(left, 0, v.kind, 1)
	it.meta |= flagSub
	it.data2 = d.key(key)
	switch v.kind {
	case contentAny:
		it.data = d.putVal([]any{v.v})
	case contentType:
		it.data = v.typ.num
	default:
		it.data = d.putVal(v.v)
	}
	d.integrateItem(tx, r)
}

// mapSetType sets key to a new shared type of the given kind.
func (t *ytype) mapSetType(kind uint8, name, key string) (*ytype, error) {
	if err := t.doc.checkRoom(1, 0); err != nil {
		return nil, err
	}
	nt := t.doc.newType(kind, name)
	t.doc.transact(func(tx *Transaction) {
		t.mapSetValue(tx, key, listValue{kind: contentType, typ: nt})
	}, nil, true)
	return nt, nil
}

func (t *ytype) mapGet(key string) (any, bool) {
	r, ok := t.entries[key]
	if !ok || t.doc.items.at(r).deleted() {
		return nil, false
	}
	return exportValue(t.entryValue(r)), true
}

func (t *ytype) mapHas(key string) bool {
	r, ok := t.entries[key]
	return ok && !t.doc.items.at(r).deleted()
}

func (t *ytype) mapDelete(key string) {
	r, ok := t.entries[key]
	if !ok {
		return
	}
	t.doc.transact(func(tx *Transaction) { t.doc.deleteItem(tx, r) }, nil, true)
}

func (t *ytype) mapAll() map[string]any {
	out := map[string]any{}
	for k, r := range t.entries {
		if !t.doc.items.at(r).deleted() {
			out[k] = exportValue(t.entryValue(r))
		}
	}
	return out
}

func (t *ytype) mapLen() int {
	n := 0
	for _, r := range t.entries {
		if !t.doc.items.at(r).deleted() {
			n++
		}
	}
	return n
}

// exportValue prepares a stored value for a caller: shared types stay
// handles, plain values are copied.
func exportValue(v any) any {
	switch v.(type) {
	case *Text, *Map, *Array, *XmlFragment, *XmlElement, *XmlText, *XmlHook, Subdoc:
		return v
	}
	return exportAny(v)
}

// Subdoc is a subdocument stored in a map or an array: yjs stores a
// reference (guid and options) and loads its content separately.
type Subdoc struct {
	GUID    string
	Options map[string]any
}

func (s *subdocValue) subdoc() Subdoc {
	sd := Subdoc{GUID: s.guid}
	if m, ok := exportAny(s.opts).(map[string]any); ok {
		sd.Options = m
	}
	return sd
}
