package prosemirror

import (
	"encoding/json"
	"testing"
)

// TestGeneratedDocsMatchTiptap checks generated documents against the real
// stack: ProseMirror accepts them with Tiptap's schema and normalizes them
// as we do, our HTML equals Tiptap's generateHTML, and our HTML parser
// reads that HTML as Tiptap's generateJSON does.
func TestGeneratedDocsMatchTiptap(t *testing.T) {
	n := 150
	if testing.Short() {
		n = 30
	}
	var docs []Node
	var reqs []peerRequest
	for seed := uint64(0); seed < uint64(n); seed++ {
		doc := newDocGen(1000 + seed).doc(t)
		docs = append(docs, doc)
		html := ToHTML(doc)
		reqs = append(reqs,
			peerRequest{"op": "check", "doc": doc},
			peerRequest{"op": "generateHTML", "doc": doc},
			peerRequest{"op": "generateJSON", "html": html},
		)
	}
	res := runPeer(t, reqs)
	failures := 0
	for i, doc := range docs {
		if failures > 5 {
			break
		}
		check, gen, parsed := res[3*i], res[3*i+1], res[3*i+2]
		if check.Error != "" {
			t.Errorf("doc %d: ProseMirror refuses it: %s\n%s", i, check.Error, mustJSON(t, doc))
			failures++
			continue
		}
		var pm Node
		if err := json.Unmarshal(check.OK, &pm); err != nil {
			t.Fatal(err)
		}
		if !pm.Equal(&doc) {
			t.Errorf("doc %d: ProseMirror normalizes differently:\n%s", i, firstDiff(t, &doc, &pm, "doc"))
			failures++
		}
		var tiptapHTML string
		if err := json.Unmarshal(gen.OK, &tiptapHTML); err != nil {
			t.Fatalf("doc %d: generateHTML: %v %s", i, err, gen.Error)
		}
		ours := ToHTML(doc)
		if i == 3 {
			t.Logf("sample: %s", ours)
		}
		if ours != tiptapHTML {
			t.Errorf("doc %d: HTML differs\n ours   %s\n tiptap %s", i, ours, tiptapHTML)
			failures++
		}
		var want Node
		if err := json.Unmarshal(parsed.OK, &want); err != nil {
			t.Fatalf("doc %d: generateJSON: %v %s", i, err, parsed.Error)
		}
		got, err := ParseHTML([]byte(ours), Limits{})
		if err != nil {
			t.Errorf("doc %d: ParseHTML: %v", i, err)
			failures++
			continue
		}
		if !got.Equal(&want) {
			t.Errorf("doc %d: HTML parse differs from generateJSON on\n%s\n%s", i, ours, firstDiff(t, &got, &want, "doc"))
			failures++
		}
	}
}
