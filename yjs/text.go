package yjs

import (
	"errors"
	"strings"
	"unsafe"
)

// Text is a shared text with formatting (yjs Y.Text). Positions and
// lengths count UTF-16 code units, as in JavaScript and every Yjs peer.
type Text ytype

// Attributes are formatting attributes, such as {"bold": true}. A nil
// value removes an attribute.
type Attributes = map[string]any

// Delta is one operation of a rich-text delta (the Quill delta format that
// yjs uses): exactly one of Insert, Retain and Delete is set.
type Delta struct {
	// Insert is a string, an embed value, or a shared type.
	Insert     any            `json:"insert,omitempty"`
	Retain     int            `json:"retain,omitempty"`
	Delete     int            `json:"delete,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ErrIndexOutOfRange is returned for positions beyond a type's length.
var ErrIndexOutOfRange = errors.New("yjs: index out of range")

func (t *Text) t() *ytype { return (*ytype)(t) }

// Len returns the length in UTF-16 code units.
func (t *Text) Len() int { return t.length }

// String returns the text without formatting.
func (t *Text) String() string { return t.t().textString() }

// Doc returns the document of the text.
func (t *Text) Doc() *Doc { return t.doc }

// Insert inserts s at index with the formatting found there.
func (t *Text) Insert(index int, s string) error {
	return t.t().insertText(index, s, nil, false)
}

// InsertWithAttributes inserts s at index with exactly the given
// attributes (formatting at index that attrs does not name is removed).
func (t *Text) InsertWithAttributes(index int, s string, attrs Attributes) error {
	return t.t().insertText(index, s, attrs, true)
}

// InsertEmbed inserts an embed (any JSON-like value) at index.
func (t *Text) InsertEmbed(index int, embed any, attrs Attributes) error {
	v, err := normalizeAny(embed)
	if err != nil {
		return err
	}
	if s, ok := v.(string); ok {
		// yjs treats a string "embed" as text.
		return t.t().insertText(index, s, attrs, attrs != nil)
	}
	return t.t().insertContent(index, contentEmbed, v, attrs)
}

// Delete deletes length units from index.
func (t *Text) Delete(index, length int) error {
	tt := t.t()
	if length == 0 {
		return nil
	}
	if index < 0 || length < 0 || index+length > tt.length {
		return ErrIndexOutOfRange
	}
	tx, own := tt.doc.begin(nil, true)
	defer tt.doc.end(tx, own)
	pos := tt.findPosition(tx, index)
	tt.deleteText(tx, &pos, length)
	return nil
}

// Format sets attributes on length units from index.
func (t *Text) Format(index, length int, attrs Attributes) error {
	tt := t.t()
	if length == 0 {
		return nil
	}
	if index < 0 || length < 0 || index+length > tt.length {
		return ErrIndexOutOfRange
	}
	am, err := normalizeAttrs(attrs)
	if err != nil {
		return err
	}
	if err := tt.doc.checkRoom(2*uint64(am.len()), 0); err != nil {
		return err
	}
	tx, own := tt.doc.begin(nil, true)
	defer tt.doc.end(tx, own)
	pos := tt.findPosition(tx, index)
	if pos.right == 0 {
		return nil
	}
	tt.formatText(tx, &pos, length, am)
	return nil
}

// SetAttribute sets an attribute of the text itself (not of a range).
func (t *Text) SetAttribute(name string, value any) error { return t.t().mapSet(name, value) }

// Attribute returns an attribute of the text itself.
func (t *Text) Attribute(name string) (any, bool) { return t.t().mapGet(name) }

// RemoveAttribute removes an attribute of the text itself.
func (t *Text) RemoveAttribute(name string) { t.t().mapDelete(name) }

// Attributes returns the attributes of the text itself.
func (t *Text) Attributes() map[string]any { return t.t().mapAll() }

// ToDelta returns the content as a delta of inserts.
func (t *Text) ToDelta() []Delta { return t.t().toDelta(nil, nil) }

// ApplyDelta applies a delta (yjs YText.applyDelta): inserts of strings or
// embeds, retains (with attributes, a format) and deletes, in order from
// the start. A retain past the end adds newlines, as in yjs.
func (t *Text) ApplyDelta(delta []Delta) error { return t.t().applyDelta(delta) }

// prepared is a delta op checked and converted by applyDelta.
type prepared struct {
	attrs *attrMap
	embed any
}

func (t *ytype) applyDelta(delta []Delta) error {
	// Check everything first, so that a bad op changes nothing.
	prep := make([]prepared, len(delta))
	for i, op := range delta {
		am, err := normalizeAttrs(op.Attributes)
		if err != nil {
			return err
		}
		prep[i].attrs = am
		if op.Insert != nil {
			if _, ok := op.Insert.(string); !ok {
				if typeOf(op.Insert) != nil {
					return errors.New("yjs: a delta cannot insert an existing shared type")
				}
				v, err := normalizeAny(op.Insert)
				if err != nil {
					return err
				}
				prep[i].embed = v
			}
		}
		if op.Retain < 0 || op.Delete < 0 {
			return ErrIndexOutOfRange
		}
	}
	if err := t.checkDeltaRoom(delta, prep); err != nil {
		return err
	}
	tx, own := t.doc.begin(nil, true)
	defer t.doc.end(tx, own)
	pos := textPos{right: t.start}
	for i, op := range delta {
		switch {
		case op.Insert != nil:
			if s, ok := op.Insert.(string); ok {
				if s != "" {
					t.insertContentAt(tx, &pos, contentString, s, nil, prep[i].attrs)
				}
			} else {
				t.insertContentAt(tx, &pos, contentEmbed, "", prep[i].embed, prep[i].attrs)
			}
		case op.Retain > 0:
			t.formatText(tx, &pos, op.Retain, prep[i].attrs)
		case op.Delete > 0:
			t.deleteText(tx, &pos, op.Delete)
		}
	}
	return nil
}

// checkDeltaRoom checks that applying delta stays within the document's
// limits (see checkRoom), bounding what it creates: its text and embeds,
// the newlines a retain past the end adds, and the formatting items, no
// more per op than twice the attributes that can be in effect.
func (t *ytype) checkDeltaRoom(delta []Delta, prep []prepared) error {
	const limit = maxClock + 1 // saturate: anything above fails anyway
	add := func(a, b uint64) uint64 { return min(a+min(b, limit), limit) }
	var keys, units, text uint64
	for _, p := range prep {
		keys = add(keys, uint64(p.attrs.len()))
	}
	keys = add(keys, uint64(t.formats))
	length, pos := uint64(t.length), uint64(0)
	for i, op := range delta {
		switch {
		case op.Insert != nil:
			n := uint64(1)
			if s, ok := op.Insert.(string); ok {
				n = uint64(utf16Len(s))
				text = add(text, uint64(len(s)))
			}
			units = add(units, n)
			pos, length = add(pos, n), add(length, n)
		case op.Retain > 0:
			end := add(pos, uint64(op.Retain))
			if end > length {
				units = add(units, end-length)
				text = add(text, end-length)
				length = end
			}
			pos = end
		case op.Delete > 0:
			length -= min(uint64(op.Delete), length-pos)
		}
		units = add(units, 2*add(keys, uint64(prep[i].attrs.len())))
	}
	return t.doc.checkRoom(units, text)
}

// attrMap is a JavaScript Map of attributes: insertion ordered.
type attrMap struct {
	keys []string
	vals []any
}

func (m *attrMap) get(k string) (any, bool) {
	for i, x := range m.keys {
		if x == k {
			return m.vals[i], true
		}
	}
	return nil, false
}

// getOrNull returns the value of k, or null when absent (JavaScript's
// map.get(k) ?? null).
func (m *attrMap) getOrNull(k string) any {
	v, ok := m.get(k)
	if !ok || v == Undefined {
		return nil
	}
	return v
}

func (m *attrMap) set(k string, v any) {
	for i, x := range m.keys {
		if x == k {
			m.vals[i] = v
			return
		}
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

// objSet sets k as assigning a property of a JavaScript object does:
// array-index keys are ordered numerically before all others.
func (m *attrMap) objSet(k string, v any) {
	for i, x := range m.keys {
		if x == k {
			m.vals[i] = v
			return
		}
	}
	if !isArrayIndex(k) {
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		return
	}
	n := parseIndex(k)
	i := 0
	for i < len(m.keys) && isArrayIndex(m.keys[i]) && parseIndex(m.keys[i]) < n {
		i++
	}
	m.keys = append(m.keys, "")
	copy(m.keys[i+1:], m.keys[i:])
	m.keys[i] = k
	m.vals = append(m.vals, nil)
	copy(m.vals[i+1:], m.vals[i:])
	m.vals[i] = v
}

func parseIndex(k string) uint64 {
	var n uint64
	for i := 0; i < len(k); i++ {
		n = n*10 + uint64(k[i]-'0')
	}
	return n
}

// objCopy copies m into a JavaScript object's key order.
func (m *attrMap) objCopy() attrMap {
	var o attrMap
	for i, k := range m.keys {
		o.objSet(k, m.vals[i])
	}
	return o
}

func (m *attrMap) delete(k string) {
	for i, x := range m.keys {
		if x == k {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			m.vals = append(m.vals[:i], m.vals[i+1:]...)
			return
		}
	}
}

func (m *attrMap) len() int { return len(m.keys) }

func (m *attrMap) copy() attrMap {
	if len(m.keys) == 0 {
		return attrMap{}
	}
	return attrMap{keys: append([]string(nil), m.keys...), vals: append([]any(nil), m.vals...)}
}

// normalizeAttrs converts caller attributes to an attrMap in JavaScript
// key order (keys sorted, array indices first).
func normalizeAttrs(attrs Attributes) (*attrMap, error) {
	v, err := normalizeAny(map[string]any(attrs))
	if err != nil {
		return nil, err
	}
	o := v.(*object)
	return &attrMap{keys: o.keys, vals: o.vals}, nil
}

// equalAttrs compares attribute values as yjs does: equal primitives, or
// objects whose own properties are identical (one level deep, by identity
// below).
func equalAttrs(a, b any) bool {
	if identical(a, b) {
		return true
	}
	switch a := a.(type) {
	case *object:
		switch b := b.(type) {
		case *object:
			if len(a.keys) != len(b.keys) {
				return false
			}
			for i, k := range a.keys {
				bv, ok := b.get(k)
				if !ok && a.vals[i] != Undefined {
					return false
				}
				if !identical(a.vals[i], bv) {
					return false
				}
			}
			return true
		case []any:
			return len(a.keys) == 0 && len(b) == 0
		}
	case []any:
		switch b := b.(type) {
		case []any:
			if len(a) != len(b) {
				return false
			}
			for i := range a {
				if !identical(a[i], b[i]) {
					return false
				}
			}
			return true
		case *object:
			return len(a) == 0 && len(b.keys) == 0
		}
	case []byte:
		if b, ok := b.([]byte); ok {
			return string(a) == string(b)
		}
	}
	return false
}

// identical is JavaScript's === on our values: primitives by value,
// objects and arrays by identity.
func identical(a, b any) bool {
	switch a := a.(type) {
	case *object:
		b, ok := b.(*object)
		return ok && a == b
	case []any:
		b, ok := b.([]any)
		return ok && len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
	case []byte:
		b, ok := b.([]byte)
		return ok && len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
	case float64:
		b, ok := b.(float64)
		return ok && a == b
	}
	return a == b
}

// textPos is a position in a text (yjs ItemTextListPosition): between left
// and right, index units from the start, with the attributes in effect.
type textPos struct {
	left, right ref
	index       int
	attrs       attrMap
}

func (t *ytype) forward(pos *textPos) {
	d := t.doc
	if pos.right == 0 {
		panic("yjs: text position past the end")
	}
	ri := d.items.at(pos.right)
	if ri.kind() == contentFormat {
		if !ri.deleted() {
			updateAttrs(&pos.attrs, d.vals[ri.data].(*formatValue))
		}
	} else if !ri.deleted() {
		pos.index += int(ri.length)
	}
	pos.left = pos.right
	pos.right = ri.right
}

func updateAttrs(m *attrMap, f *formatValue) {
	if f.value == nil {
		m.delete(f.key)
	} else {
		m.set(f.key, f.value)
	}
}

// findPositionScan walks from the start to index, tracking formatting
// (yjs findPosition without search markers).
func (t *ytype) findPositionScan(tx *Transaction, index int) textPos {
	pos := textPos{right: t.start}
	t.findNextPosition(tx, &pos, index)
	return pos
}

// findPosition finds index through the position index, with the
// attributes in effect there in the order yjs's walk from the start adds
// them. Short texts are walked.
func (t *ytype) findPosition(tx *Transaction, index int) textPos {
	if index == 0 || (t.index == nil && t.length <= indexThreshold) {
		return t.findPositionScan(tx, index)
	}
	left := t.findLeft(tx, index)
	pos := textPos{left: left, right: t.doc.items.at(left).right, index: index}
	if t.hasFormatting {
		pos.attrs = t.index.attrsThrough(t.doc, left)
	}
	return pos
}

func (t *ytype) findNextPosition(tx *Transaction, pos *textPos, count int) {
	d := t.doc
	for pos.right != 0 && count > 0 {
		ri := d.items.at(pos.right)
		if ri.kind() == contentFormat {
			if !ri.deleted() {
				updateAttrs(&pos.attrs, d.vals[ri.data].(*formatValue))
			}
		} else if !ri.deleted() {
			if count < int(ri.length) {
				d.getItemCleanStart(tx, ri.client(), ri.clock+uint32(count))
			}
			pos.index += int(ri.length)
			count -= int(ri.length)
		}
		pos.left = pos.right
		pos.right = ri.right
	}
}

// newLocalItem allocates an item of this document's client at the next
// clock, placed between left and right in t.
func (t *ytype) newLocalItem(left, right ref, kind uint8, length uint32) (ref, *item) {
	d := t.doc
	c := d.clientIndex(d.clientID)
	r := d.items.alloc()
	it := d.items.at(r)
	*it = item{
		meta:     c | uint32(kind)<<kindShift,
		clock:    d.state(c),
		length:   length,
		oClient:  noClient,
		roClient: noClient,
		left:     left,
		right:    right,
		parent:   t.num,
	}
	if uint64(it.clock)+uint64(length) > maxClock {
		// Local edits check their room first (checkRoom).
		panic("yjs: client clock exceeds 2^32")
	}
	if left != 0 {
		l := d.items.at(left)
		it.oClient, it.oClock = l.client(), l.clock+l.length-1
	}
	if right != 0 {
		ri := d.items.at(right)
		it.roClient, it.roClock = ri.client(), ri.clock
	}
	return r, it
}

// insertFormat inserts a formatting item at pos and moves past it.
func (t *ytype) insertFormat(tx *Transaction, pos *textPos, key string, value any) {
	r, it := t.newLocalItem(pos.left, pos.right, contentFormat, 1)
	it.data = t.doc.putVal(&formatValue{key: key, value: value})
	t.doc.integrateItem(tx, r)
	pos.right = r
	t.forward(pos)
}

func (t *ytype) minimizeAttributeChanges(pos *textPos, attrs *attrMap) {
	d := t.doc
	for pos.right != 0 {
		ri := d.items.at(pos.right)
		if ri.deleted() {
			t.forward(pos)
			continue
		}
		if ri.kind() == contentFormat {
			f := d.vals[ri.data].(*formatValue)
			if equalAttrs(attrs.getOrNull(f.key), f.value) {
				t.forward(pos)
				continue
			}
		}
		break
	}
}

func (t *ytype) insertAttributes(tx *Transaction, pos *textPos, attrs *attrMap) attrMap {
	var negated attrMap
	for i, k := range attrs.keys {
		v := attrs.vals[i]
		cur := pos.attrs.getOrNull(k)
		if !equalAttrs(cur, v) {
			negated.set(k, cur)
			t.insertFormat(tx, pos, k, v)
		}
	}
	return negated
}

func (t *ytype) insertNegatedAttributes(tx *Transaction, pos *textPos, negated *attrMap) {
	d := t.doc
	for pos.right != 0 {
		ri := d.items.at(pos.right)
		if !ri.deleted() {
			if ri.kind() != contentFormat {
				break
			}
			f := d.vals[ri.data].(*formatValue)
			nv, ok := negated.get(f.key)
			if !ok || !equalAttrs(nv, f.value) {
				break
			}
			negated.delete(f.key)
		}
		t.forward(pos)
	}
	for i, k := range negated.keys {
		t.insertFormat(tx, pos, k, negated.vals[i])
	}
}

// insertText inserts text at index (yjs YText.insert): with explicit
// attributes exactly those, else the formatting found at index.
func (t *ytype) insertText(index int, s string, attrs Attributes, explicit bool) error {
	if s == "" {
		return nil
	}
	if index < 0 || index > t.length {
		return ErrIndexOutOfRange
	}
	var am attrMap
	if explicit {
		m, err := normalizeAttrs(attrs)
		if err != nil {
			return err
		}
		am = *m
	}
	tx, own := t.doc.begin(nil, true)
	defer t.doc.end(tx, own)
	pos := t.findPosition(tx, index)
	if !explicit {
		am = pos.attrs.objCopy()
	}
	// Finding the position may have split an item; the transaction's end
	// merges it back if nothing else happens. Without explicit attributes
	// the insert takes those in effect and creates no formatting items.
	units := uint64(utf16Len(s))
	if explicit {
		units += fmtBound(&am, &pos.attrs)
	}
	if err := t.doc.checkRoom(units, uint64(len(s))); err != nil {
		return err
	}
	t.insertContentAt(tx, &pos, contentString, s, nil, &am)
	return nil
}

// fmtBound bounds the formatting items an insert with attrs at a position
// with the attributes cur creates: one per key before it, one after.
func fmtBound(attrs, cur *attrMap) uint64 {
	return 2 * uint64(attrs.len()+cur.len())
}

// insertContent inserts an embed or a type at index (yjs insertEmbed).
func (t *ytype) insertContent(index int, kind uint8, v any, attrs Attributes) error {
	if index < 0 || index > t.length {
		return ErrIndexOutOfRange
	}
	am, err := normalizeAttrs(attrs)
	if err != nil {
		return err
	}
	tx, own := t.doc.begin(nil, true)
	defer t.doc.end(tx, own)
	pos := t.findPosition(tx, index)
	if err := t.doc.checkRoom(1+fmtBound(am, &pos.attrs), 0); err != nil {
		return err
	}
	t.insertContentAt(tx, &pos, kind, "", v, am)
	return nil
}

// insertContentAt is yjs insertText: it inserts content (the string s, or
// the embed or type v) at pos with exactly attrs in effect, adding and then
// negating formatting items.
func (t *ytype) insertContentAt(tx *Transaction, pos *textPos, kind uint8, s string, v any, attrs *attrMap) {
	d := t.doc
	for _, k := range pos.attrs.keys {
		if v, ok := attrs.get(k); !ok || v == Undefined {
			attrs.objSet(k, nil)
		}
	}
	t.minimizeAttributeChanges(pos, attrs)
	negated := t.insertAttributes(tx, pos, attrs)
	var length uint32 = 1
	if kind == contentString {
		length = uint32(utf16Len(s))
	}
	r, it := t.newLocalItem(pos.left, pos.right, kind, length)
	switch kind {
	case contentString:
		it.data, it.data2 = d.text.addString(s)
	case contentEmbed:
		it.data = d.putVal(v)
	case contentType:
		nt := v.(*ytype)
		it.data = nt.num
	}
	index := pos.index
	d.integrateItem(tx, r)
	pos.right = r
	pos.index = index
	t.forward(pos)
	t.insertNegatedAttributes(tx, pos, &negated)
}

// formatText applies attrs to length units from pos (yjs formatText).
func (t *ytype) formatText(tx *Transaction, pos *textPos, length int, attrs *attrMap) {
	d := t.doc
	t.minimizeAttributeChanges(pos, attrs)
	negated := t.insertAttributes(tx, pos, attrs)
loop:
	for pos.right != 0 {
		ri := d.items.at(pos.right)
		if !(length > 0 || (negated.len() > 0 && (ri.deleted() || ri.kind() == contentFormat))) {
			break
		}
		if !ri.deleted() {
			if ri.kind() == contentFormat {
				f := d.vals[ri.data].(*formatValue)
				if attr, ok := attrs.get(f.key); ok && attr != Undefined {
					if equalAttrs(attr, f.value) {
						negated.delete(f.key)
					} else {
						if length == 0 {
							break loop
						}
						negated.set(f.key, f.value)
					}
					d.deleteItem(tx, pos.right)
				} else {
					pos.attrs.set(f.key, f.value)
				}
			} else {
				if length < int(ri.length) {
					d.getItemCleanStart(tx, ri.client(), ri.clock+uint32(length))
				}
				length -= int(ri.length)
			}
		}
		t.forward(pos)
	}
	if length > 0 {
		s := strings.Repeat("\n", length)
		r, it := t.newLocalItem(pos.left, pos.right, contentString, uint32(length))
		it.data, it.data2 = d.text.addString(s)
		d.integrateItem(tx, r)
		pos.right = r
		t.forward(pos)
	}
	t.insertNegatedAttributes(tx, pos, &negated)
}

// deleteText deletes length units from pos (yjs deleteText).
func (t *ytype) deleteText(tx *Transaction, pos *textPos, length int) {
	d := t.doc
	startAttrs := pos.attrs.copy()
	start := pos.right
	for length > 0 && pos.right != 0 {
		ri := d.items.at(pos.right)
		if !ri.deleted() {
			switch ri.kind() {
			case contentType, contentEmbed, contentString:
				if length < int(ri.length) {
					d.getItemCleanStart(tx, ri.client(), ri.clock+uint32(length))
				}
				length -= int(ri.length)
				d.deleteItem(tx, pos.right)
			}
		}
		t.forward(pos)
	}
	// Without formatting items the gap has nothing to clean.
	if start != 0 && t.hasFormatting {
		t.cleanupFormattingGap(tx, start, pos.right, &startAttrs, &pos.attrs)
	}
}

// cleanupFormattingGap removes redundant formatting items between start
// and the next visible content (yjs cleanupFormattingGap).
func (t *ytype) cleanupFormattingGap(tx *Transaction, start, curr ref, startAttrs, currAttrs *attrMap) int {
	d := t.doc
	end := start
	var endFormats []keyRef // usually empty: no formatting in the gap
	for end != 0 {
		it := d.items.at(end)
		if it.countable() && !it.deleted() {
			break
		}
		if !it.deleted() && it.kind() == contentFormat {
			endFormats = setKeyRef(endFormats, d.vals[it.data].(*formatValue).key, end)
		}
		end = it.right
	}
	cleanups := 0
	reachedCurr := false
	for start != end {
		if curr == start {
			reachedCurr = true
		}
		it := d.items.at(start)
		if !it.deleted() && it.kind() == contentFormat {
			f := d.vals[it.data].(*formatValue)
			startVal := startAttrs.getOrNull(f.key)
			if getKeyRef(endFormats, f.key) != start || identical(startVal, f.value) {
				d.deleteItem(tx, start)
				cleanups++
				if !reachedCurr && identical(currAttrs.getOrNull(f.key), f.value) && !identical(startVal, f.value) {
					if startVal == nil {
						currAttrs.delete(f.key)
					} else {
						currAttrs.set(f.key, startVal)
					}
				}
			}
			if !reachedCurr && !it.deleted() {
				updateAttrs(currAttrs, f)
			}
		}
		start = it.right
	}
	return cleanups
}

type keyRef struct {
	key string
	r   ref
}

func setKeyRef(kr []keyRef, k string, r ref) []keyRef {
	for i := range kr {
		if kr[i].key == k {
			kr[i].r = r
			return kr
		}
	}
	return append(kr, keyRef{k, r})
}

func getKeyRef(kr []keyRef, k string) ref {
	for _, x := range kr {
		if x.key == k {
			return x.r
		}
	}
	return 0
}

// cleanupContextless removes duplicate formatting items around a deleted
// item (yjs cleanupContextlessFormattingGap).
func (t *ytype) cleanupContextless(tx *Transaction, r ref) {
	d := t.doc
	for r != 0 {
		it := d.items.at(r)
		if it.right == 0 {
			break
		}
		ri := d.items.at(it.right)
		if !(ri.deleted() || !ri.countable()) {
			break
		}
		r = it.right
	}
	seen := map[string]bool{}
	for r != 0 {
		it := d.items.at(r)
		if !(it.deleted() || !it.countable()) {
			break
		}
		if !it.deleted() && it.kind() == contentFormat {
			k := d.vals[it.data].(*formatValue).key
			if seen[k] {
				d.deleteItem(tx, r)
			} else {
				seen[k] = true
			}
		}
		r = it.left
	}
}

// cleanupFormatting removes all redundant formatting of t (yjs
// cleanupYTextFormatting).
func (t *ytype) cleanupFormatting() int {
	res := 0
	d := t.doc
	d.transact(func(tx *Transaction) {
		start := t.start
		end := t.start
		var startAttrs, cur attrMap
		for end != 0 {
			it := d.items.at(end)
			if !it.deleted() {
				if it.kind() == contentFormat {
					updateAttrs(&cur, d.vals[it.data].(*formatValue))
				} else {
					res += t.cleanupFormattingGap(tx, start, end, &startAttrs, &cur)
					startAttrs = cur.copy()
					start = end
				}
			}
			end = it.right
		}
	}, nil, true)
	return res
}

// cleanupFormattingAfterTransaction cleans formatting after a remote
// transaction touched formatted text (yjs cleanupYTextAfterTransaction).
func (d *Doc) cleanupFormattingAfterTransaction(tx *Transaction) {
	needFull := map[*ytype]bool{}
	var fullOrder []*ytype
	for _, tc := range tx.touched {
		after := d.state(tc.client)
		if after == tc.clock {
			continue
		}
		structs := &d.structs[tc.client]
		for i := d.findIndex(structs, tc.clock); i < structs.len(); i++ {
			it := d.items.at(structs.at(i).r)
			if !it.deleted() && it.kind() == contentFormat {
				p := d.types[it.parent]
				if !needFull[p] {
					needFull[p] = true
					fullOrder = append(fullOrder, p)
				}
			}
		}
	}
	d.transact(func(t *Transaction) {
		d.iterateDeleted(tx, &tx.ds, func(r ref) {
			it := d.items.at(r)
			if it.isGC() {
				return
			}
			p := d.types[it.parent]
			if !p.hasFormatting || needFull[p] {
				return
			}
			if it.kind() == contentFormat {
				needFull[p] = true
				fullOrder = append(fullOrder, p)
			} else {
				p.cleanupContextless(t, r)
			}
		})
		for _, p := range fullOrder {
			p.cleanupFormatting()
		}
	}, nil, true)
}

// iterateDeleted calls f for every struct in ds, splitting items at the
// range borders (yjs iterateDeletedStructs).
func (d *Doc) iterateDeleted(tx *Transaction, ds *deleteSet, f func(ref)) {
	for _, e := range ds.entries {
		c, ok := d.lookupClient(e.client)
		if !ok || d.structs[c].len() == 0 {
			continue
		}
		state := uint64(d.state(c))
		for _, rg := range e.ranges {
			if rg.clock >= state {
				break
			}
			d.iterateStructs(tx, c, uint32(rg.clock), uint32(rg.len), f)
		}
	}
}

// iterateStructs calls f for the structs of client c covering
// [clock, clock+length), splitting at the borders (yjs iterateStructs).
func (d *Doc) iterateStructs(tx *Transaction, c, clock, length uint32, f func(ref)) {
	if length == 0 {
		return
	}
	end := uint64(clock) + uint64(length)
	i := d.findIndexCleanStart(tx, c, clock)
	for {
		r := d.structs[c].at(i).r
		i++
		it := d.items.at(r)
		if end < uint64(it.clock)+uint64(it.length) {
			d.findIndexCleanStart(tx, c, uint32(end))
		}
		f(r)
		if i >= d.structs[c].len() || uint64(d.structs[c].at(i).clock) >= end {
			break
		}
	}
}

// findIndexCleanStart returns the index of the struct starting at clock,
// splitting the item holding it if needed.
func (d *Doc) findIndexCleanStart(tx *Transaction, c, clock uint32) int {
	s := &d.structs[c]
	i := d.findIndex(s, clock)
	it := d.items.at(s.at(i).r)
	if it.clock < clock && !it.isGC() {
		right := d.splitItem(tx, s.at(i).r, clock-it.clock)
		d.insertStruct(c, i+1, right)
		return i + 1
	}
	return i
}

// toDelta renders the text as a delta (yjs YText.toDelta), optionally at
// a snapshot compared with a previous one.
func (t *ytype) toDelta(snap, prev *Snapshot) []Delta {
	d := t.doc
	var ops []Delta
	cur := &attrMap{}
	var sb strings.Builder
	packStr := func() {
		if sb.Len() == 0 {
			return
		}
		op := Delta{Insert: sb.String()}
		if cur.len() > 0 {
			op.Attributes = make(map[string]any, cur.len())
			for i, k := range cur.keys {
				op.Attributes[k] = exportAny(cur.vals[i])
			}
		}
		ops = append(ops, op)
		sb.Reset()
	}
	compute := func() {
		for n := t.start; n != 0; {
			it := d.items.at(n)
			if d.isVisible(it, snap) || (prev != nil && d.isVisible(it, prev)) {
				switch it.kind() {
				case contentString:
					// yjs compares the current change's user with the item's
					// client; without a user that never matches, so every
					// added or removed item starts a new op.
					_, hasYC := cur.get("ychange")
					switch {
					case snap != nil && !d.isVisible(it, snap):
						packStr()
						cur.set("ychange", ychange("removed"))
					case prev != nil && !d.isVisible(it, prev):
						packStr()
						cur.set("ychange", ychange("added"))
					case hasYC:
						packStr()
						cur.delete("ychange")
					}
					sb.Write(d.itemText(it))
				case contentType, contentEmbed:
					packStr()
					op := Delta{Insert: exportAny(d.itemValue(it, 0))}
					if cur.len() > 0 {
						op.Attributes = make(map[string]any, cur.len())
						for i, k := range cur.keys {
							op.Attributes[k] = exportAny(cur.vals[i])
						}
					}
					ops = append(ops, op)
				case contentFormat:
					if d.isVisible(it, snap) {
						packStr()
						updateAttrs(cur, d.vals[it.data].(*formatValue))
					}
				}
			}
			n = it.right
		}
		packStr()
	}
	if snap != nil || prev != nil {
		d.transact(func(tx *Transaction) {
			if snap != nil {
				d.splitSnapshotAffectedStructs(tx, snap)
			}
			if prev != nil {
				d.splitSnapshotAffectedStructs(tx, prev)
			}
			compute()
		}, "cleanup", true)
	} else {
		compute()
	}
	return ops
}

func ychange(kind string) any {
	b := newObjectBuilder(1)
	b.set("type", kind)
	return b.done()
}
