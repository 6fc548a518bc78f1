package prosemirror

import (
	"os"
	"strconv"
	"testing"
)

// canonicalMarkdown is what a document becomes after a Markdown round
// trip: whitespace leaves the edges of bold, italic and strike ranges and
// the numbering style of ordered lists is dropped.
func canonicalMarkdown(n Node) Node {
	if tiptap.nodes[n.Type] != nil && tiptap.nodes[n.Type].inlineContent && n.Type != "codeBlock" {
		n.Content = ExpelMarkWhitespace(n.Content)
		return n
	}
	if n.Type == "table" {
		if _, ok := (&mdWriter{}).gfmTable(&n); !ok {
			// Written as HTML, so it comes back as HTML does.
			back, err := ParseHTML([]byte(ToHTML(Node{Type: "doc", Content: []Node{n}})), Limits{})
			if err == nil && len(back.Content) == 1 {
				return back.Content[0]
			}
		}
	}
	if n.Type == "orderedList" {
		attrs := map[string]any{}
		for k, v := range n.Attrs {
			attrs[k] = v
		}
		attrs["type"] = nil
		n.Attrs = attrs
	}
	if len(n.Content) > 0 {
		c := make([]Node, len(n.Content))
		for i := range n.Content {
			c[i] = canonicalMarkdown(n.Content[i])
		}
		n.Content = c
	}
	return n
}

func TestMarkdownRoundTripGenerated(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	if s := os.Getenv("PROSEMIRROR_SEEDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	failures := 0
	for seed := uint64(0); seed < uint64(n) && failures < 5; seed++ {
		g := newDocGen(seed)
		g.plainLinks = true
		doc := g.doc(t)
		md := ToMarkdown(doc)
		back, err := ParseMarkdown([]byte(md), Limits{})
		if err != nil {
			t.Errorf("seed %d: %v\n%s", seed, err, md)
			failures++
			continue
		}
		want := canonicalMarkdown(doc)
		if !back.Equal(&want) {
			failures++
			t.Errorf("seed %d: round trip differs\nmarkdown:\n%s\n%s", seed, md, firstDiff(t, &back, &want, "doc"))
		}
	}
}
