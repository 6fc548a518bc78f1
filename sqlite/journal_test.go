package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

func openLog(t testing.TB, path string) (*DB, *DocumentLog) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewDocumentLog(context.Background(), db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, l
}

// foldingLog folds the whole journal after every append, so that the
// contract runs with every row in document_log.
type foldingLog struct{ *DocumentLog }

func (f foldingLog) Append(ctx context.Context, entries []tandem.LogEntry) error {
	err := f.DocumentLog.Append(ctx, entries)
	if ferr := f.fold(ctx); ferr != nil {
		return ferr
	}
	return err
}

// TestDocumentLogJournal runs the contract with the journal never folded
// (every row read from memory), folded after every append (every row in
// document_log) and folded every millisecond (folds racing everything).
func TestDocumentLogJournal(t *testing.T) {
	for _, mode := range []string{"unfolded", "folded", "racing"} {
		t.Run(mode, func(t *testing.T) {
			tandemtest.TestDocumentLog(t, func(t *testing.T) tandem.DocumentLog {
				db, l := openLog(t, filepath.Join(t.TempDir(), "documents.db"))
				t.Cleanup(func() {
					if err := l.Close(); err != nil {
						t.Error(err)
					}
					db.Close()
				})
				switch mode {
				case "unfolded":
					l.SetFoldInterval(time.Hour)
				case "folded":
					l.SetFoldInterval(time.Hour)
					return foldingLog{l}
				case "racing":
					l.SetFoldInterval(time.Millisecond)
				}
				return l
			})
		})
	}
}

// abandon leaves the log as a killed process would: nothing folded, the
// lock released (the kernel does that for a dead process).
func (l *DocumentLog) abandon() {
	close(l.stop)
	l.wg.Wait()
	l.stop = nil
	l.Close()
}

func TestJournalRowsSurviveAnUncleanStop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "documents.db")
	db, l := openLog(t, path)
	l.SetFoldInterval(time.Hour)
	for s := uint64(1); s <= 5; s++ {
		if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Writer: "w", Seq: s, Update: []byte{byte(s)}}}); err != nil {
			t.Fatal(err)
		}
		if s == 2 {
			if err := l.fold(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.abandon()
	var inJournal int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM document_journal`).Scan(&inJournal); err != nil || inJournal != 3 {
		t.Fatalf("journal rows after the stop: %d, %v (want 3)", inJournal, err)
	}
	db.Close()

	db, l = openLog(t, path)
	defer db.Close()
	defer l.Close()
	check := func(what string) {
		t.Helper()
		st, err := l.Load(ctx, "d")
		if err != nil || len(st.Updates) != 5 {
			t.Fatalf("%s: Load = %d updates, %v", what, len(st.Updates), err)
		}
		for i, u := range st.Updates {
			if u.Seq != uint64(i+1) || u.Update[0] != byte(i+1) {
				t.Fatalf("%s: update %d = %+v", what, i, u)
			}
		}
		h, err := l.Heads(ctx, []string{"d"})
		if err != nil || h["d"]["w"] != 5 {
			t.Fatalf("%s: Heads = %v, %v", what, h, err)
		}
		// A retry of an append that had committed collides, wherever it is.
		err = l.Append(ctx, []tandem.LogEntry{{Document: "d", Writer: "w", Seq: 4, Update: []byte{4}}})
		if _, ok := err.(*tandem.SeqConflictError); !ok {
			t.Fatalf("%s: retried append = %v, want a SeqConflictError", what, err)
		}
	}
	check("reopened")
	if err := l.fold(ctx); err != nil {
		t.Fatal(err)
	}
	check("folded")
	if err := db.Reader().QueryRow(`SELECT count(*) FROM document_journal`).Scan(&inJournal); err != nil || inJournal != 0 {
		t.Fatalf("journal rows after the fold: %d, %v", inJournal, err)
	}
}

func TestDocumentLogIsOneProcessAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "documents.db")
	db, l := openLog(t, path)
	defer db.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if l2, err := NewDocumentLog(context.Background(), db2); err == nil || !strings.Contains(err.Error(), "held by another process") {
		if l2 != nil {
			l2.Close()
		}
		t.Fatalf("a second log on the same file: %v", err)
	}
	l.Close()
	l2, err := NewDocumentLog(context.Background(), db2)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	l2.Close()
}

// TestJournalReadsDuringFoldsAndCompactions reads documents while appends,
// folds every millisecond and compactions run: every read must hold each
// writer's updates once each, without a gap, and at least every update
// acknowledged before it began.
func TestJournalReadsDuringFoldsAndCompactions(t *testing.T) {
	ctx := context.Background()
	db, l := openLog(t, filepath.Join(t.TempDir(), "documents.db"))
	defer db.Close()
	defer l.Close()
	l.SetFoldInterval(time.Millisecond)
	docs := []string{"a", "b", "c"}
	var mu sync.Mutex
	acked := map[string]uint64{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		seq := map[string]uint64{}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var batch []tandem.LogEntry
			for _, d := range docs[:1+i%len(docs)] {
				seq[d]++
				batch = append(batch, tandem.LogEntry{Document: d, Writer: "w", Seq: seq[d], Update: []byte(fmt.Sprint(seq[d]))})
			}
			if err := l.Append(ctx, batch); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			for _, e := range batch {
				acked[e.Document] = e.Seq
			}
			mu.Unlock()
		}
	}()
	wg.Add(1)
	go func() { // the compactor
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			d := docs[i%len(docs)]
			st, err := l.Load(ctx, d)
			if err != nil {
				errs <- err
				return
			}
			if len(st.Updates) == 0 {
				continue
			}
			if err := l.Compact(ctx, d, st.Position(), []byte("snapshot")); err != nil {
				errs <- err
				return
			}
		}
	}()
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() { // readers
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d := docs[i%len(docs)]
				mu.Lock()
				before := acked[d]
				mu.Unlock()
				var st tandem.DocumentState
				var err error
				if i%2 == 0 {
					st, err = l.Load(ctx, d)
				} else {
					st, err = l.ReadSince(ctx, d, tandem.LogPosition{"w": before / 2})
				}
				if err != nil {
					errs <- err
					return
				}
				next := st.SnapshotPosition["w"] + 1
				if st.Snapshot == nil && i%2 == 1 {
					next = before/2 + 1
				}
				for _, u := range st.Updates {
					if u.Seq != next || string(u.Update) != fmt.Sprint(u.Seq) {
						errs <- fmt.Errorf("%s: update seq %d (%q), want %d (snapshot at %v)", d, u.Seq, u.Update, next, st.SnapshotPosition)
						return
					}
					next++
				}
				if got := st.Position()["w"]; got < before {
					errs <- fmt.Errorf("%s: read reaches %d, but %d was acknowledged before it began", d, got, before)
					return
				}
			}
		}()
	}
	// Until 300 appends, or an error (the race detector makes them slow).
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := acked["a"]
		mu.Unlock()
		if n >= 300 || len(errs) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !t.Failed() && acked["a"] < 300 {
		t.Fatalf("only %d appends in a minute", acked["a"])
	}
}

// TestJournalSurvivesKill9 kills a process that appends as fast as it can
// while the journal folds every few milliseconds, three times over one
// database, and checks after each that every acknowledged update is
// stored exactly once.
func TestJournalSurvivesKill9(t *testing.T) {
	if path := os.Getenv("TANDEM_SQLITE_KILL_CHILD"); path != "" {
		appendUntilKilled(path, os.Getenv("TANDEM_SQLITE_KILL_WRITER"))
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "documents.db")
	acked := map[string]map[string]uint64{} // writer -> document -> last acknowledged seq
	for round := range 3 {
		writer := fmt.Sprintf("w%d", round)
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalSurvivesKill9$")
		cmd.Env = append(os.Environ(), "TANDEM_SQLITE_KILL_CHILD="+path, "TANDEM_SQLITE_KILL_WRITER="+writer)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked[writer] = map[string]uint64{}
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() && n < 300+round*200 {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			seq, _ := strconv.ParseUint(f[1], 10, 64)
			acked[writer][f[0]] = seq
			n++
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if n < 300+round*200 {
			t.Fatalf("round %d: the child acknowledged only %d appends", round, n)
		}

		db, l := openLog(t, path)
		var journalRows int
		db.Reader().QueryRow(`SELECT count(*) FROM document_journal`).Scan(&journalRows)
		for w, docs := range acked {
			for d, last := range docs {
				st, err := l.Load(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				next := st.SnapshotPosition[w] + 1
				for _, u := range st.Updates {
					if u.Writer != w {
						continue
					}
					if u.Seq != next || string(u.Update) != d+"/"+strconv.FormatUint(u.Seq, 10) {
						t.Fatalf("round %d: %s of %s: update %d (%q), want %d", round, d, w, u.Seq, u.Update, next)
					}
					next++
				}
				if next-1 < last {
					t.Fatalf("round %d: %s of %s stored up to %d, but %d was acknowledged", round, d, w, next-1, last)
				}
			}
		}
		t.Logf("round %d: %d appends acknowledged, %d rows left in the journal", round, n, journalRows)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// appendUntilKilled is the child of TestJournalSurvivesKill9: it appends
// batches over a few documents and prints "document seq" for each update
// once its Append has returned.
func appendUntilKilled(path, writer string) {
	ctx := context.Background()
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l, err := NewDocumentLog(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l.SetFoldInterval(3 * time.Millisecond)
	docs := []string{"a", "b", "c", "d"}
	seq := map[string]uint64{}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var batch []tandem.LogEntry
		for _, d := range docs[i%2 : 2+i%3] {
			seq[d]++
			batch = append(batch, tandem.LogEntry{Document: d, Writer: writer, Seq: seq[d], Update: []byte(d + "/" + strconv.FormatUint(seq[d], 10))})
		}
		if err := l.Append(ctx, batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if i%7 == 0 {
			d := docs[i%len(docs)]
			if st, err := l.Load(ctx, d); err == nil && len(st.Updates) > 0 {
				l.Compact(ctx, d, st.Position(), []byte("snapshot"))
			}
		}
		for _, e := range batch {
			fmt.Fprintln(w, e.Document, e.Seq)
		}
		w.Flush()
	}
}

// TestJournalDeadRowsAfterAnUncleanStop stops the log after a fold's
// chunk committed and before the pass deleted the rows it folded: on the
// next open those rows must not be read twice, and a document deleted in
// between must stay deleted.
func TestJournalDeadRowsAfterAnUncleanStop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "documents.db")
	db, l := openLog(t, path)
	l.SetFoldInterval(time.Hour)
	for s := uint64(1); s <= 3; s++ {
		for _, d := range []string{"kept", "deleted"} {
			if err := l.Append(ctx, []tandem.LogEntry{{Document: d, Writer: "w", Seq: s, Update: []byte{byte(s)}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One chunk of a pass, without the pass's delete.
	if n, rows, err := l.foldDocuments(ctx, []string{"deleted", "kept"}, l.journal.next()); err != nil || n != 2 || rows != 6 {
		t.Fatalf("foldDocuments = %d, %d, %v", n, rows, err)
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "kept", Writer: "w", Seq: 4, Update: []byte{4}}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	l.abandon()
	var inJournal int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM document_journal`).Scan(&inJournal); err != nil || inJournal != 4 {
		t.Fatalf("journal rows after the stop: %d, %v (want kept's 3 dead and 1 live)", inJournal, err)
	}
	db.Close()

	db, l = openLog(t, path)
	defer db.Close()
	defer l.Close()
	if err := db.Reader().QueryRow(`SELECT count(*) FROM document_journal`).Scan(&inJournal); err != nil || inJournal != 1 {
		t.Fatalf("journal rows after reopening: %d, %v (want the live one)", inJournal, err)
	}
	st, err := l.Load(ctx, "kept")
	if err != nil || len(st.Updates) != 4 {
		t.Fatalf("kept: %d updates, %v (want 4)", len(st.Updates), err)
	}
	for i, u := range st.Updates {
		if u.Seq != uint64(i+1) || u.Update[0] != byte(i+1) {
			t.Fatalf("kept: update %d = %+v", i, u)
		}
	}
	if st, err := l.Load(ctx, "deleted"); err != nil || len(st.Updates) != 0 {
		t.Fatalf("deleted: %d updates, %v (want none)", len(st.Updates), err)
	}
}
