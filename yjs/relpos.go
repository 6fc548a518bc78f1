package yjs

import "errors"

// RelativePosition is a position in a type that survives concurrent edits
// (yjs RelativePosition): it names the item after the position (or the
// type, for its end) instead of an index.
type RelativePosition struct {
	// Type is the ID of the item holding the type when it is not a root;
	// TypeName names a root type.
	Type     *ID
	TypeName string
	// Item is the ID of the unit right of the position; nil for the end
	// (or, with Assoc < 0, the start) of the type.
	Item *ID
	// Assoc is the association: >= 0 sticks to the unit on the right,
	// < 0 to the unit on the left.
	Assoc int
}

// AbsolutePosition is a resolved relative position.
type AbsolutePosition struct {
	// Type is the type's handle (*Text, *Array, …).
	Type  any
	Index int
	Assoc int
}

// RelativePositionFromIndex returns a relative position for index in a
// shared type (yjs createRelativePositionFromTypeIndex).
func RelativePositionFromIndex(typ any, index, assoc int) (*RelativePosition, error) {
	t := typeOf(typ)
	if t == nil {
		return nil, errors.New("yjs: not a shared type")
	}
	d := t.doc
	rp := &RelativePosition{Assoc: assoc}
	if t.item == 0 {
		rp.TypeName = t.rootName
	} else {
		it := d.items.at(t.item)
		rp.Type = &ID{d.clients[it.client()], uint64(it.clock)}
	}
	if assoc < 0 {
		if index == 0 {
			return rp, nil
		}
		index--
	}
	if t.usesIndex() {
		// What the walk below finds, through the index.
		switch {
		case index >= 0 && index < t.length:
			n, off := t.posIndex().find(d, index)
			it := d.items.at(n)
			rp.Item = &ID{d.clients[it.client()], uint64(it.clock) + uint64(off)}
		case assoc < 0 && index >= t.length:
			if n := t.posIndex().last(); n != 0 {
				it := d.items.at(n)
				rp.Item = &ID{d.clients[it.client()], uint64(it.clock + it.length - 1)}
			}
		}
		return rp, nil
	}
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.countable() {
			if int(it.length) > index {
				rp.Item = &ID{d.clients[it.client()], uint64(it.clock) + uint64(index)}
				return rp, nil
			}
			index -= int(it.length)
		}
		if it.right == 0 && assoc < 0 {
			rp.Item = &ID{d.clients[it.client()], uint64(it.clock + it.length - 1)}
			return rp, nil
		}
		n = it.right
	}
	return rp, nil
}

func typeOf(v any) *ytype {
	switch v := v.(type) {
	case *Text:
		return v.t()
	case *Map:
		return v.t()
	case *Array:
		return v.t()
	case *XmlFragment:
		return v.t()
	case *XmlElement:
		return v.t()
	case *XmlText:
		return v.t()
	case *XmlHook:
		return v.t()
	}
	return nil
}

// Encode encodes the position (yjs encodeRelativePosition).
func (rp *RelativePosition) Encode() []byte {
	var b []byte
	switch {
	case rp.Item != nil:
		b = append(b, 0)
		b = AppendVarUint(b, rp.Item.Client)
		b = AppendVarUint(b, rp.Item.Clock)
	case rp.Type == nil:
		b = append(b, 1)
		b = AppendVarString(b, rp.TypeName)
	default:
		b = append(b, 2)
		b = AppendVarUint(b, rp.Type.Client)
		b = AppendVarUint(b, rp.Type.Clock)
	}
	return AppendVarInt(b, int64(rp.Assoc))
}

// DecodeRelativePosition decodes an encoded relative position.
func DecodeRelativePosition(b []byte) (*RelativePosition, error) {
	r := reader{b: b}
	rp := &RelativePosition{}
	switch r.varUint() {
	case 0:
		c := r.varUint()
		rp.Item = &ID{c, r.varUint()}
	case 1:
		rp.TypeName = r.varString()
	case 2:
		c := r.varUint()
		rp.Type = &ID{c, r.varUint()}
	default:
		if r.err == nil {
			return nil, malformed("unknown relative position kind")
		}
	}
	if r.hasContent() {
		abs, neg := r.varInt()
		rp.Assoc = int(abs)
		if neg {
			rp.Assoc = -rp.Assoc
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return rp, nil
}

// ResolveRelativePosition returns the absolute position of rp in d, or
// nil when it cannot be resolved (its item or type is not there yet, or
// was collected).
func (d *Doc) ResolveRelativePosition(rp *RelativePosition) *AbsolutePosition {
	var t *ytype
	index := 0
	switch {
	case rp.Item != nil:
		if uint64(d.stateOf(rp.Item.Client)) <= rp.Item.Clock {
			return nil
		}
		c, _ := d.lookupClient(rp.Item.Client)
		r := d.find(c, uint32(rp.Item.Clock))
		it := d.items.at(r)
		if it.isGC() {
			return nil
		}
		t = d.types[it.parent]
		if t.item == 0 || !d.items.at(t.item).deleted() {
			if !it.deleted() && it.countable() {
				index = int(rp.Item.Clock - uint64(it.clock))
				if rp.Assoc < 0 {
					index++
				}
			}
			if !it.hasSub() && t.usesIndex() {
				index += t.posIndex().offsetOf(d, r)
			} else {
				for n := it.left; n != 0; {
					ni := d.items.at(n)
					index += int(ni.visible())
					n = ni.left
				}
			}
		}
	case rp.Type == nil:
		t = d.root(rp.TypeName)
		if rp.Assoc >= 0 {
			index = t.length
		}
	default:
		if d.stateOf(rp.Type.Client) <= rp.Type.Clock {
			return nil
		}
		r := d.findID(*rp.Type)
		it := d.items.at(r)
		if it.kind() != contentType {
			return nil
		}
		t = d.types[it.data]
		if rp.Assoc >= 0 {
			index = t.length
		}
	}
	return &AbsolutePosition{Type: t.view(), Index: index, Assoc: rp.Assoc}
}
