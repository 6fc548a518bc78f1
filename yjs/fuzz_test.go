package yjs

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// Every decoder of untrusted bytes is fuzzed: malformed input must give an
// error, never a panic, a hang or a changed document. The seed corpus is
// real updates; more inputs found by fuzzing are kept in testdata/fuzz.

var seedOnce sync.Once
var seedV1, seedV2 [][]byte

// seedUpdates returns real updates (and whole states) of random sessions.
func seedUpdates(tb testing.TB) (v1, v2 [][]byte) {
	seedOnce.Do(func() {
		for seed := uint64(1); seed <= 6; seed++ {
			s, err := genScript(seed)
			if err != nil {
				panic(err)
			}
			r := newGoRun(s)
			for _, st := range s.Steps {
				if err := r.step(st); err != nil {
					panic(err)
				}
			}
			seedV1 = append(seedV1, r.updates[:min(len(r.updates), 8)]...)
			seedV2 = append(seedV2, r.updatesV2[:min(len(r.updatesV2), 8)]...)
			for _, d := range r.docs[:1] {
				a, _ := d.EncodeStateAsUpdate(nil)
				b, _ := d.EncodeStateAsUpdateV2(nil)
				seedV1 = append(seedV1, a)
				seedV2 = append(seedV2, b)
			}
		}
	})
	return seedV1, seedV2
}

// baseDoc returns a document with content, for updates to apply to.
func baseDoc(tb testing.TB) *Doc {
	d := NewDoc(WithClientID(7), WithGC(false))
	v1, _ := seedUpdates(tb)
	if err := d.ApplyUpdate(v1[len(v1)-1], nil); err != nil {
		tb.Fatal(err)
	}
	_ = d.GetText("text").Insert(0, "base")
	return d
}

// docState captures everything observable about a document's content,
// pending updates included.
func docState(d *Doc) []byte {
	v2, err := d.EncodeStateAsUpdateV2(nil)
	if err != nil {
		return []byte("error: " + err.Error())
	}
	return append(v2, d.EncodeStateVector()...)
}

func fuzzApply(t *testing.T, data []byte, v2 bool) {
	d := baseDoc(t)
	before := docState(d)
	var err error
	if v2 {
		err = d.ApplyUpdateV2(data, nil)
	} else {
		err = d.ApplyUpdate(data, nil)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		if after := docState(d); !bytes.Equal(before, after) {
			t.Fatal("a failed ApplyUpdate changed the document")
		}
		return
	}
	// A document that took the update still encodes and loads.
	u, err := d.EncodeStateAsUpdateV2(nil)
	if err != nil {
		return // e.g. a bigint embed cannot be written as v1 JSON
	}
	d2 := NewDoc(WithGC(false))
	if err := d2.ApplyUpdateV2(u, nil); err != nil {
		t.Fatalf("re-loading the document: %v", err)
	}
	_ = d2.ToJSON()
}

func FuzzApplyUpdate(f *testing.F) {
	v1, _ := seedUpdates(f)
	for _, u := range v1 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzApply(t, data, false) })
}

func FuzzApplyUpdateV2(f *testing.F) {
	_, v2 := seedUpdates(f)
	for _, u := range v2 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzApply(t, data, true) })
}

// fuzzUpdateFunctions runs the document-less functions; they must agree
// on whether the input is valid.
func fuzzUpdateFunctions(t *testing.T, data []byte, v2 bool) {
	v1s, v2s := seedUpdates(t)
	other := v1s[0]
	if v2 {
		other = v2s[0]
	}
	var errs [5]error
	if v2 {
		_, errs[0] = MergeUpdatesV2([][]byte{data, other})
		_, errs[1] = DiffUpdateV2(data, []byte{1, 1, 1})
		_, errs[2] = EncodeStateVectorFromUpdateV2(data)
		_, errs[3] = ConvertUpdateV2ToV1(data)
		_, errs[4] = MergeUpdatesV2([][]byte{data})
	} else {
		_, errs[0] = MergeUpdates([][]byte{data, other})
		_, errs[1] = DiffUpdate(data, []byte{1, 1, 1})
		_, errs[2] = EncodeStateVectorFromUpdate(data)
		_, errs[3] = ConvertUpdateV1ToV2(data)
		_, errs[4] = MergeUpdates([][]byte{data})
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrMalformed) {
			// Encoding may refuse what it cannot write (an empty delete
			// range in v2, a bigint as JSON); decoding errors are
			// ErrMalformed.
			continue
		}
	}
	if (errs[2] == nil) != (errs[4] == nil) {
		t.Fatalf("decoders disagree: %v vs %v", errs[2], errs[4])
	}
}

func FuzzUpdateFunctions(f *testing.F) {
	v1, _ := seedUpdates(f)
	for _, u := range v1 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzUpdateFunctions(t, data, false) })
}

func FuzzUpdateFunctionsV2(f *testing.F) {
	_, v2 := seedUpdates(f)
	for _, u := range v2 {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzUpdateFunctions(t, data, true) })
}

func FuzzSyncMessage(f *testing.F) {
	v1, _ := seedUpdates(f)
	f.Add(AppendSyncStep1(nil, []byte{1, 2, 3}))
	f.Add(AppendSyncStep2(nil, v1[0]))
	f.Add(AppendSyncUpdate(AppendSyncUpdate(nil, v1[1]), v1[2]))
	f.Fuzz(func(t *testing.T, data []byte) {
		for len(data) > 0 {
			typ, payload, n, err := ReadSyncMessage(data)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatal(err)
				}
				return
			}
			if n <= 0 || n > len(data) || typ < 0 || typ > 2 || len(payload) > len(data) {
				t.Fatalf("bad result %d %d %d", typ, n, len(payload))
			}
			data = data[n:]
		}
	})
}

func FuzzAwareness(f *testing.F) {
	f.Add(EncodeAwarenessUpdate([]AwarenessState{{ClientID: 1, Clock: 2, State: []byte(`{"user":{"name":"a"}}`)}}))
	f.Add(EncodeAwarenessUpdate([]AwarenessState{{ClientID: 5, Clock: 1, State: []byte(`null`)}, {ClientID: 6, Clock: 9, State: []byte(`[1,2]`)}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := NewAwareness(5)
		_ = a.SetLocalState([]byte(`{"x":1}`))
		states, err := DecodeAwarenessUpdate(data)
		if err2 := a.Apply(data, "remote"); (err == nil) != (err2 == nil) {
			t.Fatalf("decode and apply disagree: %v %v", err, err2)
		}
		if err != nil {
			return
		}
		// What decodes survives re-encoding.
		again, err := DecodeAwarenessUpdate(EncodeAwarenessUpdate(states))
		if err != nil || len(again) != len(states) {
			t.Fatalf("awareness update does not round-trip: %v", err)
		}
		for i := range states {
			if again[i].ClientID != states[i].ClientID || again[i].Clock != states[i].Clock || !bytes.Equal(again[i].State, states[i].State) {
				t.Fatal("awareness update does not round-trip")
			}
		}
	})
}

func FuzzRelativePosition(f *testing.F) {
	rp := &RelativePosition{Item: &ID{5, 7}, Assoc: -1}
	f.Add(rp.Encode())
	f.Add((&RelativePosition{TypeName: "text"}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		rp, err := DecodeRelativePosition(data)
		if err != nil {
			return
		}
		d := baseDoc(t)
		_ = d.ResolveRelativePosition(rp)
	})
}

func FuzzSnapshot(f *testing.F) {
	d := baseDoc(f)
	f.Add(EncodeSnapshot(d.Snapshot()))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := DecodeSnapshot(data); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatal(err)
		}
		if _, err := DecodeSnapshotV2(data); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatal(err)
		}
	})
}

// TestHugeLengthsRefused puts a var-uint of 2^50 at every position of real
// updates: whatever it breaks, decoding must fail or succeed without
// allocating much more than the input.
func TestHugeLengthsRefused(t *testing.T) {
	v1s, v2s := seedUpdates(t)
	huge := AppendVarUint(nil, 1<<50)
	var m0, m1 runtime.MemStats
	check := func(name string, u []byte, v2 bool) {
		for i := 0; i < len(u); i += max(1, len(u)/300) {
			bad := append(append(append([]byte(nil), u[:i]...), huge...), u[i+1:]...)
			runtime.ReadMemStats(&m0)
			d := NewDoc()
			if v2 {
				_ = d.ApplyUpdateV2(bad, nil)
				_, _ = MergeUpdatesV2([][]byte{bad, bad})
				_, _ = EncodeStateVectorFromUpdateV2(bad)
			} else {
				_ = d.ApplyUpdate(bad, nil)
				_, _ = MergeUpdates([][]byte{bad, bad})
				_, _ = EncodeStateVectorFromUpdate(bad)
			}
			runtime.ReadMemStats(&m1)
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > uint64(1<<20+200*len(bad)) {
				t.Fatalf("%s: huge value at %d made %d bytes of allocations for %d bytes of input", name, i, alloc, len(bad))
			}
		}
	}
	for i, u := range v1s {
		check("v1 #"+string(rune('0'+i%10)), u, false)
	}
	for i, u := range v2s {
		check("v2 #"+string(rune('0'+i%10)), u, true)
	}
}

// TestFailedApplyLeavesDocUnchanged applies every truncation and many
// corruptions of real updates to a document with content.
func TestFailedApplyLeavesDocUnchanged(t *testing.T) {
	v1s, v2s := seedUpdates(t)
	d := baseDoc(t)
	before := docState(d)
	failures := 0
	try := func(u []byte, v2 bool) {
		var err error
		if v2 {
			err = d.ApplyUpdateV2(u, nil)
		} else {
			err = d.ApplyUpdate(u, nil)
		}
		if err == nil {
			// Applied: continue from the new state.
			before = docState(d)
			return
		}
		failures++
		if after := docState(d); !bytes.Equal(before, after) {
			t.Fatalf("failed update (%v) changed the document", err)
		}
	}
	for _, u := range v1s[:4] {
		for n := 0; n < len(u); n++ {
			try(u[:n], false)
		}
		for i := 0; i < len(u); i++ {
			bad := append([]byte(nil), u...)
			bad[i] ^= 0xa5
			try(bad, false)
		}
	}
	for _, u := range v2s[:4] {
		for n := 0; n < len(u); n++ {
			try(u[:n], true)
		}
	}
	if failures == 0 {
		t.Fatal("no update failed; the test tested nothing")
	}
}
