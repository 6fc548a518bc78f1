package yjs

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The editing traces in /work/shared/traces (CC BY 4.0; authors in its
// README): real keystroke histories, positions in Unicode code points.

func tracesDir() string {
	if d := os.Getenv("TANDEM_TRACES"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "traces")
}

type editTrace struct {
	StartContent string `json:"startContent"`
	EndContent   string `json:"endContent"`
	Txns         []struct {
		Patches [][3]json.RawMessage `json:"patches"`
	} `json:"txns"`
}

// trace is a parsed editing trace as the tests keep it: the patches hold
// no pointers and their inserted text is one string, so that a cached
// trace costs the garbage collector nothing while benchmarks run.
type trace struct {
	end string // the end content
	ins string // the inserted text of every patch, concatenated
	ps  []patch
}

// patch is one edit: at code point pos delete del code points, then
// insert ins[off:off+n] of its trace.
type patch struct {
	pos, del int
	off, n   uint32
}

func (tr *trace) insert(p patch) string { return tr.ins[p.off : p.off+p.n] }

var traceCache sync.Map

func loadTrace(tb testing.TB, name string) *trace {
	tb.Helper()
	if v, ok := traceCache.Load(name); ok {
		return v.(*trace)
	}
	path := filepath.Join(tracesDir(), name)
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("trace %s not available: %v", name, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var et editTrace
	if err := json.NewDecoder(zr).Decode(&et); err != nil {
		tb.Fatal(err)
	}
	tr := &trace{end: et.EndContent}
	var ins strings.Builder
	for _, txn := range et.Txns {
		for _, p := range txn.Patches {
			var pt patch
			var s string
			if err := json.Unmarshal(p[0], &pt.pos); err != nil {
				tb.Fatal(err)
			}
			if err := json.Unmarshal(p[1], &pt.del); err != nil {
				tb.Fatal(err)
			}
			if err := json.Unmarshal(p[2], &s); err != nil {
				tb.Fatal(err)
			}
			pt.off, pt.n = uint32(ins.Len()), uint32(len(s))
			ins.WriteString(s)
			tr.ps = append(tr.ps, pt)
		}
	}
	tr.ins = ins.String()
	traceCache.Store(name, tr)
	return tr
}

// replayTrace applies a trace as local edits, one transaction per call
// (a delete, then an insert), as an editor would.
func replayTrace(tb testing.TB, d *Doc, tr *trace) *Text {
	text := d.GetText("text")
	// Traces count code points, Yjs UTF-16 units; they differ only after
	// characters outside the BMP, which the traces here do not have. Fall
	// back to converting through the current text if one shows up.
	astral := false
	for _, r := range tr.ins {
		if r > 0xffff {
			astral = true
		}
	}
	for _, p := range tr.ps {
		if p.pos < 0 {
			tb.Fatal("negative position")
		}
		pos, del := p.pos, p.del
		if astral {
			s := text.String()
			pos, del = utf16Span(s, p.pos, p.del)
		}
		if del > 0 {
			if err := text.Delete(pos, del); err != nil {
				tb.Fatal(err)
			}
		}
		if p.n > 0 {
			if err := text.Insert(pos, tr.insert(p)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return text
}

// utf16Span converts a code point position and length in s to UTF-16.
func utf16Span(s string, pos, n int) (int, int) {
	u, cp := 0, 0
	i := 0
	for cp < pos && i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		cp++
		u++
		if r > 0xffff {
			u++
		}
	}
	start := u
	for k := 0; k < n && i < len(s); k++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		u++
		if r > 0xffff {
			u++
		}
	}
	return start, u - start
}

var traceFiles = []string{
	"automerge-paper.json.gz",
	"seph-blog1.json.gz",
	"seph-blog1.ascii_only.json.gz",
	"friendsforever_flat.json.gz",
	"clownschool_flat.json.gz",
}

// TestTraces replays every trace and checks the end content, and that the
// document encodes to exactly what yjs produces for the same edits.
func TestTraces(t *testing.T) {
	for _, name := range traceFiles {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == "automerge-paper.json.gz" {
				t.Skip("long trace skipped in -short mode")
			}
			tr := loadTrace(t, name)
			d := NewDoc(WithClientID(1))
			text := replayTrace(t, d, tr)
			if got := text.String(); got != tr.end {
				t.Fatalf("end content differs: got %d bytes, want %d", len(got), len(tr.end))
			}
			p := yjsPeer(t)
			var res struct {
				OK bool   `json:"ok"`
				V1 string `json:"v1"`
				V2 string `json:"v2"`
			}
			abs, _ := filepath.Abs(filepath.Join(tracesDir(), name))
			if err := p.call("trace", map[string]any{"file": abs, "clientID": 1}, &res); err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Fatal("yjs did not reproduce the end content")
			}
			v1, err := d.EncodeStateAsUpdate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v1, unb64(t, res.V1)) {
				t.Errorf("v1 encoding differs from yjs: %d bytes vs %d", len(v1), len(unb64(t, res.V1)))
			}
			v2, err := d.EncodeStateAsUpdateV2(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v2, unb64(t, res.V2)) {
				t.Errorf("v2 encoding differs from yjs: %d bytes vs %d", len(v2), len(unb64(t, res.V2)))
			}
			// Loading the encoding gives the same text and bytes back.
			d2 := NewDoc(WithClientID(2))
			if err := d2.ApplyUpdateV2(v2, nil); err != nil {
				t.Fatal(err)
			}
			if d2.GetText("text").String() != tr.end {
				t.Error("reloaded text differs")
			}
			if again, _ := d2.EncodeStateAsUpdateV2(nil); !bytes.Equal(again, v2) {
				t.Error("re-encoding the loaded document differs")
			}
		})
	}
}

// TestEgwalkerUpdates loads S1.yjs and S2.yjs (update v2), checks the
// text against yjs and that re-encoding gives back the same bytes.
func TestEgwalkerUpdates(t *testing.T) {
	for _, name := range []string{"S1.yjs", "S2.yjs"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(tracesDir(), "egwalker-paper-yjs-v2", name))
			if err != nil {
				t.Skipf("%s not available: %v", name, err)
			}
			d := NewDoc()
			if err := d.ApplyUpdateV2(b, nil); err != nil {
				t.Fatal(err)
			}
			out, err := d.EncodeStateAsUpdateV2(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Fatalf("re-encoding differs: %d bytes, want %d", len(out), len(b))
			}
			p := yjsPeer(t)
			var res struct {
				JSON string `json:"json"`
				V1   string `json:"v1"`
			}
			if err := p.call("load", map[string]any{"updates": []string{b64(b)}, "v2": true, "roots": [][2]string{{"text", "text"}}}, &res); err != nil {
				t.Fatal(err)
			}
			js, _ := describeDoc(d, [][2]string{{"text", "text"}})
			if js != res.JSON {
				t.Fatal("text differs from yjs")
			}
			v1, err := d.EncodeStateAsUpdate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v1, unb64(t, res.V1)) {
				t.Fatal("v1 encoding differs from yjs")
			}
		})
	}
}
