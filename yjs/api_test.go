package yjs

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestTextAPI(t *testing.T) {
	d := NewDoc(WithClientID(1))
	txt := d.GetText("t")
	if err := txt.Insert(0, "Hello world"); err != nil {
		t.Fatal(err)
	}
	if err := txt.Format(0, 5, Attributes{"bold": true}); err != nil {
		t.Fatal(err)
	}
	if err := txt.InsertEmbed(5, map[string]any{"image": "a.png"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := txt.Delete(6, 6); err != nil {
		t.Fatal(err)
	}
	if got := txt.String(); got != "Hello" {
		t.Fatalf("text %q", got)
	}
	want := []Delta{
		{Insert: "Hello", Attributes: map[string]any{"bold": true}},
		{Insert: map[string]any{"image": "a.png"}},
	}
	if got := txt.ToDelta(); !reflect.DeepEqual(got, want) {
		t.Fatalf("delta %#v", got)
	}
	if txt.Len() != 6 {
		t.Fatalf("len %d", txt.Len())
	}
	for _, err := range []error{txt.Insert(7, "x"), txt.Delete(3, 10), txt.Format(-1, 2, nil), txt.Insert(-1, "x")} {
		if !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("out of range: %v", err)
		}
	}
	// UTF-16 positions: the emoji counts two.
	_ = txt.Insert(0, "😀")
	if txt.Len() != 8 {
		t.Fatalf("len with emoji %d", txt.Len())
	}
	_ = txt.Delete(0, 2)
	if txt.String() != "Hello" {
		t.Fatal(txt.String())
	}
	_ = txt.SetAttribute("lang", "en")
	if v, ok := txt.Attribute("lang"); !ok || v != "en" {
		t.Fatal("attribute")
	}
}

func TestMapArrayAPI(t *testing.T) {
	d := NewDoc(WithClientID(1))
	m := d.GetMap("m")
	_ = m.Set("n", 1)
	_ = m.Set("s", "x")
	_ = m.Set("o", map[string]any{"a": []any{1, true}})
	_ = m.Set("b", []byte{9})
	sub, err := m.SetArray("list")
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.Push("a", "b")
	_ = sub.Insert(1, 2.5)
	nested := sub.Values()
	if !reflect.DeepEqual(nested, []any{"a", 2.5, "b"}) {
		t.Fatalf("array %v", nested)
	}
	if v, _ := sub.Get(1); v != 2.5 {
		t.Fatal(v)
	}
	_ = sub.Delete(0, 1)
	if sub.Len() != 2 {
		t.Fatal(sub.Len())
	}
	if !reflect.DeepEqual(m.Keys(), []string{"b", "list", "n", "o", "s"}) {
		t.Fatal(m.Keys())
	}
	m.Delete("s")
	if m.Has("s") || m.Len() != 4 {
		t.Fatal("delete")
	}
	got := d.ToJSON()["m"]
	want := map[string]any{"n": 1.0, "o": map[string]any{"a": []any{1.0, true}}, "b": []byte{9}, "list": []any{2.5, "b"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("json %#v", got)
	}
	if err := m.Set("bad", make(chan int)); err == nil {
		t.Fatal("a channel was stored")
	}
	if err := m.Set("big", int64(1)<<60); err == nil {
		t.Fatal("an inexact integer was stored")
	}
	if err := sub.Insert(5, 1); !errors.Is(err, ErrIndexOutOfRange) {
		t.Fatal(err)
	}
	m.Clear()
	if m.Len() != 0 {
		t.Fatal("clear")
	}
}

func TestXmlAPI(t *testing.T) {
	d := NewDoc(WithClientID(1))
	f := d.GetXmlFragment("pm")
	p, _ := f.InsertElement(0, "paragraph")
	_ = p.SetAttribute("align", "left")
	x, _ := p.InsertText(0)
	_ = x.Insert(0, "hi")
	_ = x.Format(0, 2, Attributes{"strong": map[string]any{}})
	if got := f.String(); got != `<paragraph align="left"><strong>hi</strong></paragraph>` {
		t.Fatal(got)
	}
	if p.Name() != "paragraph" || p.Len() != 1 {
		t.Fatal("element")
	}
	if c, _ := f.Get(0); c.(*XmlElement) != p {
		t.Fatal("child")
	}
}

func TestObservers(t *testing.T) {
	d := NewDoc(WithClientID(1))
	m := d.GetMap("m")
	txt, err := m.SetText("t")
	if err != nil {
		t.Fatal(err)
	}
	var keys []map[string]KeyChange
	var deltas [][]Delta
	var deep [][]any
	unobs := m.Observe(func(e *Event) { keys = append(keys, e.Keys()) })
	txt.Observe(func(e *Event) { deltas = append(deltas, e.Delta()) })
	m.ObserveDeep(func(evs []*Event) {
		for _, e := range evs {
			deep = append(deep, e.Path())
		}
	})
	_ = txt.Insert(0, "ab")
	_ = m.Set("k", 1)
	_ = m.Set("k", 2)
	d.Transact(func(*Transaction) {
		_ = txt.Delete(0, 1)
		m.Delete("k")
	}, "me")
	unobs()
	_ = m.Set("z", 0)
	wantKeys := []map[string]KeyChange{
		{"k": {"add", nil}},
		{"k": {"update", 1.0}},
		{"k": {"delete", 2.0}},
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys %v", keys)
	}
	wantDeltas := [][]Delta{{{Insert: "ab"}}, {{Delete: 1}}}
	if !reflect.DeepEqual(deltas, wantDeltas) {
		t.Errorf("deltas %v", deltas)
	}
	if len(deep) != 6 {
		t.Errorf("deep events %v", deep)
	}
}

func TestOnUpdateAndOrigins(t *testing.T) {
	a := NewDoc(WithClientID(1))
	b := NewDoc(WithClientID(2))
	var origins []any
	a.OnUpdate(func(u []byte, origin any) {
		origins = append(origins, origin)
		if err := b.ApplyUpdate(u, "a"); err != nil {
			t.Fatal(err)
		}
	})
	var v2s int
	unsub := a.OnUpdateV2(func(u []byte, origin any) { v2s++ })
	a.Transact(func(*Transaction) { _ = a.GetText("t").Insert(0, "x") }, "origin-1")
	unsub()
	_ = a.GetText("t").Insert(1, "y")
	if b.GetText("t").String() != "xy" || len(origins) != 2 || origins[0] != "origin-1" || v2s != 1 {
		t.Fatalf("%q %v %d", b.GetText("t").String(), origins, v2s)
	}
	// A transaction that changes nothing emits nothing.
	a.Transact(func(*Transaction) {}, nil)
	if len(origins) != 2 {
		t.Fatal("empty transaction emitted an update")
	}
}

func TestPendingUpdates(t *testing.T) {
	a := NewDoc(WithClientID(1))
	var updates [][]byte
	a.OnUpdate(func(u []byte, _ any) { updates = append(updates, u) })
	txt := a.GetText("t")
	for _, s := range []string{"a", "b", "c"} {
		_ = txt.Insert(txt.Len(), s)
	}
	_ = txt.Delete(0, 1)
	b := NewDoc(WithClientID(2))
	// Deliver backwards: everything waits until the first arrives.
	for i := len(updates) - 1; i >= 0; i-- {
		if err := b.ApplyUpdate(updates[i], nil); err != nil {
			t.Fatal(err)
		}
		if i > 0 && b.GetText("t").String() != "" {
			t.Fatalf("applied before its dependencies: %q", b.GetText("t").String())
		}
	}
	if b.GetText("t").String() != "bc" {
		t.Fatalf("got %q", b.GetText("t").String())
	}
	sa, _ := a.EncodeStateAsUpdate(nil)
	sb, _ := b.EncodeStateAsUpdate(nil)
	if !bytes.Equal(sa, sb) {
		t.Fatal("states differ")
	}
}

func TestGCOff(t *testing.T) {
	d := NewDoc(WithClientID(1), WithGC(false))
	txt := d.GetText("t")
	_ = txt.Insert(0, "hello")
	snap := d.Snapshot()
	_ = txt.Delete(0, 5)
	_ = txt.Insert(0, "bye")
	if got := txt.StringAt(snap); got != "hello" {
		t.Fatalf("at snapshot: %q", got)
	}
	old, err := d.DocFromSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	if old.GetText("t").String() != "hello" {
		t.Fatal(old.GetText("t").String())
	}
	back, err := DecodeSnapshot(EncodeSnapshot(snap))
	if err != nil || !back.Equal(snap) {
		t.Fatal("snapshot round trip")
	}
	gcDoc := NewDoc()
	if _, err := gcDoc.DocFromSnapshot(gcDoc.Snapshot()); err == nil {
		t.Fatal("snapshot of a gc document allowed")
	}
}

func TestRelativePositions(t *testing.T) {
	d := NewDoc(WithClientID(1))
	txt := d.GetText("t")
	_ = txt.Insert(0, "abcdef")
	rp, err := RelativePositionFromIndex(txt, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = txt.Insert(0, "xx")
	_ = txt.Delete(5, 1)
	back, err := DecodeRelativePosition(rp.Encode())
	if err != nil {
		t.Fatal(err)
	}
	abs := d.ResolveRelativePosition(back)
	if abs == nil || abs.Index != 5 || abs.Type.(*Text) != txt {
		t.Fatalf("%+v", abs)
	}
	end, _ := RelativePositionFromIndex(txt, txt.Len(), 0)
	_ = txt.Insert(txt.Len(), "!")
	if abs := d.ResolveRelativePosition(end); abs.Index != txt.Len() {
		t.Fatalf("end: %d vs %d", abs.Index, txt.Len())
	}
}

// TestPanickingObserver checks that a panicking observer neither loses the
// transaction's update nor wedges the document.
func TestPanickingObserver(t *testing.T) {
	d := NewDoc(WithClientID(1))
	txt := d.GetText("t")
	var updates int
	d.OnUpdate(func([]byte, any) { updates++ })
	unobs := txt.Observe(func(*Event) { panic("observer failed") })
	func() {
		defer func() {
			if r := recover(); r != "observer failed" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = txt.Insert(0, "a")
	}()
	unobs()
	_ = txt.Insert(1, "b")
	if txt.String() != "ab" || updates != 2 {
		t.Fatalf("%q after %d updates", txt.String(), updates)
	}
	if err := checkInvariants(d); err != nil {
		t.Fatal(err)
	}
}

// TestRandomAPICalls calls the editing methods with random, often invalid
// arguments: they must return errors, never panic, and keep the document
// consistent.
func TestRandomAPICalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < 200; round++ {
		d := NewDoc(WithClientID(uint64(round + 1)))
		txt := d.GetText("t")
		arr := d.GetArray("a")
		frag := d.GetXmlFragment("x")
		m := d.GetMap("m")
		n := func() int { return rng.IntN(40) - 5 }
		for i := 0; i < 60; i++ {
			switch rng.IntN(10) {
			case 0:
				_ = txt.Insert(n(), "ab😀")
			case 1:
				_ = txt.Delete(n(), n())
			case 2:
				_ = txt.Format(n(), n(), Attributes{"b": rng.IntN(2) == 0})
			case 3:
				_ = txt.InsertWithAttributes(n(), "x", Attributes{"i": true})
			case 4:
				_ = txt.InsertEmbed(n(), map[string]any{"img": 1}, nil)
			case 5:
				_ = arr.Insert(n(), 1, "two", nil)
			case 6:
				_ = arr.Delete(n(), n())
			case 7:
				if e, err := frag.InsertElement(n(), "p"); err == nil {
					_ = e.SetAttribute("k", "v")
				}
			case 8:
				_ = frag.Delete(n(), n())
			default:
				_ = m.Set(fmt.Sprint(rng.IntN(3)), rng.IntN(100))
				m.Delete(fmt.Sprint(rng.IntN(3)))
			}
		}
		if err := checkInvariants(d); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		u, err := d.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		d2 := NewDoc()
		if err := d2.ApplyUpdate(u, nil); err != nil || d2.GetText("t").String() != txt.String() {
			t.Fatalf("round %d: reload differs (%v)", round, err)
		}
	}
}
