package yjs

// A read-only view of XML content for conversions (Markdown, HTML, plain
// text). ProseMirror and Tiptap store a document in a Y.XmlFragment (via
// y-prosemirror): block nodes are XmlElements named after the node type
// ("paragraph", "heading", ...) with the node's attributes as element
// attributes; text is in XmlTexts, with each mark as a formatting
// attribute named after the mark type, its value the mark's attributes
// (an object, often empty). Inline nodes (images, hard breaks) are
// XmlElements among the XmlTexts.

// NodeKind tells elements from text.
type NodeKind uint8

const (
	// ElementNode is an XmlElement: Name, Attributes and Children are set.
	ElementNode NodeKind = iota + 1
	// TextNode is an XmlText: Runs are set.
	TextNode
)

// Node is one node of an XML tree, detached from the document: changing
// the document does not change it.
type Node struct {
	Kind       NodeKind
	Name       string
	Attributes map[string]any
	Children   []*Node
	Runs       []TextRun
}

// TextRun is text with one set of marks, or an embed.
type TextRun struct {
	Text string
	// Embed is set (and Text empty) for an embedded value or type.
	Embed any
	// Marks are the formatting attributes in effect, nil when none.
	Marks map[string]any
}

// Nodes returns the fragment's content as a tree.
func (f *XmlFragment) Nodes() []*Node { return f.t().nodes() }

// Node returns the element as a tree.
func (e *XmlElement) Node() *Node {
	return &Node{Kind: ElementNode, Name: e.name, Attributes: e.Attributes(), Children: e.t().nodes()}
}

// Runs returns the text as runs of equally formatted text.
func (x *XmlText) Runs() []TextRun { return x.t().runs() }

func (t *ytype) nodes() []*Node {
	var out []*Node
	d := t.doc
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if !it.deleted() && it.kind() == contentType {
			c := d.types[it.data]
			switch c.kind {
			case typeXmlElement:
				out = append(out, (*XmlElement)(c).Node())
			case typeXmlText:
				out = append(out, &Node{Kind: TextNode, Runs: c.runs()})
			case typeXmlFragment:
				out = append(out, c.nodes()...)
			}
		}
		n = it.right
	}
	return out
}

func (t *ytype) runs() []TextRun {
	var out []TextRun
	for _, op := range t.toDelta(nil, nil) {
		r := TextRun{Marks: op.Attributes}
		if s, ok := op.Insert.(string); ok {
			r.Text = s
		} else {
			r.Embed = op.Insert
		}
		out = append(out, r)
	}
	return out
}

// Walk calls fn for every node of the fragment in document order, depth
// first, with the node's depth (0 for top-level nodes). It stops early when
// fn returns false.
func (f *XmlFragment) Walk(fn func(n *Node, depth int) bool) {
	var walk func(ns []*Node, depth int) bool
	walk = func(ns []*Node, depth int) bool {
		for _, n := range ns {
			if !fn(n, depth) {
				return false
			}
			if !walk(n.Children, depth+1) {
				return false
			}
		}
		return true
	}
	walk(f.Nodes(), 0)
}

// PlainText returns the text of a node and its descendants, without
// formatting; blocks (elements holding text) are separated by newlines.
func PlainText(nodes []*Node) string {
	var b []byte
	var visit func(ns []*Node)
	visit = func(ns []*Node) {
		for _, n := range ns {
			switch n.Kind {
			case TextNode:
				for _, r := range n.Runs {
					b = append(b, r.Text...)
				}
			case ElementNode:
				start := len(b)
				visit(n.Children)
				if len(b) > start && isBlock(n) {
					b = append(b, '\n')
				}
			}
		}
	}
	visit(nodes)
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// isBlock reports whether an element holds text directly or other
// elements: ProseMirror block nodes do, inline nodes (images, breaks) do
// not.
func isBlock(n *Node) bool { return len(n.Children) > 0 }
