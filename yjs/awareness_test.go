package yjs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAwarenessMatchesYProtocols applies random sequences of awareness
// updates to y-protocols' Awareness and to ours: the change and update
// events and the resulting states must agree.
func TestAwarenessMatchesYProtocols(t *testing.T) {
	p := yjsPeer(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 200; round++ {
		const self = 10
		var updates []string
		var raw [][]byte
		for i := 0; i < 1+rng.IntN(8); i++ {
			var states []AwarenessState
			for j := 0; j < 1+rng.IntN(3); j++ {
				st := []byte(fmt.Sprintf(`{"user":{"name":"u%d"},"cursor":%d}`, rng.IntN(3), rng.IntN(4)))
				if rng.IntN(4) == 0 {
					st = []byte("null")
				}
				states = append(states, AwarenessState{ClientID: uint64(self + rng.IntN(3)), Clock: uint64(rng.IntN(4)), State: st})
			}
			u := EncodeAwarenessUpdate(states)
			raw = append(raw, u)
			updates = append(updates, b64(u))
		}
		var want struct {
			Events [][]any           `json:"events"`
			States map[string]string `json:"states"`
		}
		if err := p.call("awareness", map[string]any{"clientID": self, "updates": updates}, &want); err != nil {
			t.Fatal(err)
		}
		a := NewAwareness(self)
		_ = a.SetLocalState([]byte("{}"))
		_ = a.SetLocalState(nil)
		events := [][]any{}
		ev := func(name string) func(c AwarenessChange, origin any) {
			return func(c AwarenessChange, origin any) {
				list := func(x []uint64) []any {
					out := []any{}
					for _, v := range x {
						out = append(out, float64(v))
					}
					return out
				}
				events = append(events, []any{name, map[string]any{"added": list(c.Added), "updated": list(c.Updated), "removed": list(c.Removed)}, origin})
			}
		}
		a.OnChange(ev("change"))
		a.OnUpdate(ev("update"))
		for _, u := range raw {
			if err := a.Apply(u, "remote"); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := json.Marshal(events)
		exp, _ := json.Marshal(want.Events)
		if !bytes.Equal(got, exp) {
			t.Fatalf("round %d events:\n go %s\nyjs %s", round, got, exp)
		}
		states := map[string]string{}
		for id, s := range a.States() {
			v, err := parseJSON(string(s))
			if err != nil {
				t.Fatal(err)
			}
			states[fmt.Sprint(id)] = canonJSON(exportAny(v))
		}
		gs, _ := json.Marshal(states)
		ws, _ := json.Marshal(want.States)
		if !bytes.Equal(gs, ws) {
			t.Fatalf("round %d states:\n go %s\nyjs %s", round, gs, ws)
		}
	}
}

func TestAwarenessTimeout(t *testing.T) {
	now := time.Unix(1000, 0)
	a := NewAwareness(1)
	a.Now = func() time.Time { return now }
	_ = a.SetLocalState([]byte(`{"name":"me"}`))
	remote := EncodeAwarenessUpdate([]AwarenessState{{ClientID: 2, Clock: 1, State: []byte(`{"name":"you"}`)}})
	if err := a.Apply(remote, "net"); err != nil {
		t.Fatal(err)
	}
	var removedBy []any
	a.OnChange(func(c AwarenessChange, origin any) {
		if len(c.Removed) > 0 {
			removedBy = append(removedBy, origin)
		}
	})
	now = now.Add(16 * time.Second)
	if r := a.Check(); len(r) != 0 {
		t.Fatalf("removed %v too early", r)
	}
	if c, _ := a.Clock(1); c != 1 {
		t.Fatalf("local state not renewed after half the timeout: clock %d", c)
	}
	now = now.Add(15 * time.Second)
	if r := a.Check(); len(r) != 1 || r[0] != 2 {
		t.Fatalf("outdated state not removed: %v", r)
	}
	if len(removedBy) != 1 || removedBy[0] != "timeout" {
		t.Fatalf("change events %v", removedBy)
	}
	if _, ok := a.States()[1]; !ok {
		t.Fatal("local state removed")
	}
	// A remote peer cannot remove our local state: the clock moves on.
	bye := EncodeAwarenessUpdate([]AwarenessState{{ClientID: 1, Clock: 5, State: []byte("null")}})
	if err := a.Apply(bye, "net"); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Clock(1); c != 6 || a.LocalState() == nil {
		t.Fatalf("local state after remote removal: clock %d state %s", c, a.LocalState())
	}
	enc := a.Encode(nil)
	states, err := DecodeAwarenessUpdate(enc)
	if err != nil || len(states) != 1 || states[0].ClientID != 1 {
		t.Fatalf("encode: %v %v", states, err)
	}
	if err := a.Apply([]byte{1, 2, 3, 3, 'b', 'a', 'd'}, nil); err == nil {
		t.Fatal("invalid JSON accepted")
	}
}

func TestSyncMessages(t *testing.T) {
	var b []byte
	b = AppendSyncStep1(b, []byte{1, 2})
	b = AppendSyncStep2(b, []byte{3})
	b = AppendSyncUpdate(b, nil)
	var types []int
	var payloads [][]byte
	for len(b) > 0 {
		typ, p, n, err := ReadSyncMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
		payloads = append(payloads, p)
		b = b[n:]
	}
	if fmt.Sprint(types) != "[0 1 2]" || !bytes.Equal(payloads[0], []byte{1, 2}) || len(payloads[2]) != 0 {
		t.Fatalf("%v %v", types, payloads)
	}
	for _, bad := range [][]byte{{3, 0}, {0, 5, 1}, {}, {0x80}} {
		if _, _, _, err := ReadSyncMessage(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
	// A full sync between two documents through the messages.
	a, bdoc := NewDoc(WithClientID(1)), NewDoc(WithClientID(2))
	_ = a.GetText("t").Insert(0, "from a")
	_ = bdoc.GetText("t").Insert(0, "from b")
	step1 := AppendSyncStep1(nil, bdoc.EncodeStateVector())
	_, sv, _, _ := ReadSyncMessage(step1)
	u, _ := a.EncodeStateAsUpdate(sv)
	_, payload, _, _ := ReadSyncMessage(AppendSyncStep2(nil, u))
	if err := bdoc.ApplyUpdate(payload, "sync"); err != nil {
		t.Fatal(err)
	}
	u2, _ := bdoc.EncodeStateAsUpdate(a.EncodeStateVector())
	if err := a.ApplyUpdate(u2, "sync"); err != nil {
		t.Fatal(err)
	}
	if a.GetText("t").String() != bdoc.GetText("t").String() {
		t.Fatal("not converged")
	}
}
