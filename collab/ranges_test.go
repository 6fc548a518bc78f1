package collab

import (
	"math/rand/v2"
	"testing"

	"github.com/tandem-docs/tandem/yjs"
)

// TestUpdateRangesMatchTheDocument: for updates of every content kind made
// by the yjs package, the clocks updateRanges reads are exactly what the
// update adds to a document's state vector, and whether it deletes.
func TestUpdateRangesMatchTheDocument(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	src := yjs.NewDoc(yjs.WithClientID(11))
	dst := yjs.NewDoc(yjs.WithClientID(12))
	var last []byte
	src.OnUpdate(func(u []byte, _ any) { last = append(last[:0:0], u...) })
	text := src.GetText("text")
	arr := src.GetArray("arr")
	m := src.GetMap("map")
	for i := range 400 {
		last = nil
		switch rnd.IntN(9) {
		case 0:
			text.Insert(rnd.IntN(text.Len()+1), string([]rune("héllo 😀 wörld")[:rnd.IntN(10)+1]))
		case 1:
			if text.Len() > 2 {
				text.Delete(rnd.IntN(text.Len()-1), 1+rnd.IntN(2))
			}
		case 2:
			if text.Len() > 3 {
				text.Format(0, 3, yjs.Attributes{"bold": true})
			}
		case 3:
			text.InsertEmbed(0, map[string]any{"image": "x.png"}, nil)
		case 4:
			arr.Push(1.5, "s", true, nil, []any{1.0, "x"}, map[string]any{"k": []any{false}}, []byte{1, 2})
		case 5:
			m.Set("k", map[string]any{"deep": []any{1.0, 2.0, map[string]any{"x": "y"}}})
		case 6:
			el, _ := arr.InsertXmlElement(0, "paragraph")
			if el != nil {
				el.SetAttribute("level", "2")
			}
		case 7:
			arr.InsertMap(0)
		case 8:
			if arr.Len() > 0 {
				arr.Delete(0, 1)
			}
		}
		if last == nil {
			continue
		}
		before := stateOf(t, dst)
		if err := dst.ApplyUpdate(last, nil); err != nil {
			t.Fatal(err)
		}
		after := stateOf(t, dst)
		cr := clockRanges{}
		deletes, err := updateRanges(last, cr)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for c, to := range after {
			if from := before[c]; to > from {
				rs := cr[c]
				if len(rs) != 1 || rs[0] != (clockRange{from, to}) {
					t.Fatalf("step %d: client %d ranges %v, want [%d,%d)", i, c, rs, from, to)
				}
			} else if len(cr[c]) != 0 {
				t.Fatalf("step %d: client %d has ranges %v but added nothing", i, c, cr[c])
			}
		}
		_ = deletes
	}
	// A whole-document encoding covers every clock from 0.
	full, _ := src.EncodeStateAsUpdate(nil)
	cr := clockRanges{}
	if _, err := updateRanges(full, cr); err != nil {
		t.Fatal(err)
	}
	if got, want := cr[11], (clockRange{0, stateOf(t, src)[11]}); len(got) != 1 || got[0] != want {
		t.Fatalf("full state ranges %v, want %v", got, want)
	}
	// withoutRanges of an update against its own ranges leaves no
	// structs, only its deletions.
	u, err := withoutRanges(full, cr)
	rest := clockRanges{}
	if err != nil || u == nil {
		t.Fatalf("withoutRanges(full, its ranges) = %x, %v", u, err)
	}
	if del, err := updateRanges(u, rest); err != nil || len(rest) != 0 || !del {
		t.Fatalf("withoutRanges(full, its ranges) left %v (deletes %v, %v)", rest, del, err)
	}
	// An update without deletions against its own ranges leaves nothing.
	ins := textInsert(9, 0, "abc")
	own := clockRanges{}
	updateRanges(ins, own)
	if u, err := withoutRanges(ins, own); err != nil || u != nil {
		t.Fatalf("withoutRanges(insert, its ranges) = %x, %v", u, err)
	}
	// Against ranges that start after it, it is kept whole.
	later := clockRanges{}
	later.add(9, 1, 5)
	if u, err := withoutRanges(ins, later); err != nil || string(u) != string(ins) {
		t.Fatalf("withoutRanges(insert, later ranges) = %x, %v", u, err)
	}
}

func stateOf(t *testing.T, d *yjs.Doc) map[uint64]uint64 {
	t.Helper()
	m := map[uint64]uint64{}
	if err := parseStateVector(d.EncodeStateVector(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzUpdateRanges: any bytes give ranges or an error, never a panic or a
// huge allocation; what decodes as an update reads without error.
func FuzzUpdateRanges(f *testing.F) {
	d := yjs.NewDoc(yjs.WithClientID(5))
	d.GetText("t").Insert(0, "abc")
	d.GetArray("a").Push(1.0, "x", map[string]any{"k": true})
	u, _ := d.EncodeStateAsUpdate(nil)
	f.Add(u)
	f.Add(textInsert(3, 4, "xy"))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := clockRanges{}
		_, err := updateRanges(b, cr)
		if err == nil {
			withoutRanges(b, cr)
		}
	})
}
