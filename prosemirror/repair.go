package prosemirror

import "errors"

func asError(err error, target **Error) bool { return errors.As(err, target) }

// repair makes a tree fit the schema with the fewest changes it can find,
// then normalizes it: unknown nodes give way to their content, misplaced
// nodes get the wrappers ProseMirror would add (a paragraph around text, a
// list around an item) or the required nodes before them (an empty
// paragraph opening a list item), runs of inline nodes share one wrapper,
// marks not allowed in a node are dropped, nodes that fit nowhere are
// dropped and missing required content is filled in.
func repair(doc Node, lim Limits) (Node, error) {
	doc.Content = repairChildren(tiptap.top, doc.Content, 0)
	doc.Type = "doc"
	doc.Attrs = nil
	doc.Marks = nil
	return Normalize(doc, lim)
}

func repairChildren(t *nodeType, children []Node, depth int) []Node {
	if depth > maxRenderDepth {
		return nil
	}
	match := t.content
	var out []Node
	// wrapped is the index in out of the last wrapper created for inline
	// content, so that following inline nodes join it.
	wrapped := -1
	queue := children
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		ct := tiptap.nodes[c.Type]
		if ct == nil {
			// Unknown node: its content takes its place.
			queue = append(append([]Node(nil), c.Content...), queue...)
			continue
		}
		if ct.isText() {
			if c.Text == "" {
				continue
			}
			c.Content = nil
		} else {
			c.Text = ""
			if ct.isLeaf() {
				c.Content = nil
			} else {
				c.Content = repairChildren(ct, c.Content, depth+1)
			}
		}
		c.Marks = allowedMarks(t, c.Marks)
		if ct.inline && wrapped >= 0 && wrapped == len(out)-1 {
			if appendInline(&out[wrapped], c) {
				continue
			}
		}
		if next := match.matchType(ct); next != nil {
			out = appendNodes(out, c)
			match = next
			wrapped = -1
			continue
		}
		if fill, ok := match.fillBefore([]Node{c}, false); ok && len(fill) > 0 {
			out = appendNodes(out, fill...)
			match = match.matchNodes(fill)
			out = appendNodes(out, c)
			match = match.matchType(ct)
			wrapped = -1
			continue
		}
		if w, ok := match.findWrapping(ct); ok && len(w) > 0 {
			inner := c
			inner.Marks = allowedMarks(w[len(w)-1], c.Marks)
			node, ok := wrapIn(w, inner)
			if ok {
				out = append(out, node)
				match = match.matchType(w[0])
				if ct.inline {
					wrapped = len(out) - 1
				} else {
					wrapped = -1
				}
				continue
			}
		}
		if len(c.Content) > 0 {
			// Lift the node's content into its place.
			queue = append(append([]Node(nil), c.Content...), queue...)
		}
	}
	if fill, ok := match.fillBefore(nil, true); ok {
		out = appendNodes(out, fill...)
	}
	return out
}

// wrapIn builds wrappers[0](wrappers[1](...(n))), filling required content.
func wrapIn(wrappers []*nodeType, n Node) (Node, bool) {
	for i := len(wrappers) - 1; i >= 0; i-- {
		w, ok := createAndFill(wrappers[i], nil, []Node{n}, nil)
		if !ok {
			return Node{}, false
		}
		n = w
	}
	return n, true
}

// appendInline adds an inline node to the innermost last textblock of a
// wrapper created for inline content, if it fits there.
func appendInline(w *Node, c Node) bool {
	for {
		t := tiptap.nodes[w.Type]
		if t.inlineContent {
			m := t.content.matchNodes(w.Content)
			if m == nil || m.matchType(tiptap.nodes[c.Type]) == nil {
				return false
			}
			c.Marks = allowedMarks(t, c.Marks)
			w.Content = appendNodes(w.Content, c)
			return true
		}
		if len(w.Content) == 0 {
			return false
		}
		w = &w.Content[len(w.Content)-1]
	}
}

func allowedMarks(parent *nodeType, marks []Mark) []Mark {
	var out []Mark
	for _, m := range marks {
		mt := tiptap.marks[m.Type]
		if mt != nil && parent.allowsMarkType(mt) {
			out = addMark(out, Mark{Type: m.Type, Attrs: computeAttrs(mt.attrs, m.Attrs)})
		}
	}
	return out
}
