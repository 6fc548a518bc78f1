package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

func TestDocumentLog(t *testing.T) {
	tandemtest.TestDocumentLog(t, func(t *testing.T) tandem.DocumentLog {
		db, err := Open(filepath.Join(t.TempDir(), "documents.db"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewDocumentLog(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close(); db.Close() })
		return l
	})
}

// BenchmarkDocumentLogAppend measures a group commit of b.N batches of
// updates spread over many documents, as the realtime service issues them.
func BenchmarkDocumentLogAppend(b *testing.B) {
	for _, size := range []int{1, 100, 1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "documents.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			l, err := NewDocumentLog(context.Background(), db)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			update := make([]byte, 30)
			seqs := map[string]uint64{}
			docs := make([]string, 1000)
			for i := range docs {
				docs[i] = fmt.Sprintf("doc-%d", i)
			}
			batch := make([]tandem.LogEntry, size)
			k := 0
			cpu0 := processCPU(b)
			b.ResetTimer()
			for range b.N {
				for j := range batch {
					d := docs[k%len(docs)]
					k++
					seqs[d]++
					batch[j] = tandem.LogEntry{Document: d, Seq: seqs[d], Update: update}
				}
				if err := l.Append(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "updates/s")
			// CPU time (the background checkpoints included) tells more
			// than the elapsed time on a machine shared with other work.
			if cpu := processCPU(b) - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*size), "cpu-µs/update")
			}
		})
	}
}

// BenchmarkDocumentLogLoad measures loading a small document (a snapshot
// and a few updates after it), which every first join of a document does:
// a reconnect storm over many documents is mostly these.
func BenchmarkDocumentLogLoad(b *testing.B) {
	ctx := context.Background()
	db, err := Open(filepath.Join(b.TempDir(), "documents.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := NewDocumentLog(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	update := make([]byte, 30)
	docs := make([]string, 100)
	for i := range docs {
		docs[i] = fmt.Sprintf("doc-%d", i)
		for s := uint64(1); s <= 5; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{{Document: docs[i], Seq: s, Update: update}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st, err := l.Load(ctx, docs[i%len(docs)])
		if err != nil || len(st.Updates) != 5 {
			b.Fatal(err, len(st.Updates))
		}
	}
}
