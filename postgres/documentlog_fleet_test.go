package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
)

// An append in flight on another instance holds the head of a document it
// shares with this append: this one must report that document as a
// conflict at once and store the others, not queue behind the other
// instance's commit (which made three instances' group commits run one
// after the other).
func TestDocumentLogAppendSkipsHeadsLockedByAnotherAppend(t *testing.T) {
	ctx := context.Background()
	l := openDocumentLog(t)
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "a", Seq: 1, Update: []byte{1}}, {Document: "b", Seq: 1, Update: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	// The lock the other instance's append takes on a.
	tx, err := l.db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT FROM document_heads WHERE document = $1 FOR NO KEY UPDATE`, []byte("a")); err != nil {
		t.Fatal(err)
	}
	// The deadline only turns a wait for the other transaction (which never
	// ends here) into a failure instead of a hung test.
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = l.Append(actx, []tandem.LogEntry{{Document: "a", Seq: 2, Update: []byte{2}}, {Document: "b", Seq: 2, Update: []byte{2}}})
	var ce *tandem.SeqConflictError
	if !errors.As(err, &ce) || fmt.Sprint(ce.Documents) != "[a]" {
		t.Fatalf("Append with a's head locked elsewhere = %v, want a conflict on [a]", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	heads, err := l.Heads(ctx, []string{"a", "b"})
	if err != nil || heads["a"][""] != 1 || heads["b"][""] != 2 {
		t.Fatalf("Heads = %v, %v; want a at 1 (not stored), b at 2", heads, err)
	}
	// Once the lock is gone, a's append goes through.
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "a", Seq: 2, Update: []byte{2}}}); err != nil {
		t.Fatal(err)
	}
}

// Compaction runs while the document is written (every instance compacts
// the documents it writes): a single writer's appends must never conflict
// with it, since an append skips heads that are locked, and the log must
// end up whole.
func TestDocumentLogCompactionDoesNotMakeAppendsConflict(t *testing.T) {
	ctx := context.Background()
	l := openDocumentLog(t)
	const n = 300
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: 1, Update: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var compactions int
	var compactErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			heads, err := l.Heads(ctx, []string{"d"})
			if err != nil {
				compactErr = err
				return
			}
			// The snapshot's bytes do not matter to the log.
			err = l.Compact(ctx, "d", heads["d"], []byte(fmt.Sprintf("snapshot through %d", heads["d"][""])))
			if err != nil && !errors.Is(err, tandem.ErrConflict) {
				compactErr = err
				return
			}
			if err == nil {
				compactions++
			}
		}
	}()
	for seq := uint64(2); seq <= n; seq++ {
		if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: seq, Update: []byte{byte(seq)}}}); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("append of seq %d while compacting: %v", seq, err)
		}
	}
	close(stop)
	wg.Wait()
	if compactErr != nil {
		t.Fatal(compactErr)
	}
	if compactions == 0 {
		t.Fatal("no compaction ran alongside the appends")
	}
	st, err := l.Load(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("snapshot through %d", st.SnapshotPosition[""]); string(st.Snapshot) != want {
		t.Fatalf("snapshot %q at seq %d", st.Snapshot, st.SnapshotPosition[""])
	}
	for i, u := range st.Updates {
		if u.Seq != st.SnapshotPosition[""]+uint64(i)+1 || u.Update[0] != byte(u.Seq) {
			t.Fatalf("update %d after the snapshot at %d: seq %d %v", i, st.SnapshotPosition[""], u.Seq, u.Update)
		}
	}
	if st.Position()[""] != n {
		t.Fatalf("log ends at %d, want %d", st.Position()[""], n)
	}
}

// Two instances compact the same document at once: they run one after the
// other and the log stays consistent (the snapshot never goes back).
func TestDocumentLogConcurrentCompactions(t *testing.T) {
	ctx := context.Background()
	l := openDocumentLog(t)
	for seq := uint64(1); seq <= 40; seq++ {
		if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: seq, Update: []byte{byte(seq)}}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for through := uint64(1); through <= 40; through++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.Compact(ctx, "d", tandem.LogPosition{"": through}, []byte(fmt.Sprintf("snapshot through %d", through)))
			if err != nil && !errors.Is(err, tandem.ErrConflict) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := l.Load(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if string(st.Snapshot) != fmt.Sprintf("snapshot through %d", st.SnapshotPosition[""]) || st.Position()[""] != 40 || len(st.Updates) != int(40-st.SnapshotPosition[""]) {
		t.Fatalf("after concurrent compactions: snapshot %q at %d, %d updates, seq %d", st.Snapshot, st.SnapshotPosition[""], len(st.Updates), st.Position()[""])
	}
}
