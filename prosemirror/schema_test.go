package prosemirror

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestSchemaMatchesTiptap compares the Go schema with the one Tiptap's
// getSchema builds from the pinned extensions.
func TestSchemaMatchesTiptap(t *testing.T) {
	res := runPeer(t, []peerRequest{{"op": "schema"}})
	if res[0].Error != "" {
		t.Fatal(res[0].Error)
	}
	type attr struct {
		Name    string `json:"name"`
		Default any    `json:"default"`
	}
	var js struct {
		Nodes []struct {
			Name    string   `json:"name"`
			Content string   `json:"content"`
			Groups  []string `json:"groups"`
			Inline  bool     `json:"inline"`
			Attrs   []attr   `json:"attrs"`
		} `json:"nodes"`
		Marks []struct {
			Name     string  `json:"name"`
			Rank     int     `json:"rank"`
			Excludes *string `json:"excludes"`
			Attrs    []attr  `json:"attrs"`
		} `json:"marks"`
	}
	if err := json.Unmarshal(res[0].OK, &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Nodes) != len(tiptap.nodeList) {
		t.Fatalf("Tiptap has %d node types, we have %d", len(js.Nodes), len(tiptap.nodeList))
	}
	for i, jn := range js.Nodes {
		n := tiptap.nodeList[i]
		if n.name != jn.Name {
			t.Errorf("node %d: Tiptap %s, we %s", i, jn.Name, n.name)
			continue
		}
		if n.expr != jn.Content {
			t.Errorf("%s content: Tiptap %q, we %q", n.name, jn.Content, n.expr)
		}
		if !slices.Equal(n.groups, jn.Groups) {
			t.Errorf("%s groups: Tiptap %q, we %q", n.name, jn.Groups, n.groups)
		}
		if n.inline != jn.Inline {
			t.Errorf("%s inline: Tiptap %v, we %v", n.name, jn.Inline, n.inline)
		}
		compareAttrs(t, n.name, n.attrs, jn.Attrs)
	}
	if len(js.Marks) != len(tiptap.markList) {
		t.Fatalf("Tiptap has %d mark types, we have %d", len(js.Marks), len(tiptap.markList))
	}
	for i, jm := range js.Marks {
		m := tiptap.markList[i]
		if m.name != jm.Name || m.rank != jm.Rank {
			t.Errorf("mark %d: Tiptap %s rank %d, we %s rank %d", i, jm.Name, jm.Rank, m.name, m.rank)
			continue
		}
		ex := ""
		if jm.Excludes != nil {
			ex = *jm.Excludes
		}
		if ex != m.excludes {
			t.Errorf("%s excludes: Tiptap %q, we %q", m.name, ex, m.excludes)
		}
		compareAttrs(t, m.name, m.attrs, jm.Attrs)
	}
}

func compareAttrs[A any](t *testing.T, owner string, ours []attrSpec, theirs []A) {
	t.Helper()
	var names []string
	for _, a := range ours {
		names = append(names, a.name)
	}
	var js []string
	for _, a := range theirs {
		b, _ := json.Marshal(a)
		var x struct {
			Name    string `json:"name"`
			Default any    `json:"default"`
		}
		json.Unmarshal(b, &x)
		js = append(js, x.Name)
		i := slices.Index(names, x.Name)
		if i < 0 {
			continue
		}
		if !valueEqual(ours[i].def, x.Default) {
			t.Errorf("%s.%s default: Tiptap %v, we %v", owner, x.Name, x.Default, ours[i].def)
		}
	}
	if !slices.Equal(names, js) {
		t.Errorf("%s attrs: Tiptap [%s], we [%s]", owner, strings.Join(js, " "), strings.Join(names, " "))
	}
}

func TestContentMatch(t *testing.T) {
	doc := tiptap.nodes["doc"]
	if d := doc.content.defaultType(); d == nil || d.name != "paragraph" {
		t.Fatalf("doc default type %v, want paragraph", d)
	}
	if doc.content.validEnd {
		t.Error("empty doc is valid, want block+ to need a block")
	}
	li := tiptap.nodes["listItem"]
	w, ok := tiptap.nodes["doc"].content.findWrapping(li)
	if !ok || len(w) != 1 || w[0].name != "bulletList" {
		t.Errorf("wrapping for listItem in doc = %v %v, want [bulletList]", w, ok)
	}
	w, ok = tiptap.nodes["doc"].content.findWrapping(tiptap.text)
	if !ok || len(w) != 1 || w[0].name != "paragraph" {
		t.Errorf("wrapping for text in doc = %v %v, want [paragraph]", w, ok)
	}
	n, ok := createAndFill(tiptap.nodes["table"], nil, nil, nil)
	if !ok {
		t.Fatal("createAndFill(table) failed")
	}
	b, _ := json.Marshal(n)
	if got, want := string(b), `{"type":"table","content":[{"type":"tableRow"}]}`; got != want {
		t.Errorf("createAndFill(table) = %s, want %s", got, want)
	}
	n, _ = createAndFill(tiptap.nodes["listItem"], nil, []Node{{Type: "bulletList", Content: []Node{{Type: "listItem", Content: []Node{{Type: "paragraph"}}}}}}, nil)
	b, _ = json.Marshal(n)
	if got, want := string(b), `{"type":"listItem","content":[{"type":"paragraph"},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph"}]}]}]}`; got != want {
		t.Errorf("createAndFill(listItem, [list]) = %s, want %s", got, want)
	}
}
