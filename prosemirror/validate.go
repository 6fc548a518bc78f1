package prosemirror

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error about input that is not a valid
// document of the schema, or not valid JSON, Markdown or HTML input.
var ErrInvalid = errors.New("prosemirror: invalid document")

// ErrTooLarge is wrapped by errors about input or output beyond [Limits].
var ErrTooLarge = errors.New("prosemirror: document too large")

// Error describes what is wrong with a document and where.
type Error struct {
	// Path locates the offending node from the root, as in
	// "content[2].content[0].marks[1]"; empty for the root or the input as a whole.
	Path string
	Msg  string
	// TooLarge marks errors about limits; they wrap ErrTooLarge instead of ErrInvalid.
	TooLarge bool
}

func (e *Error) Error() string {
	what := "invalid document"
	if e.TooLarge {
		what = "document too large"
	}
	if e.Path == "" {
		return "prosemirror: " + what + ": " + e.Msg
	}
	return "prosemirror: " + what + " at " + e.Path + ": " + e.Msg
}

func (e *Error) Unwrap() error {
	if e.TooLarge {
		return ErrTooLarge
	}
	return ErrInvalid
}

// Limits bound the work done on untrusted input. A zero field takes its
// value from [DefaultLimits].
type Limits struct {
	// MaxInputBytes bounds the JSON, Markdown or HTML accepted.
	MaxInputBytes int
	// MaxNodes bounds the nodes in a document (text nodes included).
	MaxNodes int
	// MaxDepth bounds the nesting of nodes; the doc node is depth 1.
	MaxDepth int
	// MaxTextBytes bounds the bytes of text and string attributes in a
	// document; it stops input that expands (Markdown link references,
	// entities) from growing without bound.
	MaxTextBytes int
}

// DefaultLimits are generous for documents people write and small enough
// to keep one request's memory and time in check.
var DefaultLimits = Limits{
	MaxInputBytes: 8 << 20,
	MaxNodes:      200_000,
	MaxDepth:      100,
	MaxTextBytes:  16 << 20,
}

func (l Limits) withDefaults() Limits {
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = DefaultLimits.MaxInputBytes
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultLimits.MaxTextBytes
	}
	return l
}

func (l Limits) checkInput(n int, what string) error {
	if n > l.MaxInputBytes {
		return &Error{Msg: fmt.Sprintf("%s input of %d bytes exceeds the limit of %d", what, n, l.MaxInputBytes), TooLarge: true}
	}
	return nil
}

// budget counts what a conversion produces so that it can stop early.
type budget struct {
	lim   Limits
	nodes int
	bytes int
}

func (b *budget) node() error {
	b.nodes++
	if b.nodes > b.lim.MaxNodes {
		return &Error{Msg: fmt.Sprintf("more than %d nodes", b.lim.MaxNodes), TooLarge: true}
	}
	return nil
}

func (b *budget) text(n int) error {
	b.bytes += n
	if b.bytes > b.lim.MaxTextBytes {
		return &Error{Msg: fmt.Sprintf("more than %d bytes of text", b.lim.MaxTextBytes), TooLarge: true}
	}
	return nil
}

// ParseJSON decodes and validates a document in ProseMirror JSON (as
// Tiptap's editor.getJSON produces it) and returns it normalized: missing
// attributes take their defaults, marks are in schema order and adjacent
// text nodes with equal marks are joined, as ProseMirror's Node.fromJSON
// does. Anything the schema does not allow is an error wrapping
// [ErrInvalid]: unknown node, mark or attribute names, attribute values of
// the wrong type, content that does not fit a node's content expression,
// marks where they are not allowed. Input beyond lim is an error wrapping
// [ErrTooLarge].
func ParseJSON(data []byte, lim Limits) (Node, error) {
	lim = lim.withDefaults()
	if err := lim.checkInput(len(data), "JSON"); err != nil {
		return Node{}, err
	}
	// Check nesting before decoding so that deep input costs no recursion.
	// A node level is an object and a content array; attribute values may
	// nest a little more.
	if d := jsonDepth(data); d > 2*lim.MaxDepth+8 {
		return Node{}, &Error{Msg: fmt.Sprintf("JSON nested deeper than %d node levels", lim.MaxDepth), TooLarge: true}
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return Node{}, &Error{Msg: "malformed JSON: " + err.Error()}
	}
	b := &budget{lim: lim}
	n, err := nodeFromJSONValue(v, "", b)
	if err != nil {
		return Node{}, err
	}
	if n.Type != "doc" {
		return Node{}, &Error{Msg: fmt.Sprintf("the root node must be of type \"doc\", not %q", n.Type)}
	}
	return Normalize(n, lim)
}

// jsonDepth returns the deepest nesting of arrays and objects in data.
func jsonDepth(data []byte) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return max
}

func nodeFromJSONValue(v any, path string, b *budget) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Node{}, &Error{Path: path, Msg: fmt.Sprintf("a node must be a JSON object, not %s", jsonKind(v))}
	}
	if err := b.node(); err != nil {
		return Node{}, err
	}
	var n Node
	typ, ok := obj["type"].(string)
	if !ok {
		return Node{}, &Error{Path: path, Msg: `a node needs a string "type"`}
	}
	n.Type = typ
	for k, val := range obj {
		switch k {
		case "type":
		case "attrs":
			if val == nil {
				continue
			}
			m, ok := val.(map[string]any)
			if !ok {
				return Node{}, &Error{Path: join(path, "attrs"), Msg: "attrs must be an object"}
			}
			n.Attrs = m
		case "content":
			if val == nil {
				continue
			}
			arr, ok := val.([]any)
			if !ok {
				return Node{}, &Error{Path: join(path, "content"), Msg: "content must be an array"}
			}
			n.Content = make([]Node, 0, len(arr))
			for i, c := range arr {
				child, err := nodeFromJSONValue(c, join(path, "content["+strconv.Itoa(i)+"]"), b)
				if err != nil {
					return Node{}, err
				}
				n.Content = append(n.Content, child)
			}
		case "marks":
			if val == nil {
				continue
			}
			arr, ok := val.([]any)
			if !ok {
				return Node{}, &Error{Path: join(path, "marks"), Msg: "marks must be an array"}
			}
			for i, mv := range arr {
				mp := join(path, "marks["+strconv.Itoa(i)+"]")
				mo, ok := mv.(map[string]any)
				if !ok {
					return Node{}, &Error{Path: mp, Msg: "a mark must be an object"}
				}
				var m Mark
				for mk, mval := range mo {
					switch mk {
					case "type":
						s, ok := mval.(string)
						if !ok {
							return Node{}, &Error{Path: mp, Msg: `a mark needs a string "type"`}
						}
						m.Type = s
					case "attrs":
						if mval == nil {
							continue
						}
						am, ok := mval.(map[string]any)
						if !ok {
							return Node{}, &Error{Path: join(mp, "attrs"), Msg: "attrs must be an object"}
						}
						m.Attrs = am
					default:
						return Node{}, &Error{Path: mp, Msg: fmt.Sprintf("unknown key %q in a mark", truncate(mk, 40))}
					}
				}
				if m.Type == "" {
					return Node{}, &Error{Path: mp, Msg: `a mark needs a string "type"`}
				}
				n.Marks = append(n.Marks, m)
			}
		case "text":
			s, ok := val.(string)
			if !ok {
				return Node{}, &Error{Path: join(path, "text"), Msg: "text must be a string"}
			}
			n.Text = s
		default:
			return Node{}, &Error{Path: path, Msg: fmt.Sprintf("unknown key %q in a node", truncate(k, 40))}
		}
	}
	return n, nil
}

func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}

// Normalize validates doc against the schema and lim and returns its
// normalized copy (see [ParseJSON]). The root must be a doc node.
func Normalize(doc Node, lim Limits) (Node, error) {
	lim = lim.withDefaults()
	if doc.Type != "doc" {
		return Node{}, &Error{Msg: fmt.Sprintf("the root node must be of type \"doc\", not %q", doc.Type)}
	}
	b := &budget{lim: lim}
	return normalizeNode(&doc, "", 1, b)
}

// Validate reports whether doc is a valid, normalized document within lim:
// the form [ParseJSON] returns and the conversions produce.
func Validate(doc Node, lim Limits) error {
	n, err := Normalize(doc, lim)
	if err != nil {
		return err
	}
	if !n.Equal(&doc) {
		return &Error{Msg: "document is not normalized (missing default attributes, unsorted marks or split text nodes)"}
	}
	return nil
}

func normalizeNode(n *Node, path string, depth int, b *budget) (Node, error) {
	if depth > b.lim.MaxDepth {
		return Node{}, &Error{Path: path, Msg: fmt.Sprintf("nodes nested deeper than %d levels", b.lim.MaxDepth), TooLarge: true}
	}
	if err := b.node(); err != nil {
		return Node{}, err
	}
	t := tiptap.nodes[n.Type]
	if t == nil {
		return Node{}, &Error{Path: path, Msg: fmt.Sprintf("unknown node type %q", truncate(n.Type, 40))}
	}
	out := Node{Type: n.Type}
	attrs, err := checkAttrs(t.attrs, n.Attrs, path, "node "+t.name, b)
	if err != nil {
		return Node{}, err
	}
	out.Attrs = attrs
	if t.isText() {
		if n.Text == "" {
			return Node{}, &Error{Path: path, Msg: "empty text nodes are not allowed"}
		}
		if !utf8.ValidString(n.Text) {
			return Node{}, &Error{Path: path, Msg: "text is not valid UTF-8"}
		}
		if len(n.Content) > 0 {
			return Node{}, &Error{Path: path, Msg: "a text node has no content"}
		}
		if err := b.text(len(n.Text)); err != nil {
			return Node{}, err
		}
		out.Text = n.Text
	} else if n.Text != "" {
		return Node{}, &Error{Path: path, Msg: fmt.Sprintf("node %s has no text; text goes into text nodes", t.name)}
	}
	if len(n.Marks) > 0 {
		if !t.inline {
			return Node{}, &Error{Path: path, Msg: fmt.Sprintf("block node %s cannot have marks", t.name)}
		}
		var set []Mark
		for i, m := range n.Marks {
			mp := join(path, "marks["+strconv.Itoa(i)+"]")
			mt := tiptap.marks[m.Type]
			if mt == nil {
				return Node{}, &Error{Path: mp, Msg: fmt.Sprintf("unknown mark type %q", truncate(m.Type, 40))}
			}
			ma, err := checkAttrs(mt.attrs, m.Attrs, mp, "mark "+mt.name, b)
			if err != nil {
				return Node{}, err
			}
			set = addMark(set, Mark{Type: m.Type, Attrs: ma})
		}
		if len(set) != len(n.Marks) {
			names := make([]string, len(n.Marks))
			for i, m := range n.Marks {
				names[i] = m.Type
			}
			return Node{}, &Error{Path: path, Msg: fmt.Sprintf("marks [%s] cannot be combined (duplicates, or code with other marks)", strings.Join(names, ", "))}
		}
		out.Marks = set
	}
	if len(n.Content) > 0 {
		if t.isLeaf() {
			return Node{}, &Error{Path: path, Msg: fmt.Sprintf("node %s cannot have content", t.name)}
		}
		content := make([]Node, 0, len(n.Content))
		for i := range n.Content {
			cp := join(path, "content["+strconv.Itoa(i)+"]")
			c, err := normalizeNode(&n.Content[i], cp, depth+1, b)
			if err != nil {
				return Node{}, err
			}
			for _, m := range c.Marks {
				if !t.allowsMarkType(tiptap.marks[m.Type]) {
					return Node{}, &Error{Path: cp, Msg: fmt.Sprintf("mark %s is not allowed in %s", m.Type, t.name)}
				}
			}
			content = appendNodes(content, c)
		}
		out.Content = content
	}
	if !t.isText() {
		match := t.content
		for i := range out.Content {
			ct := tiptap.nodes[out.Content[i].Type]
			next := match.matchType(ct)
			if next == nil {
				return Node{}, &Error{Path: path, Msg: fmt.Sprintf("%s cannot contain %s at this position (content must match %q)", t.name, ct.name, t.expr)}
			}
			match = next
		}
		if !match.validEnd {
			if len(out.Content) == 0 {
				return Node{}, &Error{Path: path, Msg: fmt.Sprintf("%s cannot be empty (content must match %q)", t.name, t.expr)}
			}
			return Node{}, &Error{Path: path, Msg: fmt.Sprintf("%s content is incomplete (content must match %q)", t.name, t.expr)}
		}
	}
	return out, nil
}

func checkAttrs(specs []attrSpec, given map[string]any, path, what string, b *budget) (map[string]any, error) {
	for k := range given {
		if !slices.ContainsFunc(specs, func(a attrSpec) bool { return a.name == k }) {
			return nil, &Error{Path: join(path, "attrs"), Msg: fmt.Sprintf("%s has no attribute %q", what, truncate(k, 40))}
		}
	}
	attrs := computeAttrs(specs, given)
	for _, a := range specs {
		v := attrs[a.name]
		if a.check != nil {
			if err := a.check(v); err != nil {
				return nil, &Error{Path: join(path, "attrs."+a.name), Msg: err.Error()}
			}
		}
		if s, ok := v.(string); ok {
			if !utf8.ValidString(s) {
				return nil, &Error{Path: join(path, "attrs."+a.name), Msg: "not valid UTF-8"}
			}
			if err := b.text(len(s)); err != nil {
				return nil, err
			}
		}
		attrs[a.name] = canonicalValue(v)
	}
	return attrs, nil
}

// canonicalValue turns every number into float64, the type JSON decoding
// and Yjs produce, so that equal documents compare equal.
func canonicalValue(v any) any {
	if f, ok := toFloat(v); ok {
		return f
	}
	if a, ok := v.([]any); ok {
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = canonicalValue(e)
		}
		return out
	}
	return v
}
