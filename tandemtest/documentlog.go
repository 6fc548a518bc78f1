package tandemtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
)

// TestDocumentLog is the contract every tandem.DocumentLog implementation
// must meet. open returns a fresh, empty store for each subtest; it is
// called once per subtest and may register cleanups on t.
func TestDocumentLog(t *testing.T, open func(t *testing.T) tandem.DocumentLog) {
	ctx := context.Background()
	upd := func(doc string, seq uint64) []byte {
		return []byte(fmt.Sprintf("update %s/%d", doc, seq))
	}
	// at is the position of the legacy writer "" at seq, which the
	// single-writer subtests use.
	at := func(seq uint64) tandem.LogPosition {
		if seq == 0 {
			return tandem.LogPosition{}
		}
		return tandem.LogPosition{"": seq}
	}
	entry := func(doc string, seq uint64) tandem.LogEntry {
		return tandem.LogEntry{Document: doc, Seq: seq, Update: upd(doc, seq)}
	}
	wantState := func(t *testing.T, l tandem.DocumentLog, doc string, snapSeq uint64, snap []byte, seqs ...uint64) {
		t.Helper()
		st, err := l.Load(ctx, doc)
		if err != nil {
			t.Fatalf("Load(%q): %v", doc, err)
		}
		if !samePosition(st.SnapshotPosition, at(snapSeq)) || !bytes.Equal(st.Snapshot, snap) {
			t.Fatalf("Load(%q) snapshot = (%v, %q), want (%d, %q)", doc, st.SnapshotPosition, st.Snapshot, snapSeq, snap)
		}
		if len(st.Updates) != len(seqs) {
			t.Fatalf("Load(%q) has %d updates, want %d (%v)", doc, len(st.Updates), len(seqs), seqs)
		}
		for i, u := range st.Updates {
			if u.Document != doc || u.Seq != seqs[i] || !bytes.Equal(u.Update, upd(doc, seqs[i])) {
				t.Fatalf("Load(%q) update %d = %+v, want seq %d", doc, i, u, seqs[i])
			}
		}
	}

	t.Run("EmptyDocument", func(t *testing.T) {
		l := open(t)
		st, err := l.Load(ctx, "never-written")
		if err != nil {
			t.Fatal(err)
		}
		if st.Snapshot != nil || len(st.SnapshotPosition) != 0 || len(st.Updates) != 0 || len(st.Position()) != 0 || st.Size() != 0 {
			t.Fatalf("empty document state = %+v", st)
		}
	})

	t.Run("AppendLoadInOrder", func(t *testing.T) {
		l := open(t)
		// One batch across documents, entries of a document interleaved.
		batch := []tandem.LogEntry{entry("a", 1), entry("b", 1), entry("a", 2), entry("a", 3), entry("b", 2)}
		if err := l.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{entry("a", 4)}); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "a", 0, nil, 1, 2, 3, 4)
		wantState(t, l, "b", 0, nil, 1, 2)
		st, _ := l.Load(ctx, "a")
		if st.Position()[""] != 4 || st.Size() != int64(4*len(upd("a", 1))) {
			t.Fatalf("Seq() = %d, Size() = %d", st.Position()[""], st.Size())
		}
		if err := l.Append(ctx, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
	})

	t.Run("BinaryAndLargeUpdates", func(t *testing.T) {
		l := open(t)
		big := make([]byte, 5<<20)
		for i := range big {
			big[i] = byte(i * 7)
		}
		small := []byte{0, 0, 0xff, 0}
		if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: 1, Update: big}, {Document: "d", Seq: 2, Update: small}}); err != nil {
			t.Fatal(err)
		}
		st, err := l.Load(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Updates) != 2 || !bytes.Equal(st.Updates[0].Update, big) || !bytes.Equal(st.Updates[1].Update, small) {
			t.Fatal("binary updates did not round-trip")
		}
	})

	t.Run("DocumentKeysAreOpaque", func(t *testing.T) {
		l := open(t)
		keys := []string{"org/1/doc", "Doc", "doc", "名前 with spaces", "%_'\";--", "a\x00b"}
		for _, k := range keys {
			if err := l.Append(ctx, []tandem.LogEntry{entry(k, 1)}); err != nil {
				t.Fatalf("Append(%q): %v", k, err)
			}
		}
		for _, k := range keys {
			wantState(t, l, k, 0, nil, 1)
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		l := open(t)
		bad := [][]tandem.LogEntry{
			{{Document: "", Seq: 1, Update: []byte{1}}},
			{{Document: "d", Seq: 0, Update: []byte{1}}},
			{{Document: "d", Seq: 1, Update: nil}},
			{entry("d", 1), {Document: "d", Seq: 1 << 63, Update: []byte{1}}},
			{entry("d", 2), entry("d", 1)}, // seqs of a document must increase
			{entry("d", 1), entry("d", 1)},
		}
		for _, b := range bad {
			if err := l.Append(ctx, b); !errors.Is(err, tandem.ErrInvalid) {
				t.Fatalf("Append(%+v) = %v, want ErrInvalid", b, err)
			}
		}
		wantState(t, l, "d", 0, nil)
		if _, err := l.Load(ctx, ""); !errors.Is(err, tandem.ErrInvalid) {
			t.Fatalf("Load(\"\") = %v, want ErrInvalid", err)
		}
		if err := l.Compact(ctx, "", at(1), []byte{1}); !errors.Is(err, tandem.ErrInvalid) {
			t.Fatalf("Compact(\"\") = %v, want ErrInvalid", err)
		}
		if err := l.Compact(ctx, "d", at(1), nil); !errors.Is(err, tandem.ErrInvalid) {
			t.Fatalf("Compact with empty snapshot = %v, want ErrInvalid", err)
		}
	})

	t.Run("ConflictStoresOnlyTheOtherDocuments", func(t *testing.T) {
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{entry("a", 1), entry("a", 2), entry("c", 1)}); err != nil {
			t.Fatal(err)
		}
		// b is new, a collides at seq 2 (its seq 3 is not stored either),
		// c collides at seq 1, d is new.
		err := l.Append(ctx, []tandem.LogEntry{entry("b", 1), entry("a", 2), entry("a", 3), entry("c", 1), entry("d", 1), entry("d", 2)})
		var ce *tandem.SeqConflictError
		if !errors.As(err, &ce) || !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("Append over existing seqs = %v, want *SeqConflictError", err)
		}
		if fmt.Sprint(ce.Documents) != "[a c]" {
			t.Fatalf("conflicting documents = %v, want [a c]", ce.Documents)
		}
		wantState(t, l, "a", 0, nil, 1, 2)
		wantState(t, l, "b", 0, nil, 1)
		wantState(t, l, "c", 0, nil, 1)
		wantState(t, l, "d", 0, nil, 1, 2)
		// Only conflicts: nothing stored.
		err = l.Append(ctx, []tandem.LogEntry{entry("a", 1), entry("b", 1)})
		if !errors.As(err, &ce) || fmt.Sprint(ce.Documents) != "[a b]" {
			t.Fatalf("Append of only conflicts = %v", err)
		}
		wantState(t, l, "b", 0, nil, 1)
		// Appending after the stored seqs succeeds.
		if err := l.Append(ctx, []tandem.LogEntry{entry("a", 3), entry("c", 2)}); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "a", 0, nil, 1, 2, 3)
	})

	t.Run("CompactTrimsAtomically", func(t *testing.T) {
		l := open(t)
		for s := uint64(1); s <= 5; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{entry("d", s), entry("other", s)}); err != nil {
				t.Fatal(err)
			}
		}
		snap := []byte("snapshot through 3")
		if err := l.Compact(ctx, "d", at(3), snap); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 3, snap, 4, 5)
		wantState(t, l, "other", 0, nil, 1, 2, 3, 4, 5)
		// A writer that missed the compaction cannot append over it.
		err := l.Append(ctx, []tandem.LogEntry{entry("d", 3)})
		if !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("append at a compacted seq = %v, want conflict", err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 6)}); err != nil {
			t.Fatal(err)
		}
		// Compacting through the end leaves an empty log.
		snap2 := []byte("snapshot through 6")
		if err := l.Compact(ctx, "d", at(6), snap2); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 6, snap2)
		st, _ := l.Load(ctx, "d")
		if st.Position()[""] != 6 || st.Size() != int64(len(snap2)) {
			t.Fatalf("after full compaction Seq() = %d, Size() = %d", st.Position()[""], st.Size())
		}
		// Appends continue after the snapshot.
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 7)}); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 6, snap2, 7)
	})

	t.Run("CompactInsideOneAppend", func(t *testing.T) {
		// Updates appended together may be compacted apart.
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 1), entry("d", 2), entry("d", 3), entry("d", 4), entry("d", 5)}); err != nil {
			t.Fatal(err)
		}
		snap := []byte("through 3")
		if err := l.Compact(ctx, "d", at(3), snap); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 3, snap, 4, 5)
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 5)}); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("re-append of seq 5 = %v, want conflict", err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 6), entry("d", 7)}); err != nil {
			t.Fatal(err)
		}
		if err := l.Compact(ctx, "d", at(6), []byte("through 6")); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 6, []byte("through 6"), 7)
	})

	t.Run("SequenceNumbersOnlyGrow", func(t *testing.T) {
		// A writer that is behind cannot slip entries below what is stored,
		// even into a gap.
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 1), entry("d", 10)}); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 5)}); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("append below the last seq = %v, want conflict", err)
		}
		wantState(t, l, "d", 0, nil, 1, 10)
	})

	t.Run("CompactRejectsStaleAndFuture", func(t *testing.T) {
		l := open(t)
		for s := uint64(1); s <= 4; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{entry("d", s)}); err != nil {
				t.Fatal(err)
			}
		}
		snap := []byte("through 3")
		if err := l.Compact(ctx, "d", at(3), snap); err != nil {
			t.Fatal(err)
		}
		if err := l.Compact(ctx, "d", at(2), []byte("stale")); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("stale compaction = %v, want conflict", err)
		}
		if err := l.Compact(ctx, "d", at(9), []byte("future")); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("compaction past the log = %v, want conflict", err)
		}
		if err := l.Compact(ctx, "nothing", at(1), []byte("x")); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("compaction of an empty document = %v, want conflict", err)
		}
		wantState(t, l, "d", 3, snap, 4)
	})

	t.Run("Delete", func(t *testing.T) {
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 1), entry("d", 2), entry("keep", 1)}); err != nil {
			t.Fatal(err)
		}
		if err := l.Compact(ctx, "d", at(1), []byte("s")); err != nil {
			t.Fatal(err)
		}
		if err := l.Delete(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 0, nil)
		wantState(t, l, "keep", 0, nil, 1)
		if err := l.Delete(ctx, "d"); err != nil {
			t.Fatalf("deleting a missing document: %v", err)
		}
		// A deleted document starts again from seq 1.
		if err := l.Append(ctx, []tandem.LogEntry{entry("d", 1)}); err != nil {
			t.Fatal(err)
		}
		wantState(t, l, "d", 0, nil, 1)
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		l := open(t)
		const writers, per = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				doc := fmt.Sprintf("doc-%d", w)
				for s := uint64(1); s <= per; s += 5 {
					batch := []tandem.LogEntry{entry(doc, s), entry(doc, s+1), entry(doc, s+2), entry(doc, s+3), entry(doc, s+4)}
					if err := l.Append(ctx, batch); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		// Readers run against the writers and must always see a prefix.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				st, err := l.Load(ctx, "doc-0")
				if err != nil {
					errs <- err
					return
				}
				for i, u := range st.Updates {
					if u.Seq != uint64(i+1) {
						errs <- fmt.Errorf("reader saw seq %d at %d", u.Seq, i)
						return
					}
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := make([]uint64, per)
		for i := range all {
			all[i] = uint64(i + 1)
		}
		for w := range writers {
			wantState(t, l, fmt.Sprintf("doc-%d", w), 0, nil, all...)
		}
	})

	t.Run("RacingWritersOfOneDocument", func(t *testing.T) {
		// Two writers that both believe they own a document: exactly one
		// wins each sequence number and the other sees a conflict.
		l := open(t)
		var wg sync.WaitGroup
		results := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[w] = l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: 1, Update: []byte{byte(w + 1)}}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, tandem.ErrConflict):
				t.Fatalf("racing append: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d racing appends of seq 1 succeeded, want exactly 1", ok)
		}
		st, err := l.Load(ctx, "d")
		if err != nil || len(st.Updates) != 1 {
			t.Fatalf("Load = %+v, %v", st, err)
		}
	})

	t.Run("ReadSince", func(t *testing.T) {
		l := open(t)
		for s := uint64(1); s <= 6; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{entry("d", s), entry("other", s)}); err != nil {
				t.Fatal(err)
			}
		}
		seqsOf := func(st tandem.DocumentState) []uint64 {
			var out []uint64
			for _, u := range st.Updates {
				if u.Document != "d" || !bytes.Equal(u.Update, upd("d", u.Seq)) {
					t.Fatalf("ReadSince returned %+v", u)
				}
				out = append(out, u.Seq)
			}
			return out
		}
		st, err := l.ReadSince(ctx, "d", at(4))
		if err != nil {
			t.Fatal(err)
		}
		if st.Snapshot != nil || len(st.SnapshotPosition) != 0 || fmt.Sprint(seqsOf(st)) != "[5 6]" || st.Position()[""] != 6 {
			t.Fatalf("ReadSince(4) = %+v", st)
		}
		if st, err = l.ReadSince(ctx, "d", at(0)); err != nil || fmt.Sprint(seqsOf(st)) != "[1 2 3 4 5 6]" {
			t.Fatalf("ReadSince(0) = %+v, %v", st, err)
		}
		if st, err = l.ReadSince(ctx, "d", at(6)); err != nil || len(st.Updates) != 0 || st.Snapshot != nil {
			t.Fatalf("ReadSince(6) = %+v, %v", st, err)
		}
		if st, err = l.ReadSince(ctx, "d", at(99)); err != nil || len(st.Updates) != 0 || st.Snapshot != nil {
			t.Fatalf("ReadSince past the end = %+v, %v", st, err)
		}
		if st, err = l.ReadSince(ctx, "never", at(0)); err != nil || len(st.Updates) != 0 || st.Snapshot != nil {
			t.Fatalf("ReadSince of an empty document = %+v, %v", st, err)
		}
		// Compacted past the reader: the snapshot comes with the rest.
		snap := []byte("through 4")
		if err := l.Compact(ctx, "d", at(4), snap); err != nil {
			t.Fatal(err)
		}
		st, err = l.ReadSince(ctx, "d", at(2))
		if err != nil || !samePosition(st.SnapshotPosition, at(4)) || !bytes.Equal(st.Snapshot, snap) || fmt.Sprint(seqsOf(st)) != "[5 6]" {
			t.Fatalf("ReadSince(2) after compaction through 4 = %+v, %v", st, err)
		}
		// At or past the snapshot: no snapshot.
		for _, after := range []uint64{4, 5} {
			st, err = l.ReadSince(ctx, "d", at(after))
			if err != nil || st.Snapshot != nil || len(st.SnapshotPosition) != 0 || st.Position()[""] != 6 {
				t.Fatalf("ReadSince(%d) after compaction = %+v, %v", after, st, err)
			}
		}
		if _, err := l.ReadSince(ctx, "", at(0)); !errors.Is(err, tandem.ErrInvalid) {
			t.Fatalf("ReadSince(\"\") = %v, want ErrInvalid", err)
		}
	})

	t.Run("Heads", func(t *testing.T) {
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{entry("a", 1), entry("a", 2), entry("b", 1), entry("b", 7)}); err != nil {
			t.Fatal(err)
		}
		if err := l.Compact(ctx, "a", at(2), []byte("s")); err != nil {
			t.Fatal(err)
		}
		h, err := l.Heads(ctx, []string{"a", "b", "none"})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h["a"][""] != 2 || h["b"][""] != 7 {
			t.Fatalf("Heads = %v, want a:2 b:7", h)
		}
		if h, err := l.Heads(ctx, nil); err != nil || len(h) != 0 {
			t.Fatalf("Heads(nil) = %v, %v", h, err)
		}
		many := make([]string, 300)
		for i := range many {
			many[i] = fmt.Sprintf("m-%d", i)
		}
		many[150] = "b"
		if h, err := l.Heads(ctx, many); err != nil || len(h) != 1 || h["b"][""] != 7 {
			t.Fatalf("Heads of 300 documents = %v, %v", h, err)
		}
	})

	// Per-writer sequence numbers: entries are keyed by (document,
	// writer, seq), so writers of one document never collide.
	wentry := func(doc, writer string, seq uint64) tandem.LogEntry {
		return tandem.LogEntry{Document: doc, Writer: writer, Seq: seq, Update: []byte(fmt.Sprintf("%s/%s/%d", doc, writer, seq))}
	}
	// keysOf lists a state's updates as writer/seq.
	keysOf := func(st tandem.DocumentState) string {
		var out []string
		for _, u := range st.Updates {
			if !bytes.Equal(u.Update, wentry(u.Document, u.Writer, u.Seq).Update) {
				t.Fatalf("update %+v has the wrong bytes", u)
			}
			out = append(out, fmt.Sprintf("%s%d", u.Writer, u.Seq))
		}
		return strings.Join(out, " ")
	}

	t.Run("WritersNumberTheirOwnEntries", func(t *testing.T) {
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", 1), wentry("d", "x", 2)}); err != nil {
			t.Fatal(err)
		}
		// Another writer's seq 1 of the same document is its own.
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 1)}); err != nil {
			t.Fatalf("second writer's seq 1: %v", err)
		}
		// Both writers in one batch, interleaved.
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", 3), wentry("d", "y", 2), wentry("d", "x", 4)}); err != nil {
			t.Fatal(err)
		}
		st, err := l.Load(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		// Each writer in order, appends in the order they were stored.
		got := keysOf(st)
		if got != "x1 x2 y1 x3 x4 y2" && got != "x1 x2 y1 y2 x3 x4" {
			t.Fatalf("Load = %s, want x1 x2 y1 then x3 x4 and y2", got)
		}
		if want := (tandem.LogPosition{"x": 4, "y": 2}); !samePosition(st.Position(), want) {
			t.Fatalf("Position() = %v, want %v", st.Position(), want)
		}
		// A writer's own seqs still only grow.
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 2)}); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("re-append of y2 = %v, want conflict", err)
		}
		// A writer's seqs may skip (a gap is the writer's business).
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 5)}); err != nil {
			t.Fatal(err)
		}
		h, err := l.Heads(ctx, []string{"d"})
		if err != nil || !samePosition(h["d"], tandem.LogPosition{"x": 4, "y": 5}) {
			t.Fatalf("Heads = %v, %v", h, err)
		}
	})

	t.Run("ConflictOfOneWriterStoresNoneOfItsDocument", func(t *testing.T) {
		l := open(t)
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", 1)}); err != nil {
			t.Fatal(err)
		}
		// x collides, y is new: nothing of d is stored; e is.
		err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 1), wentry("d", "x", 1), wentry("e", "x", 1)})
		var ce *tandem.SeqConflictError
		if !errors.As(err, &ce) || fmt.Sprint(ce.Documents) != "[d]" {
			t.Fatalf("Append = %v, want a conflict of [d]", err)
		}
		if st, err := l.Load(ctx, "d"); err != nil || keysOf(st) != "x1" {
			t.Fatalf("d = %s, %v; want x1 only", keysOf(st), err)
		}
		if st, err := l.Load(ctx, "e"); err != nil || keysOf(st) != "x1" {
			t.Fatalf("e = %s, %v; want x1", keysOf(st), err)
		}
	})

	t.Run("RetryOfACommittedAppend", func(t *testing.T) {
		// A writer whose append committed but whose reply was lost retries
		// it: the log refuses to store it twice, and the writer reads back
		// its own entries and continues after them.
		l := open(t)
		batch := []tandem.LogEntry{wentry("d", "x", 1), wentry("d", "x", 2), wentry("other", "x", 1)}
		if err := l.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 1)}); err != nil {
			t.Fatal(err)
		}
		err := l.Append(ctx, batch)
		var ce *tandem.SeqConflictError
		if !errors.As(err, &ce) || fmt.Sprint(ce.Documents) != "[d other]" {
			t.Fatalf("retried append = %v, want a conflict of [d other]", err)
		}
		st, err := l.ReadSince(ctx, "d", tandem.LogPosition{"y": 1})
		if err != nil || keysOf(st) != "x1 x2" {
			t.Fatalf("read back = %s, %v; want x1 x2", keysOf(st), err)
		}
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", st.Position()["x"]+1)}); err != nil {
			t.Fatal(err)
		}
		if st, err := l.Load(ctx, "d"); err != nil || keysOf(st) != "x1 x2 y1 x3" {
			t.Fatalf("Load = %s, %v; want x1 x2 y1 x3", keysOf(st), err)
		}
	})

	t.Run("ReadSincePosition", func(t *testing.T) {
		l := open(t)
		for s := uint64(1); s <= 3; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", s), wentry("d", "y", s), wentry("other", "x", s)}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			after tandem.LogPosition
			want  string
		}{
			{nil, "x1 y1 x2 y2 x3 y3"},
			{tandem.LogPosition{"x": 2}, "y1 y2 x3 y3"},
			{tandem.LogPosition{"x": 3, "y": 1}, "y2 y3"},
			{tandem.LogPosition{"x": 3, "y": 3}, ""},
			{tandem.LogPosition{"x": 9, "y": 9, "z": 4}, ""},
			{tandem.LogPosition{"z": 4}, "x1 y1 x2 y2 x3 y3"},
		}
		for _, c := range cases {
			st, err := l.ReadSince(ctx, "d", c.after)
			if err != nil {
				t.Fatal(err)
			}
			// Writers interleave in storage order; compare per writer.
			if got := sortedKeys(keysOf(st)); got != sortedKeys(c.want) || st.Snapshot != nil {
				t.Fatalf("ReadSince(%v) = %q (snapshot %q), want %q", c.after, keysOf(st), st.Snapshot, c.want)
			}
		}
	})

	t.Run("CompactTrimsExactlyThePosition", func(t *testing.T) {
		l := open(t)
		// x appends 1..4 in one row, y 1..3 one by one.
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "x", 1), wentry("d", "x", 2), wentry("d", "x", 3), wentry("d", "x", 4)}); err != nil {
			t.Fatal(err)
		}
		for s := uint64(1); s <= 3; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", s)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "z", 1)}); err != nil {
			t.Fatal(err)
		}
		snap := []byte("x2 y3")
		through := tandem.LogPosition{"x": 2, "y": 3}
		if err := l.Compact(ctx, "d", through, snap); err != nil {
			t.Fatal(err)
		}
		st, err := l.Load(ctx, "d")
		if err != nil || !bytes.Equal(st.Snapshot, snap) || !samePosition(st.SnapshotPosition, through) || sortedKeys(keysOf(st)) != sortedKeys("x3 x4 z1") {
			t.Fatalf("Load after compaction = %q at %v, %s, %v", st.Snapshot, st.SnapshotPosition, keysOf(st), err)
		}
		if want := (tandem.LogPosition{"x": 4, "y": 3, "z": 1}); !samePosition(st.Position(), want) {
			t.Fatalf("Position() = %v, want %v", st.Position(), want)
		}
		// A reader the snapshot is beyond gets it, and what follows.
		st, err = l.ReadSince(ctx, "d", tandem.LogPosition{"x": 4, "y": 1})
		if err != nil || !bytes.Equal(st.Snapshot, snap) || sortedKeys(keysOf(st)) != "z1" {
			t.Fatalf("ReadSince(x4 y1) = %q, %s, %v; want the snapshot and z1", st.Snapshot, keysOf(st), err)
		}
		// A reader that covers it does not.
		st, err = l.ReadSince(ctx, "d", tandem.LogPosition{"x": 3, "y": 3})
		if err != nil || st.Snapshot != nil || len(st.SnapshotPosition) != 0 || sortedKeys(keysOf(st)) != sortedKeys("x4 z1") {
			t.Fatalf("ReadSince(x3 y3) = %q, %s, %v; want x4 z1", st.Snapshot, keysOf(st), err)
		}
		// Folded entries stay taken.
		if err := l.Append(ctx, []tandem.LogEntry{wentry("d", "y", 3)}); !errors.Is(err, tandem.ErrConflict) {
			t.Fatalf("append of a compacted seq = %v, want conflict", err)
		}
		// A snapshot never goes back, nor beyond the log.
		for _, bad := range []tandem.LogPosition{{"x": 4}, {"x": 4, "y": 2, "z": 1}, {"x": 5, "y": 3}, {"x": 2, "y": 3, "w": 1}} {
			if err := l.Compact(ctx, "d", bad, []byte("bad")); !errors.Is(err, tandem.ErrConflict) {
				t.Fatalf("Compact(%v) = %v, want conflict", bad, err)
			}
		}
		if err := l.Compact(ctx, "d", tandem.LogPosition{}, []byte("s")); !errors.Is(err, tandem.ErrInvalid) {
			t.Fatalf("Compact of an empty position = %v, want ErrInvalid", err)
		}
		// Compacting the whole position empties the log.
		all := tandem.LogPosition{"x": 4, "y": 3, "z": 1}
		if err := l.Compact(ctx, "d", all, []byte("all")); err != nil {
			t.Fatal(err)
		}
		st, err = l.Load(ctx, "d")
		if err != nil || len(st.Updates) != 0 || !samePosition(st.SnapshotPosition, all) {
			t.Fatalf("after full compaction = %+v, %v", st, err)
		}
		h, err := l.Heads(ctx, []string{"d"})
		if err != nil || !samePosition(h["d"], all) {
			t.Fatalf("Heads after compaction = %v, %v", h, err)
		}
	})

	t.Run("ConcurrentWritersOfOneDocumentNeverConflict", func(t *testing.T) {
		l := open(t)
		const writers, per = 6, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("w%d", w)
				for s := uint64(1); s <= per; s += 2 {
					if err := l.Append(ctx, []tandem.LogEntry{wentry("hot", id, s), wentry("hot", id, s+1), wentry("cold-"+id, id, s)}); err != nil {
						errs <- fmt.Errorf("writer %s: %w", id, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		st, err := l.Load(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		next := map[string]uint64{}
		for _, u := range st.Updates {
			if u.Seq != next[u.Writer]+1 {
				t.Fatalf("writer %s: seq %d after %d", u.Writer, u.Seq, next[u.Writer])
			}
			next[u.Writer] = u.Seq
		}
		if len(st.Updates) != writers*per || len(next) != writers {
			t.Fatalf("%d updates of %d writers, want %d of %d", len(st.Updates), len(next), writers*per, writers)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		l := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := l.Append(cctx, []tandem.LogEntry{entry("d", 1)}); err == nil {
			t.Fatal("Append with a canceled context succeeded")
		}
		wantState(t, l, "d", 0, nil)
	})
}

// samePosition compares positions, a writer at 0 counting as absent.
func samePosition(a, b tandem.LogPosition) bool {
	return a.Covers(b) && b.Covers(a)
}

// sortedKeys sorts a space-separated list, for comparisons that do not
// depend on how writers interleave.
func sortedKeys(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// busRecorder is a tandem.BusListener that keeps what it hears.
type busRecorder struct {
	mu     sync.Mutex
	msgs   []tandem.BusMessage
	status []error
}

func (r *busRecorder) BusMessage(m tandem.BusMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *busRecorder) BusStatus(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = append(r.status, err)
}

func (r *busRecorder) messages() []tandem.BusMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tandem.BusMessage(nil), r.msgs...)
}

// waitFor polls until cond holds or five seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDocumentBus is the contract every tandem.DocumentBus implementation
// must meet. open returns two instances' buses on one fresh, shared medium.
func TestDocumentBus(t *testing.T, open func(t *testing.T) (a, b tandem.DocumentBus)) {
	ctx := context.Background()

	t.Run("DeliversToSubscribersOnly", func(t *testing.T) {
		a, b := open(t)
		var ra, rb busRecorder
		a.Listen(&ra)
		b.Listen(&rb)
		doc := "org/1/doc \x00 名前"
		if err := b.Subscribe(ctx, doc, "marker"); err != nil {
			t.Fatal(err)
		}
		if err := a.Subscribe(ctx, doc); err != nil {
			t.Fatal(err)
		}
		big := bytes.Repeat([]byte{0, 1, 0xff}, 300_000)
		msgs := []tandem.BusMessage{
			{Document: doc, Writer: "w\x00riter", Seq: 7, Updates: [][]byte{{1, 2, 3}, big}},
			{Document: "not-subscribed", Seq: 1, Updates: [][]byte{{9}}},
			{Document: doc, Awareness: []byte{1, 5, 1, 2, '{', '}'}},
			{Document: "marker", Seq: 1, Updates: [][]byte{{1}}},
		}
		// Subscriptions take effect asynchronously on some buses: publish
		// until the marker arrives.
		waitFor(t, "the first delivery", func() bool {
			if err := a.Publish(ctx, msgs[3]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			return len(rb.messages()) > 0
		})
		n := len(rb.messages())
		if err := a.Publish(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the messages", func() bool { return len(rb.messages()) >= n+3 })
		got := rb.messages()[n:]
		if len(got) != 3 {
			t.Fatalf("b got %d messages, want 3: %+v", len(got), got)
		}
		if got[0].Document != doc || got[0].Writer != "w\x00riter" || got[0].Seq != 7 || len(got[0].Updates) != 2 ||
			!bytes.Equal(got[0].Updates[0], []byte{1, 2, 3}) || !bytes.Equal(got[0].Updates[1], big) || got[0].Awareness != nil {
			t.Fatalf("update message arrived as %+v", got[0])
		}
		if got[1].Document != doc || !bytes.Equal(got[1].Awareness, msgs[2].Awareness) || got[1].Updates != nil {
			t.Fatalf("awareness message arrived as %+v", got[1])
		}
		if got[2].Document != "marker" {
			t.Fatalf("third message %+v, want the marker", got[2])
		}
		// A bus does not hear its own messages.
		time.Sleep(50 * time.Millisecond)
		if m := ra.messages(); len(m) != 0 {
			t.Fatalf("the publisher heard %d of its own messages", len(m))
		}
	})

	t.Run("Unsubscribe", func(t *testing.T) {
		a, b := open(t)
		var rb busRecorder
		a.Listen(&busRecorder{})
		b.Listen(&rb)
		if err := b.Subscribe(ctx, "d", "marker"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "subscription", func() bool {
			a.Publish(ctx, tandem.BusMessage{Document: "d", Seq: 1, Updates: [][]byte{{1}}})
			time.Sleep(20 * time.Millisecond)
			return len(rb.messages()) > 0
		})
		if err := b.Unsubscribe(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		n := len(rb.messages())
		// Messages of one publisher arrive in order: once the marker is
		// in, a message for d published before it would be too.
		if err := a.Publish(ctx, tandem.BusMessage{Document: "d", Seq: 2, Updates: [][]byte{{2}}},
			tandem.BusMessage{Document: "marker", Seq: 1, Updates: [][]byte{{3}}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the marker", func() bool { return len(rb.messages()) > n })
		for _, m := range rb.messages()[n:] {
			if m.Document == "d" {
				t.Fatalf("a message for an unsubscribed document arrived: %+v", m)
			}
		}
	})

	t.Run("Presence", func(t *testing.T) {
		a, b := open(t)
		a.Listen(&busRecorder{})
		b.Listen(&busRecorder{})
		check := func(bus tandem.DocumentBus, local map[string]int, want string) {
			t.Helper()
			got, err := bus.Presence(ctx, local)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != want && !(len(got) == 0 && want == "map[]") {
				t.Fatalf("Presence(%v) = %v, want %s", local, got, want)
			}
		}
		check(a, map[string]int{"x": 2, "y": 1}, "map[]")
		check(b, map[string]int{"x": 3, "z": 0}, "map[x:2]")
		check(a, map[string]int{"x": 2, "y": 0}, "map[x:3]")
		// a leaves x: b stops counting it.
		check(a, map[string]int{}, "map[]")
		check(b, map[string]int{"x": 3, "y": 0}, "map[]")
	})
}
