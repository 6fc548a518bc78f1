package sqlite

import (
	"context"
	"errors"
	"github.com/tandem-docs/tandem/logrow"
	"path/filepath"
	"testing"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

// A log written before per-writer sequence numbers (schema version 1)
// loads after the migration, its entries and snapshot under the writer "",
// and takes new writers' entries beside them.
func TestDocumentLogMigratesLegacyEntries(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "documents.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "document_log", documentLogSteps[:1]); err != nil {
		t.Fatal(err)
	}
	rows, _ := logrow.Group([]tandem.LogEntry{{Document: "a", Seq: 3, Update: []byte("u3")}, {Document: "a", Seq: 4, Update: []byte("u4")}})
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO document_updates (document, first_seq, last_seq, data) VALUES (?, ?, ?, ?)`,
		"a", int64(rows[0].First), int64(rows[0].Last), rows[0].Data); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO document_snapshots (document, seq, data) VALUES ('a', 2, 'snap')`); err != nil {
		t.Fatal(err)
	}
	l, err := NewDocumentLog(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkLegacy(t, l)
}

// checkLegacy checks a log that holds, from before the migration, document
// a with a snapshot at seq 2 and updates 3 ("u3") and 4 ("u4").
func checkLegacy(t *testing.T, l tandem.DocumentLog) {
	t.Helper()
	ctx := context.Background()
	st, err := l.Load(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Snapshot) != "snap" || st.SnapshotPosition[""] != 2 || len(st.SnapshotPosition) != 1 ||
		len(st.Updates) != 2 || st.Updates[0].Writer != "" || st.Updates[0].Seq != 3 || string(st.Updates[1].Update) != "u4" {
		t.Fatalf("legacy state = %+v", st)
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "a", Seq: 4, Update: []byte("again")}}); !errors.Is(err, tandem.ErrConflict) {
		t.Fatalf("re-append of a legacy seq = %v, want conflict", err)
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "a", Writer: "x", Seq: 1, Update: []byte("x1")}}); err != nil {
		t.Fatal(err)
	}
	h, err := l.Heads(ctx, []string{"a"})
	if err != nil || h["a"][""] != 4 || h["a"]["x"] != 1 {
		t.Fatalf("Heads = %v, %v", h, err)
	}
	st, err = l.ReadSince(ctx, "a", tandem.LogPosition{"": 3})
	if err != nil || st.Snapshot != nil || len(st.Updates) != 2 || string(st.Updates[0].Update) != "u4" || string(st.Updates[1].Update) != "x1" {
		t.Fatalf("ReadSince(\"\":3) = %+v, %v", st, err)
	}
	if err := l.Compact(ctx, "a", tandem.LogPosition{"": 4, "x": 1}, []byte("all")); err != nil {
		t.Fatal(err)
	}
	if st, err := l.Load(ctx, "a"); err != nil || len(st.Updates) != 0 || string(st.Snapshot) != "all" {
		t.Fatalf("after compaction = %+v, %v", st, err)
	}
}

func TestDocumentLogForgetsIdleWriters(t *testing.T) {
	tandemtest.TestDocumentLogForgetsIdleWriters(t, func(t *testing.T) tandem.DocumentLog {
		db, err := Open(filepath.Join(t.TempDir(), "documents.db"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewDocumentLog(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		l.writerIdle = 0
		t.Cleanup(func() { l.Close(); db.Close() })
		return l
	})
}
