package prosemirror

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/tandem-docs/tandem/yjs"
)

type peerYjs struct {
	JSON        json.RawMessage `json:"json"`
	Editor      Node            `json:"editor"`
	EditorError string          `json:"editorError"`
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

func docUpdate(t testing.TB, doc Node, client uint64) []byte {
	t.Helper()
	d := yjs.NewDoc(yjs.WithClientID(client))
	if err := WriteFragment(d.GetXmlFragment(DefaultField), doc); err != nil {
		t.Fatal(err)
	}
	u, err := d.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestYjsMatchesYProsemirror checks the mapping in both directions against
// y-prosemirror: documents we write read back in y-prosemirror (as plain
// JSON and as an editor builds its document) as the same document, and
// documents y-prosemirror writes read back here as the same document.
func TestYjsMatchesYProsemirror(t *testing.T) {
	n := 120
	if testing.Short() {
		n = 25
	}
	var docs []Node
	var reqs []peerRequest
	for seed := uint64(0); seed < uint64(n); seed++ {
		doc := newDocGen(5000 + seed).doc(t)
		docs = append(docs, doc)
		reqs = append(reqs,
			peerRequest{"op": "fromYjs", "updates": []string{b64(docUpdate(t, doc, 1000+seed))}},
			peerRequest{"op": "toYjs", "doc": doc},
		)
	}
	res := runPeer(t, reqs)
	failures := 0
	for i, doc := range docs {
		if failures > 5 {
			break
		}
		from, to := res[2*i], res[2*i+1]
		if from.Error != "" || to.Error != "" {
			t.Fatalf("doc %d: peer: %s %s", i, from.Error, to.Error)
		}
		var got peerYjs
		if err := json.Unmarshal(from.OK, &got); err != nil {
			t.Fatal(err)
		}
		if got.EditorError != "" {
			t.Errorf("doc %d: y-prosemirror editor: %s", i, got.EditorError)
			failures++
		}
		if !got.Editor.Equal(&doc) {
			t.Errorf("doc %d: y-prosemirror's editor reads our update differently:\n%s", i, firstDiff(t, &got.Editor, &doc, "doc"))
			failures++
		}
		// yXmlFragmentToProsemirrorJSON leaves out null attributes and
		// defaults; normalizing fills them in.
		plain, err := ParseJSON(got.JSON, Limits{})
		if err != nil {
			t.Errorf("doc %d: y-prosemirror JSON: %v", i, err)
		} else if !plain.Equal(&doc) {
			t.Errorf("doc %d: yXmlFragmentToProsemirrorJSON differs:\n%s", i, firstDiff(t, &plain, &doc, "doc"))
			failures++
		}
		var u64 string
		if err := json.Unmarshal(to.OK, &u64); err != nil {
			t.Fatal(err)
		}
		u, _ := base64.StdEncoding.DecodeString(u64)
		yd := yjs.NewDoc()
		if err := yd.ApplyUpdate(u, nil); err != nil {
			t.Fatalf("doc %d: applying y-prosemirror's update: %v", i, err)
		}
		back, err := ReadFragment(yd.GetXmlFragment(DefaultField), Limits{})
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if !back.Equal(&doc) {
			t.Errorf("doc %d: we read y-prosemirror's update differently:\n%s", i, firstDiff(t, &back, &doc, "doc"))
			failures++
		}
	}
}

func docOf(blocks ...Node) Node { return Node{Type: "doc", Content: blocks} }

func para(text string) Node {
	if text == "" {
		return Node{Type: "paragraph"}
	}
	return Node{Type: "paragraph", Content: []Node{{Type: "text", Text: text}}}
}

// TestReplaceAndAppendSeenByYProsemirror applies our Replace and Append
// updates after a document y-prosemirror wrote, with a concurrent edit by
// another peer, and checks what y-prosemirror's editor shows.
func TestReplaceAndAppendSeenByYProsemirror(t *testing.T) {
	a := docOf(para("keep first"), para("old middle"), Node{Type: "heading", Attrs: map[string]any{"level": 2.0}, Content: []Node{{Type: "text", Text: "keep last"}}})
	b := docOf(para("keep first"), para("new middle"), para("another"), Node{Type: "heading", Attrs: map[string]any{"level": 2.0}, Content: []Node{{Type: "text", Text: "keep last"}}})
	c, err := ParseMarkdown([]byte("## Appended\n\n- [x] done\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := runPeer(t, []peerRequest{{"op": "toYjs", "doc": a}})
	var ua64 string
	json.Unmarshal(res[0].OK, &ua64)
	ua, _ := base64.StdEncoding.DecodeString(ua64)

	d := yjs.NewDoc(yjs.WithClientID(77))
	if err := d.ApplyUpdate(ua, nil); err != nil {
		t.Fatal(err)
	}
	u1, err := Replace(d, DefaultField, b)
	if err != nil {
		t.Fatal(err)
	}
	u2, err := Append(d, DefaultField, c)
	if err != nil {
		t.Fatal(err)
	}
	// Replacing with the same content changes nothing.
	u3, err := Replace(d, DefaultField, mustNormalize(t, docOf(append(append([]Node{}, b.Content...), c.Content...)...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(u3) > 2 {
		t.Errorf("replacing with equal content produced a %d-byte update", len(u3))
	}
	want := mustNormalize(t, docOf(append(append([]Node{}, b.Content...), c.Content...)...))
	got, err := ReadFragment(d.GetXmlFragment(DefaultField), Limits{})
	if err != nil || !got.Equal(&want) {
		t.Fatalf("our document after Replace and Append: %v\n%s", err, firstDiff(t, &got, &want, "doc"))
	}

	// The concurrent peer edits the first block, which Replace keeps.
	res = runPeer(t, []peerRequest{
		{"op": "fromYjs", "updates": []string{ua64, b64(u1), b64(u2)}},
		{"op": "insertText", "updates": []string{ua64}, "text": "EDIT "},
	})
	var seen peerYjs
	json.Unmarshal(res[0].OK, &seen)
	if seen.EditorError != "" || !seen.Editor.Equal(&want) {
		t.Fatalf("y-prosemirror shows %s (%s), want %s", mustJSON(t, seen.Editor), seen.EditorError, mustJSON(t, want))
	}
	var e64 string
	json.Unmarshal(res[1].OK, &e64)
	res = runPeer(t, []peerRequest{{"op": "fromYjs", "updates": []string{ua64, e64, b64(u1), b64(u2)}}})
	json.Unmarshal(res[0].OK, &seen)
	wantMerged := want
	wantMerged.Content = append([]Node{para("EDIT keep first")}, want.Content[1:]...)
	if !seen.Editor.Equal(&wantMerged) {
		t.Fatalf("with a concurrent edit y-prosemirror shows %s, want %s", mustJSON(t, seen.Editor), mustJSON(t, wantMerged))
	}
	// And our side merges the same way.
	e, _ := base64.StdEncoding.DecodeString(e64)
	if err := d.ApplyUpdate(e, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = ReadFragment(d.GetXmlFragment(DefaultField), Limits{})
	if !got.Equal(&wantMerged) {
		t.Fatalf("we read %s after the concurrent edit", mustJSON(t, got))
	}
}

func mustNormalize(t testing.TB, n Node) Node {
	t.Helper()
	out, err := Normalize(n, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendToEmptyDocument(t *testing.T) {
	d := yjs.NewDoc(yjs.WithClientID(5))
	if _, err := Append(d, DefaultField, docOf(para(""))); err != nil {
		t.Fatal(err)
	}
	if _, err := Append(d, DefaultField, docOf(para("hello"))); err != nil {
		t.Fatal(err)
	}
	got, _ := ReadFragment(d.GetXmlFragment(DefaultField), Limits{})
	if want := docOf(para("hello")); !got.Equal(&want) {
		t.Fatalf("got %s", mustJSON(t, got))
	}
	if _, err := Replace(d, DefaultField, docOf(Node{Type: "nope"})); err == nil {
		t.Fatal("Replace accepted an invalid document")
	}
}

func checkYjsRoundTrip(t *testing.T, doc Node) {
	t.Helper()
	d := yjs.NewDoc(yjs.WithClientID(9))
	if err := WriteFragment(d.GetXmlFragment(DefaultField), doc); err != nil {
		t.Fatalf("WriteFragment: %v", err)
	}
	u, err := d.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	d2 := yjs.NewDoc(yjs.WithClientID(10))
	if err := d2.ApplyUpdate(u, nil); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFragment(d2.GetXmlFragment(DefaultField), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&doc) {
		t.Fatalf("Yjs round trip differs:\n%s", firstDiff(t, &back, &doc, "doc"))
	}
}

// TestReadFragmentLikeYProsemirror covers what only misbehaving or other
// clients write: Quill-style true mark values, hashed names of overlapping
// marks, unknown elements and marks, text at the top level.
func TestReadFragmentLikeYProsemirror(t *testing.T) {
	d := yjs.NewDoc(yjs.WithClientID(3))
	f := d.GetXmlFragment(DefaultField)
	var err error
	d.Transact(func(*yjs.Transaction) {
		p, e := f.InsertElement(0, "paragraph")
		if e != nil {
			err = e
			return
		}
		x, _ := p.InsertText(0)
		x.InsertWithAttributes(0, "b", map[string]any{"bold": true})
		x.InsertWithAttributes(1, "l", map[string]any{"link--AbCd1234": map[string]any{"href": "/x"}, "italic": map[string]any{}})
		p2, _ := f.InsertElement(1, "paragraph")
		x2, _ := p2.InsertText(0)
		x2.InsertWithAttributes(0, "dropped", map[string]any{"sparkle": map[string]any{}})
		f.InsertElement(2, "widget")
		h, _ := f.InsertElement(3, "heading")
		h.SetAttribute("level", 3.0)
		h.SetAttribute("unknown", "x")
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadFragment(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","marks":[{"type":"bold"}],"text":"b"},{"type":"text","marks":[{"type":"link","attrs":{"href":"/x","target":"_blank","rel":"noopener noreferrer nofollow","class":null,"title":null}},{"type":"italic"}],"text":"l"}]},{"type":"paragraph"},{"type":"heading","attrs":{"level":3}}]}`
	if s := mustJSON(t, got); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
	// y-prosemirror's editor reads the same.
	u, _ := d.EncodeStateAsUpdate(nil)
	res := runPeer(t, []peerRequest{{"op": "fromYjs", "updates": []string{b64(u)}}})
	var seen peerYjs
	if err := json.Unmarshal(res[0].OK, &seen); err != nil {
		t.Fatalf("%v: %s", err, res[0].Error)
	}
	if !seen.Editor.Equal(&got) {
		t.Errorf("y-prosemirror reads %s", mustJSON(t, seen.Editor))
	}
}
