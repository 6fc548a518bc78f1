// Package prosemirror reads and writes the content of Tandem documents.
//
// Tandem's editor is Tiptap, which is ProseMirror; documents are stored as
// Yjs CRDTs in the shape y-prosemirror gives them. This package holds the
// document model in ProseMirror's JSON shape ([Node], [Mark]), the schema of
// Tandem's editor (Tiptap's StarterKit plus task lists, tables and images),
// validation of untrusted documents against it, conversions from and to
// Markdown, HTML and plain text, and the mapping between a document and a
// Yjs XML fragment.
//
// Every function that takes untrusted bytes bounds its work by [Limits] and
// reports bad input as an error wrapping [ErrInvalid] or [ErrTooLarge]; none
// panics.
package prosemirror

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Node is a ProseMirror node in the JSON shape that ProseMirror's
// Node.toJSON and Tiptap's editor.getJSON produce.
//
// Attribute values are JSON values as encoding/json decodes them: nil,
// bool, float64, string, []any and map[string]any. A text node has Type
// "text", non-empty Text and possibly Marks; other nodes have Content.
type Node struct {
	Type    string
	Attrs   map[string]any
	Content []Node
	Marks   []Mark
	Text    string
}

// Mark is a ProseMirror mark (bold, link, ...) on an inline node.
type Mark struct {
	Type  string
	Attrs map[string]any
}

// IsText reports whether n is a text node.
func (n *Node) IsText() bool { return n.Type == "text" }

// Equal reports whether two nodes are the same document tree. Attribute
// values compare as JSON values; the order of keys does not matter.
func (n *Node) Equal(o *Node) bool {
	if n.Type != o.Type || n.Text != o.Text || len(n.Content) != len(o.Content) || len(n.Marks) != len(o.Marks) {
		return false
	}
	if !attrsEqual(n.Attrs, o.Attrs) {
		return false
	}
	for i := range n.Marks {
		if !n.Marks[i].Equal(o.Marks[i]) {
			return false
		}
	}
	for i := range n.Content {
		if !n.Content[i].Equal(&o.Content[i]) {
			return false
		}
	}
	return true
}

// Equal reports whether two marks have the same type and attributes.
func (m Mark) Equal(o Mark) bool {
	return m.Type == o.Type && attrsEqual(m.Attrs, o.Attrs)
}

func attrsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !valueEqual(v, w) {
			return false
		}
	}
	return true
}

// valueEqual compares JSON values, treating all Go number types alike.
func valueEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !valueEqual(a[i], bs[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		return ok && attrsEqual(a, bm)
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// MarshalJSON writes n as ProseMirror JSON. Attributes of known types are
// written in the schema's order, as ProseMirror does; other keys follow,
// sorted.
func (n Node) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := n.appendJSON(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (n *Node) appendJSON(b *bytes.Buffer) error {
	b.WriteString(`{"type":`)
	writeJSONString(b, n.Type)
	if len(n.Attrs) > 0 {
		b.WriteString(`,"attrs":`)
		var order []string
		if t := tiptap.nodes[n.Type]; t != nil {
			order = t.attrOrder
		}
		if err := writeAttrs(b, n.Attrs, order); err != nil {
			return err
		}
	}
	if len(n.Content) > 0 {
		b.WriteString(`,"content":[`)
		for i := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := n.Content[i].appendJSON(b); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	}
	if len(n.Marks) > 0 {
		b.WriteString(`,"marks":[`)
		for i, m := range n.Marks {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"type":`)
			writeJSONString(b, m.Type)
			if len(m.Attrs) > 0 {
				b.WriteString(`,"attrs":`)
				var order []string
				if t := tiptap.marks[m.Type]; t != nil {
					order = t.attrOrder
				}
				if err := writeAttrs(b, m.Attrs, order); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	if n.Type == "text" || n.Text != "" {
		b.WriteString(`,"text":`)
		writeJSONString(b, n.Text)
	}
	b.WriteByte('}')
	return nil
}

func writeAttrs(b *bytes.Buffer, attrs map[string]any, order []string) error {
	keys := make([]string, 0, len(attrs))
	for _, k := range order {
		if _, ok := attrs[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) < len(attrs) {
		var rest []string
		for k := range attrs {
			if !slices.Contains(order, k) {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		keys = append(keys, rest...)
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, k)
		b.WriteByte(':')
		if err := writeValue(b, attrs[k]); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v any) error {
	if f, ok := toFloat(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b.WriteString("null") // as JSON.stringify does
			return nil
		}
		// encoding/json formats floats as ECMAScript's Number#toString does.
		p, err := json.Marshal(f)
		if err != nil {
			return err
		}
		b.Write(p)
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		return writeAttrs(b, v, nil)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	p, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("prosemirror: attribute value: %w", err)
	}
	b.Write(p)
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	p, _ := json.Marshal(s) // strings always marshal
	b.Write(p)
}

// UnmarshalJSON decodes ProseMirror JSON without validating it; use
// [ParseJSON] for untrusted input.
func (n *Node) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type    string         `json:"type"`
		Attrs   map[string]any `json:"attrs"`
		Content []Node         `json:"content"`
		Marks   []Mark         `json:"marks"`
		Text    *string        `json:"text"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*n = Node{Type: raw.Type, Attrs: raw.Attrs, Content: raw.Content, Marks: raw.Marks}
	if raw.Text != nil {
		n.Text = *raw.Text
	}
	return nil
}

// MarshalJSON writes m as ProseMirror JSON.
func (m Mark) MarshalJSON() ([]byte, error) {
	n := Node{Type: "text", Text: "x", Marks: []Mark{m}}
	var b bytes.Buffer
	if err := n.appendJSON(&b); err != nil {
		return nil, err
	}
	// Cut the mark object out of {"type":"text","marks":[ ... ],"text":"x"}.
	s := b.Bytes()
	start := bytes.Index(s, []byte(`"marks":[`)) + len(`"marks":[`)
	end := bytes.LastIndex(s, []byte(`],"text":`))
	return s[start:end], nil
}

// UnmarshalJSON decodes a mark from ProseMirror JSON.
func (m *Mark) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type  string         `json:"type"`
		Attrs map[string]any `json:"attrs"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = Mark{Type: raw.Type, Attrs: raw.Attrs}
	return nil
}

// TextContent returns the concatenated text of n's text nodes.
func (n *Node) TextContent() string {
	if n.IsText() {
		return n.Text
	}
	var b bytes.Buffer
	var walk func(*Node)
	walk = func(n *Node) {
		if n.IsText() {
			b.WriteString(n.Text)
			return
		}
		for i := range n.Content {
			walk(&n.Content[i])
		}
	}
	walk(n)
	return b.String()
}
