package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkJournalLayout weighs a layout the document log does not use
// (yet): appends to a journal in commit order, which a background task
// would fold into the per-document rows many commits at a time. It
// measures only the append side, the cost a group commit would pay, next
// to today's (BenchmarkDocumentLogAppend/batch=100): 100 one-update rows
// for 100 of 1,000 documents per transaction, with the same pragmas.
//
//	go test -run XXX -bench 'DocumentLogAppend/batch=100$|JournalLayout' ./sqlite/
//
// The layouts: "journal" has rows keyed by an increasing integer, so a
// commit fills the last pages of one B-tree. "journal+index" adds an
// index on (document, writer, last_seq), which collision checks and loads
// would need, and which touches a leaf per document again (smaller ones).
// "journal+index+trim" keeps that indexed journal small, as folding would:
// every 10 commits the rows of the 10 before are deleted, in the measured
// time (the fold's deletes, not its inserts into document_log).
func BenchmarkJournalLayout(b *testing.B) {
	for _, layout := range []string{"journal", "journal+index", "journal+index+trim"} {
		b.Run(layout, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(filepath.Join(b.TempDir(), "documents.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			w := db.Writer()
			schema := `CREATE TABLE journal (id INTEGER PRIMARY KEY, document TEXT NOT NULL, writer TEXT NOT NULL,
				first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, ord INTEGER NOT NULL, data BLOB NOT NULL)`
			if strings.Contains(layout, "index") {
				schema += `; CREATE INDEX journal_document ON journal (document, writer, last_seq)`
			}
			if _, err := w.ExecContext(ctx, schema); err != nil {
				b.Fatal(err)
			}
			const size = 100
			stmt, err := w.PrepareContext(ctx, `INSERT INTO journal (document, writer, first_seq, last_seq, ord, data) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", size), ","))
			if err != nil {
				b.Fatal(err)
			}
			defer stmt.Close()
			update := make([]byte, 30)
			docs := make([]string, 1000)
			for i := range docs {
				docs[i] = fmt.Sprintf("doc-%d", i)
			}
			seqs := map[string]int64{}
			args := make([]any, 0, 6*size)
			k := 0
			cpu0 := processCPU(b)
			b.ResetTimer()
			for n := range b.N {
				args = args[:0]
				for range size {
					d := docs[k%len(docs)]
					k++
					seqs[d]++
					args = append(args, d, "writer", seqs[d], seqs[d], int64(n), update)
				}
				tx, err := w.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				if strings.HasSuffix(layout, "+trim") && n%10 == 9 {
					if _, err := w.ExecContext(ctx, `DELETE FROM journal WHERE ord <= ?`, int64(n)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "updates/s")
			if cpu := processCPU(b) - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*size), "cpu-µs/update")
			}
		})
	}
}
