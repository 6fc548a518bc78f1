package yjs

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Benchmarks of the operations issue 3 sets targets for. testdata/js/
// bench.mjs measures the same operations on yjs; see BENCHMARKS.md.

// BenchmarkTraceAutomerge applies automerge-paper as local edits, one
// transaction per call, gc on.
func BenchmarkTraceAutomerge(b *testing.B) {
	tr := loadTrace(b, "automerge-paper.json.gz")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDoc(WithClientID(1))
		replayTraceFast(d, tr)
	}
}

// replayTraceFast is replayTrace without checks, for benchmarks (the
// traces have no characters outside the BMP).
func replayTraceFast(d *Doc, tr *trace) *Text {
	text := d.GetText("text")
	for _, p := range tr.ps {
		if p.del > 0 {
			_ = text.Delete(p.pos, p.del)
		}
		if p.n > 0 {
			_ = text.Insert(p.pos, tr.insert(p))
		}
	}
	return text
}

func automergeFinal(b testing.TB) (v1, v2 []byte) {
	tr := loadTrace(b, "automerge-paper.json.gz")
	d := NewDoc(WithClientID(1))
	replayTraceFast(d, tr)
	v1, _ = d.EncodeStateAsUpdate(nil)
	v2, _ = d.EncodeStateAsUpdateV2(nil)
	return v1, v2
}

// BenchmarkLoadAutomergeV1 loads the final automerge-paper document.
func BenchmarkLoadAutomergeV1(b *testing.B) {
	v1, _ := automergeFinal(b)
	b.SetBytes(int64(len(v1)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDoc()
		if err := d.ApplyUpdate(v1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAutomergeV2 loads the final automerge-paper document.
func BenchmarkLoadAutomergeV2(b *testing.B) {
	_, v2 := automergeFinal(b)
	b.SetBytes(int64(len(v2)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDoc()
		if err := d.ApplyUpdateV2(v2, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLoadFile(b *testing.B, name string) {
	u, err := os.ReadFile(filepath.Join(tracesDir(), "egwalker-paper-yjs-v2", name))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(u)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDoc()
		if err := d.ApplyUpdateV2(u, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadS1 loads S1.yjs (update v2).
func BenchmarkLoadS1(b *testing.B) { benchLoadFile(b, "S1.yjs") }

// BenchmarkLoadS2 loads S2.yjs (update v2).
func BenchmarkLoadS2(b *testing.B) { benchLoadFile(b, "S2.yjs") }

// BenchmarkEncodeAutomergeV1 encodes the final automerge-paper document.
func BenchmarkEncodeAutomergeV1(b *testing.B) {
	_, v2 := automergeFinal(b)
	d := NewDoc()
	_ = d.ApplyUpdateV2(v2, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.EncodeStateAsUpdate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeAutomergeV2 encodes the final automerge-paper document.
func BenchmarkEncodeAutomergeV2(b *testing.B) {
	_, v2 := automergeFinal(b)
	d := NewDoc()
	_ = d.ApplyUpdateV2(v2, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.EncodeStateAsUpdateV2(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteInsert applies one remote single-character insert to a
// document of 100,000 characters.
func BenchmarkRemoteInsert(b *testing.B) {
	src := NewDoc(WithClientID(1))
	text := src.GetText("text")
	chunk := make([]byte, 1000)
	for i := range chunk {
		chunk[i] = 'a' + byte(i%26)
	}
	for i := 0; i < 100; i++ {
		_ = text.Insert(text.Len(), string(chunk))
	}
	base, _ := src.EncodeStateAsUpdate(nil)
	// Prepare b.N single-character updates at spread positions, made by a
	// second client on a copy of the document.
	author := NewDoc(WithClientID(2))
	_ = author.ApplyUpdate(base, nil)
	var updates [][]byte
	author.OnUpdate(func(u []byte, _ any) { updates = append(updates, u) })
	at := author.GetText("text")
	n := min(b.N, 200000)
	for i := 0; i < n; i++ {
		_ = at.Insert((i*7919)%at.Len(), "x")
	}
	d := NewDoc(WithClientID(3))
	_ = d.ApplyUpdate(base, nil)
	d.GetText("text")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i == n {
			b.StopTimer()
			d = NewDoc(WithClientID(3))
			_ = d.ApplyUpdate(base, nil)
			b.StartTimer()
		}
		if err := d.ApplyUpdate(updates[i%n], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// heapOf returns the heap held by what build returns, measured across a
// garbage collection.
func heapOf(build func() any) uint64 {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	keep := build()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(keep)
	return m1.HeapAlloc - m0.HeapAlloc
}

// BenchmarkHeapLoaded reports the heap held by loaded documents.
func BenchmarkHeapLoaded(b *testing.B) {
	_, v2 := automergeFinal(b)
	s1, _ := os.ReadFile(filepath.Join(tracesDir(), "egwalker-paper-yjs-v2", "S1.yjs"))
	s2, _ := os.ReadFile(filepath.Join(tracesDir(), "egwalker-paper-yjs-v2", "S2.yjs"))
	for i := 0; i < b.N; i++ {
		for _, c := range []struct {
			name string
			u    []byte
		}{{"automerge", v2}, {"S1", s1}, {"S2", s2}} {
			h := heapOf(func() any {
				d := NewDoc()
				_ = d.ApplyUpdateV2(c.u, nil)
				return d
			})
			b.ReportMetric(float64(h), c.name+"-heap-bytes")
		}
	}
}
