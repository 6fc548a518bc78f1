package yjs

import (
	"fmt"
	"strings"
	"testing"
)

// checkInvariants verifies the internal consistency of a document: the
// struct store is contiguous and sorted, every list's links agree, type
// lengths match their items, map entries are the last items of their
// chains, and position indexes agree with the lists.
func checkInvariants(d *Doc) error {
	for c := range d.structs {
		structs := &d.structs[c]
		var next uint32
		for i := 0; i < structs.len(); i++ {
			e := structs.at(i)
			it := d.items.at(e.r)
			if it.clock != e.clock || it.clock != next || it.length == 0 {
				return fmt.Errorf("client %d struct %d: clock %d (entry %d), expected %d, length %d", c, i, it.clock, e.clock, next, it.length)
			}
			if it.client() != uint32(c) {
				return fmt.Errorf("client %d struct %d has client %d", c, i, it.client())
			}
			next = it.clock + it.length
		}
	}
	for _, t := range d.types {
		if t == nil || t.dead {
			continue
		}
		length := 0
		var prev ref
		for n := t.start; n != 0; {
			it := d.items.at(n)
			if it.left != prev {
				return fmt.Errorf("type %d: item %d has left %d, expected %d", t.num, n, it.left, prev)
			}
			if d.types[it.parent] != t || it.hasSub() {
				return fmt.Errorf("type %d: list item %d has parent %d sub %v", t.num, n, it.parent, it.hasSub())
			}
			length += int(it.visible())
			prev = n
			n = it.right
		}
		if length != t.length {
			return fmt.Errorf("type %d: length %d, items say %d", t.num, t.length, length)
		}
		for k, r := range t.entries {
			it := d.items.at(r)
			if it.right != 0 || !it.hasSub() || d.keys[it.data2] != k || d.types[it.parent] != t {
				return fmt.Errorf("type %d: entry %q is not the last item of its chain", t.num, k)
			}
		}
		if t.index != nil {
			if err := checkIndex(d, t); err != nil {
				return fmt.Errorf("type %d index: %v", t.num, err)
			}
		}
	}
	if d.text.garbage < 0 || d.text.garbage > len(d.text.buf) {
		return fmt.Errorf("text garbage %d of %d", d.text.garbage, len(d.text.buf))
	}
	return nil
}

func checkIndex(d *Doc, t *ytype) error {
	var items []ref
	var walk func(n *pnode) (int, error)
	walk = func(n *pnode) (int, error) {
		sum := 0
		if n.leaf {
			for _, r := range n.items {
				if d.leafOf(r) != n {
					return 0, fmt.Errorf("item %d: wrong leaf", r)
				}
				items = append(items, r)
				sum += int(d.items.at(r).visible())
			}
		} else {
			for _, k := range n.kids {
				if k.parent != n {
					return 0, fmt.Errorf("wrong parent")
				}
				s, err := walk(k)
				if err != nil {
					return 0, err
				}
				sum += s
			}
		}
		if sum != n.sum {
			return 0, fmt.Errorf("node sum %d, items say %d", n.sum, sum)
		}
		return sum, nil
	}
	if _, err := walk(t.index.root); err != nil {
		return err
	}
	i := 0
	for n := t.start; n != 0; n = d.items.at(n).right {
		if i >= len(items) || items[i] != n {
			return fmt.Errorf("index order differs from the list at %d", i)
		}
		i++
	}
	if i != len(items) {
		return fmt.Errorf("index holds %d items, list %d", len(items), i)
	}
	for pos := 0; pos < t.length; pos++ {
		a, ao := t.index.find(d, pos)
		b, bo := t.scanFind(pos)
		if a != b || ao != bo {
			return fmt.Errorf("position %d: index says %d+%d, list %d+%d", pos, a, ao, b, bo)
		}
	}
	if t.hasFormatting {
		// The attributes after every item agree with a walk from the start.
		var walk attrMap
		for n := t.start; n != 0; n = d.items.at(n).right {
			it := d.items.at(n)
			if it.kind() == contentFormat && !it.deleted() {
				updateAttrs(&walk, d.vals[it.data].(*formatValue))
			}
			// The same keys in the same order (yjs's Map order) with the
			// same values.
			got := t.index.attrsThrough(d, n)
			if fmt.Sprint(got.keys) != fmt.Sprint(walk.keys) {
				return fmt.Errorf("attributes after item %d: %v, walk %v", n, got.keys, walk.keys)
			}
			for i, k := range walk.keys {
				if !identical(got.vals[i], walk.vals[i]) {
					return fmt.Errorf("attribute %q after item %d differs", k, n)
				}
			}
		}
	}
	return nil
}

// TestInvariantsDuringSessions runs random sessions checking every
// document's invariants after every step.
func TestInvariantsDuringSessions(t *testing.T) {
	defer func() { debugStep = nil }()
	var failure error
	debugStep = func(g *gen, st step) {
		for i, d := range g.run.docs {
			if err := checkInvariants(d); err != nil && failure == nil {
				failure = fmt.Errorf("peer %d after %v: %v", i, st, err)
			}
		}
	}
	n := 600
	if testing.Short() {
		n = 50
	}
	for seed := uint64(0); seed < uint64(n); seed++ {
		if _, err := genScript(seed); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if failure != nil {
			t.Fatalf("seed %d: %v", seed, failure)
		}
	}
}

// TestTextCompaction deletes most of a long text so that the text arena
// is compacted, and checks content and encoding before and after.
func TestTextCompaction(t *testing.T) {
	d := NewDoc(WithClientID(1))
	txt := d.GetText("t")
	for i := 0; i < 400; i++ {
		_ = txt.Insert(txt.Len(), strings.Repeat(string(rune('a'+i%26)), 500))
	}
	full := txt.String()
	capBefore := len(d.text.buf)
	for i := 0; i < 300; i++ {
		_ = txt.Delete(100, 500)
	}
	if len(d.text.buf) >= capBefore {
		t.Fatalf("arena not compacted: %d bytes, was %d", len(d.text.buf), capBefore)
	}
	want := full[:100] + full[100+300*500:]
	if txt.String() != want {
		t.Fatal("content changed by compaction")
	}
	if err := checkInvariants(d); err != nil {
		t.Fatal(err)
	}
	u, _ := d.EncodeStateAsUpdate(nil)
	d2 := NewDoc()
	if err := d2.ApplyUpdate(u, nil); err != nil || d2.GetText("t").String() != want {
		t.Fatal("reload differs")
	}
}
