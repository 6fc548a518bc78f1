package yjs

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestFormattedInsertsMatchYjs inserts text and embeds with explicit
// attributes into long rich texts (found through the position index) and
// compares the updates with yjs's byte for byte. Several attributes are in
// effect at most positions, some removed and set again, so that the order
// in which yjs's walk meets them (which decides the order of the
// formatting items it creates) is tested.
func TestFormattedInsertsMatchYjs(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	keys := []string{"bold", "italic", "color", "1", "link", "0"}
	values := []any{true, false, "red", 2.5, nil, map[string]any{"href": "x"}}
	var scripts []*script
	var names []string
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 5))
		s := &script{Roots: [][2]string{{"text", "text"}}, Peers: []scriptPeer{{ClientID: 1, GC: true}, {ClientID: 2, GC: seed%2 == 0}}}
		d := NewDoc(WithClientID(1))
		updates := 0
		d.OnUpdate(func([]byte, any) { updates++ })
		text := d.GetText("text")
		path := []any{"text", "text"}
		attrs := func(n int) map[string]any {
			a := map[string]any{}
			for i := 0; i < n; i++ {
				a[keys[rng.IntN(len(keys))]] = values[rng.IntN(len(values))]
			}
			return a
		}
		add := func(op jsOp) {
			if err := runGoOp(d, op); err != nil {
				t.Fatal(err)
			}
			s.Steps = append(s.Steps, step{Peer: 0, Ops: []jsOp{op}})
		}
		add(jsOp{"t": "ins", "p": path, "i": 0.0, "s": "The quick brown fox jumps over the lazy dog, and then some more text so that the index is used."})
		for i := 0; i < 60; i++ {
			n := text.Len()
			pos := rng.IntN(n + 1)
			switch rng.IntN(5) {
			case 0, 1:
				if pos < n {
					add(jsOp{"t": "fmt", "p": path, "i": float64(pos), "n": float64(1 + rng.IntN(min(n-pos, 30))), "a": attrs(1 + rng.IntN(3))})
				}
			case 2:
				add(jsOp{"t": "ins", "p": path, "i": float64(pos), "s": "xy", "a": attrs(rng.IntN(3))})
			case 3:
				add(jsOp{"t": "emb", "p": path, "i": float64(pos), "e": map[string]any{"img": float64(i)}, "a": attrs(rng.IntN(3))})
			default:
				add(jsOp{"t": "ins", "p": path, "i": float64(pos), "s": "plain"})
			}
			if rng.IntN(6) == 0 && n > 10 {
				add(jsOp{"t": "del", "p": path, "i": float64(rng.IntN(n - 5)), "n": float64(1 + rng.IntN(4))})
			}
		}
		// The second peer gets everything, and edits the formatted text too.
		var all []int
		for k := 0; k < updates; k++ {
			all = append(all, k)
		}
		s.Steps = append(s.Steps, step{Peer: 1, Apply: all, V2: seed%3 == 0})
		s.Steps = append(s.Steps, step{Peer: 1, Ops: []jsOp{{"t": "ins", "p": path, "i": float64(text.Len() / 2), "s": "mid", "a": attrs(2)}}})
		if !d.GetText("text").t().usesIndex() {
			t.Fatal("the text is too short to use the index")
		}
		scripts = append(scripts, s)
		names = append(names, fmt.Sprintf("seed %d", seed))
	}
	runScripts(t, scripts, names)
}
