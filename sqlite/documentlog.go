package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/logrow"
)

// documentLogSteps is the forward-only schema of the document log. Released
// steps are never edited; changes are appended.
//
// A row of document_updates holds every update one Append stored for one
// document (first_seq..last_seq). A group commit carries updates for many
// documents, and each row costs a B-tree leaf write wherever its document's
// key sorts; one row per document per commit, rather than per update, keeps
// that cost proportional to the documents in the batch, so a busier server
// commits bigger batches at the same price.
var documentLogSteps = []string{
	`CREATE TABLE document_updates (
		document TEXT NOT NULL,
		first_seq INTEGER NOT NULL,
		last_seq INTEGER NOT NULL,
		data BLOB NOT NULL, -- per update: var-int seq-first_seq, var-int length, bytes
		PRIMARY KEY (document, last_seq)
	) WITHOUT ROWID;
	CREATE TABLE document_snapshots (
		document TEXT PRIMARY KEY,
		seq INTEGER NOT NULL,
		data BLOB NOT NULL
	);`,
	// Version 2: per-writer sequence numbers. document_log replaces
	// document_updates with the writer in its key and ord, the order the
	// rows were stored in (legacy rows: their seq, so they come first and
	// in order); document_snapshot_seqs holds the snapshot's position (the
	// legacy snapshot's seq becomes writer "" at that seq).
	`CREATE TABLE document_log (
		document TEXT NOT NULL,
		writer TEXT NOT NULL,
		first_seq INTEGER NOT NULL,
		last_seq INTEGER NOT NULL,
		ord INTEGER NOT NULL,
		data BLOB NOT NULL, -- per update: var-int seq-first_seq, var-int length, bytes
		PRIMARY KEY (document, writer, last_seq)
	) WITHOUT ROWID;
	INSERT INTO document_log (document, writer, first_seq, last_seq, ord, data)
		SELECT document, '', first_seq, last_seq, last_seq, data FROM document_updates;
	DROP TABLE document_updates;
	CREATE TABLE document_snapshot_seqs (
		document TEXT NOT NULL,
		writer TEXT NOT NULL,
		seq INTEGER NOT NULL,
		at INTEGER NOT NULL DEFAULT 0, -- ord of the writer's last entry (see Compact)
		PRIMARY KEY (document, writer)
	) WITHOUT ROWID;
	INSERT INTO document_snapshot_seqs (document, writer, seq)
		SELECT document, '', seq FROM document_snapshots WHERE seq > 0;`,
	// Version 3: the journal (see journal.go). Appends store their rows
	// here in commit order; a fold moves them to document_log.
	`CREATE TABLE document_journal (
		id INTEGER PRIMARY KEY,
		document TEXT NOT NULL,
		writer TEXT NOT NULL,
		first_seq INTEGER NOT NULL,
		last_seq INTEGER NOT NULL,
		ord INTEGER NOT NULL,
		data BLOB NOT NULL
	);`,
}

// DocumentLog is tandem.DocumentLog on SQLite. Appends go through the
// database's single write connection, so a batch is one transaction and one
// fsync of the WAL however many documents it touches; loads read from the
// reader pool under WAL snapshot isolation and never wait for the writer.
// Appends land in a journal in commit order that a background fold moves
// into the per-document log (journal.go); one process at a time may open a
// database's log.
//
// The lead's deployment opens a database file of its own for the document
// log, so that group commits do not contend with metadata writes.
//
// Sequence numbers of a (document, writer) must increase from one Append
// to the next: an entry whose seq is not above every seq already stored for
// it (snapshot included) collides, which is how a retried append that had
// committed is detected.
type DocumentLog struct {
	db        *DB
	lock      *os.File    // held while open (see journal.go)
	stmts     []*sql.Stmt // stmts[n-1] inserts n rows into the journal
	foldStmts []*sql.Stmt // foldStmts[n-1] inserts n rows into document_log
	// The statements of a read (every first join of a document loads
	// one), prepared once on the reader pool rather than parsed again for
	// each load: in a reconnect storm over many documents that parsing
	// was about 6% of the server's CPU.
	readPos, readSnapshot, readUpdates *sql.Stmt

	ordMu   sync.Mutex
	lastOrd int64 // the last ord stored by this process

	// writeMu orders the transactions that change the journal (appends,
	// folds, compactions, deletes) with the changes to its memory copy.
	writeMu sync.Mutex
	journal journal
	heads   map[string]map[string]uint64 // see head

	// writerIdle is tandem.WriterIdle (tests shorten it).
	writerIdle time.Duration
	foldEvery  atomic.Int64 // a time.Duration
	kick       chan struct{}
	stop       chan struct{}
	wg         sync.WaitGroup
}

var _ tandem.DocumentLog = (*DocumentLog)(nil)

// NewDocumentLog migrates db's document-log tables and returns the store.
func NewDocumentLog(ctx context.Context, db *DB) (*DocumentLog, error) {
	if err := db.Migrate(ctx, "document_log", documentLogSteps); err != nil {
		return nil, err
	}
	lock, err := lockFile(db.Path() + "-log.lock")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	l := &DocumentLog{db: db, lock: lock, writerIdle: tandem.WriterIdle, kick: make(chan struct{}, 1), heads: map[string]map[string]uint64{}}
	l.foldEvery.Store(int64(foldEvery))
	// Preparing an insert costs far more than running it, so the inserts
	// of every row count are prepared once, here: the single write
	// connection is busy inside transactions later.
	for n := 1; n <= appendChunk; n++ {
		s, err := db.Writer().PrepareContext(ctx, journalInsert(n))
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("document log: prepare: %w", err)
		}
		l.stmts = append(l.stmts, s)
		if s, err = db.Writer().PrepareContext(ctx, foldInsert(n)); err != nil {
			l.Close()
			return nil, fmt.Errorf("document log: prepare: %w", err)
		}
		l.foldStmts = append(l.foldStmts, s)
	}
	if err := l.loadJournal(ctx); err != nil {
		l.Close()
		return nil, fmt.Errorf("document log: journal: %w", err)
	}
	for _, r := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&l.readPos, snapshotPositionSQL}, {&l.readSnapshot, snapshotSQL}, {&l.readUpdates, updatesSQL}} {
		s, err := db.Reader().PrepareContext(ctx, r.sql)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("document log: prepare: %w", err)
		}
		*r.stmt = s
	}
	// Checkpoints copy the WAL into the database file and fsync it. Run
	// by the committing connection (SQLite's default, every 1000 pages)
	// they stall the group commit, and with it every acknowledgement, for
	// tens of milliseconds; so they run in the background instead, without
	// blocking the writer, and the writer's own checkpoint only remains as
	// a bound on the WAL's size should the background fall behind.
	if _, err := db.Writer().ExecContext(ctx, "PRAGMA wal_autocheckpoint = 16384"); err != nil {
		l.Close()
		return nil, fmt.Errorf("document log: %w", err)
	}
	// A group commit dirties a leaf page per document in the batch (rows
	// are keyed by document). With SQLite's default 2 MiB page cache a
	// batch over a thousand documents no longer fits: the writer spills
	// dirty pages to the WAL in the middle of the transaction and reads
	// leaves back from the WAL on the next commit (a pread each). The write
	// connection keeps the log's hot leaves instead.
	if _, err := db.Writer().ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -writerCacheKiB)); err != nil {
		l.Close()
		return nil, fmt.Errorf("document log: %w", err)
	}
	l.stop = make(chan struct{})
	l.wg.Add(2)
	go l.checkpoint()
	go l.folder()
	return l, nil
}

// checkpoint runs passive checkpoints from a read connection.
func (l *DocumentLog) checkpoint() {
	defer l.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			// Errors (a closed database, say) are retried on the next tick.
			l.db.Reader().Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Close stops the background work, folds the whole journal (so that a
// release that does not know the journal finds every row in document_log)
// and releases the prepared statements and the lock; it does not close the
// database.
func (l *DocumentLog) Close() error {
	var err error
	if l.stop != nil {
		close(l.stop)
		l.wg.Wait()
		l.stop = nil
		if ferr := l.fold(context.Background()); ferr != nil {
			err = fmt.Errorf("document log: fold on close: %w", ferr)
		}
	}
	for _, s := range slices.Concat(l.stmts, l.foldStmts) {
		s.Close()
	}
	l.stmts, l.foldStmts = nil, nil
	for _, s := range []**sql.Stmt{&l.readPos, &l.readSnapshot, &l.readUpdates} {
		if *s != nil {
			(*s).Close()
			*s = nil
		}
	}
	if l.lock != nil {
		l.lock.Close()
		l.lock = nil
	}
	return err
}

// Append implements tandem.DocumentLog.
func (l *DocumentLog) Append(ctx context.Context, entries []tandem.LogEntry) (err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Append", "")
	defer span.end(&err)
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	rows, err := logrow.Group(entries)
	if err != nil {
		return err
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	// A row collides if it is not above everything stored for its
	// document's writer (a retried append that had committed): none of
	// that document's rows are stored.
	var conflicts []string
	for _, r := range rows {
		top, err := l.head(ctx, r.Document, r.Writer)
		if err != nil {
			return fmt.Errorf("document log: append: %w", err)
		}
		if r.First <= top {
			conflicts = append(conflicts, r.Document)
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		conflicts = slices.Compact(conflicts)
		rows = slices.DeleteFunc(rows, func(r logRow) bool {
			_, found := slices.BinarySearch(conflicts, r.Document)
			return found
		})
	}
	if len(rows) > 0 {
		if err := l.appendTx(ctx, rows); err != nil {
			return fmt.Errorf("document log: append: %w", err)
		}
	}
	if l.journal.size() >= foldRows {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	if len(conflicts) > 0 {
		return &tandem.SeqConflictError{Documents: conflicts}
	}
	return nil
}

// head returns the last seq stored of writer in document, snapshot
// included, from l.heads or, the first time, from the database. The caller
// holds writeMu, so no append, fold or compaction runs meanwhile, and this
// process is the only writer (see journal.go).
func (l *DocumentLog) head(ctx context.Context, document, writer string) (uint64, error) {
	if top, ok := l.heads[document][writer]; ok {
		return top, nil
	}
	var top int64
	if err := l.db.Reader().QueryRowContext(ctx, headSQL, document, writer).Scan(&top); err != nil {
		return 0, err
	}
	h := max(uint64(top), l.journal.head(document, writer))
	l.setHead(document, writer, h)
	return h, nil
}

// setHead records the last seq of writer in document; the caller holds
// writeMu. The cache is bounded: past maxHeads documents it starts over,
// and a document's first append after that reads its head again.
func (l *DocumentLog) setHead(document, writer string, seq uint64) {
	if l.heads[document] == nil {
		if len(l.heads) >= maxHeads {
			clear(l.heads)
		}
		l.heads[document] = map[string]uint64{}
	}
	l.heads[document][writer] = seq
}

// maxHeads bounds l.heads: some MB for the documents a busy server
// writes, far more than its working set.
const maxHeads = 1 << 16

// logRow is what one Append stores for one (document, writer).
type logRow = logrow.Row

// nextOrd returns the ord of the rows of the next append: increasing
// within the process, and from the clock, so that a later process (a new
// writer) stores after an earlier one.
func (l *DocumentLog) nextOrd() int64 {
	l.ordMu.Lock()
	defer l.ordMu.Unlock()
	l.lastOrd = max(l.lastOrd+1, time.Now().UnixNano())
	return l.lastOrd
}

func (l *DocumentLog) appendTx(ctx context.Context, rows []logRow) error {
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ord := l.nextOrd()
	id := l.journal.next()
	stored := make([]jrow, 0, len(rows))
	// Many rows per statement: the per-statement cost of database/sql and
	// the driver is a large part of a small insert.
	args := make([]any, 0, 7*appendChunk)
	for rest := rows; len(rest) > 0; {
		n := min(len(rest), appendChunk)
		args = args[:0]
		for _, r := range rest[:n] {
			args = append(args, id, r.Document, r.Writer, int64(r.First), int64(r.Last), ord, r.Data)
			stored = append(stored, jrow{id: id, ord: ord, Row: r})
			id++
		}
		if _, err := tx.StmtContext(ctx, l.stmts[n-1]).ExecContext(ctx, args...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	l.journal.add(stored)
	for _, r := range rows {
		l.setHead(r.Document, r.Writer, r.Last)
	}
	return nil
}

// appendChunk is the number of rows per insert statement.
const appendChunk = 64

// writerCacheKiB is the page cache of the write connection: room for the
// last leaf of some thousands of documents (a 4 KiB page each) and the
// interior pages above them.
const writerCacheKiB = 32 << 10

// headSQL is the last seq stored of one writer of one document, snapshot
// included.
const headSQL = `SELECT max(
	coalesce((SELECT seq FROM document_snapshot_seqs WHERE document = ?1 AND writer = ?2), 0),
	coalesce((SELECT max(last_seq) FROM document_log WHERE document = ?1 AND writer = ?2), 0))`

// snapshotPosition reads the stored snapshot's position (empty if none).
func snapshotPosition(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, document string) (tandem.LogPosition, error) {
	rows, err := q.QueryContext(ctx, snapshotPositionSQL, document)
	if err != nil {
		return nil, err
	}
	return scanPosition(rows)
}

const (
	snapshotPositionSQL = `SELECT writer, seq FROM document_snapshot_seqs WHERE document = ?`
	snapshotSQL         = `SELECT data FROM document_snapshots WHERE document = ?`
	updatesSQL          = `SELECT writer, first_seq, last_seq, data FROM document_log WHERE document = ? ORDER BY ord, writer, last_seq`
)

// scanPosition reads (writer, seq) rows into a position and closes them.
func scanPosition(rows *sql.Rows) (tandem.LogPosition, error) {
	defer rows.Close()
	pos := tandem.LogPosition{}
	for rows.Next() {
		var w string
		var seq int64
		if err := rows.Scan(&w, &seq); err != nil {
			return nil, err
		}
		pos[w] = uint64(seq)
	}
	return pos, rows.Err()
}

// read returns what is stored for document beyond after: the snapshot if
// after does not cover it, and every writer's updates beyond both, in the
// order they were stored.
func (l *DocumentLog) read(ctx context.Context, document string, after tandem.LogPosition) (tandem.DocumentState, error) {
	var st tandem.DocumentState
	// The journal's rows before the snapshot opens (see journal.go).
	journalRows := l.journal.rowsOf(document)
	tx, err := l.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	posRows, err := tx.StmtContext(ctx, l.readPos).QueryContext(ctx, document)
	if err != nil {
		return st, fmt.Errorf("snapshot: %w", err)
	}
	snapPos, err := scanPosition(posRows)
	if err != nil {
		return st, fmt.Errorf("snapshot: %w", err)
	}
	from := after.Clone()
	if !after.Covers(snapPos) {
		if err := tx.StmtContext(ctx, l.readSnapshot).QueryRowContext(ctx, document).Scan(&st.Snapshot); err != nil {
			return st, fmt.Errorf("snapshot: %w", err)
		}
		st.SnapshotPosition = snapPos
		from.Merge(snapPos)
	}
	rows, err := tx.StmtContext(ctx, l.readUpdates).QueryContext(ctx, document)
	if err != nil {
		return st, fmt.Errorf("updates: %w", err)
	}
	defer rows.Close()
	top := snapPos.Clone()
	for rows.Next() {
		var w string
		var first, last int64
		var data []byte
		if err := rows.Scan(&w, &first, &last, &data); err != nil {
			return st, fmt.Errorf("updates: %w", err)
		}
		top.Advance(w, uint64(last))
		if uint64(last) <= from[w] {
			continue
		}
		if st.Updates, err = logrow.Decode(st.Updates, document, w, uint64(first), data, from[w]); err != nil {
			return st, fmt.Errorf("%s: %w", document, err)
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("updates: %w", err)
	}
	if st.Updates, err = mergeJournal(st.Updates, document, journalRows, from, top); err != nil {
		return st, err
	}
	if st.SnapshotPosition == nil {
		st.SnapshotPosition = tandem.LogPosition{}
	}
	return st, nil
}

// Load implements tandem.DocumentLog.
func (l *DocumentLog) Load(ctx context.Context, document string) (_ tandem.DocumentState, err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Load", document)
	defer span.end(&err)
	if document == "" {
		return tandem.DocumentState{}, tandem.Invalid("document", "empty document key")
	}
	st, err := l.read(ctx, document, nil)
	if err != nil {
		return tandem.DocumentState{}, fmt.Errorf("document log: load: %w", err)
	}
	return st, nil
}

// ReadSince implements tandem.DocumentLog.
func (l *DocumentLog) ReadSince(ctx context.Context, document string, after tandem.LogPosition) (_ tandem.DocumentState, err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.ReadSince", document)
	defer span.end(&err)
	if document == "" {
		return tandem.DocumentState{}, tandem.Invalid("document", "empty document key")
	}
	if err := after.Validate("after"); err != nil {
		return tandem.DocumentState{}, err
	}
	st, err := l.read(ctx, document, after)
	if err != nil {
		return tandem.DocumentState{}, fmt.Errorf("document log: read: %w", err)
	}
	return st, nil
}

// Heads implements tandem.DocumentLog.
func (l *DocumentLog) Heads(ctx context.Context, documents []string) (_ map[string]tandem.LogPosition, err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Heads", "")
	defer span.end(&err)
	out := make(map[string]tandem.LogPosition, len(documents))
	if len(documents) == 0 {
		return out, nil
	}
	// The journal's rows before the snapshot opens (see journal.go).
	for _, d := range documents {
		for _, r := range l.journal.rowsOf(d) {
			if out[d] == nil {
				out[d] = tandem.LogPosition{}
			}
			out[d].Advance(r.Writer, r.Last)
		}
	}
	tx, err := l.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `SELECT writer, max(last_seq) FROM document_log WHERE document = ?1 GROUP BY writer
		UNION ALL SELECT writer, seq FROM document_snapshot_seqs WHERE document = ?1`)
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer stmt.Close()
	for _, d := range documents {
		if err := func() error {
			rows, err := stmt.QueryContext(ctx, d)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var w string
				var seq int64
				if err := rows.Scan(&w, &seq); err != nil {
					return err
				}
				if out[d] == nil {
					out[d] = tandem.LogPosition{}
				}
				out[d].Advance(w, uint64(seq))
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("document log: heads: %w", err)
		}
	}
	return out, nil
}

// Compact implements tandem.DocumentLog.
func (l *DocumentLog) Compact(ctx context.Context, document string, through tandem.LogPosition, snapshot []byte) (err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Compact", document)
	defer span.end(&err)
	switch {
	case document == "":
		return tandem.Invalid("document", "empty document key")
	case through.Count() == 0:
		return tandem.Invalid("through", "empty position")
	case len(snapshot) == 0:
		return tandem.Invalid("snapshot", "empty snapshot")
	}
	if err := through.Validate("through"); err != nil {
		return err
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	defer tx.Rollback()
	// The document's journal rows join document_log first, in this
	// transaction, so that what follows sees one table.
	if rows := l.journal.rowsOf(document); len(rows) > 0 {
		if err := l.moveRows(ctx, tx, rows); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
	}
	cur, err := snapshotPosition(ctx, tx, document)
	if err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	if !through.Covers(cur) {
		return tandem.Errorf(tandem.CodeConflict, "document log: compact %s: the snapshot is already beyond the position", document)
	}
	for w, t := range through {
		if t == 0 {
			continue
		}
		var top int64
		if err := tx.QueryRowContext(ctx, headSQL, document, w).Scan(&top); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
		if int64(t) > top {
			return tandem.Errorf(tandem.CodeConflict, "document log: compact %s through %d of a writer: its log ends at %d", document, t, top)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO document_snapshots (document, seq, data) VALUES (?, ?, ?)
		ON CONFLICT (document) DO UPDATE SET seq = excluded.seq, data = excluded.data`, document, int64(through.Count()), snapshot); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	// The time of each writer's last entry folded so far (ords are
	// clock nanoseconds; legacy rows and snapshots count as long ago).
	lastAt := map[string]int64{}
	if err := func() error {
		rows, err := tx.QueryContext(ctx, `SELECT writer, at FROM document_snapshot_seqs WHERE document = ?`, document)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w string
			var at int64
			if err := rows.Scan(&w, &at); err != nil {
				return err
			}
			lastAt[w] = at
		}
		return rows.Err()
	}(); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_snapshot_seqs WHERE document = ?`, document); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	idleBefore := time.Now().Add(-l.writerIdle).UnixNano()
	forgot := false
	for w, t := range through {
		if t == 0 || w == tandem.ForgottenWriters {
			continue
		}
		// The writer is forgotten if nothing of it stays in the log and its
		// last entry is old (see tandem.DocumentLog.Compact).
		var at, rest int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(ord), 0), count(*) FILTER (WHERE last_seq > ?2) FROM document_log WHERE document = ?1 AND writer = ?3`,
			document, int64(t), w).Scan(&at, &rest); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
		at = max(at, lastAt[w])
		if rest > 0 || at >= idleBefore {
			if _, err := tx.ExecContext(ctx, `INSERT INTO document_snapshot_seqs (document, writer, seq, at) VALUES (?, ?, ?, ?)`, document, w, int64(t), at); err != nil {
				return fmt.Errorf("document log: compact: %w", err)
			}
		} else {
			forgot = true
		}
		// A row that straddles t keeps only its updates after it.
		var first, last int64
		var data []byte
		err = tx.QueryRowContext(ctx, `SELECT first_seq, last_seq, data FROM document_log
			WHERE document = ? AND writer = ? AND first_seq <= ? AND last_seq > ?`, document, w, int64(t), int64(t)).Scan(&first, &last, &data)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("document log: compact: %w", err)
		default:
			keep, err := logrow.Decode(nil, document, w, uint64(first), data, t)
			if err != nil {
				return fmt.Errorf("document log: compact %s: %w", document, err)
			}
			rows, _ := logrow.Group(keep)
			if _, err := tx.ExecContext(ctx, `UPDATE document_log SET first_seq = ?, data = ? WHERE document = ? AND writer = ? AND last_seq = ?`,
				int64(rows[0].First), rows[0].Data, document, w, last); err != nil {
				return fmt.Errorf("document log: compact: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM document_log WHERE document = ? AND writer = ? AND last_seq <= ?`, document, w, int64(t)); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
	}
	if n := through[tandem.ForgottenWriters]; n > 0 || forgot {
		if forgot {
			n++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO document_snapshot_seqs (document, writer, seq) VALUES (?, ?, ?)`, document, tandem.ForgottenWriters, int64(n)); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	l.journal.drop(document)
	return nil
}

// Delete implements tandem.DocumentLog.
func (l *DocumentLog) Delete(ctx context.Context, document string) (err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Delete", document)
	defer span.end(&err)
	if document == "" {
		return tandem.Invalid("document", "empty document key")
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		// The journal has no index on documents: this reads all of it,
		// which a fold keeps to about a second of appends. Dead rows (see
		// DocumentLog.fold) go too, or a crash before the fold deleted
		// them would bring them back.
		`DELETE FROM document_journal WHERE document = ?`,
		`DELETE FROM document_log WHERE document = ?`,
		`DELETE FROM document_snapshot_seqs WHERE document = ?`,
		`DELETE FROM document_snapshots WHERE document = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, document); err != nil {
			return fmt.Errorf("document log: delete: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	l.journal.drop(document)
	delete(l.heads, document)
	return nil
}
