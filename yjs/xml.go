package yjs

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// XmlFragment is a list of XML nodes (yjs Y.XmlFragment), the root of a
// ProseMirror or Tiptap document.
type XmlFragment ytype

// XmlElement is an XML element with a name, attributes and children (yjs
// Y.XmlElement).
type XmlElement ytype

// XmlText is formatted text inside XML (yjs Y.XmlText): a Text whose
// formatting attributes render as tags.
type XmlText ytype

// XmlHook is a named map inside XML (yjs Y.XmlHook).
type XmlHook ytype

func (f *XmlFragment) t() *ytype { return (*ytype)(f) }
func (e *XmlElement) t() *ytype  { return (*ytype)(e) }
func (x *XmlText) t() *ytype     { return (*ytype)(x) }
func (h *XmlHook) t() *ytype     { return (*ytype)(h) }

// Doc returns the document of the fragment.
func (f *XmlFragment) Doc() *Doc { return f.doc }

// Len returns the number of children.
func (f *XmlFragment) Len() int { return f.length }

// Get returns the child at index: an *XmlElement, *XmlText or *XmlHook.
func (f *XmlFragment) Get(index int) (any, bool) {
	v, ok := f.t().listGet(index)
	return exportValue(v), ok
}

// Children returns the children.
func (f *XmlFragment) Children() []any { return (*Array)(f).Values() }

// InsertElement inserts a new element named name at index.
func (f *XmlFragment) InsertElement(index int, name string) (*XmlElement, error) {
	t, err := f.t().insertType(index, typeXmlElement, name)
	return (*XmlElement)(t), err
}

// InsertText inserts a new XmlText at index.
func (f *XmlFragment) InsertText(index int) (*XmlText, error) {
	t, err := f.t().insertType(index, typeXmlText, "")
	return (*XmlText)(t), err
}

// InsertHook inserts a new XmlHook named name at index.
func (f *XmlFragment) InsertHook(index int, name string) (*XmlHook, error) {
	t, err := f.t().insertType(index, typeXmlHook, name)
	return (*XmlHook)(t), err
}

// Delete deletes length children from index.
func (f *XmlFragment) Delete(index, length int) error { return (*Array)(f).Delete(index, length) }

// String renders the fragment as yjs's toString does.
func (f *XmlFragment) String() string { return f.t().xmlString() }

// Observe registers fn for changes of the fragment's children.
func (f *XmlFragment) Observe(fn func(e *Event)) (unobserve func()) { return f.t().observe(fn) }

// ObserveDeep registers fn for changes in the whole subtree.
func (f *XmlFragment) ObserveDeep(fn func(events []*Event)) (unobserve func()) {
	return f.t().observeDeep(fn)
}

// Doc returns the document of the element.
func (e *XmlElement) Doc() *Doc { return e.doc }

// Name returns the element's node name.
func (e *XmlElement) Name() string { return e.name }

// Len returns the number of children.
func (e *XmlElement) Len() int { return e.length }

// Get returns the child at index.
func (e *XmlElement) Get(index int) (any, bool) { return (*XmlFragment)(e).Get(index) }

// Children returns the children.
func (e *XmlElement) Children() []any { return (*Array)(e).Values() }

// InsertElement inserts a new child element at index.
func (e *XmlElement) InsertElement(index int, name string) (*XmlElement, error) {
	return (*XmlFragment)(e).InsertElement(index, name)
}

// InsertText inserts a new XmlText child at index.
func (e *XmlElement) InsertText(index int) (*XmlText, error) {
	return (*XmlFragment)(e).InsertText(index)
}

// Delete deletes length children from index.
func (e *XmlElement) Delete(index, length int) error { return (*Array)(e).Delete(index, length) }

// SetAttribute sets an attribute; yjs attributes are usually strings.
func (e *XmlElement) SetAttribute(name string, value any) error { return e.t().mapSet(name, value) }

// Attribute returns an attribute.
func (e *XmlElement) Attribute(name string) (any, bool) { return e.t().mapGet(name) }

// RemoveAttribute removes an attribute.
func (e *XmlElement) RemoveAttribute(name string) { e.t().mapDelete(name) }

// Attributes returns all attributes.
func (e *XmlElement) Attributes() map[string]any { return e.t().mapAll() }

// String renders the element as yjs's toString does.
func (e *XmlElement) String() string { return e.t().xmlString() }

// Observe registers fn for changes of the element.
func (e *XmlElement) Observe(fn func(ev *Event)) (unobserve func()) { return e.t().observe(fn) }

// ObserveDeep registers fn for changes in the whole subtree.
func (e *XmlElement) ObserveDeep(fn func(events []*Event)) (unobserve func()) {
	return e.t().observeDeep(fn)
}

// Text returns the XmlText as a Text for editing.
func (x *XmlText) Text() *Text { return (*Text)(x) }

// Doc returns the document of the text.
func (x *XmlText) Doc() *Doc { return x.doc }

// Len returns the length in UTF-16 code units.
func (x *XmlText) Len() int { return x.length }

// Insert inserts s at index with the formatting found there.
func (x *XmlText) Insert(index int, s string) error { return x.Text().Insert(index, s) }

// InsertWithAttributes inserts s at index with exactly attrs.
func (x *XmlText) InsertWithAttributes(index int, s string, attrs Attributes) error {
	return x.Text().InsertWithAttributes(index, s, attrs)
}

// InsertEmbed inserts an embed at index.
func (x *XmlText) InsertEmbed(index int, embed any, attrs Attributes) error {
	return x.Text().InsertEmbed(index, embed, attrs)
}

// Delete deletes length units from index.
func (x *XmlText) Delete(index, length int) error { return x.Text().Delete(index, length) }

// Format sets attributes on a range.
func (x *XmlText) Format(index, length int, attrs Attributes) error {
	return x.Text().Format(index, length, attrs)
}

// ToDelta returns the content as a delta.
func (x *XmlText) ToDelta() []Delta { return x.Text().ToDelta() }

// ApplyDelta applies a delta; see Text.ApplyDelta.
func (x *XmlText) ApplyDelta(delta []Delta) error { return x.Text().ApplyDelta(delta) }

// Plain returns the text without formatting.
func (x *XmlText) Plain() string { return x.t().textString() }

// String renders the text with formatting as tags, as yjs's toString does.
func (x *XmlText) String() string { return x.t().xmlTextString() }

// SetAttribute sets an attribute of the text node.
func (x *XmlText) SetAttribute(name string, value any) error { return x.t().mapSet(name, value) }

// Attribute returns an attribute of the text node.
func (x *XmlText) Attribute(name string) (any, bool) { return x.t().mapGet(name) }

// Attributes returns the attributes of the text node.
func (x *XmlText) Attributes() map[string]any { return x.t().mapAll() }

// Observe registers fn for changes of the text.
func (x *XmlText) Observe(fn func(e *Event)) (unobserve func()) { return x.t().observe(fn) }

// Name returns the hook's name.
func (h *XmlHook) Name() string { return h.name }

// Set sets a key of the hook.
func (h *XmlHook) Set(key string, value any) error { return h.t().mapSet(key, value) }

// Get returns a key of the hook.
func (h *XmlHook) Get(key string) (any, bool) { return h.t().mapGet(key) }

// ToJSON returns the hook's entries.
func (h *XmlHook) ToJSON() map[string]any { return h.t().mapJSON() }

// xmlString renders an element or fragment (yjs YXmlElement.toString and
// YXmlFragment.toString).
func (t *ytype) xmlString() string {
	var sb strings.Builder
	t.writeXML(&sb)
	return sb.String()
}

func (t *ytype) writeXML(sb *strings.Builder) {
	d := t.doc
	var name string
	if t.kind == typeXmlElement {
		name = strings.ToLower(t.name)
		sb.WriteByte('<')
		sb.WriteString(name)
		keys := t.sortedKeysUTF16()
		for _, k := range keys {
			sb.WriteByte(' ')
			sb.WriteString(k)
			sb.WriteString(`="`)
			sb.WriteString(valueString(t.entryValue(t.entries[k])))
			sb.WriteByte('"')
		}
		sb.WriteByte('>')
	}
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.countable() {
			for i := 0; i < int(it.length); i++ {
				v := d.itemValue(it, i)
				if ct, ok := v.(*XmlElement); ok {
					ct.t().writeXML(sb)
					continue
				}
				if ct, ok := v.(*XmlFragment); ok {
					ct.t().writeXML(sb)
					continue
				}
				sb.WriteString(valueString(v))
			}
		}
		n = it.right
	}
	if t.kind == typeXmlElement {
		sb.WriteString("</")
		sb.WriteString(name)
		sb.WriteByte('>')
	}
}

// valueString is JavaScript's String(v) for stored values and types.
func valueString(v any) string {
	switch v := v.(type) {
	case *Text:
		return v.t().jsString()
	case *XmlText:
		return v.t().jsString()
	case *XmlElement:
		return v.t().jsString()
	case *XmlFragment:
		return v.t().jsString()
	case *Map, *Array, *XmlHook, Subdoc:
		return "[object Object]"
	}
	return jsString(v)
}

// sortedKeysUTF16 returns the live keys in JavaScript's default sort
// order (UTF-16 code units).
func (t *ytype) sortedKeysUTF16() []string {
	keys := t.sortedKeys()
	sort.SliceStable(keys, func(i, j int) bool { return compareUTF16(keys[i], keys[j]) < 0 })
	return keys
}

// compareUTF16 compares strings as JavaScript does: by UTF-16 code units.
func compareUTF16(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, sa := utf8.DecodeRuneInString(a[i:])
		rb, sb := utf8.DecodeRuneInString(b[j:])
		if ra != rb {
			ua, ub := utf16First(ra), utf16First(rb)
			if ua != ub {
				if ua < ub {
					return -1
				}
				return 1
			}
			// Same high surrogate: compare the low ones.
			if ra < rb {
				return -1
			}
			return 1
		}
		i += sa
		j += sb
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return 0
}

// utf16First returns the first UTF-16 code unit of r.
func utf16First(r rune) rune {
	if r >= 0x10000 {
		return 0xd800 + (r-0x10000)>>10
	}
	return r
}

// xmlTextString renders an XmlText with its formatting as nested tags
// (yjs YXmlText.toString).
func (t *ytype) xmlTextString() string {
	var sb strings.Builder
	for _, op := range t.toDeltaRaw() {
		type node struct {
			name  string
			attrs []xmlAttr
		}
		var nodes []node
		for i, name := range op.attrs.keys {
			n := node{name: name}
			n.attrs = forInAttrs(op.attrs.vals[i])
			sort.SliceStable(n.attrs, func(a, b int) bool { return compareUTF16(n.attrs[a].key, n.attrs[b].key) < 0 })
			nodes = append(nodes, n)
		}
		sort.SliceStable(nodes, func(a, b int) bool { return compareUTF16(nodes[a].name, nodes[b].name) < 0 })
		for _, n := range nodes {
			sb.WriteByte('<')
			sb.WriteString(n.name)
			for _, a := range n.attrs {
				sb.WriteByte(' ')
				sb.WriteString(a.key)
				sb.WriteString(`="`)
				sb.WriteString(a.value)
				sb.WriteByte('"')
			}
			sb.WriteByte('>')
		}
		sb.WriteString(valueString(op.insert))
		for i := len(nodes) - 1; i >= 0; i-- {
			sb.WriteString("</")
			sb.WriteString(nodes[i].name)
			sb.WriteByte('>')
		}
	}
	return sb.String()
}

type xmlAttr struct{ key, value string }

// forInAttrs lists what JavaScript's for…in visits on an attribute value:
// an object's keys, an array's or string's indices, nothing otherwise.
func forInAttrs(v any) []xmlAttr {
	var out []xmlAttr
	switch v := v.(type) {
	case *object:
		for i, k := range v.keys {
			out = append(out, xmlAttr{k, valueString(v.vals[i])})
		}
	case []any:
		for i, e := range v {
			out = append(out, xmlAttr{jsNumberString(float64(i)), valueString(e)})
		}
	case []byte:
		for i, e := range v {
			out = append(out, xmlAttr{jsNumberString(float64(i)), jsNumberString(float64(e))})
		}
	case string:
		i := 0
		for _, r := range v {
			if r >= 0x10000 {
				hi := string(utf8.RuneError)
				out = append(out, xmlAttr{jsNumberString(float64(i)), hi})
				out = append(out, xmlAttr{jsNumberString(float64(i + 1)), hi})
				i += 2
				continue
			}
			out = append(out, xmlAttr{jsNumberString(float64(i)), string(r)})
			i++
		}
	}
	return out
}

// rawDeltaOp is a delta op with internal values, for rendering.
type rawDeltaOp struct {
	insert any
	attrs  *attrMap
}

// toDeltaRaw is toDelta without exporting values.
func (t *ytype) toDeltaRaw() []rawDeltaOp {
	d := t.doc
	var ops []rawDeltaOp
	cur := &attrMap{}
	var sb strings.Builder
	packStr := func() {
		if sb.Len() > 0 {
			c := cur.copy()
			ops = append(ops, rawDeltaOp{insert: sb.String(), attrs: &c})
			sb.Reset()
		}
	}
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() {
			switch it.kind() {
			case contentString:
				sb.Write(d.itemText(it))
			case contentType, contentEmbed:
				packStr()
				c := cur.copy()
				ops = append(ops, rawDeltaOp{insert: d.itemValue(it, 0), attrs: &c})
			case contentFormat:
				packStr()
				updateAttrs(cur, d.vals[it.data].(*formatValue))
			}
		}
		n = it.right
	}
	packStr()
	return ops
}
