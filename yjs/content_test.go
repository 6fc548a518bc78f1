package yjs

import (
	"bytes"
	"testing"
)

// allKindsUpdate builds a v1 update holding every content kind and every
// type kind, including ones yjs 13 no longer writes itself (ContentJSON).
func allKindsUpdate(t *testing.T) []byte {
	const c = 77
	var blocks []block
	clock := uint64(0)
	add := func(b block) {
		b.kind = blockItem
		b.client = c
		b.clock = clock
		if b.length == 0 {
			b.length = 1
		}
		clock += b.length
		blocks = append(blocks, b)
	}
	prev := func() ID { b := blocks[len(blocks)-1]; return ID{c, b.clock + b.length - 1} }
	obj := func(kv ...any) any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		v, err := normalizeAny(m)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Array root "a".
	add(block{ref: contentJSON, parentKind: parentName, names: &blockNames{parentName: "a"}, length: 4,
		content: blockContent{obj: []any{1.0, "a", obj("x", nil), Undefined}}})
	add(block{ref: contentBinary, hasOrigin: true, origin: prev(), content: blockContent{obj: []byte{1, 2, 3}}})
	add(block{ref: contentAny, hasOrigin: true, origin: prev(), length: 6,
		content: blockContent{obj: []any{1.0, 2.5, "s", true, nil, []any{obj("k", 1.0)}}}})
	for ref := uint8(0); ref <= typeXmlText; ref++ {
		b := block{ref: contentType, hasOrigin: true, origin: prev(), typeRef: ref}
		if ref == typeXmlElement {
			b.content.str = "p"
		}
		if ref == typeXmlHook {
			b.content.str = "hook"
		}
		add(b)
	}
	add(block{ref: contentDoc, hasOrigin: true, origin: prev(), content: blockContent{str: "sub-guid", obj: obj("gc", false)}})
	add(block{ref: contentDeleted, hasOrigin: true, origin: prev(), length: 3})
	// Text root "t": text, a formatted range, an embed.
	add(block{ref: contentString, parentKind: parentName, names: &blockNames{parentName: "t"}, length: 5, content: blockContent{str: "hello"}})
	add(block{ref: contentFormat, hasOrigin: true, origin: prev(), content: blockContent{str: "bold", obj: true}})
	add(block{ref: contentString, hasOrigin: true, origin: prev(), length: 3, content: blockContent{str: "😀b"}})
	add(block{ref: contentEmbed, hasOrigin: true, origin: prev(), content: blockContent{obj: obj("image", "x.png")}})
	add(block{ref: contentFormat, hasOrigin: true, origin: prev(), content: blockContent{str: "bold", obj: nil}})
	// Map root "m": a value, an overwritten value, a nested text.
	add(block{ref: contentAny, parentKind: parentName, names: &blockNames{"m", "k"}, hasSub: true, content: blockContent{obj: []any{"v1"}}})
	add(block{ref: contentAny, hasOrigin: true, origin: prev(), hasSub: true, content: blockContent{obj: []any{"v2"}}})
	add(block{ref: contentType, parentKind: parentName, names: &blockNames{"m", "text"}, hasSub: true, typeRef: typeText})
	add(block{ref: contentString, parentKind: parentID, origin: prev(), length: 2, content: blockContent{str: "in"}})

	w := &lazyWriter{enc: newEncoder(false)}
	for i := range blocks {
		w.write(&blocks[i], 0)
	}
	w.finish()
	ds := &deleteSet{}
	ds.add(c, 23, 2) // "el" of "hello"
	ds.write(w.enc)
	u, err := w.enc.bytes()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestAllContentKinds loads an update with every content kind in Go and
// in yjs: content, deltas and both encodings must agree, and conversions
// must round-trip.
func TestAllContentKinds(t *testing.T) {
	u := allKindsUpdate(t)
	roots := [][2]string{{"array", "a"}, {"text", "t"}, {"map", "m"}}
	p := yjsPeer(t)
	var want struct {
		JSON   string            `json:"json"`
		Deltas map[string]string `json:"deltas"`
		V1     string            `json:"v1"`
		V2     string            `json:"v2"`
	}
	if err := p.call("load", map[string]any{"updates": []string{b64(u)}, "roots": roots}, &want); err != nil {
		t.Fatal(err)
	}
	for _, gc := range []bool{true, false} {
		d := NewDoc(WithGC(gc))
		if err := d.ApplyUpdate(u, nil); err != nil {
			t.Fatal(err)
		}
		js, deltas := describeDoc(d, roots)
		if js != want.JSON {
			t.Errorf("JSON:\n go %s\nyjs %s", js, want.JSON)
		}
		for k, v := range want.Deltas {
			if deltas[k] != v {
				t.Errorf("delta %s:\n go %s\nyjs %s", k, deltas[k], v)
			}
		}
		if !gc {
			// yjs loaded it with gc on: only the content compares.
			continue
		}
		v1, err := d.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v1, unb64(t, want.V1)) {
			t.Errorf("v1 differs:\n go %x\nyjs %x", v1, unb64(t, want.V1))
		}
		v2, err := d.EncodeStateAsUpdateV2(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v2, unb64(t, want.V2)) {
			t.Errorf("v2 differs")
		}
	}
	v2, err := ConvertUpdateV1ToV2(u)
	if err != nil {
		t.Fatal(err)
	}
	var wantV2 string
	if err := p.call("convert", map[string]any{"update": b64(u)}, &wantV2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v2, unb64(t, wantV2)) {
		t.Errorf("v1 -> v2 differs from yjs")
	}
	back, err := ConvertUpdateV2ToV1(v2)
	if err != nil {
		t.Fatal(err)
	}
	var wantV1 string
	if err := p.call("convert", map[string]any{"update": b64(v2), "v2": true}, &wantV1); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, unb64(t, wantV1)) {
		t.Errorf("v2 -> v1 differs from yjs")
	}
	d := NewDoc()
	_ = d.ApplyUpdate(u, nil)
	m := d.GetMap("m")
	if v, ok := m.Get("k"); !ok || v != "v2" {
		t.Errorf("map value %v", v)
	}
	if txt, ok := m.Get("text"); !ok || txt.(*Text).String() != "in" {
		t.Errorf("nested text %v", txt)
	}
	arr := d.GetArray("a")
	vals := arr.Values()
	if len(vals) != 4+1+6+7+1 {
		t.Fatalf("array has %d values", len(vals))
	}
	if sd, ok := vals[len(vals)-1].(Subdoc); !ok || sd.GUID != "sub-guid" || sd.Options["gc"] != false {
		t.Errorf("subdocument %#v", vals[len(vals)-1])
	}
	if b, ok := vals[4].([]byte); !ok || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("binary %#v", vals[4])
	}
	if _, ok := vals[11+typeXmlHook].(*XmlHook); !ok {
		t.Errorf("hook %#v", vals[11+typeXmlHook])
	}
}
