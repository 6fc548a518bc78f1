package yjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// A script is a sequence of editing and delivery steps over several peers.
// The Go test runs it on Go documents and sends it to the yjs peer, which
// runs it on yjs documents; then every update and every final state must
// be byte-identical.
type script struct {
	Peers   []scriptPeer `json:"peers"`
	Roots   [][2]string  `json:"roots"`
	Steps   []step       `json:"steps"`
	Checks  []check      `json:"checks,omitempty"`
	Observe bool         `json:"observe,omitempty"`
	// GoUpdates, when set, are the updates the Go peers produced; the yjs
	// peers integrate these instead of their own.
	GoUpdates   []string `json:"goUpdates,omitempty"`
	GoUpdatesV2 []string `json:"goUpdatesV2,omitempty"`
}

type scriptPeer struct {
	ClientID uint64 `json:"clientID"`
	GC       bool   `json:"gc"`
}

type step struct {
	Peer  int    `json:"peer"`
	Ops   []jsOp `json:"ops,omitempty"`
	Apply []int  `json:"apply,omitempty"`
	V2    bool   `json:"v2,omitempty"`
	// Snap takes a snapshot of the peer; Relpos creates a relative
	// position [path, index, assoc].
	Snap   bool  `json:"snap,omitempty"`
	Relpos []any `json:"relpos,omitempty"`
}

type check struct {
	// Updates lists what to merge: k >= 0 is update k, k < 0 the final
	// state of peer -k-1.
	Updates []int `json:"updates"`
	SVPeer  *int  `json:"svPeer,omitempty"`
}

// jsOp is one editing operation, as peer.mjs reads it.
type jsOp = map[string]any

type scriptResult struct {
	Updates   []string      `json:"updates"`
	UpdatesV2 []string      `json:"updatesV2"`
	Finals    []peerState   `json:"finals"`
	Checks    []checkResult `json:"checks"`
	Events    [][]string    `json:"events"`
	Snaps     []snapResult  `json:"snaps"`
	Relpos    []struct {
		Enc      string    `json:"enc"`
		Resolved []*string `json:"resolved"`
	} `json:"relpos"`
}

type snapResult struct {
	V1     string            `json:"v1"`
	V2     string            `json:"v2"`
	Deltas map[string]string `json:"deltas"`
	Doc    string            `json:"doc"`
}

type eventRecord struct {
	Path   []any  `json:"path"`
	Target []any  `json:"target"`
	Delta  string `json:"delta"`
	Keys   string `json:"keys"`
}

type peerState struct {
	JSON   string            `json:"json"`
	Deltas map[string]string `json:"deltas"`
	V1     string            `json:"v1"`
	V2     string            `json:"v2"`
	SV     string            `json:"sv"`
}

type checkResult struct {
	Merged   string `json:"merged"`
	MergedV2 string `json:"mergedV2"`
	Diff     string `json:"diff"`
	DiffV2   string `json:"diffV2"`
	SVFrom   string `json:"svFrom"`
	SVFromV2 string `json:"svFromV2"`
	ToV2     string `json:"toV2"`
	ToV1     string `json:"toV1"`
}

// goRun runs a script on Go documents.
type goRun struct {
	docs      []*Doc
	updates   [][]byte
	updatesV2 [][]byte
	// external, when set, are the updates to integrate instead of the
	// ones this run produces (yjs's, for the exchange from yjs to Go).
	external, externalV2 [][]byte
	current              int
	events               [][]eventRecord
	snaps                []goSnap
	relpos               []*RelativePosition
}

type goSnap struct {
	peer int
	snap *Snapshot
}

func newGoRun(s *script) *goRun {
	r := &goRun{current: -1}
	for i, p := range s.Peers {
		d := NewDoc(WithClientID(p.ClientID), WithGC(p.GC))
		i := i
		d.OnUpdate(func(u []byte, _ any) {
			if r.current == i {
				r.updates = append(r.updates, u)
			}
		})
		d.OnUpdateV2(func(u []byte, _ any) {
			if r.current == i {
				r.updatesV2 = append(r.updatesV2, u)
			}
		})
		for _, root := range s.Roots {
			rootByKind(d, root[0], root[1])
		}
		r.docs = append(r.docs, d)
		r.events = append(r.events, nil)
		if s.Observe {
			for _, root := range s.Roots {
				name := root[1]
				rootByKind(d, root[0], name).observeDeep(func(evs []*Event) {
					for _, e := range evs {
						r.events[i] = append(r.events[i], describeEvent(name, e))
					}
				})
			}
		}
	}
	return r
}

func describeEvent(root string, e *Event) eventRecord {
	path := []any{root}
	for _, p := range e.Path() {
		if n, ok := p.(int); ok {
			path = append(path, float64(n))
		} else {
			path = append(path, p)
		}
	}
	keys := map[string]any{}
	for k, c := range e.Keys() {
		kc := map[string]any{"action": c.Action}
		if c.Action != "add" {
			kc["oldValue"] = c.OldValue
		}
		keys[k] = kc
	}
	return eventRecord{Path: path, Target: typePath(e.t), Delta: canonJSON(e.Delta()), Keys: canonJSON(keys)}
}

// typePath returns the path of a type from its root: [name, key|index...].
func typePath(t *ytype) []any {
	var path []any
	d := t.doc
	for t.item != 0 {
		it := d.items.at(t.item)
		parent := d.types[it.parent]
		if it.hasSub() {
			path = append([]any{d.keys[it.data2]}, path...)
		} else {
			i := 0
			for c := parent.start; c != 0 && c != t.item; c = d.items.at(c).right {
				i += int(d.items.at(c).visible())
			}
			path = append([]any{float64(i)}, path...)
		}
		t = parent
	}
	return append([]any{t.rootName}, path...)
}

func rootByKind(d *Doc, kind, name string) *ytype {
	switch kind {
	case "text":
		return d.GetText(name).t()
	case "map":
		return d.GetMap(name).t()
	case "array":
		return d.GetArray(name).t()
	case "xmlfragment":
		return d.GetXmlFragment(name).t()
	case "xmlelement":
		return d.GetXmlElement(name).t()
	}
	panic("unknown root kind " + kind)
}

func (r *goRun) step(st step) error {
	d := r.docs[st.Peer]
	if st.Snap {
		r.snaps = append(r.snaps, goSnap{st.Peer, d.Snapshot()})
		return nil
	}
	if st.Relpos != nil {
		t, err := resolvePath(d, st.Relpos[0].([]any))
		if err != nil {
			return err
		}
		rp, err := RelativePositionFromIndex(t.view(), num(st.Relpos[1]), num(st.Relpos[2]))
		if err != nil {
			return err
		}
		r.relpos = append(r.relpos, rp)
		return nil
	}
	if st.Ops != nil {
		r.current = st.Peer
		defer func() { r.current = -1 }()
		for _, o := range st.Ops {
			if err := runGoOp(d, o); err != nil {
				return err
			}
		}
		return nil
	}
	var us [][]byte
	for _, k := range st.Apply {
		if r.external != nil && k >= len(r.external) {
			return fmt.Errorf("yjs produced only %d updates, the script applies #%d", len(r.external), k)
		}
		switch {
		case st.V2 && r.externalV2 != nil:
			us = append(us, r.externalV2[k])
		case st.V2:
			us = append(us, r.updatesV2[k])
		case r.external != nil:
			us = append(us, r.external[k])
		default:
			us = append(us, r.updates[k])
		}
	}
	u := us[0]
	if len(us) > 1 {
		var err error
		if st.V2 {
			u, err = MergeUpdatesV2(us)
		} else {
			u, err = MergeUpdates(us)
		}
		if err != nil {
			return err
		}
	}
	if st.V2 {
		return d.ApplyUpdateV2(u, "remote")
	}
	return d.ApplyUpdate(u, "remote")
}

// resolvePath follows a path [kind, name, step...] to a type.
func resolvePath(d *Doc, path []any) (*ytype, error) {
	t := rootByKind(d, path[0].(string), path[1].(string))
	for _, s := range path[2:] {
		var v any
		var ok bool
		switch s := s.(type) {
		case string:
			v, ok = t.mapGet(s)
		case float64:
			v, ok = t.listGet(int(s))
		case int:
			v, ok = t.listGet(s)
		}
		if !ok {
			return nil, fmt.Errorf("path %v: step %v missing", path, s)
		}
		t = typeOf(v)
		if t == nil {
			return nil, fmt.Errorf("path %v does not lead to a type", path)
		}
	}
	return t, nil
}

func opValue(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if s, ok := m["$bin"].(string); ok {
			b, _ := base64.StdEncoding.DecodeString(s)
			return b
		}
		if s, ok := m["$doc"].(string); ok {
			return Subdoc{GUID: s}
		}
	}
	return v
}

func opValues(v any) []any {
	in := v.([]any)
	out := make([]any, len(in))
	for i, x := range in {
		out[i] = opValue(x)
	}
	return out
}

func num(v any) int {
	switch v := v.(type) {
	case int:
		return v
	case float64:
		return int(v)
	}
	panic(fmt.Sprintf("not a number: %v", v))
}

func attrsOf(v any) Attributes {
	if v == nil {
		return nil
	}
	return v.(map[string]any)
}

func runGoOp(d *Doc, o jsOp) error {
	if o["t"] == "tx" {
		var err error
		d.Transact(func(*Transaction) {
			for _, x := range o["ops"].([]jsOp) {
				if e := runGoOp(d, x); e != nil && err == nil {
					err = e
				}
			}
		}, nil)
		return err
	}
	t, err := resolvePath(d, o["p"].([]any))
	if err != nil {
		return err
	}
	text := (*Text)(t)
	switch o["t"] {
	case "ins":
		if a, ok := o["a"]; ok {
			return text.InsertWithAttributes(num(o["i"]), o["s"].(string), attrsOf(a))
		}
		return text.Insert(num(o["i"]), o["s"].(string))
	case "emb":
		return text.InsertEmbed(num(o["i"]), o["e"], attrsOf(o["a"]))
	case "del":
		if t.kind == typeText || t.kind == typeXmlText {
			return text.Delete(num(o["i"]), num(o["n"]))
		}
		return (*Array)(t).Delete(num(o["i"]), num(o["n"]))
	case "fmt":
		return text.Format(num(o["i"]), num(o["n"]), attrsOf(o["a"]))
	case "delta":
		var ds []Delta
		for _, x := range o["d"].([]any) {
			m := x.(map[string]any)
			var op Delta
			if v, ok := m["insert"]; ok {
				op.Insert = v
			}
			if v, ok := m["retain"]; ok {
				op.Retain = num(v)
			}
			if v, ok := m["delete"]; ok {
				op.Delete = num(v)
			}
			if v, ok := m["attributes"]; ok {
				op.Attributes = v.(map[string]any)
			}
			ds = append(ds, op)
		}
		return text.ApplyDelta(ds)
	case "set":
		return t.mapSet(o["k"].(string), opValue(o["v"]))
	case "rm":
		t.mapDelete(o["k"].(string))
		return nil
	case "ains":
		return (*Array)(t).Insert(num(o["i"]), opValues(o["v"])...)
	case "push":
		return (*Array)(t).Push(opValues(o["v"])...)
	case "nt":
		kind := kindByName(o["kind"].(string))
		name, _ := o["name"].(string)
		if k, ok := o["k"].(string); ok {
			_, err := t.mapSetType(kind, name, k)
			return err
		}
		_, err := t.insertType(num(o["i"]), kind, name)
		return err
	}
	return fmt.Errorf("unknown op %v", o["t"])
}

func kindByName(s string) uint8 {
	switch s {
	case "text":
		return typeText
	case "map":
		return typeMap
	case "array":
		return typeArray
	case "xmlfragment":
		return typeXmlFragment
	case "xmlelement":
		return typeXmlElement
	case "xmltext":
		return typeXmlText
	}
	panic("unknown kind " + s)
}

// describe renders what the yjs peer's describe returns.
func describeDoc(d *Doc, roots [][2]string) (string, map[string]string) {
	js := map[string]any{}
	deltas := map[string]string{}
	var visit func(t *ytype, path []any)
	visit = func(t *ytype, path []any) {
		if t.kind == typeText || t.kind == typeXmlText {
			p, _ := json.Marshal(path)
			deltas[string(p)] = canonJSON(t.toDelta(nil, nil))
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
	for _, r := range roots {
		t := rootByKind(d, r[0], r[1])
		js[r[1]] = t.toJSON()
		visit(t, []any{r[0], r[1]})
	}
	return canonJSON(js), deltas
}

// canonJSON renders a value as peer.mjs's canon does.
func canonJSON(v any) string {
	var sb strings.Builder
	writeCanon(&sb, v)
	return sb.String()
}

func writeCanon(sb *strings.Builder, v any) {
	switch v := v.(type) {
	case nil, undefinedType:
		sb.WriteString("null")
	case bool:
		fmt.Fprint(sb, v)
	case float64:
		b, ok, _ := appendJSON(nil, v)
		if ok {
			sb.Write(b)
		}
	case int:
		fmt.Fprint(sb, v)
	case string:
		sb.Write(appendJSONString(nil, v))
	case []byte:
		sb.WriteString(`{"bin":`)
		sb.Write(appendJSONString(nil, base64.StdEncoding.EncodeToString(v)))
		sb.WriteString("}")
	case []any:
		sb.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeCanon(sb, e)
		}
		sb.WriteByte(']')
	case []Delta:
		sb.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				sb.WriteByte(',')
			}
			m := map[string]any{}
			if e.Insert != nil {
				m["insert"] = e.Insert
			}
			if e.Retain != 0 {
				m["retain"] = float64(e.Retain)
			}
			if e.Delete != 0 {
				m["delete"] = float64(e.Delete)
			}
			if e.Attributes != nil {
				m["attributes"] = e.Attributes
			}
			writeCanon(sb, m)
		}
		sb.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k, e := range v {
			if e != Undefined {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.Write(appendJSONString(nil, k))
			sb.WriteByte(':')
			writeCanon(sb, v[k])
		}
		sb.WriteByte('}')
	case Subdoc:
		sb.WriteString(`{"guid":`)
		sb.Write(appendJSONString(nil, v.GUID))
		sb.WriteString("}")
	default:
		if t := typeOf(v); t != nil {
			writeCanon(sb, t.toJSON())
			return
		}
		panic(fmt.Sprintf("canon: unexpected %T", v))
	}
}

// runScripts runs scripts on Go and on yjs and compares everything.
func runScripts(t *testing.T, scripts []*script, names []string) {
	t.Helper()
	p := yjsPeer(t)
	var results []struct {
		OK     bool         `json:"ok"`
		Result scriptResult `json:"result"`
		Error  string       `json:"error"`
	}
	if err := p.call("run", map[string]any{"scripts": scripts}, &results); err != nil {
		t.Fatal(err)
	}
	for i, s := range scripts {
		res := results[i]
		if !res.OK {
			t.Errorf("%s: yjs failed: %s", names[i], res.Error)
			continue
		}
		if err := compareScript(t, s, &res.Result); err != nil {
			t.Errorf("%s: %v", names[i], err)
			if testing.Verbose() {
				b, _ := json.Marshal(s)
				t.Logf("script: %s", b)
			}
		}
	}
}

func compareScript(t *testing.T, s *script, res *scriptResult) error {
	r := newGoRun(s)
	for i := range res.Updates {
		r.external = append(r.external, unb64(t, res.Updates[i]))
		r.externalV2 = append(r.externalV2, unb64(t, res.UpdatesV2[i]))
	}
	for i, st := range s.Steps {
		if err := r.step(st); err != nil {
			return fmt.Errorf("step %d: %v", i, err)
		}
	}
	if len(r.updates) != len(res.Updates) {
		return fmt.Errorf("go produced %d updates, yjs %d", len(r.updates), len(res.Updates))
	}
	for i := range r.updates {
		if want := unb64(t, res.Updates[i]); !bytes.Equal(r.updates[i], want) {
			return fmt.Errorf("update %d differs:\n go %x\nyjs %x", i, r.updates[i], want)
		}
		if want := unb64(t, res.UpdatesV2[i]); !bytes.Equal(r.updatesV2[i], want) {
			return fmt.Errorf("update v2 %d differs:\n go %x\nyjs %x", i, r.updatesV2[i], want)
		}
	}
	for i, d := range r.docs {
		want := res.Finals[i]
		js, deltas := describeDoc(d, s.Roots)
		if js != want.JSON {
			return fmt.Errorf("peer %d JSON differs:\n go %s\nyjs %s", i, js, want.JSON)
		}
		for k, v := range want.Deltas {
			if deltas[k] != v {
				return fmt.Errorf("peer %d delta %s differs:\n go %s\nyjs %s", i, k, deltas[k], v)
			}
		}
		if len(deltas) != len(want.Deltas) {
			return fmt.Errorf("peer %d: %d texts, yjs %d", i, len(deltas), len(want.Deltas))
		}
		v1, err := d.EncodeStateAsUpdate(nil)
		if err != nil {
			return err
		}
		if w := unb64(t, want.V1); !bytes.Equal(v1, w) {
			return fmt.Errorf("peer %d state v1 differs:\n go %x\nyjs %x", i, v1, w)
		}
		v2, err := d.EncodeStateAsUpdateV2(nil)
		if err != nil {
			return err
		}
		if w := unb64(t, want.V2); !bytes.Equal(v2, w) {
			return fmt.Errorf("peer %d state v2 differs:\n go %x\nyjs %x", i, v2, w)
		}
		if w := unb64(t, want.SV); !bytes.Equal(d.EncodeStateVector(), w) {
			return fmt.Errorf("peer %d state vector differs", i)
		}
	}
	if s.Observe {
		for i := range r.docs {
			if len(r.events[i]) != len(res.Events[i]) {
				return fmt.Errorf("peer %d: %d events, yjs %d", i, len(r.events[i]), len(res.Events[i]))
			}
			for j, ev := range r.events[i] {
				var want eventRecord
				if err := json.Unmarshal([]byte(res.Events[i][j]), &want); err != nil {
					return err
				}
				got, _ := json.Marshal(ev)
				wantJSON, _ := json.Marshal(want)
				if string(got) != string(wantJSON) {
					return fmt.Errorf("peer %d event %d differs:\n go %s\nyjs %s", i, j, got, wantJSON)
				}
			}
		}
	}
	for i, sn := range r.snaps {
		want := res.Snaps[i]
		if got := b64(EncodeSnapshot(sn.snap)); got != want.V1 {
			return fmt.Errorf("snapshot %d v1 differs: %s vs %s", i, got, want.V1)
		}
		if got := b64(EncodeSnapshotV2(sn.snap)); got != want.V2 {
			return fmt.Errorf("snapshot %d v2 differs", i)
		}
		d := r.docs[sn.peer]
		if d.GC() {
			continue
		}
		for k, v := range want.Deltas {
			var path []any
			_ = json.Unmarshal([]byte(k), &path)
			t, err := resolvePath(d, path)
			if err != nil {
				return fmt.Errorf("snapshot %d: %v", i, err)
			}
			if got := canonJSON(t.toDelta(sn.snap, nil)); got != v {
				return fmt.Errorf("snapshot %d delta of %s differs:\n go %s\nyjs %s", i, k, got, v)
			}
		}
		nd, err := d.DocFromSnapshot(sn.snap)
		if err != nil {
			return err
		}
		if got, _ := describeDoc(nd, s.Roots); got != want.Doc {
			return fmt.Errorf("doc from snapshot %d differs:\n go %s\nyjs %s", i, got, want.Doc)
		}
	}
	for i, rp := range r.relpos {
		want := res.Relpos[i]
		if got := b64(rp.Encode()); got != want.Enc {
			return fmt.Errorf("relative position %d encodes differently", i)
		}
		for p, d := range r.docs {
			abs := d.ResolveRelativePosition(rp)
			var got *string
			if abs != nil {
				b, _ := json.Marshal([]any{typePath(typeOf(abs.Type)), abs.Index, abs.Assoc})
				s := string(b)
				got = &s
			}
			w := want.Resolved[p]
			if (got == nil) != (w == nil) || (got != nil && *got != *w) {
				return fmt.Errorf("relative position %d on peer %d: go %v, yjs %v", i, p, deref(got), deref(w))
			}
		}
	}
	for i, c := range s.Checks {
		want := res.Checks[i]
		var us, usV2 [][]byte
		for _, k := range c.Updates {
			if k < 0 {
				d := r.docs[-k-1]
				v1, _ := d.EncodeStateAsUpdate(nil)
				v2, _ := d.EncodeStateAsUpdateV2(nil)
				us = append(us, v1)
				usV2 = append(usV2, v2)
				continue
			}
			us = append(us, r.updates[k])
			usV2 = append(usV2, r.updatesV2[k])
		}
		sv := []byte{0}
		if c.SVPeer != nil {
			sv = r.docs[*c.SVPeer].EncodeStateVector()
		}
		merged, err := MergeUpdates(us)
		if err != nil {
			return err
		}
		mergedV2, err := MergeUpdatesV2(usV2)
		if err != nil {
			return err
		}
		for _, cmp := range []struct {
			name string
			got  func() ([]byte, error)
			want string
		}{
			{"merge", func() ([]byte, error) { return merged, nil }, want.Merged},
			{"mergeV2", func() ([]byte, error) { return mergedV2, nil }, want.MergedV2},
			{"diff", func() ([]byte, error) { return DiffUpdate(merged, sv) }, want.Diff},
			{"diffV2", func() ([]byte, error) { return DiffUpdateV2(mergedV2, sv) }, want.DiffV2},
			{"svFromUpdate", func() ([]byte, error) { return EncodeStateVectorFromUpdate(merged) }, want.SVFrom},
			{"svFromUpdateV2", func() ([]byte, error) { return EncodeStateVectorFromUpdateV2(mergedV2) }, want.SVFromV2},
			{"v1ToV2", func() ([]byte, error) { return ConvertUpdateV1ToV2(merged) }, want.ToV2},
			{"v2ToV1", func() ([]byte, error) { return ConvertUpdateV2ToV1(mergedV2) }, want.ToV1},
		} {
			got, err := cmp.got()
			if err != nil {
				return fmt.Errorf("check %d %s: %v", i, cmp.name, err)
			}
			if w := unb64(t, cmp.want); !bytes.Equal(got, w) {
				return fmt.Errorf("check %d %s differs:\n go %x\nyjs %x", i, cmp.name, got, w)
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestScriptBasic(t *testing.T) {
	p := func(kind, name string, steps ...any) []any { return append([]any{kind, name}, steps...) }
	s := &script{
		Peers: []scriptPeer{{ClientID: 1, GC: true}, {ClientID: 2, GC: true}},
		Roots: [][2]string{{"text", "text"}, {"map", "map"}, {"array", "array"}},
		Steps: []step{
			{Peer: 0, Ops: []jsOp{{"t": "ins", "p": p("text", "text"), "i": 0, "s": "hello"}}},
			{Peer: 1, Ops: []jsOp{{"t": "ins", "p": p("text", "text"), "i": 0, "s": "world"}}},
			{Peer: 0, Apply: []int{1}},
			{Peer: 1, Apply: []int{0}, V2: true},
			{Peer: 0, Ops: []jsOp{{"t": "del", "p": p("text", "text"), "i": 2, "n": 3}}},
			{Peer: 0, Ops: []jsOp{{"t": "set", "p": p("map", "map"), "k": "a", "v": 1.5}}},
			{Peer: 1, Ops: []jsOp{{"t": "ains", "p": p("array", "array"), "i": 0, "v": []any{1.0, "x", nil}}}},
			{Peer: 1, Ops: []jsOp{{"t": "fmt", "p": p("text", "text"), "i": 1, "n": 4, "a": map[string]any{"bold": true}}}},
			{Peer: 0, Apply: []int{2, 3, 4, 5}},
			{Peer: 1, Apply: []int{2, 3}},
		},
		Checks: []check{{Updates: []int{0, 1, 2, 3, 4, 5}}},
	}
	runScripts(t, []*script{s}, []string{"basic"})
}
