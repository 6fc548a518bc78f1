package prosemirror

import (
	"fmt"
	"regexp"
	"sort"
	"unicode/utf8"

	"github.com/tandem-docs/tandem/yjs"
)

// DefaultField is the name of the XML fragment in which Tiptap's
// Collaboration extension keeps a document.
const DefaultField = "default"

// The mapping between documents and Yjs is y-prosemirror's (1.3):
//
//   - a document is the children of a Y.XmlFragment;
//   - each non-text node is a Y.XmlElement named after its type, with every
//     attribute that is not null as an XML attribute holding the JSON value
//     (numbers, booleans, strings, arrays);
//   - each run of adjacent text nodes is one Y.XmlText whose formatting
//     attributes are the marks: the mark's name mapped to its attributes
//     object ({} for marks without attributes). Marks that may overlap
//     themselves get a "--hash" suffix; Tiptap's marks all exclude
//     themselves, so none is written here, but the suffix is understood
//     when reading.

// ReadFragment reads a document from a Yjs XML fragment as y-prosemirror
// builds an editor's document from it: elements whose name is no node type
// are left out, and so is a text whose formatting names an unknown mark
// (y-prosemirror deletes both). Attribute values are taken as they are and
// unknown attributes dropped, so a fragment written by a misbehaving client
// can give a document that [Validate] refuses; the renderers accept it
// anyway. lim bounds depth, node count and text size; a fragment beyond
// them is an error wrapping [ErrTooLarge].
func ReadFragment(f *yjs.XmlFragment, lim Limits) (Node, error) {
	lim = lim.withDefaults()
	r := &yReader{budget: &budget{lim: lim}}
	doc := Node{Type: "doc"}
	for _, c := range f.Children() {
		// y-prosemirror reads top-level children as elements only.
		el, ok := c.(*yjs.XmlElement)
		if !ok {
			continue
		}
		n, ok, err := r.element(el, 2)
		if err != nil {
			return Node{}, err
		}
		if ok {
			doc.Content = append(doc.Content, n)
		}
	}
	return doc, nil
}

type yReader struct {
	budget *budget
}

func (r *yReader) element(el *yjs.XmlElement, depth int) (Node, bool, error) {
	if depth > r.budget.lim.MaxDepth {
		return Node{}, false, &Error{Msg: fmt.Sprintf("Yjs elements nested deeper than %d", r.budget.lim.MaxDepth), TooLarge: true}
	}
	t := tiptap.nodes[el.Name()]
	if t == nil || t.isText() {
		return Node{}, false, nil
	}
	if err := r.budget.node(); err != nil {
		return Node{}, false, err
	}
	n := Node{Type: t.name}
	attrs := el.Attributes()
	n.Attrs = computeAttrs(t.attrs, attrs)
	for _, v := range n.Attrs {
		if s, ok := v.(string); ok {
			if err := r.budget.text(len(s)); err != nil {
				return Node{}, false, err
			}
		}
	}
	for _, c := range el.Children() {
		switch c := c.(type) {
		case *yjs.XmlElement:
			child, ok, err := r.element(c, depth+1)
			if err != nil {
				return Node{}, false, err
			}
			if ok {
				n.Content = append(n.Content, child)
			}
		case *yjs.XmlText:
			texts, err := r.text(c)
			if err != nil {
				return Node{}, false, err
			}
			n.Content = append(n.Content, texts...)
		}
	}
	return n, true, nil
}

var hashedMarkName = regexp.MustCompile(`^(.*)--[a-zA-Z0-9+/=]{8}$`)

// markName strips the hash y-prosemirror appends to overlapping marks.
func markName(attr string) string {
	if m := hashedMarkName.FindStringSubmatch(attr); m != nil {
		return m[1]
	}
	return attr
}

func (r *yReader) text(x *yjs.XmlText) ([]Node, error) {
	var out []Node
	for _, d := range x.Text().ToDelta() {
		s, ok := d.Insert.(string)
		if !ok || s == "" {
			// y-prosemirror cannot make a text node of an embed and
			// deletes the whole text.
			return nil, nil
		}
		if err := r.budget.node(); err != nil {
			return nil, err
		}
		if err := r.budget.text(len(s)); err != nil {
			return nil, err
		}
		var marks []Mark
		keys := make([]string, 0, len(d.Attributes))
		for k := range d.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			mt := tiptap.marks[markName(k)]
			if mt == nil {
				return nil, nil
			}
			given, _ := d.Attributes[k].(map[string]any)
			marks = append(marks, Mark{Type: mt.name, Attrs: computeAttrs(mt.attrs, given)})
		}
		// ProseMirror keeps marks in rank order (Mark.setFrom).
		sort.SliceStable(marks, func(i, j int) bool { return tiptap.marks[marks[i].Type].rank < tiptap.marks[marks[j].Type].rank })
		out = append(out, Node{Type: "text", Text: s, Marks: marks})
	}
	return out, nil
}

// WriteFragment writes doc, which must be valid (see [Normalize]), into f
// after its current children, in one transaction, as y-prosemirror's
// prosemirrorToYXmlFragment does for an empty fragment.
func WriteFragment(f *yjs.XmlFragment, doc Node) error {
	doc, err := Normalize(doc, Limits{})
	if err != nil {
		return err
	}
	var werr error
	f.Doc().Transact(func(*yjs.Transaction) {
		werr = insertBlocks(f, f.Len(), doc.Content)
	}, nil)
	return werr
}

// xmlParent is what XmlFragment and XmlElement share for inserting children.
type xmlParent interface {
	InsertElement(index int, name string) (*yjs.XmlElement, error)
	InsertText(index int) (*yjs.XmlText, error)
}

func insertBlocks(p xmlParent, index int, nodes []Node) error {
	for i := range nodes {
		if err := insertNode(p, index+i, &nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertContent inserts n's children into el: elements for non-text
// nodes, one XmlText for each run of text nodes.
func insertContent(el *yjs.XmlElement, n *Node) error {
	index := 0
	for i := 0; i < len(n.Content); {
		c := &n.Content[i]
		if !c.IsText() {
			if err := insertNode(el, index, c); err != nil {
				return err
			}
			index++
			i++
			continue
		}
		x, err := el.InsertText(index)
		if err != nil {
			return err
		}
		index++
		pos := 0
		for ; i < len(n.Content) && n.Content[i].IsText(); i++ {
			t := &n.Content[i]
			if err := x.InsertWithAttributes(pos, t.Text, marksToAttributes(t.Marks)); err != nil {
				return err
			}
			pos += utf16Len(t.Text)
		}
	}
	return nil
}

func insertNode(p xmlParent, index int, n *Node) error {
	el, err := p.InsertElement(index, n.Type)
	if err != nil {
		return err
	}
	t := tiptap.nodes[n.Type]
	for _, a := range t.attrs {
		if v := n.Attrs[a.name]; v != nil {
			if err := el.SetAttribute(a.name, toYValue(v)); err != nil {
				return err
			}
		}
	}
	return insertContent(el, n)
}

// marksToAttributes gives the formatting attributes of a text run: each
// mark's name mapped to its attributes in schema order.
func marksToAttributes(marks []Mark) map[string]any {
	attrs := make(map[string]any, len(marks))
	for _, m := range marks {
		mt := tiptap.marks[m.Type]
		obj := yjs.Object{}
		for _, name := range mt.attrOrder {
			obj = append(obj, yjs.Field{Key: name, Value: toYValue(m.Attrs[name])})
		}
		attrs[m.Type] = obj
	}
	return attrs
}

func toYValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := yjs.Object{}
		for _, k := range keys {
			obj = append(obj, yjs.Field{Key: k, Value: toYValue(v[k])})
		}
		return obj
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = toYValue(e)
		}
		return out
	}
	if f, ok := toFloat(v); ok {
		return f
	}
	return v
}

func utf16Len(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Replace makes the document in fragment field of d equal content, in one
// transaction, and returns that transaction's update (Yjs format v1) for
// storage and broadcast. Top-level blocks that are equal at the start and
// at the end are kept, so that the cursors and concurrent edits of people
// in those blocks survive; the blocks between are replaced. content must
// be a valid document; d's client id must be unique to this writer, as
// for any Yjs peer.
func Replace(d *yjs.Doc, field string, content Node) ([]byte, error) {
	content, err := Normalize(content, Limits{})
	if err != nil {
		return nil, err
	}
	f := d.GetXmlFragment(field)
	return transact(d, func() error {
		current, err := readTopLevel(f)
		if err != nil {
			return err
		}
		want := content.Content
		prefix := 0
		for prefix < len(current) && prefix < len(want) && current[prefix] != nil && current[prefix].Equal(&want[prefix]) {
			prefix++
		}
		suffix := 0
		for suffix < len(current)-prefix && suffix < len(want)-prefix {
			c := current[len(current)-1-suffix]
			if c == nil || !c.Equal(&want[len(want)-1-suffix]) {
				break
			}
			suffix++
		}
		if del := len(current) - prefix - suffix; del > 0 {
			if err := f.Delete(prefix, del); err != nil {
				return err
			}
		}
		return insertBlocks(f, prefix, want[prefix:len(want)-suffix])
	})
}

// Append adds the blocks of content at the end of the document in fragment
// field of d, in one transaction, and returns the update. A document that
// is only one empty paragraph (a new Tiptap document) is replaced instead,
// so that it does not keep a blank first line.
func Append(d *yjs.Doc, field string, content Node) ([]byte, error) {
	content, err := Normalize(content, Limits{})
	if err != nil {
		return nil, err
	}
	f := d.GetXmlFragment(field)
	return transact(d, func() error {
		current, err := readTopLevel(f)
		if err != nil {
			return err
		}
		if len(current) == 1 && current[0] != nil && current[0].Type == "paragraph" && len(current[0].Content) == 0 {
			if err := f.Delete(0, 1); err != nil {
				return err
			}
			return insertBlocks(f, 0, content.Content)
		}
		return insertBlocks(f, f.Len(), content.Content)
	})
}

// readTopLevel reads each child of f as a block, nil for children that do
// not read as one.
func readTopLevel(f *yjs.XmlFragment) ([]*Node, error) {
	r := &yReader{budget: &budget{lim: DefaultLimits}}
	children := f.Children()
	out := make([]*Node, len(children))
	for i, c := range children {
		el, ok := c.(*yjs.XmlElement)
		if !ok {
			continue
		}
		n, ok, err := r.element(el, 2)
		if err != nil {
			var e *Error
			if asError(err, &e) && e.TooLarge {
				continue // compared as different, so replaced
			}
			return nil, err
		}
		if ok {
			out[i] = &n
		}
	}
	return out, nil
}

// transact runs fn in one transaction of d and returns its update.
func transact(d *yjs.Doc, fn func() error) ([]byte, error) {
	var update []byte
	stop := d.OnUpdate(func(u []byte, _ any) { update = append([]byte(nil), u...) })
	defer stop()
	var err error
	d.Transact(func(*yjs.Transaction) { err = fn() }, nil)
	if err != nil {
		return nil, err
	}
	if update == nil {
		// Nothing changed: an empty update.
		update = []byte{0, 0}
	}
	return update, nil
}
