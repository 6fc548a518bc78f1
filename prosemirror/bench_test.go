package prosemirror

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/tandem-docs/tandem/yjs"
)

// benchDoc is a large document from the generator: many generated
// documents' blocks in one, every node type and mark included.
var benchDoc = sync.OnceValue(func() Node {
	var blocks []Node
	for seed := uint64(0); len(blocks) < 600; seed++ {
		blocks = append(blocks, newDocGen(seed).doc(&testing.T{}).Content...)
	}
	doc, err := Normalize(Node{Type: "doc", Content: blocks}, Limits{})
	if err != nil {
		panic(err)
	}
	return doc
})

func BenchmarkParseJSON(b *testing.B) {
	src, _ := json.Marshal(benchDoc())
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseJSON(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToMarkdown(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(ToMarkdown(doc))))
	for b.Loop() {
		ToMarkdown(doc)
	}
}

func BenchmarkParseMarkdown(b *testing.B) {
	src := []byte(ToMarkdown(benchDoc()))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseMarkdown(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToHTML(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(ToHTML(doc))))
	for b.Loop() {
		ToHTML(doc)
	}
}

func BenchmarkParseHTML(b *testing.B) {
	src := []byte(ToHTML(benchDoc()))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseHTML(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToText(b *testing.B) {
	doc := benchDoc()
	for b.Loop() {
		ToText(doc)
	}
}

func BenchmarkWriteFragment(b *testing.B) {
	doc := benchDoc()
	for b.Loop() {
		d := yjs.NewDoc(yjs.WithClientID(1))
		if err := WriteFragment(d.GetXmlFragment(DefaultField), doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadFragment(b *testing.B) {
	d := yjs.NewDoc(yjs.WithClientID(1))
	if err := WriteFragment(d.GetXmlFragment(DefaultField), benchDoc()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadFragment(d.GetXmlFragment(DefaultField), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSPeer reports how long the JS stack (Tiptap 3.32.2,
// y-prosemirror 1.3.7 on Node) takes for the benchmark document: the peer
// figures for the benchmarks above, as milliseconds per call (median of 15
// runs after 3 warm-ups). Note that fromJSON starts from a parsed object,
// while ParseJSON includes decoding the bytes.
func BenchmarkJSPeer(b *testing.B) {
	doc := benchDoc()
	res := runPeer(b, []peerRequest{{"op": "timings", "doc": doc, "html": ToHTML(doc)}})
	if res[0].Error != "" {
		b.Fatal(res[0].Error)
	}
	var ms map[string]float64
	if err := json.Unmarshal(res[0].OK, &ms); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
	}
	for name, v := range ms {
		b.ReportMetric(v, name+"-ms")
	}
	b.ReportMetric(0, "ns/op")
}
