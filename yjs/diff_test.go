package yjs

import (
	"encoding/base64"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

var (
	flagSeeds = flag.Int("yjs.seeds", 2000, "random sessions in the differential test against yjs")
	flagSeed0 = flag.Int("yjs.seed0", 0, "first seed of the differential test")
)

// TestDifferential runs random concurrent sessions of several peers on Go
// and on yjs: random edits on every type, delivered in random order, in
// both formats, duplicated, merged and before their dependencies. Every
// update each side produces and every final state must be byte-identical,
// and all peers must converge.
func TestDifferential(t *testing.T) {
	n := *flagSeeds
	if testing.Short() {
		n = min(n, 300)
	}
	const batch = 100
	for start := 0; start < n; start += batch {
		var scripts []*script
		var names []string
		for seed := start; seed < min(start+batch, n); seed++ {
			s := int(*flagSeed0) + seed
			sc, err := genScript(uint64(s))
			if err != nil {
				t.Fatalf("seed %d: generating: %v", s, err)
			}
			scripts = append(scripts, sc)
			names = append(names, fmt.Sprintf("seed %d", s))
		}
		runScripts(t, scripts, names)
		if t.Failed() {
			return
		}
	}
}

var rootSet = [][2]string{{"text", "text"}, {"map", "map"}, {"array", "array"}, {"xmlfragment", "xml"}}

// gen builds a random script while running it on Go documents, so that
// every operation is valid for the state its peer is in.
type gen struct {
	rng *rand.Rand
	s   *script
	run *goRun
	// seen[p] lists the updates peer p has applied or produced.
	seen []map[int]bool
	// bulk makes texts and arrays long enough for the position index.
	bulk bool
}

func genScript(seed uint64) (*script, error) {
	rng := rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1))
	nPeers := 3 + rng.IntN(2)
	s := &script{Roots: rootSet}
	for i := 0; i < nPeers; i++ {
		// Client ids in ascending or random order exercise the YATA tie
		// break both ways.
		s.Peers = append(s.Peers, scriptPeer{ClientID: uint64(rng.IntN(1000)*10 + i + 1), GC: rng.IntN(4) != 0})
	}
	s.Observe = rng.IntN(2) == 0
	g := &gen{rng: rng, s: s, run: newGoRun(s), bulk: rng.IntN(4) == 0}
	for range s.Peers {
		g.seen = append(g.seen, map[int]bool{})
	}
	steps := 10 + rng.IntN(30)
	for i := 0; i < steps; i++ {
		p := rng.IntN(nPeers)
		if rng.IntN(12) == 0 {
			if err := g.do(step{Peer: p, Snap: true}); err != nil {
				return nil, err
			}
			continue
		}
		if rng.IntN(10) == 0 {
			ts := targets(g.run.docs[p])
			tg := ts[rng.IntN(len(ts))]
			if tg.t.kind != typeMap {
				assoc := []int{0, -1, 1}[rng.IntN(3)]
				if err := g.do(step{Peer: p, Relpos: []any{tg.path, rng.IntN(tg.t.length + 1), assoc}}); err != nil {
					return nil, err
				}
			}
			continue
		}
		if rng.IntN(3) == 0 && len(g.run.updates) > 0 {
			if err := g.deliver(p, false); err != nil {
				return nil, err
			}
			continue
		}
		before := len(g.run.updates)
		if err := g.editStep(p); err != nil {
			return nil, err
		}
		for k := before; k < len(g.run.updates); k++ {
			g.seen[p][k] = true
		}
	}
	// Final sync: everyone gets everything.
	for p := range s.Peers {
		if err := g.deliver(p, true); err != nil {
			return nil, err
		}
	}
	for i := range g.run.updates {
		s.GoUpdates = append(s.GoUpdates, b64(g.run.updates[i]))
		s.GoUpdatesV2 = append(s.GoUpdatesV2, b64(g.run.updatesV2[i]))
	}
	all := make([]int, len(g.run.updates))
	for i := range all {
		all[i] = i
	}
	if len(all) > 0 {
		sv := rng.IntN(nPeers)
		s.Checks = append(s.Checks, check{Updates: all})
		sub := append([]int(nil), all...)
		rng.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
		sub = sub[:1+rng.IntN(len(sub))]
		s.Checks = append(s.Checks, check{Updates: sub, SVPeer: &sv})
		// Overlapping inputs: a peer's state with updates it contains.
		over := append([]int{-1 - rng.IntN(nPeers)}, sub[:1+rng.IntN(len(sub))]...)
		rng.Shuffle(len(over), func(i, j int) { over[i], over[j] = over[j], over[i] })
		s.Checks = append(s.Checks, check{Updates: over})
		var states []int
		for p := 0; p < nPeers; p++ {
			states = append(states, -1-p)
		}
		s.Checks = append(s.Checks, check{Updates: states, SVPeer: &sv})
	}
	return s, nil
}

// editStep generates and runs a few operations on peer p, each chosen
// for the state the previous ones left, sometimes in one transaction.
func (g *gen) editStep(p int) error {
	d := g.run.docs[p]
	n := 1 + g.rng.IntN(3)
	tx := n > 1 && g.rng.IntN(3) == 0
	var ops []jsOp
	var err error
	edit := func() {
		for j := 0; j < n && err == nil; j++ {
			if o := g.op(p); o != nil {
				ops = append(ops, o)
				err = runGoOp(d, o)
			}
		}
	}
	g.run.current = p
	if tx {
		d.Transact(func(*Transaction) { edit() }, nil)
	} else {
		edit()
	}
	g.run.current = -1
	if err != nil || len(ops) == 0 {
		return err
	}
	if tx {
		ops = []jsOp{{"t": "tx", "ops": ops}}
	}
	g.s.Steps = append(g.s.Steps, step{Peer: p, Ops: ops})
	if debugStep != nil {
		debugStep(g, g.s.Steps[len(g.s.Steps)-1])
	}
	return nil
}

func (g *gen) do(st step) error {
	g.s.Steps = append(g.s.Steps, st)
	err := g.run.step(st)
	if debugStep != nil {
		debugStep(g, st)
	}
	return err
}

// debugStep, when set, runs after every generated step.
var debugStep func(g *gen, st step)

// deliver applies updates peer p has not seen: some (or, with all, every
// one), in random order and format, sometimes twice or merged.
func (g *gen) deliver(p int, all bool) error {
	var todo []int
	for k := range g.run.updates {
		if !g.seen[p][k] {
			todo = append(todo, k)
		}
	}
	g.rng.Shuffle(len(todo), func(i, j int) { todo[i], todo[j] = todo[j], todo[i] })
	if !all && len(todo) > 0 {
		todo = todo[:1+g.rng.IntN(len(todo))]
	}
	for len(todo) > 0 {
		n := 1
		if g.rng.IntN(4) == 0 {
			n = 1 + g.rng.IntN(len(todo))
		}
		batch := todo[:n]
		todo = todo[n:]
		st := step{Peer: p, Apply: append([]int(nil), batch...), V2: g.rng.IntN(2) == 0}
		if err := g.do(st); err != nil {
			return err
		}
		for _, k := range batch {
			g.seen[p][k] = true
		}
		if g.rng.IntN(8) == 0 {
			// A duplicate delivery.
			if err := g.do(step{Peer: p, Apply: []int{batch[0]}, V2: g.rng.IntN(2) == 0}); err != nil {
				return err
			}
		}
	}
	return nil
}

type target struct {
	t    *ytype
	path []any
}

// targets lists the live types of a document with their paths.
func targets(d *Doc) []target {
	var out []target
	var visit func(t *ytype, path []any)
	visit = func(t *ytype, path []any) {
		out = append(out, target{t, path})
		if len(path) > 5 {
			return
		}
		switch t.kind {
		case typeMap:
			for _, k := range t.sortedKeys() {
				if nt := typeOf(t.entryValue(t.entries[k])); nt != nil {
					visit(nt, append(append([]any(nil), path...), k))
				}
			}
		case typeArray, typeXmlFragment, typeXmlElement:
			for i, v := range t.listValues() {
				if nt := typeOf(v); nt != nil {
					visit(nt, append(append([]any(nil), path...), i))
				}
			}
		}
	}
	for _, r := range rootSet {
		visit(rootByKind(d, r[0], r[1]), []any{r[0], r[1]})
	}
	return out
}

var (
	textPieces = []string{"a", "b", "hello", " ", "\n", "é", "ß", "日本", "😀", "x😀y", "👍🏽", "z"}
	attrKeys   = []string{"bold", "italic", "link", "color"}
	elemNames  = []string{"paragraph", "heading", "blockquote", "listItem"}
	mapKeys    = []string{"a", "b", "c", "title", "0", "n"}
)

func (g *gen) text() string {
	var sb strings.Builder
	n := 1 + g.rng.IntN(3)
	if g.bulk && g.rng.IntN(3) == 0 {
		n = 20 + g.rng.IntN(80)
	}
	for i := 0; i < n; i++ {
		sb.WriteString(textPieces[g.rng.IntN(len(textPieces))])
	}
	return sb.String()
}

func (g *gen) value(depth int) any {
	switch g.rng.IntN(11) {
	case 0:
		return nil
	case 1:
		return g.rng.IntN(2) == 0
	case 2:
		return float64(g.rng.IntN(200) - 100)
	case 3:
		return []float64{0.5, -2.25, 1e21, 3.14159, 1 << 40, 2147483648, -2147483647, 1e-7, 123456789.125}[g.rng.IntN(9)]
	case 4:
		return g.text()
	case 5:
		if depth < 2 {
			var a []any
			for i := 0; i < g.rng.IntN(3); i++ {
				a = append(a, g.value(depth+1))
			}
			if a == nil {
				a = []any{}
			}
			return a
		}
	case 6:
		if depth < 2 {
			m := map[string]any{}
			for i := 0; i < g.rng.IntN(3); i++ {
				m[mapKeys[g.rng.IntN(len(mapKeys))]] = g.value(depth + 1)
			}
			return m
		}
	case 8:
		if depth == 0 && g.rng.IntN(3) == 0 {
			return map[string]any{"$doc": "guid-" + fmt.Sprint(g.rng.IntN(100))}
		}
	case 7:
		if depth == 0 {
			b := make([]byte, g.rng.IntN(4))
			for i := range b {
				b[i] = byte(g.rng.IntN(256))
			}
			return map[string]any{"$bin": base64.StdEncoding.EncodeToString(b)}
		}
	}
	return "s" + fmt.Sprint(g.rng.IntN(10))
}

func (g *gen) attrs() map[string]any {
	a := map[string]any{}
	for i := 0; i < 1+g.rng.IntN(2); i++ {
		k := attrKeys[g.rng.IntN(len(attrKeys))]
		switch g.rng.IntN(5) {
		case 0:
			a[k] = nil
		case 1:
			a[k] = "v" + fmt.Sprint(g.rng.IntN(3))
		case 2:
			a[k] = map[string]any{"href": "u" + fmt.Sprint(g.rng.IntN(2))}
		default:
			a[k] = true
		}
	}
	return a
}

// boundaries returns the UTF-16 indices of t's text that do not split a
// surrogate pair (yjs peers diverge when an edit splits one).
func boundaries(t *ytype) []int {
	s := t.textString()
	var out []int
	i := 0
	out = append(out, 0)
	for _, r := range s {
		i += len(utf16.Encode([]rune{r}))
		out = append(out, i)
	}
	// Embeds and formats are not in the string; fall back to all indices
	// when lengths disagree.
	if i != t.length {
		out = out[:0]
		for j := 0; j <= t.length; j++ {
			out = append(out, j)
		}
	}
	return out
}

func (g *gen) op(p int) jsOp {
	d := g.run.docs[p]
	ts := targets(d)
	tg := ts[g.rng.IntN(len(ts))]
	t := tg.t
	path := tg.path
	rng := g.rng
	switch t.kind {
	case typeText, typeXmlText:
		b := boundaries(t)
		if t.length != b[len(b)-1] {
			return nil
		}
		switch rng.IntN(9) {
		case 0, 1, 2:
			o := jsOp{"t": "ins", "p": path, "i": b[rng.IntN(len(b))], "s": g.text()}
			if rng.IntN(3) == 0 {
				o["a"] = g.attrs()
			}
			return o
		case 3, 4:
			if len(b) < 2 {
				return nil
			}
			i := rng.IntN(len(b) - 1)
			span := 4
			if g.bulk && rng.IntN(4) == 0 {
				span = 40
			}
			j := i + 1 + rng.IntN(min(span, len(b)-1-i))
			return jsOp{"t": "del", "p": path, "i": b[i], "n": b[j] - b[i]}
		case 5, 6:
			if len(b) < 2 {
				return nil
			}
			i := rng.IntN(len(b) - 1)
			j := i + 1 + rng.IntN(len(b)-1-i)
			return jsOp{"t": "fmt", "p": path, "i": b[i], "n": b[j] - b[i], "a": g.attrs()}
		case 7:
			if rng.IntN(2) == 0 {
				break
			}
			// A delta: retain to a boundary, then insert, format or delete.
			var ops []any
			at := 0
			for k := 0; k < 1+rng.IntN(3); k++ {
				next := at
				for _, x := range b {
					if x >= at && rng.IntN(3) == 0 {
						next = x
						break
					}
				}
				if next > at {
					ops = append(ops, map[string]any{"retain": float64(next - at)})
					at = next
				}
				switch rng.IntN(3) {
				case 0:
					op := map[string]any{"insert": g.text()}
					if rng.IntN(2) == 0 {
						op["attributes"] = g.attrs()
					}
					ops = append(ops, op)
				case 1:
					// Only whole characters: delete to the next boundary.
					// at counts in the text before the delta.
					for _, x := range b {
						if x > at {
							ops = append(ops, map[string]any{"delete": float64(x - at)})
							at = x
							break
						}
					}
				default:
					for _, x := range b {
						if x > at {
							ops = append(ops, map[string]any{"retain": float64(x - at), "attributes": g.attrs()})
							at = x
							break
						}
					}
				}
			}
			if len(ops) == 0 {
				return nil
			}
			return jsOp{"t": "delta", "p": path, "d": ops}
		}
		{
			o := jsOp{"t": "emb", "p": path, "i": b[rng.IntN(len(b))], "e": map[string]any{"image": "i" + fmt.Sprint(rng.IntN(3))}}
			if rng.IntN(2) == 0 {
				o["a"] = g.attrs()
			}
			return o
		}
	case typeMap:
		switch rng.IntN(6) {
		case 0:
			keys := t.sortedKeys()
			if len(keys) == 0 {
				return nil
			}
			return jsOp{"t": "rm", "p": path, "k": keys[rng.IntN(len(keys))]}
		case 1:
			kinds := []string{"text", "map", "array", "xmlfragment", "xmltext"}
			return jsOp{"t": "nt", "p": path, "k": mapKeys[rng.IntN(len(mapKeys))], "kind": kinds[rng.IntN(len(kinds))]}
		default:
			return jsOp{"t": "set", "p": path, "k": mapKeys[rng.IntN(len(mapKeys))], "v": g.value(0)}
		}
	case typeArray:
		switch rng.IntN(6) {
		case 0, 1:
			var vs []any
			n := 1 + rng.IntN(3)
			if g.bulk && rng.IntN(2) == 0 {
				n = 20 + rng.IntN(60)
			}
			for i := 0; i < n; i++ {
				vs = append(vs, g.value(0))
			}
			return jsOp{"t": "ains", "p": path, "i": rng.IntN(t.length + 1), "v": vs}
		case 2:
			return jsOp{"t": "push", "p": path, "v": []any{g.value(0)}}
		case 3:
			if t.length == 0 {
				return nil
			}
			i := rng.IntN(t.length)
			return jsOp{"t": "del", "p": path, "i": i, "n": 1 + rng.IntN(min(3, t.length-i))}
		default:
			kinds := []string{"text", "map", "array", "xmlfragment"}
			return jsOp{"t": "nt", "p": path, "i": rng.IntN(t.length + 1), "kind": kinds[rng.IntN(len(kinds))]}
		}
	case typeXmlFragment, typeXmlElement:
		switch rng.IntN(6) {
		case 0:
			if t.length == 0 {
				return nil
			}
			i := rng.IntN(t.length)
			return jsOp{"t": "del", "p": path, "i": i, "n": 1 + rng.IntN(min(2, t.length-i))}
		case 1:
			if t.kind != typeXmlElement {
				return nil
			}
			if rng.IntN(3) == 0 {
				return jsOp{"t": "rm", "p": path, "k": attrKeys[rng.IntN(len(attrKeys))]}
			}
			return jsOp{"t": "set", "p": path, "k": attrKeys[rng.IntN(len(attrKeys))], "v": "v" + fmt.Sprint(rng.IntN(5))}
		case 2, 3:
			return jsOp{"t": "nt", "p": path, "i": rng.IntN(t.length + 1), "kind": "xmltext"}
		default:
			return jsOp{"t": "nt", "p": path, "i": rng.IntN(t.length + 1), "kind": "xmlelement", "name": elemNames[rng.IntN(len(elemNames))]}
		}
	}
	return nil
}

var _ = math.Inf
