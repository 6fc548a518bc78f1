package yjs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// nearClockLimit returns a document whose own client (5) has room for
// only room more units of content: it already holds maxClock-room units
// (deleted content, a few bytes to load). It also has a formatted text, an
// array, a map and an XML fragment to edit.
func nearClockLimit(t *testing.T, room uint32) *Doc {
	t.Helper()
	src := NewDoc(WithClientID(6))
	text := src.GetText("text")
	_ = text.Insert(0, "hello world")
	_ = text.Format(0, 5, Attributes{"bold": true})
	_ = src.GetArray("array").Push("a")
	_ = src.GetMap("map").Set("k", "v")
	_, _ = src.GetXmlFragment("xml").InsertElement(0, "p")
	base, _ := src.EncodeStateAsUpdate(nil)
	big := craftUpdate(t, false, []block{
		inRoot(block{kind: blockItem, ref: contentDeleted, client: 5, length: uint64(maxClock - room)}, "other"),
	}, nil)
	d := NewDoc(WithClientID(77))
	if err := d.ApplyUpdate(base, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.ApplyUpdate(big, nil); err != nil {
		t.Fatal(err)
	}
	// Edit as client 5 from now on (white box: no API sets a client id
	// after creation).
	d.clientID = 5
	if got := d.stateOf(5); got != uint64(maxClock-room) {
		t.Fatalf("state %d", got)
	}
	return d
}

// TestClockLimit edits a document whose client has nearly used its 2^32
// clock: edits that do not fit fail with ErrTooLarge and change nothing;
// edits that fit succeed, up to the last unit.
func TestClockLimit(t *testing.T) {
	d := nearClockLimit(t, 9)
	text, arr, m, frag := d.GetText("text"), d.GetArray("array"), d.GetMap("map"), d.GetXmlFragment("xml")
	updates := 0
	d.OnUpdate(func([]byte, any) { updates++ })
	tooLarge := []struct {
		name string
		edit func() error
	}{
		{"insert", func() error { return text.Insert(3, "0123456789") }},
		{"insert with attributes", func() error { return text.InsertWithAttributes(3, "01234", Attributes{"a": 1, "b": 2, "c": 3}) }},
		{"embed with attributes", func() error {
			return text.InsertEmbed(2, map[string]any{"x": 1}, Attributes{"a": 1, "b": 2, "c": 3, "d": 4})
		}},
		{"format", func() error {
			return text.Format(0, 5, Attributes{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
		}},
		{"delta past the end", func() error { return text.ApplyDelta([]Delta{{Retain: 40}}) }},
		{"delta insert", func() error { return text.ApplyDelta([]Delta{{Retain: 2}, {Insert: "0123456789"}}) }},
		{"array insert", func() error { return arr.Insert(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }},
		{"array push", func() error { return arr.Push(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }},
	}
	before := docState(d)
	for _, c := range tooLarge {
		if err := c.edit(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: error %v, want ErrTooLarge", c.name, err)
		}
		if !bytes.Equal(docState(d), before) || updates != 0 {
			t.Fatalf("%s: a refused edit changed the document", c.name)
		}
	}
	// Edits that fit: 8 units, then 1, then nothing fits.
	if err := text.Insert(3, "01234567"); err != nil {
		t.Fatal(err)
	}
	if err := text.Insert(0, "ab"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if err := m.Set("last", true); err != nil {
		t.Fatal(err)
	}
	if got := d.stateOf(5); got != maxClock {
		t.Fatalf("state %d, want %d", got, uint64(maxClock))
	}
	before = docState(d)
	updates = 0
	for name, edit := range map[string]func() error{
		"map set":        func() error { return m.Set("k", 1) },
		"map set type":   func() error { _, err := m.SetText("t"); return err },
		"array type":     func() error { _, err := arr.InsertMap(0); return err },
		"xml element":    func() error { _, err := frag.InsertElement(0, "h1"); return err },
		"text attribute": func() error { return text.SetAttribute("lang", "en") },
		"insert":         func() error { return text.Insert(0, "x") },
	} {
		if err := edit(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: error %v, want ErrTooLarge", name, err)
		}
	}
	if !bytes.Equal(docState(d), before) || updates != 0 {
		t.Fatal("a refused edit changed the document")
	}
	// Deleting creates nothing and still works.
	if err := text.Delete(0, 2); err != nil {
		t.Fatal(err)
	}
	if err := checkInvariants(d); err != nil {
		t.Fatal(err)
	}
}

// TestTextLimit checks the text arena's limit without allocating 4 GiB.
func TestTextLimit(t *testing.T) {
	d := NewDoc()
	if err := d.checkRoom(1, maxClock); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if err := d.checkRoom(1, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := d.checkRoom(maxClock+1, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}

func TestRootKinds(t *testing.T) {
	d := NewDoc()
	if _, err := d.RootText("t"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RootMap("t"); !errors.Is(err, ErrTypeMismatch) {
		t.Fatalf("error %v, want ErrTypeMismatch", err)
	}
	if _, err := d.RootXmlFragment("t"); !errors.Is(err, ErrTypeMismatch) {
		t.Fatalf("error %v, want ErrTypeMismatch", err)
	}
	// A root created by a peer's update, of a kind nobody asked for yet,
	// takes the first kind asked for.
	src := NewDoc()
	_ = src.GetArray("a").Push(1)
	u, _ := src.EncodeStateAsUpdate(nil)
	if err := d.ApplyUpdate(u, nil); err != nil {
		t.Fatal(err)
	}
	a, err := d.RootArray("a")
	if err != nil || a.Len() != 1 {
		t.Fatalf("array %v, %v", a, err)
	}
	if _, err := d.RootText("a"); !errors.Is(err, ErrTypeMismatch) {
		t.Fatalf("error %v, want ErrTypeMismatch", err)
	}
	defer func() {
		p := recover()
		err, _ := p.(error)
		if !errors.Is(err, ErrTypeMismatch) {
			t.Fatalf("GetText panicked with %v, want ErrTypeMismatch", p)
		}
	}()
	d.GetText("a")
	t.Fatal("GetText on an array did not panic")
}

func TestTransactUpdate(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		d := NewDoc(WithClientID(3))
		text := d.GetText("text")
		_ = text.Insert(0, "hello")
		var fromHandler [][]byte
		if v2 {
			d.OnUpdateV2(func(u []byte, _ any) { fromHandler = append(fromHandler, u) })
		} else {
			d.OnUpdate(func(u []byte, _ any) { fromHandler = append(fromHandler, u) })
		}
		var origins []any
		text.Observe(func(e *Event) { origins = append(origins, e.Transaction.Origin) })
		transact := d.TransactUpdate
		if v2 {
			transact = d.TransactUpdateV2
		}
		u, err := transact(func(tx *Transaction) {
			_ = text.Insert(5, " world")
			_ = text.Delete(0, 1)
			_ = text.Format(0, 3, Attributes{"bold": true})
		}, "rest")
		if err != nil {
			t.Fatal(err)
		}
		if len(fromHandler) != 1 || !bytes.Equal(u, fromHandler[0]) {
			t.Fatalf("v2 %v: the update differs from the handler's", v2)
		}
		if len(origins) != 1 || origins[0] != "rest" {
			t.Fatalf("origins %v", origins)
		}
		// The update brings a copy of the document as it was before to the
		// same state.
		first := NewDoc(WithClientID(3))
		_ = first.GetText("text").Insert(0, "hello")
		s0, _ := first.EncodeStateAsUpdate(nil)
		cp := NewDoc()
		if err := cp.ApplyUpdate(s0, nil); err != nil {
			t.Fatal(err)
		}
		if v2 {
			err = cp.ApplyUpdateV2(u, nil)
		} else {
			err = cp.ApplyUpdate(u, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cp.GetText("text").ToDelta(), text.ToDelta(); canonJSON(got) != canonJSON(want) {
			t.Fatalf("copy has %v, want %v", got, want)
		}
		// Nothing changed: no update.
		if u, err := transact(func(*Transaction) {}, nil); u != nil || err != nil {
			t.Fatalf("empty transaction gave %x, %v", u, err)
		}
		// Inside a transaction or an observer there is no update of its own.
		d.Transact(func(*Transaction) {
			if _, err := transact(func(*Transaction) { _ = text.Insert(0, "x") }, nil); !errors.Is(err, ErrNestedTransaction) {
				t.Fatalf("nested: error %v", err)
			}
		}, nil)
		var inObserver error
		stop := text.Observe(func(*Event) {
			_, inObserver = transact(func(*Transaction) {}, nil)
		})
		_ = text.Insert(0, "y")
		stop()
		if !errors.Is(inObserver, ErrNestedTransaction) {
			t.Fatalf("in an observer: error %v", inObserver)
		}
		if strings.Contains(text.String(), "x") {
			t.Fatal("the nested call ran its function")
		}
	}
}
