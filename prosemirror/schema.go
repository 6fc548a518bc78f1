package prosemirror

import (
	"fmt"
	"slices"
	"strings"
)

// The schema below is the one Tiptap's getSchema builds for Tandem's editor
// extensions (StarterKit, TaskList, TaskItem, Table, TableRow, TableHeader,
// TableCell, Image) at @tiptap 3.32.2: node and mark names, their order
// (which decides ProseMirror's default types and the order of parse rules),
// content expressions, groups and attributes with their defaults. The
// differential tests compare it with the real one.

type attrSpec struct {
	name string
	def  any // every attribute of this schema has a default
	// check validates a value from untrusted input; nil accepts anything.
	check func(v any) error
}

type nodeType struct {
	name      string
	index     int
	groups    []string
	expr      string // content expression, "" for leaves
	inline    bool
	code      bool // whitespace "pre": text kept as is, no marks
	marksExpr *string
	attrs     []attrSpec
	attrOrder []string

	content       *contentMatch
	inlineContent bool
	// markSet lists the marks allowed on children; allMarks means any.
	markSet  []*markType
	allMarks bool
}

type markType struct {
	name      string
	rank      int
	excludes  string // ProseMirror's spec.excludes; "" in the table means the default (itself)
	attrs     []attrSpec
	attrOrder []string
	excluded  []*markType
}

type schema struct {
	nodes    map[string]*nodeType
	nodeList []*nodeType
	marks    map[string]*markType
	markList []*markType
	top      *nodeType
	text     *nodeType
}

func (t *nodeType) isText() bool      { return t.name == "text" }
func (t *nodeType) isLeaf() bool      { return t.content == emptyMatch }
func (t *nodeType) isBlock() bool     { return !t.inline }
func (t *nodeType) isTextblock() bool { return !t.inline && t.inlineContent }
func (t *nodeType) isAtom() bool      { return t.isLeaf() }

func (t *nodeType) inGroup(g string) bool { return slices.Contains(t.groups, g) }

func (t *nodeType) allowsMarkType(m *markType) bool {
	return t.allMarks || slices.Contains(t.markSet, m)
}

// defaultAttrs returns the attributes of a node of type t with every
// attribute at its default, or nil if t has none.
func (t *nodeType) defaultAttrs() map[string]any {
	if len(t.attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(t.attrs))
	for _, a := range t.attrs {
		m[a.name] = copyValue(a.def)
	}
	return m
}

// computeAttrs fills in defaults as ProseMirror's computeAttrs does. Keys
// that the type does not define are dropped.
func computeAttrs(specs []attrSpec, given map[string]any) map[string]any {
	if len(specs) == 0 {
		return nil
	}
	m := make(map[string]any, len(specs))
	for _, a := range specs {
		if v, ok := given[a.name]; ok {
			m[a.name] = v
		} else {
			m[a.name] = copyValue(a.def)
		}
	}
	return m
}

func copyValue(v any) any {
	switch v := v.(type) {
	case []any:
		return slices.Clone(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = copyValue(e)
		}
		return m
	}
	return v
}

// excludes reports whether marks of type m cannot coexist with marks of type o.
func (m *markType) excludesType(o *markType) bool { return slices.Contains(m.excluded, o) }

func strp(s string) *string { return &s }

func newTiptapSchema() *schema {
	nullable := func(name string) attrSpec { return attrSpec{name: name, check: checkStringOrNull} }
	cellAttrs := []attrSpec{
		{name: "colspan", def: 1.0, check: checkSpan},
		{name: "rowspan", def: 1.0, check: checkSpan},
		{name: "colwidth", check: checkColwidth},
		{name: "align", check: checkAlign},
	}
	nodes := []*nodeType{
		{name: "paragraph", groups: []string{"block"}, expr: "inline*"},
		{name: "blockquote", groups: []string{"block"}, expr: "block+"},
		{name: "bulletList", groups: []string{"block", "list"}, expr: "listItem+"},
		{name: "codeBlock", groups: []string{"block"}, expr: "text*", code: true, marksExpr: strp(""),
			attrs: []attrSpec{{name: "language", check: checkLanguage}}},
		{name: "doc", expr: "block+"},
		{name: "hardBreak", groups: []string{"inline"}, inline: true},
		{name: "heading", groups: []string{"block"}, expr: "inline*",
			attrs: []attrSpec{{name: "level", def: 1.0, check: checkLevel}}},
		{name: "horizontalRule", groups: []string{"block"}},
		{name: "listItem", expr: "paragraph block*"},
		{name: "orderedList", groups: []string{"block", "list"}, expr: "listItem+",
			attrs: []attrSpec{{name: "start", def: 1.0, check: checkStart}, nullable("type")}},
		{name: "text", groups: []string{"inline"}, inline: true},
		{name: "taskList", groups: []string{"block", "list"}, expr: "taskItem+"},
		{name: "taskItem", expr: "paragraph+", attrs: []attrSpec{{name: "checked", def: false, check: checkBool}}},
		{name: "table", groups: []string{"block"}, expr: "tableRow+"},
		{name: "tableRow", expr: "(tableCell | tableHeader)*"},
		{name: "tableHeader", expr: "block+", attrs: cellAttrs},
		{name: "tableCell", expr: "block+", attrs: cellAttrs},
		{name: "image", groups: []string{"block"}, attrs: []attrSpec{
			{name: "src", check: checkStringOrNull}, nullable("alt"), nullable("title"),
			{name: "width", check: checkDimension}, {name: "height", check: checkDimension}}},
	}
	marks := []*markType{
		{name: "link", attrs: []attrSpec{
			{name: "href", check: checkStringOrNull},
			{name: "target", def: "_blank", check: checkStringOrNull},
			{name: "rel", def: "noopener noreferrer nofollow", check: checkStringOrNull},
			nullable("class"), nullable("title")}},
		{name: "bold"},
		{name: "code", excludes: "_"},
		{name: "italic"},
		{name: "strike"},
		{name: "underline"},
	}
	s := &schema{nodes: map[string]*nodeType{}, marks: map[string]*markType{}, nodeList: nodes, markList: marks}
	for i, n := range nodes {
		n.index = i
		s.nodes[n.name] = n
		for _, a := range n.attrs {
			n.attrOrder = append(n.attrOrder, a.name)
		}
	}
	for i, m := range marks {
		m.rank = i
		s.marks[m.name] = m
		for _, a := range m.attrs {
			m.attrOrder = append(m.attrOrder, a.name)
		}
	}
	for _, m := range marks {
		switch m.excludes {
		case "":
			m.excluded = []*markType{m}
		case "_":
			m.excluded = slices.Clone(marks)
		default:
			panic("prosemirror: unsupported excludes " + m.excludes)
		}
	}
	s.top = s.nodes["doc"]
	s.text = s.nodes["text"]
	for _, n := range nodes {
		if n.expr == "" {
			n.content = emptyMatch
			continue
		}
		expr, err := parseContentExpr(n.expr, s)
		if err != nil {
			panic(err) // the schema is a constant; a bad expression is a programming error
		}
		n.content = compileContent(expr)
	}
	for _, n := range nodes {
		n.inlineContent = len(n.content.next) > 0 && n.content.next[0].typ.inline
		switch {
		case n.marksExpr != nil && *n.marksExpr == "_":
			n.allMarks = true
		case n.marksExpr != nil && *n.marksExpr == "":
		case n.marksExpr != nil:
			panic("prosemirror: unsupported marks expression")
		case !n.inlineContent:
		default:
			n.allMarks = true
		}
	}
	precomputeWrappings(s)
	return s
}

var tiptap = newTiptapSchema()

// NodeTypes returns the names of the node types of Tandem's editor schema,
// in schema order.
func NodeTypes() []string {
	out := make([]string, len(tiptap.nodeList))
	for i, n := range tiptap.nodeList {
		out[i] = n.name
	}
	return out
}

// MarkTypes returns the names of the mark types, in schema (rank) order.
func MarkTypes() []string {
	out := make([]string, len(tiptap.markList))
	for i, m := range tiptap.markList {
		out[i] = m.name
	}
	return out
}

// Attribute checks for untrusted input. ProseMirror itself does not check
// attribute types, but every value here ends up in HTML, Markdown or a Yjs
// document, so the server insists on the types Tiptap itself produces.

func checkStringOrNull(v any) error {
	switch s := v.(type) {
	case nil:
		return nil
	case string:
		if len(s) > maxAttrString {
			return fmt.Errorf("string longer than %d bytes", maxAttrString)
		}
		return nil
	}
	return fmt.Errorf("want a string or null, have %s", jsonKind(v))
}

const maxAttrString = 64 << 10

func checkLanguage(v any) error {
	if err := checkStringOrNull(v); err != nil {
		return err
	}
	if s, ok := v.(string); ok && (len(s) > 100 || strings.ContainsAny(s, " \t\r\n\f\"'<>`")) {
		return fmt.Errorf("language %q is not a plain word of at most 100 bytes", truncate(s, 40))
	}
	return nil
}

func checkBool(v any) error {
	if _, ok := v.(bool); !ok {
		return fmt.Errorf("want a boolean, have %s", jsonKind(v))
	}
	return nil
}

func checkInt(v any, lo, hi float64) error {
	f, ok := toFloat(v)
	if !ok {
		return fmt.Errorf("want an integer, have %s", jsonKind(v))
	}
	if f != float64(int64(f)) || f < lo || f > hi {
		return fmt.Errorf("want an integer from %v to %v, have %v", lo, hi, f)
	}
	return nil
}

func checkLevel(v any) error { return checkInt(v, 1, 6) }
func checkStart(v any) error { return checkInt(v, 0, 1e9) }

// maxSpan bounds colspan and rowspan: renderers loop over spans.
const maxSpan = 1000

func checkSpan(v any) error { return checkInt(v, 1, maxSpan) }

func checkColwidth(v any) error {
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want an array of widths or null, have %s", jsonKind(v))
	}
	if len(a) > maxSpan {
		return fmt.Errorf("more than %d widths", maxSpan)
	}
	for _, e := range a {
		if e == nil {
			continue // prosemirror-tables writes 0 or null for unset columns
		}
		if err := checkInt(e, 0, 1e6); err != nil {
			return fmt.Errorf("width: %v", err)
		}
	}
	return nil
}

func checkAlign(v any) error {
	switch v {
	case nil, "left", "right", "center":
		return nil
	}
	return fmt.Errorf(`want "left", "right", "center" or null, have %s`, jsonKind(v))
}

func checkDimension(v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if len(v) > 32 {
			return fmt.Errorf("dimension longer than 32 bytes")
		}
		return nil
	}
	return checkInt(v, 0, 1e6)
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return fmt.Sprintf("string %q", truncate(v, 40))
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if f, ok := toFloat(v); ok {
		return fmt.Sprintf("number %v", f)
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
