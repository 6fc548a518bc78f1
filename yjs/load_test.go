package yjs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The fast path for loading into an empty document (loadFresh) must build
// exactly the document the general path builds: the same content, structs,
// events and updates, the same errors, and no change on failure. These
// tests load the same updates both ways and compare everything observable.

// loadRecord is what can be observed of loading one update into a new
// document.
type loadRecord struct {
	err     error
	state   []byte
	json    string
	deltas  map[string]string
	structs string
	events  []eventRecord
	updates [][]byte
	// after is the state once more updates were applied on top.
	after []byte
}

// loadOptions says how to set up the document an update is loaded into.
type loadOptions struct {
	general bool // take the general path
	gc      bool
	create  bool // create the roots before loading
	observe bool // create the roots and observe them before loading
	roots   [][2]string
	// then are updates (v1) applied after the load.
	then [][]byte
}

func loadRecorded(t testing.TB, u []byte, v2 bool, o loadOptions) loadRecord {
	d := NewDoc(WithClientID(999999), WithGC(o.gc))
	d.generalLoad = o.general
	var rec loadRecord
	if o.create || o.observe {
		for _, root := range o.roots {
			name := root[1]
			t := rootByKind(d, root[0], name)
			if o.observe {
				t.observeDeep(func(evs []*Event) {
					for _, e := range evs {
						rec.events = append(rec.events, describeEventAny(name, e))
					}
				})
			}
		}
	}
	d.OnUpdate(func(u []byte, _ any) { rec.updates = append(rec.updates, u) })
	d.OnUpdateV2(func(u []byte, _ any) { rec.updates = append(rec.updates, u) })
	if v2 {
		rec.err = d.ApplyUpdateV2(u, nil)
	} else {
		rec.err = d.ApplyUpdate(u, nil)
	}
	if err := checkInvariants(d); err != nil {
		t.Fatalf("invariants after loading (general %v): %v", o.general, err)
	}
	rec.state = docState(d)
	rec.structs = structLayout(d)
	if rec.err == nil {
		rec.json, rec.deltas = describeAny(d, o.roots)
	}
	for _, next := range o.then {
		if err := d.ApplyUpdate(next, nil); err != nil {
			t.Fatalf("applying an update after the load: %v", err)
		}
	}
	if len(o.then) > 0 {
		rec.after = docState(d)
		if err := checkInvariants(d); err != nil {
			t.Fatalf("invariants after more updates (general %v): %v", o.general, err)
		}
	}
	return rec
}

// describeAny is describeDoc for any content: values the canonical
// rendering does not know (bigints from fuzzed input) give their Go
// rendering instead.
func describeAny(d *Doc, roots [][2]string) (js string, deltas map[string]string) {
	defer func() {
		if p := recover(); p != nil {
			js, deltas = fmt.Sprintf("not canonical (%v): %v", p, plainValue(d.ToJSON())), nil
		}
	}()
	return describeDoc(d, roots)
}

// describeEventAny is describeEvent for any content (see describeAny).
func describeEventAny(root string, e *Event) (r eventRecord) {
	defer func() {
		if p := recover(); p != nil {
			var ops []string
			for _, op := range e.Delta() {
				ops = append(ops, fmt.Sprint(plainValue(op.Insert), op.Retain, op.Delete, plainValue(op.Attributes)))
			}
			keys := map[string]string{}
			for k, c := range e.Keys() {
				keys[k] = fmt.Sprint(c.Action, plainValue(c.OldValue))
			}
			r = eventRecord{Delta: fmt.Sprintf("not canonical (%v): %v %v", p, ops, keys)}
		}
	}()
	return describeEvent(root, e)
}

// plainValue renders shared types by their content, so that values print
// the same in two documents.
func plainValue(v any) any {
	if t := typeOf(v); t != nil {
		return fmt.Sprintf("%s(%v)", kindName(t.kind), plainValue(t.toJSON()))
	}
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = plainValue(x)
		}
		return out
	}
	return v
}

// structLayout lists every client's structs: clock, length, kind and
// whether deleted, clients by id.
func structLayout(d *Doc) string {
	cs := make([]int, 0, len(d.structs))
	for c := range d.structs {
		if d.structs[c].len() > 0 {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b int) int {
		switch {
		case d.clients[a] < d.clients[b]:
			return -1
		case d.clients[a] > d.clients[b]:
			return 1
		}
		return 0
	})
	var sb strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&sb, "client %d:", d.clients[c])
		for i := 0; i < d.structs[c].len(); i++ {
			it := d.items.at(d.structs[c].at(i).r)
			fmt.Fprintf(&sb, " %d+%d/%d", it.clock, it.length, it.kind())
			if it.deleted() {
				sb.WriteString("d")
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// compareLoads loads u both ways and fails on any difference. It reports
// whether the load succeeded.
func compareLoads(t testing.TB, name string, u []byte, v2 bool, o loadOptions) bool {
	t.Helper()
	o.general = false
	fast := loadRecorded(t, u, v2, o)
	o.general = true
	general := loadRecorded(t, u, v2, o)
	if (fast.err == nil) != (general.err == nil) {
		t.Fatalf("%s: fast path error %v, general path error %v", name, fast.err, general.err)
	}
	if !bytes.Equal(fast.state, general.state) {
		t.Fatalf("%s: states differ", name)
	}
	if fast.structs != general.structs {
		t.Fatalf("%s: structs differ:\nfast:\n%s\ngeneral:\n%s", name, fast.structs, general.structs)
	}
	if fast.json != general.json || fmt.Sprint(fast.deltas) != fmt.Sprint(general.deltas) {
		t.Fatalf("%s: content differs:\nfast    %s\ngeneral %s", name, fast.json, general.json)
	}
	if fmt.Sprint(fast.events) != fmt.Sprint(general.events) {
		t.Fatalf("%s: events differ:\nfast    %v\ngeneral %v", name, fast.events, general.events)
	}
	if len(fast.updates) != len(general.updates) {
		t.Fatalf("%s: %d updates emitted, general path %d", name, len(fast.updates), len(general.updates))
	}
	for i := range fast.updates {
		if !bytes.Equal(fast.updates[i], general.updates[i]) {
			t.Fatalf("%s: emitted update %d differs", name, i)
		}
	}
	if !bytes.Equal(fast.after, general.after) {
		t.Fatalf("%s: states after further updates differ", name)
	}
	return fast.err == nil
}

// loadCandidates returns updates to load into empty documents from a run
// of a script: every peer's state, all updates merged (many clients,
// structs not merged, origins inside them), and single updates.
func loadCandidates(t testing.TB, r *goRun) (names []string, v1s, v2s [][]byte) {
	add := func(name string, a, b []byte) {
		names = append(names, name)
		v1s = append(v1s, a)
		v2s = append(v2s, b)
	}
	for p, d := range r.docs {
		a, err1 := d.EncodeStateAsUpdate(nil)
		b, err2 := d.EncodeStateAsUpdateV2(nil)
		if err1 == nil && err2 == nil {
			add(fmt.Sprintf("state of peer %d", p), a, b)
		}
	}
	if len(r.updates) > 0 {
		a, err1 := MergeUpdates(r.updates)
		b, err2 := MergeUpdatesV2(r.updatesV2)
		if err1 != nil || err2 != nil {
			t.Fatalf("merging: %v %v", err1, err2)
		}
		add("all updates merged", a, b)
		// A state with collected structs merged with updates that refer
		// into them: items whose origins are GC structs.
		for p, d := range r.docs {
			sa, err1 := d.EncodeStateAsUpdate(nil)
			sb, err2 := d.EncodeStateAsUpdateV2(nil)
			if err1 != nil || err2 != nil {
				continue
			}
			a, err1 := MergeUpdates(append([][]byte{sa}, r.updates...))
			b, err2 := MergeUpdatesV2(append([][]byte{sb}, r.updatesV2...))
			if err1 != nil || err2 != nil {
				t.Fatalf("merging: %v %v", err1, err2)
			}
			add(fmt.Sprintf("state of peer %d and all updates merged", p), a, b)
		}
		for k := 0; k < len(r.updates) && k < 3; k++ {
			add(fmt.Sprintf("update %d", k), r.updates[k], r.updatesV2[k])
		}
	}
	return
}

// TestFreshLoadMatchesGeneral loads the states and updates of random
// sessions into empty documents by both paths.
func TestFreshLoadMatchesGeneral(t *testing.T) {
	n := *flagSeeds / 10 // -yjs.seeds runs longer
	if testing.Short() {
		n = min(n, 50)
	}
	loaded := 0
	for seed := 0; seed < n; seed++ {
		s, err := genScript(uint64(*flagSeed0 + seed))
		if err != nil {
			t.Fatal(err)
		}
		r := newGoRun(s)
		for _, st := range s.Steps {
			if err := r.step(st); err != nil {
				t.Fatal(err)
			}
		}
		names, v1s, v2s := loadCandidates(t, r)
		for i := range names {
			o := loadOptions{gc: (seed+i)%3 != 0, create: (seed+i)%4 == 1, observe: (seed+i)%2 == 0, roots: s.Roots, then: r.updates}
			name := fmt.Sprintf("seed %d, %s", seed, names[i])
			if compareLoads(t, name+" (v1)", v1s[i], false, o) {
				loaded++
			}
			compareLoads(t, name+" (v2)", v2s[i], true, o)
		}
	}
	if loaded == 0 {
		t.Fatal("nothing loaded")
	}
}

// TestFreshLoadLargeSessions compares the paths on long concurrent
// sessions: thousands of structs per client (the clock buckets), items
// that conflict, formatting, maps and arrays, gc on and off.
func TestFreshLoadLargeSessions(t *testing.T) {
	seeds := 2 + *flagSeeds/1000 // -yjs.seeds runs longer
	if testing.Short() {
		seeds = 1
	}
	for seed := 0; seed < seeds; seed++ {
		r := largeSession(uint64(*flagSeed0+seed), 3+seed%2, 1000)
		names, v1s, v2s := loadCandidates(t, r)
		roots := [][2]string{{"text", "text"}, {"array", "array"}, {"map", "map"}}
		for i := range names {
			o := loadOptions{gc: seed%2 == 0, observe: true, roots: roots}
			name := fmt.Sprintf("large seed %d, %s", seed, names[i])
			compareLoads(t, name+" (v1)", v1s[i], false, o)
			compareLoads(t, name+" (v2)", v2s[i], true, o)
		}
		// The fast path must have taken the peers' states.
		d := NewDoc()
		if err := d.loadFresh(v2s[0], true, nil); err != nil {
			t.Fatalf("large seed %d: a state took the general path: %v", seed, err)
		}
	}
}

// largeSession runs peers that edit a text, an array and a map at random
// and exchange their updates now and then, so that many edits are
// concurrent.
func largeSession(seed uint64, peers, edits int) *goRun {
	rng := rand.New(rand.NewPCG(seed, 77))
	r := &goRun{current: -1}
	inbox := make([][]int, peers)
	for p := 0; p < peers; p++ {
		d := NewDoc(WithClientID(uint64(100+rng.IntN(50)*peers+p)), WithGC(rng.IntN(2) == 0))
		p := p
		d.OnUpdate(func(u []byte, _ any) {
			if r.current == p {
				r.updates = append(r.updates, u)
				for q := range inbox {
					if q != p {
						inbox[q] = append(inbox[q], len(r.updates)-1)
					}
				}
			}
		})
		d.OnUpdateV2(func(u []byte, _ any) {
			if r.current == p {
				r.updatesV2 = append(r.updatesV2, u)
			}
		})
		r.docs = append(r.docs, d)
	}
	words := []string{"a", "bc", "def", "ghij", "\n", "ü", "😀", "klmnopq"}
	for i := 0; i < edits; i++ {
		p := rng.IntN(peers)
		d := r.docs[p]
		if rng.IntN(20) == 0 && len(inbox[p]) > 0 {
			// Deliver what p has not seen, in random order.
			rng.Shuffle(len(inbox[p]), func(a, b int) { inbox[p][a], inbox[p][b] = inbox[p][b], inbox[p][a] })
			r.current = -1
			for _, k := range inbox[p] {
				_ = d.ApplyUpdate(r.updates[k], nil)
			}
			inbox[p] = inbox[p][:0]
			continue
		}
		r.current = p
		text := d.GetText("text")
		switch k := rng.IntN(10); {
		case k < 5:
			// Typing runs make items whose origin is the previous one.
			pos := rng.IntN(text.Len() + 1)
			for j := rng.IntN(4); j >= 0; j-- {
				w := words[rng.IntN(len(words))]
				_ = text.Insert(pos, w)
				pos += len([]rune(w)) + strings.Count(w, "😀")
			}
		case k < 7 && text.Len() > 0:
			pos := rng.IntN(text.Len())
			_ = text.Delete(pos, 1+rng.IntN(min(text.Len()-pos, 8)))
		case k == 7 && text.Len() > 0:
			pos := rng.IntN(text.Len())
			_ = text.Format(pos, 1+rng.IntN(min(text.Len()-pos, 10)), Attributes{"bold": rng.IntN(2) == 0})
		case k == 8:
			a := d.GetArray("array")
			_ = a.Insert(rng.IntN(a.Len()+1), []any{float64(i), "x"})
			if a.Len() > 3 && rng.IntN(3) == 0 {
				_ = a.Delete(rng.IntN(a.Len()-1), 1)
			}
		default:
			_ = d.GetMap("map").Set(fmt.Sprint("k", rng.IntN(20)), float64(i))
		}
	}
	r.current = -1
	return r
}

// TestFailedFreshLoadLeavesDocUnchanged loads truncated and corrupted
// states into empty documents (with roots and observers): a failure
// changes nothing, and the document then loads the whole state as if
// nothing had happened.
func TestFailedFreshLoadLeavesDocUnchanged(t *testing.T) {
	v1s, v2s := seedUpdates(t)
	// Whole states of small sessions, and of a long one.
	var states1, states2 [][]byte
	for i := 0; i < len(v1s); i += 9 {
		states1, states2 = append(states1, v1s[i]), append(states2, v2s[i])
	}
	r := largeSession(1, 3, 400)
	for _, d := range r.docs[:2] {
		a, _ := d.EncodeStateAsUpdate(nil)
		b, _ := d.EncodeStateAsUpdateV2(nil)
		states1, states2 = append(states1, a), append(states2, b)
	}
	roots := [][2]string{{"text", "text"}, {"map", "map"}, {"array", "array"}, {"xmlfragment", "xml"}}
	for i := range states1 {
		for _, v2 := range []bool{false, true} {
			u := states1[i]
			if v2 {
				u = states2[i]
			}
			d := NewDoc(WithClientID(999999))
			for _, root := range roots {
				rootByKind(d, root[0], root[1])
			}
			// Loading into a document set up the same way (no observers:
			// computing a text event's delta cleans up formatting).
			clean := loadRecorded(t, u, v2, loadOptions{gc: true, create: true, roots: roots})
			if clean.err != nil {
				t.Fatal(clean.err)
			}
			empty := docState(d)
			nTypes, nRoots := len(d.types), len(d.shareOrder)
			failures := 0
			try := func(bad []byte) {
				var err error
				if v2 {
					err = d.ApplyUpdateV2(bad, nil)
				} else {
					err = d.ApplyUpdate(bad, nil)
				}
				if err == nil {
					// It took: start again from an empty document.
					d = NewDoc(WithClientID(999999))
					for _, root := range roots {
						rootByKind(d, root[0], root[1])
					}
					return
				}
				failures++
				if got := docState(d); !bytes.Equal(got, empty) || len(d.types) != nTypes || len(d.shareOrder) != nRoots || !d.fresh() {
					t.Fatalf("a failed load (%v) changed the document", err)
				}
			}
			for n := 0; n < len(u); n += 1 + n/64 {
				try(u[:n])
			}
			for k := 0; k < len(u); k += 1 + k/64 {
				bad := append([]byte(nil), u...)
				bad[k] ^= 0x5a
				try(bad)
			}
			if failures == 0 {
				t.Fatal("no load failed; the test tested nothing")
			}
			// After the failures, the whole state loads as into a new
			// document.
			var err error
			if v2 {
				err = d.ApplyUpdateV2(u, nil)
			} else {
				err = d.ApplyUpdate(u, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := docState(d); !bytes.Equal(got, clean.state) {
				t.Fatal("loading after failed loads gives another document")
			}
			if js, _ := describeDoc(d, roots); js != clean.json {
				t.Fatal("loading after failed loads gives other content")
			}
		}
	}
}

func fuzzFreshLoad(t *testing.T, data []byte, v2 bool) {
	o := loadOptions{gc: len(data)%2 == 0, observe: true, roots: rootSet}
	ok := compareLoads(t, "fuzz input", data, v2, o)
	if ok {
		return
	}
	// The failed load left an empty document that loads a real state.
	v1s, v2s := seedUpdates(t)
	u := v1s[len(v1s)-1]
	if v2 {
		u = v2s[len(v2s)-1]
	}
	d := NewDoc(WithClientID(999999))
	if v2 {
		_ = d.ApplyUpdateV2(data, nil)
		if err := d.ApplyUpdateV2(u, nil); err != nil {
			t.Fatal(err)
		}
	} else {
		_ = d.ApplyUpdate(data, nil)
		if err := d.ApplyUpdate(u, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := NewDoc(WithClientID(999999))
	if v2 {
		_ = want.ApplyUpdateV2(u, nil)
	} else {
		_ = want.ApplyUpdate(u, nil)
	}
	if !bytes.Equal(docState(d), docState(want)) {
		t.Fatal("a document whose load failed loads another state differently")
	}
}

// FuzzFreshLoad loads arbitrary v1 bytes into empty documents by both
// paths.
func FuzzFreshLoad(f *testing.F) {
	v1, _ := seedUpdates(f)
	for _, u := range v1 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFreshLoad(t, data, false) })
}

// FuzzFreshLoadV2 is FuzzFreshLoad for v2.
func FuzzFreshLoadV2(f *testing.F) {
	_, v2 := seedUpdates(f)
	for _, u := range v2 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzFreshLoad(t, data, true) })
}

// craftUpdate encodes blocks as an update, a section per run of blocks of
// one client, in the order given.
func craftUpdate(t testing.TB, v2 bool, blocks []block, ds *deleteSet) []byte {
	w := &lazyWriter{enc: newEncoder(v2)}
	for i := range blocks {
		w.write(&blocks[i], 0)
	}
	w.finish()
	if ds == nil {
		ds = &deleteSet{}
	}
	ds.write(w.enc)
	u, err := w.enc.bytes()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func strBlock(client, clock uint64, s string) block {
	return block{kind: blockItem, ref: contentString, client: client, clock: clock,
		length: uint64(utf16Len(s)), content: blockContent{str: s}}
}

func anyBlock(client, clock uint64, v any) block {
	return block{kind: blockItem, ref: contentAny, client: client, clock: clock, length: 1,
		content: blockContent{obj: []any{v}}}
}

func inRoot(b block, name string) block {
	b.parentKind = parentName
	if b.names == nil {
		b.names = &blockNames{}
	}
	b.names.parentName = name
	return b
}

func inParent(b block, client, clock uint64) block {
	b.parentKind = parentID
	b.origin = ID{client, clock}
	return b
}

func withSub(b block, key string) block {
	b.hasSub = true
	if b.names == nil {
		b.names = &blockNames{}
	}
	b.names.parentSub = key
	return b
}

func after(b block, client, clock uint64) block {
	b.hasOrigin = true
	b.origin = ID{client, clock}
	return b
}

func before(b block, client, clock uint64) block {
	b.hasRight = true
	b.rightOrigin = ID{client, clock}
	return b
}

// TestFreshLoadCrafted loads hand-made updates that reach the corners of
// the fast path (structs that wait for others, cycles between clients,
// parents that are gone, splits, map entries found by their neighbours)
// and compares the result with the general path and with yjs.
func TestFreshLoadCrafted(t *testing.T) {
	mapType := block{kind: blockItem, ref: contentType, typeRef: typeMap, length: 1}
	gc := func(client, clock, n uint64) block {
		return block{kind: blockGC, client: client, clock: clock, length: n}
	}
	skip := func(client, clock, n uint64) block {
		return block{kind: blockSkip, client: client, clock: clock, length: n}
	}
	withClient := func(b block, client, clock uint64) block { b.client, b.clock = client, clock; return b }
	var dsOther deleteSet
	dsOther.add(7, 0, 3)
	dsOther.add(1, 1, 1)
	cases := []struct {
		name   string
		blocks []block
		ds     *deleteSet
		fresh  bool // the fast path takes it
	}{
		{"typing", []block{
			inRoot(strBlock(1, 0, "abc"), "text"),
			after(strBlock(1, 3, "d"), 1, 2),
			after(before(strBlock(1, 4, "X"), 1, 3), 1, 0),
		}, nil, true},
		{"origin inside a struct of another client", []block{
			inRoot(strBlock(1, 0, "abcdef"), "text"),
			after(before(strBlock(2, 0, "X"), 1, 3), 1, 2),
		}, nil, true},
		{"clients that wait for each other", []block{
			inRoot(strBlock(1, 0, "a"), "text"),
			after(strBlock(1, 1, "b"), 2, 1),
			after(strBlock(2, 0, "c"), 1, 1),
			after(strBlock(2, 1, "d"), 2, 0),
		}, nil, false},
		{"dependency jumps", []block{
			after(strBlock(1, 0, "y"), 5, 0),
			inRoot(anyBlock(1, 1, "first"), "array"),
			inRoot(strBlock(5, 0, "x"), "text"),
			after(strBlock(5, 1, "z"), 1, 0),
			inRoot(anyBlock(3, 0, 1.5), "array"),
		}, nil, true},
		{"right origin collected", []block{
			gc(1, 0, 1),
			inRoot(strBlock(1, 1, "x"), "text"),
			after(before(strBlock(2, 0, "y"), 1, 0), 1, 1),
			after(strBlock(2, 1, "z"), 2, 0),
		}, nil, true},
		{"origin collected", []block{
			gc(1, 0, 2),
			inRoot(strBlock(1, 2, "x"), "text"),
			before(after(strBlock(2, 0, "y"), 1, 1), 1, 2),
		}, nil, true},
		{"parent is not a type", []block{
			inRoot(strBlock(1, 0, "hello"), "text"),
			after(strBlock(1, 5, "x"), 1, 4),
			inParent(strBlock(2, 0, "y"), 1, 5),
			inParent(strBlock(2, 1, "z"), 1, 1),
		}, nil, true},
		{"nested map by parent ID", []block{
			withSub(inRoot(withClient(mapType, 1, 0), "map"), "m"),
			withSub(inParent(anyBlock(2, 0, "v"), 1, 0), "k"),
			after(anyBlock(2, 1, "w"), 2, 0),
		}, nil, true},
		{"map entry by its neighbour", []block{
			withSub(inRoot(anyBlock(1, 0, 1.0), "map"), "k"),
			after(strBlock(2, 0, "string value"), 1, 0),
			after(strBlock(2, 12, "more"), 2, 11),
		}, nil, true},
		{"skip", []block{
			inRoot(strBlock(1, 0, "ab"), "text"),
			skip(1, 2, 3),
			after(strBlock(1, 5, "c"), 1, 4),
		}, nil, false},
		{"client listed twice", []block{
			inRoot(strBlock(1, 0, "a"), "text"),
			inRoot(strBlock(2, 0, "b"), "text"),
			inRoot(strBlock(1, 0, "c"), "text"),
		}, nil, false},
		{"starts after clock 0", []block{
			after(strBlock(1, 3, "a"), 1, 2),
		}, nil, false},
		{"unknown client", []block{
			inRoot(strBlock(1, 0, "a"), "text"),
			after(strBlock(1, 1, "b"), 9, 0),
		}, nil, false},
		{"deletes of unknown structs", []block{
			inRoot(strBlock(1, 0, "abc"), "text"),
		}, &dsOther, true},
	}
	roots := [][2]string{{"text", "text"}, {"array", "array"}, {"map", "map"}}
	p := yjsPeer(t)
	for _, c := range cases {
		for _, v2 := range []bool{false, true} {
			u := craftUpdate(t, v2, c.blocks, c.ds)
			name := fmt.Sprintf("%s (v2 %v)", c.name, v2)
			for _, observe := range []bool{false, true} {
				if !compareLoads(t, name, u, v2, loadOptions{gc: true, observe: observe, roots: roots}) {
					t.Fatalf("%s: does not load", name)
				}
			}
			d := NewDoc(WithClientID(999999))
			var err error
			if v2 {
				err = d.ApplyUpdateV2(u, nil)
			} else {
				err = d.ApplyUpdate(u, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if fresh := NewDoc().loadFresh(u, v2, nil) == nil; fresh != c.fresh {
				t.Fatalf("%s: fast path %v, want %v", name, fresh, c.fresh)
			}
			var res struct {
				JSON string `json:"json"`
				V1   string `json:"v1"`
			}
			if err := p.call("load", map[string]any{"updates": []string{b64(u)}, "v2": v2, "roots": roots, "clientID": 999999}, &res); err != nil {
				t.Fatal(err)
			}
			js, _ := describeDoc(d, roots)
			if js != res.JSON {
				t.Fatalf("%s: content %s, yjs %s", name, js, res.JSON)
			}
			v1, err := d.EncodeStateAsUpdate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v1, unb64(t, res.V1)) {
				t.Fatalf("%s: state differs from yjs", name)
			}
		}
	}
}
