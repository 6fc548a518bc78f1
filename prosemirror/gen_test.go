package prosemirror

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// docGen generates random valid documents covering the whole schema. The
// options restrict it to what a conversion can express.
type docGen struct {
	r *rand.Rand
	// plainLinks keeps link attributes other than href and title at their
	// defaults (Markdown cannot carry them).
	plainLinks bool
	// noEdgeSpace avoids whitespace at the edges of text nodes, which HTML
	// parsing collapses.
	noEdgeSpace bool
	nodes       int
}

func newDocGen(seed uint64) *docGen {
	return &docGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var genWords = []string{
	"alpha", "beta", "Gamma", "x", "42", "1.", "2)", "- item", "* star", "_under_", "**", "#", "##", "> q",
	"a*b", "a_b", "`tick`", "``", "[link]", "](x)", "<b>", "</p>", "&amp;", "&copy;", "&", "<", ">", "\\", "|",
	"~", "~~", "!", "![", "https://example.com", "www.example.org", "me@example.com", "é", "日本語", "😀",
	"\u00a0", "+", "=", "---", "***", "   ", " ", "\t", "tab\tin", "back\\slash", "q\"uote", "'s", ":", "%20",
}

func (g *docGen) intn(n int) int { return g.r.IntN(n) }

func (g *docGen) text() string {
	n := 1 + g.intn(4)
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, genWords[g.intn(len(genWords))])
	}
	s := strings.Join(parts, " ")
	if g.noEdgeSpace {
		s = strings.TrimFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\u00a0' })
		s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", "x")), " ")
		if s == "" {
			s = "word"
		}
	}
	return s
}

func (g *docGen) marks() []Mark {
	if g.intn(3) == 0 {
		return nil
	}
	if g.intn(6) == 0 {
		return []Mark{{Type: "code"}}
	}
	var set []Mark
	for _, name := range []string{"bold", "italic", "strike", "underline"} {
		if g.intn(3) == 0 {
			set = addMark(set, Mark{Type: name})
		}
	}
	if g.intn(4) == 0 {
		hrefs := []string{"https://example.com/a?b=1&c=2", "/relative/path", "#frag", "mailto:a@b.c", "http://x.org/(paren)", "https://e.com/sp ace"}
		attrs := linkMarkAttrs(hrefs[g.intn(len(hrefs))], nil)
		if g.intn(3) == 0 {
			attrs["title"] = "Title \"q\""
		}
		if !g.plainLinks && g.intn(3) == 0 {
			attrs["target"] = "_self"
			attrs["class"] = "c"
		}
		set = addMark(set, Mark{Type: "link", Attrs: attrs})
	}
	return set
}

func (g *docGen) inline() []Node {
	n := g.intn(5)
	var out []Node
	for i := 0; i < n; i++ {
		g.nodes++
		if g.intn(8) == 0 {
			out = append(out, Node{Type: "hardBreak"})
			continue
		}
		out = appendNodes(out, Node{Type: "text", Text: g.text(), Marks: g.marks()})
	}
	if g.noEdgeSpace {
		// Whitespace next to a hard break or at a block edge collapses.
		for i := range out {
			if out[i].IsText() {
				out[i].Text = strings.TrimSpace(out[i].Text)
			}
		}
		var kept []Node
		for _, n := range out {
			if n.IsText() && n.Text == "" {
				continue
			}
			kept = appendNodes(kept, n)
		}
		out = kept
	}
	return out
}

func (g *docGen) paragraph() Node { return Node{Type: "paragraph", Content: g.inline()} }

func (g *docGen) blocks(depth, min, max int, inTable bool) []Node {
	n := min + g.intn(max-min+1)
	out := make([]Node, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, g.block(depth, inTable))
	}
	return out
}

func (g *docGen) block(depth int, inTable bool) Node {
	g.nodes++
	k := g.intn(12)
	if depth > 3 && k >= 2 && k <= 5 {
		k = 0
	}
	if g.nodes > 120 {
		k = 0
	}
	switch k {
	case 1:
		return Node{Type: "heading", Attrs: map[string]any{"level": float64(1 + g.intn(6))}, Content: g.inline()}
	case 2:
		return Node{Type: "blockquote", Content: g.blocks(depth+1, 1, 3, inTable)}
	case 3:
		var items []Node
		for i := 0; i < 1+g.intn(3); i++ {
			items = append(items, Node{Type: "listItem", Content: append([]Node{g.paragraph()}, g.blocks(depth+1, 0, 1, inTable)...)})
		}
		if g.intn(2) == 0 {
			return Node{Type: "bulletList", Content: items}
		}
		start := float64(1)
		if g.intn(3) == 0 {
			start = float64(g.intn(20))
		}
		return Node{Type: "orderedList", Attrs: map[string]any{"start": start, "type": nil}, Content: items}
	case 4:
		var items []Node
		for i := 0; i < 1+g.intn(3); i++ {
			var ps []Node
			for j := 0; j < 1+g.intn(2); j++ {
				ps = append(ps, g.paragraph())
			}
			items = append(items, Node{Type: "taskItem", Attrs: map[string]any{"checked": g.intn(2) == 0}, Content: ps})
		}
		return Node{Type: "taskList", Content: items}
	case 5:
		if inTable {
			return g.paragraph()
		}
		return g.table(depth)
	case 6:
		langs := []any{nil, "go", "js", "c++", "objective-c"}
		n := Node{Type: "codeBlock", Attrs: map[string]any{"language": langs[g.intn(len(langs))]}}
		codes := []string{"x := 1", "func() {\n\treturn `x`\n}", "```\nfence\n```", "  indented\n\n\nblank lines", "<script>&amp;</script>", "trailing\n"}
		n.Content = []Node{{Type: "text", Text: codes[g.intn(len(codes))]}}
		return n
	case 7:
		return Node{Type: "horizontalRule"}
	case 8:
		attrs := map[string]any{"src": "https://example.com/i.png", "alt": nil, "title": nil, "width": nil, "height": nil}
		if g.intn(2) == 0 {
			attrs["alt"] = "An *image* [x]"
		}
		if g.intn(3) == 0 {
			attrs["title"] = "T"
		}
		if g.intn(4) == 0 {
			attrs["width"] = float64(100)
		}
		return Node{Type: "image", Attrs: attrs}
	}
	return g.paragraph()
}

func (g *docGen) table(depth int) Node {
	rows := 1 + g.intn(3)
	cols := 1 + g.intn(3)
	header := g.intn(4) != 0
	complex := g.intn(3) == 0
	aligns := make([]any, cols)
	for c := range aligns {
		aligns[c] = []any{nil, "left", "right", "center"}[g.intn(4)]
	}
	var out []Node
	for r := 0; r < rows; r++ {
		var cells []Node
		for c := 0; c < cols; c++ {
			typ := "tableCell"
			if header && r == 0 {
				typ = "tableHeader"
			}
			attrs := map[string]any{"colspan": 1.0, "rowspan": 1.0, "colwidth": nil, "align": aligns[c]}
			content := []Node{g.paragraph()}
			if complex {
				switch g.intn(4) {
				case 0:
					attrs["colwidth"] = []any{float64(50 + g.intn(100))}
				case 1:
					content = g.blocks(depth+1, 1, 2, true)
				case 2:
					attrs["align"] = "center"
				}
			}
			cells = append(cells, Node{Type: typ, Attrs: attrs, Content: content})
		}
		out = append(out, Node{Type: "tableRow", Content: cells})
	}
	return Node{Type: "table", Content: out}
}

func (g *docGen) doc(t testing.TB) Node {
	g.nodes = 0
	d := Node{Type: "doc", Content: g.blocks(0, 1, 6, false)}
	n, err := Normalize(d, Limits{})
	if err != nil {
		t.Fatalf("generated an invalid document: %v\n%s", err, mustJSON(t, d))
	}
	return n
}

// firstDiff describes the first place where two trees differ.
func firstDiff(t testing.TB, got, want *Node, path string) string {
	if got.Type != want.Type || got.Text != want.Text || !attrsEqual(got.Attrs, want.Attrs) || !marksEqual(got.Marks, want.Marks) || len(got.Content) != len(want.Content) {
		if len(got.Content) == len(want.Content) || got.Type != want.Type {
			return path + ":\n  got  " + mustJSON(t, got) + "\n  want " + mustJSON(t, want)
		}
	}
	for i := 0; i < len(got.Content) && i < len(want.Content); i++ {
		if !got.Content[i].Equal(&want.Content[i]) {
			return firstDiff(t, &got.Content[i], &want.Content[i], path+".content["+itoa(i)+"]")
		}
	}
	return path + ":\n  got  " + mustJSON(t, got) + "\n  want " + mustJSON(t, want)
}

func itoa(i int) string { return strconv.Itoa(i) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
