package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/logrow"
)

// The journal: group commits append to document_journal, a table keyed by
// commit order, and a background fold moves its rows into document_log
// (keyed by document) many commits at a time.
//
// Why: a group commit over many documents wrote a leaf page of
// document_log per document it touched, each a WAL frame: 20-35 µs of CPU
// per update. Rows keyed by commit order fill the last pages of one
// B-tree instead, and the fold turns each document's rows since the last
// fold into one row of document_log, a leaf write per document per fold
// (BenchmarkDocumentLogAppend, BENCHMARKS.md).
//
// The journal has no index, and nothing reads it back from SQL except when
// the log opens (after a crash, or a stop that did not fold): this process
// keeps every row it has not folded in memory (journal), and reads, heads
// and collision checks consult that copy beside the two tables. Collision
// checks also keep the last seq of each (document, writer) they have seen
// (DocumentLog.head), so an append reads nothing from the database after a
// document's first. Both are only correct while this process is the log's
// one writer, so the log holds an exclusive lock on a file beside the
// database while it is open (lockFile); a second process fails to open it
// with a clear error.
//
// Invariants (each step below is one transaction, and memory changes only
// after its commit, under writeMu):
//   - an entry is live in exactly one of document_journal and
//     document_log (or was removed by Compact or Delete); a journal row
//     that a fold has copied to document_log is dead until the fold's
//     pass deletes it, and recognizable: its writer's entries in
//     document_log or the snapshot reach its last seq;
//   - journal (memory) holds exactly the live rows of document_journal;
//   - per document, the journal's rows are newer than its document_log
//     rows: a fold moves all of them (Compact and Delete move one
//     document's).
//
// Reads take the memory copy first and then open their SQL snapshot. A
// fold, compaction or delete committed in between moves or removes rows
// the memory copy still has; read drops every memory row that the
// snapshot already covers for its writer (see mergeJournal), so no entry
// is seen twice. An append committed in between is missing from both,
// which is a read from just before it: Append had not returned, so
// nothing it holds was acknowledged when the read began.
//
// Crash: an append, fold chunk, compaction or delete killed before its
// commit leaves the tables as they were; the next open loads the
// journal's live rows into memory (and deletes the dead ones), and the
// next fold moves them. Close folds everything, so
// that a release that does not know the journal finds every row in
// document_log after a clean stop (after a crash, start this release once
// before rolling back).

const (
	// foldEvery is how often the fold runs. A fold saves only where
	// several of a document's rows become one row of document_log (each
	// costs a leaf page written to the WAL), so it must let rows gather:
	// at 250 ms a server at 25,000 updates/s over 1,000 documents spent as
	// much on folds as the journal saved; at 1 s, a quarter less than
	// before the journal in all.
	foldEvery = time.Second
	// foldChunk is the number of rows a fold moves per transaction (whole
	// documents), so that a group commit waits behind a few milliseconds
	// of folding at most.
	foldChunk = 128
	// foldRows starts a fold early when the journal holds that many rows
	// (some MB of memory).
	foldRows = 65536
	// foldRowBytes caps the rows a fold makes by merging a document's
	// rows, so that reading or trimming one stays small.
	foldRowBytes = 64 << 10
)

// jrow is one journal row held in memory.
type jrow struct {
	id  int64
	ord int64
	logrow.Row
}

// journal is the memory copy of document_journal. mu guards it; it
// changes only under the log's writeMu too, so that changes are made in
// commit order.
type journal struct {
	mu     sync.Mutex
	docs   map[string][]jrow // per document, in id order
	rows   int
	nextID int64
}

// rowsOf returns document's rows; the slice is never written after, so the
// caller may keep it without the lock.
func (j *journal) rowsOf(document string) []jrow {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.docs[document]
	return r[:len(r):len(r)]
}

// head is the last seq of writer in document's rows (0 if none).
func (j *journal) head(document, writer string) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	rows := j.docs[document]
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Writer == writer {
			return rows[i].Last
		}
	}
	return 0
}

func (j *journal) add(rows []jrow) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range rows {
		j.docs[r.Document] = append(j.docs[r.Document], r)
		j.nextID = max(j.nextID, r.id+1)
	}
	j.rows += len(rows)
}

func (j *journal) drop(documents ...string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, d := range documents {
		j.rows -= len(j.docs[d])
		delete(j.docs, d)
	}
}

// next is the id of the next row.
func (j *journal) next() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.nextID
}

// documents lists the documents with rows, sorted.
func (j *journal) documents() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	docs := make([]string, 0, len(j.docs))
	for d := range j.docs {
		docs = append(docs, d)
	}
	slices.Sort(docs)
	return docs
}

// dropBefore removes the rows below cut of documents.
func (j *journal) dropBefore(documents []string, cut int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, d := range documents {
		rows := j.docs[d]
		k := 0
		for k < len(rows) && rows[k].id < cut {
			k++
		}
		j.rows -= k
		if k == len(rows) {
			delete(j.docs, d)
		} else {
			// A new slice: readers may hold the old one.
			j.docs[d] = slices.Clone(rows[k:])
		}
	}
}

func (j *journal) size() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rows
}

// loadJournal reads what an earlier process left in document_journal.
func (l *DocumentLog) loadJournal(ctx context.Context) error {
	l.journal.docs = map[string][]jrow{}
	l.journal.nextID = 1
	rows, err := l.db.Writer().QueryContext(ctx, `SELECT id, document, writer, first_seq, last_seq, ord, data FROM document_journal ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []jrow
	for rows.Next() {
		var r jrow
		var first, last int64
		if err := rows.Scan(&r.id, &r.Document, &r.Writer, &first, &last, &r.ord, &r.Data); err != nil {
			return err
		}
		r.First, r.Last = uint64(first), uint64(last)
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Rows a fold had moved before the process stopped, and not yet
	// deleted, are dead: document_log (or the snapshot) has their writer's
	// entries up to them or beyond. A fold moves a document's rows in id
	// order, so a live row is above everything stored of its writer.
	type key struct{ document, writer string }
	heads := map[key]int64{}
	var live []jrow
	var dead []int64
	for _, r := range all {
		k := key{r.Document, r.Writer}
		top, ok := heads[k]
		if !ok {
			if err := l.db.Writer().QueryRowContext(ctx, headSQL, r.Document, r.Writer).Scan(&top); err != nil {
				return err
			}
			heads[k] = top
		}
		if r.Last > uint64(top) {
			live = append(live, r)
		} else {
			dead = append(dead, r.id)
		}
		l.journal.nextID = max(l.journal.nextID, r.id+1)
	}
	if len(dead) > 0 {
		list, err := json.Marshal(dead)
		if err != nil {
			return err
		}
		if _, err := l.db.Writer().ExecContext(ctx, `DELETE FROM document_journal WHERE id IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
			return err
		}
	}
	l.journal.add(live)
	return nil
}

// folder runs the fold every foldEvery, or sooner when the journal grows
// past foldRows.
func (l *DocumentLog) folder() {
	defer l.wg.Done()
	t := time.NewTimer(time.Duration(l.foldEvery.Load()))
	defer t.Stop()
	kick := l.kick
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		case <-kick:
		}
		kick = l.kick
		if err := l.fold(context.Background()); err != nil {
			// The rows stay in the journal and in memory, readable; the
			// next fold, a full interval later, tries again: kicks from a
			// journal past foldRows wait, so that a failing fold (a full
			// disk, say) does not spin.
			slog.Warn("document log: fold", "error", err)
			kick = nil
		}
		t.Reset(time.Duration(l.foldEvery.Load()))
	}
}

// SetFoldInterval changes how often the journal is folded (by default
// every second). Tests use it to fold often, or never.
func (l *DocumentLog) SetFoldInterval(d time.Duration) {
	l.foldEvery.Store(int64(max(d, time.Millisecond)))
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Fold moves every row the journal holds now into the per-document log,
// as the background fold does; tests use it to leave nothing in memory.
func (l *DocumentLog) Fold(ctx context.Context) error { return l.fold(ctx) }

// fold moves every row the journal holds now into document_log: all of a
// document's rows at once, about foldChunk rows per transaction, so that a
// group commit waits behind one chunk at most. A chunk only inserts:
// deleting its rows from the journal would rewrite a journal page for
// nearly every row (a document's rows are spread over all of it). The
// rows stay there, dead, until the pass ends with one range delete of
// everything it folded; a crash in between leaves dead rows that
// loadJournal recognizes (see there).
func (l *DocumentLog) fold(ctx context.Context) error {
	cut := l.journal.next() // this pass folds the rows below
	docs := l.journal.documents()
	folded := 0
	for len(docs) > 0 {
		n, rows, err := l.foldDocuments(ctx, docs, cut)
		if err != nil {
			return err
		}
		docs = docs[n:]
		folded += rows
		// Let a group commit that waited for this chunk take the write
		// connection before the next.
		runtime.Gosched()
	}
	if folded == 0 {
		return nil
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if _, err := l.db.Writer().ExecContext(ctx, `DELETE FROM document_journal WHERE id < ?`, cut); err != nil {
		return fmt.Errorf("fold: %w", err)
	}
	return nil
}

// foldDocuments folds the rows below cut of the first of docs, about
// foldChunk rows, in one transaction, and returns how many documents and
// rows it took.
func (l *DocumentLog) foldDocuments(ctx context.Context, docs []string, cut int64) (int, int, error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	var rows []jrow
	n := 0
	for n < len(docs) && len(rows) < foldChunk {
		for _, r := range l.journal.rowsOf(docs[n]) {
			if r.id >= cut {
				break
			}
			rows = append(rows, r)
		}
		n++
	}
	if len(rows) == 0 {
		return n, 0, nil
	}
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	if err := l.insertFolded(ctx, tx, rows); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	l.journal.dropBefore(docs[:n], cut)
	return n, len(rows), nil
}

// moveRows moves rows (by document, then id) from the journal into
// document_log inside the caller's transaction.
func (l *DocumentLog) moveRows(ctx context.Context, tx *sql.Tx, rows []jrow) error {
	if err := l.insertFolded(ctx, tx, rows); err != nil {
		return err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM document_journal WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return fmt.Errorf("fold: %w", err)
	}
	return checkDeleted(res, len(rows))
}

func checkDeleted(res sql.Result, want int) error {
	got, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if got != int64(want) {
		return fmt.Errorf("fold: %d of %d journal rows found: another process wrote the journal", got, want)
	}
	return nil
}

// insertFolded inserts rows (by document, then id) into document_log. A
// run of a document's rows by one writer, with no other writer's row
// between them, becomes one row (up to foldRowBytes), stored at the first
// one's ord: reads order rows by ord, and the run's updates come after
// everything stored before its first and before anything another writer
// stored after its last. In a single process (one writer id) every
// document's journal rows become one row of document_log.
func (l *DocumentLog) insertFolded(ctx context.Context, tx *sql.Tx, rows []jrow) error {
	merged := make([]jrow, 0, len(rows))
	owned := false // whether the last merged row's Data is its own copy
	for _, r := range rows {
		if n := len(merged); n > 0 {
			last := &merged[n-1]
			if last.Document == r.Document && last.Writer == r.Writer && len(last.Data)+len(r.Data) <= foldRowBytes {
				// Readers may hold the rows' Data: merge into a copy.
				if !owned {
					last.Data = append(make([]byte, 0, 4*len(last.Data)+len(r.Data)), last.Data...)
					owned = true
				}
				if err := last.Append(r.Row); err != nil {
					return fmt.Errorf("fold %s: %w", r.Document, err)
				}
				continue
			}
		}
		merged = append(merged, r)
		owned = false
	}
	args := make([]any, 0, 6*appendChunk)
	for rest := merged; len(rest) > 0; {
		n := min(len(rest), appendChunk)
		args = args[:0]
		for _, r := range rest[:n] {
			args = append(args, r.Document, r.Writer, int64(r.First), int64(r.Last), r.ord, r.Data)
		}
		if _, err := tx.StmtContext(ctx, l.foldStmts[n-1]).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		rest = rest[n:]
	}
	return nil
}

// mergeJournal appends to st the memory rows of its document that its SQL
// snapshot did not have: rows whose writer's seq is above both from (what
// the reader has or the snapshot holds) and top (the highest seq of each
// writer in the snapshot's document_log and snapshot position).
func mergeJournal(st []tandem.LogEntry, document string, rows []jrow, from, top map[string]uint64) ([]tandem.LogEntry, error) {
	for _, r := range rows {
		after := max(from[r.Writer], top[r.Writer])
		if r.Last <= after {
			continue
		}
		var err error
		if st, err = logrow.Decode(st, document, r.Writer, r.First, r.Data, after); err != nil {
			return st, fmt.Errorf("%s: %w", document, err)
		}
	}
	return st, nil
}

// journalInsert is an insert of n rows into the journal. It checks
// nothing: Append has checked every row against the heads it knows.
func journalInsert(n int) string {
	return "INSERT INTO document_journal (id, document, writer, first_seq, last_seq, ord, data) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?),", n), ",")
}

// foldInsert is a plain insert of n rows into document_log.
func foldInsert(n int) string {
	return "INSERT INTO document_log (document, writer, first_seq, last_seq, ord, data) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", n), ",")
}
