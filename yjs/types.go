package yjs

import (
	"sort"
	"strings"
)

// ytype is a shared type: a list of items (start) and/or a map of keyed
// items (entries). Text, Map, Array and the XML types are views of it.
type ytype struct {
	doc      *Doc
	num      uint32 // number in doc.types
	item     ref    // the item holding this type; 0 for a root type
	kind     uint8
	name     string // node name (XmlElement) or hook name (XmlHook)
	rootName string
	dead     bool // collected; its content is gone
	depth    int

	start   ref
	entries map[string]ref
	length  int // visible countable length of the list

	hasFormatting bool
	// formats counts the formatting items ever linked into the list, an
	// upper bound of the attributes in effect at any position.
	formats int
	index   *posIndex

	change    *typeChange // in the current transaction
	observers []*typeObserver
	deep      []*deepObserver
}

func (d *Doc) newType(kind uint8, name string) *ytype {
	t := &ytype{doc: d, kind: kind, name: name, num: uint32(len(d.types))}
	d.types = append(d.types, t)
	return t
}

func (t *ytype) setEntry(key string, r ref) {
	if t.entries == nil {
		t.entries = make(map[string]ref)
	}
	t.entries[key] = r
}

// parentType returns the type holding t, or nil for a root.
func (t *ytype) parentType() *ytype {
	if t.item == 0 {
		return nil
	}
	return t.doc.types[t.doc.items.at(t.item).parent]
}

// isDeleted reports whether t's item was deleted.
func (t *ytype) isDeleted() bool {
	return t.dead || (t.item != 0 && t.doc.items.at(t.item).deleted())
}

// sortedKeys returns the keys of live map entries in sorted order.
func (t *ytype) sortedKeys() []string {
	keys := make([]string, 0, len(t.entries))
	for k, r := range t.entries {
		if !t.doc.items.at(r).deleted() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// entryValue returns the value of a map entry (the last unit of its item).
func (t *ytype) entryValue(r ref) any {
	d := t.doc
	it := d.items.at(r)
	return d.itemValue(it, int(it.length)-1)
}

// itemValue returns the i-th unit of an item's content as a value: a
// one-character string, an element, a binary, an embed or a type.
func (d *Doc) itemValue(it *item, i int) any {
	switch it.kind() {
	case contentString:
		s := d.itemString(it)
		_, right := splitString(s, i, int(it.length))
		l, _ := splitString(right, 1, int(it.length)-i)
		return l
	case contentAny, contentJSON:
		return d.vals[it.data].([]any)[i]
	case contentBinary, contentEmbed:
		return d.vals[it.data]
	case contentType:
		return d.types[it.data].view()
	case contentDoc:
		return d.vals[it.data].(*subdocValue).subdoc()
	}
	return nil
}

// view returns the typed handle of t for callers.
func (t *ytype) view() any {
	switch t.kind {
	case typeText:
		return (*Text)(t)
	case typeMap:
		return (*Map)(t)
	case typeArray:
		return (*Array)(t)
	case typeXmlFragment:
		return (*XmlFragment)(t)
	case typeXmlElement:
		return (*XmlElement)(t)
	case typeXmlText:
		return (*XmlText)(t)
	case typeXmlHook:
		return (*XmlHook)(t)
	}
	return t
}

// toJSON renders t as yjs's toJSON does.
func (t *ytype) toJSON() any {
	switch t.kind {
	case typeText:
		return t.textString()
	case typeXmlText:
		return t.xmlTextString()
	case typeXmlElement, typeXmlFragment:
		return t.xmlString()
	case typeArray:
		return t.arrayJSON()
	case typeMap, typeXmlHook:
		return t.mapJSON()
	}
	return nil
}

// jsonValue renders a stored value for ToJSON.
func jsonValue(v any) any {
	switch v := v.(type) {
	case *Text:
		return (*ytype)(v).toJSON()
	case *Map:
		return (*ytype)(v).toJSON()
	case *Array:
		return (*ytype)(v).toJSON()
	case *XmlFragment:
		return (*ytype)(v).toJSON()
	case *XmlElement:
		return (*ytype)(v).toJSON()
	case *XmlText:
		return (*ytype)(v).toJSON()
	case *XmlHook:
		return (*ytype)(v).toJSON()
	case *ytype:
		return v.toJSON()
	}
	return exportAny(v)
}

func (t *ytype) mapJSON() map[string]any {
	out := make(map[string]any, len(t.entries))
	for k, r := range t.entries {
		if t.doc.items.at(r).deleted() {
			continue
		}
		out[k] = jsonValue(t.entryValue(r))
	}
	return out
}

func (t *ytype) arrayJSON() []any {
	out := []any{}
	d := t.doc
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.countable() {
			for i := 0; i < int(it.length); i++ {
				out = append(out, jsonValue(d.itemValue(it, i)))
			}
		}
		n = it.right
	}
	return out
}

func (t *ytype) textString() string {
	var sb strings.Builder
	d := t.doc
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.kind() == contentString {
			sb.Write(d.itemText(it))
		}
		n = it.right
	}
	return sb.String()
}

// jsString renders t as JavaScript's String(t) would.
func (t *ytype) jsString() string {
	switch t.kind {
	case typeText:
		return t.textString()
	case typeXmlText:
		return t.xmlTextString()
	case typeXmlElement, typeXmlFragment:
		return t.xmlString()
	}
	return "[object Object]"
}

// refSet is a small set of refs: a slice, and a map once it grows.
type refSet struct {
	list []ref
	m    map[ref]struct{}
}

func (s *refSet) clear() {
	s.list = s.list[:0]
	if s.m != nil {
		clear(s.m)
	}
}

func (s *refSet) add(r ref) {
	if s.m != nil && len(s.list) >= 32 {
		s.m[r] = struct{}{}
		s.list = append(s.list, r)
		return
	}
	s.list = append(s.list, r)
	if len(s.list) == 32 {
		if s.m == nil {
			s.m = make(map[ref]struct{}, 64)
		}
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
	}
}

func (s *refSet) has(r ref) bool {
	if len(s.list) >= 32 {
		_, ok := s.m[r]
		return ok
	}
	for _, x := range s.list {
		if x == r {
			return true
		}
	}
	return false
}
