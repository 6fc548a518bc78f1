package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/tandem-docs/tandem/logrow"
	"slices"
	"strings"
	"sync"
	"time"

	tandem "github.com/tandem-docs/tandem"
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
}

// DocumentLog is tandem.DocumentLog on SQLite. Appends go through the
// database's single write connection, so a batch is one transaction and one
// fsync of the WAL however many documents it touches; loads read from the
// reader pool under WAL snapshot isolation and never wait for the writer.
//
// The lead's deployment opens a database file of its own for the document
// log, so that group commits do not contend with metadata writes.
//
// Sequence numbers of a (document, writer) must increase from one Append
// to the next: an entry whose seq is not above every seq already stored for
// it (snapshot included) collides, which is how a retried append that had
// committed is detected.
type DocumentLog struct {
	db    *DB
	stmts []*sql.Stmt // stmts[n-1] inserts n rows
	// The statements of a read (every first join of a document loads
	// one), prepared once on the reader pool rather than parsed again for
	// each load: in a reconnect storm over many documents that parsing
	// was about 6% of the server's CPU.
	readPos, readSnapshot, readUpdates *sql.Stmt

	ordMu   sync.Mutex
	lastOrd int64 // the last ord stored by this process

	// writerIdle is tandem.WriterIdle (tests shorten it).
	writerIdle time.Duration
	stop       chan struct{}
	done       chan struct{}
}

var _ tandem.DocumentLog = (*DocumentLog)(nil)

// NewDocumentLog migrates db's document-log tables and returns the store.
func NewDocumentLog(ctx context.Context, db *DB) (*DocumentLog, error) {
	if err := db.Migrate(ctx, "document_log", documentLogSteps); err != nil {
		return nil, err
	}
	l := &DocumentLog{db: db, writerIdle: tandem.WriterIdle}
	// Preparing an insert costs far more than running it, so the inserts
	// of every row count are prepared once, here: the single write
	// connection is busy inside transactions later.
	for n := 1; n <= appendChunk; n++ {
		s, err := db.Writer().PrepareContext(ctx, insertRows(n))
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("document log: prepare: %w", err)
		}
		l.stmts = append(l.stmts, s)
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
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.checkpoint()
	return l, nil
}

// checkpoint runs passive checkpoints from a read connection.
func (l *DocumentLog) checkpoint() {
	defer close(l.done)
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

// Close stops the background checkpoints and releases the prepared
// statements; it does not close the database.
func (l *DocumentLog) Close() error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	for _, s := range l.stmts {
		s.Close()
	}
	l.stmts = nil
	for _, s := range []**sql.Stmt{&l.readPos, &l.readSnapshot, &l.readUpdates} {
		if *s != nil {
			(*s).Close()
			*s = nil
		}
	}
	return nil
}

var errCollision = errors.New("collision")

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
	// The usual case stores every row in one statement; if some collide
	// (a retried append that had committed), the transaction is rolled
	// back, the colliding documents are found, and the others are stored.
	var conflicts []string
	for {
		err = l.appendTx(ctx, rows)
		if err == nil {
			break
		}
		if !errors.Is(err, errCollision) {
			return fmt.Errorf("document log: append: %w", err)
		}
		docs, cerr := l.conflicts(ctx, rows)
		if cerr != nil {
			return fmt.Errorf("document log: append: find conflicts: %w", cerr)
		}
		if len(docs) == 0 {
			continue // the colliding rows are gone (deleted): retry
		}
		conflicts = append(conflicts, docs...)
		drop := map[string]bool{}
		for _, d := range docs {
			drop[d] = true
		}
		rows = slices.DeleteFunc(rows, func(r logRow) bool { return drop[r.Document] })
		if len(rows) == 0 {
			break
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		conflicts = slices.Compact(conflicts)
		return &tandem.SeqConflictError{Documents: conflicts}
	}
	return nil
}

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
	// Many rows per statement: the per-statement cost of database/sql and
	// the driver is a large part of a small insert.
	args := make([]any, 0, 6*appendChunk)
	for len(rows) > 0 {
		n := min(len(rows), appendChunk)
		stmt := tx.StmtContext(ctx, l.stmts[n-1])
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.Document, r.Writer, int64(r.First), int64(r.Last), ord, r.Data)
		}
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			if isConstraint(err) {
				return errCollision
			}
			return err
		}
		if got, err := res.RowsAffected(); err != nil {
			return err
		} else if got != int64(n) {
			return errCollision
		}
		rows = rows[n:]
	}
	return tx.Commit()
}

// appendChunk is the number of rows per insert statement.
const appendChunk = 64

// writerCacheKiB is the page cache of the write connection: room for the
// last leaf of some thousands of documents (a 4 KiB page each) and the
// interior pages above them.
const writerCacheKiB = 32 << 10

// insertRows is an insert of n rows that skips any row not above
// everything stored for its document's writer (updates and snapshot); the
// caller compares the row count to detect that.
func insertRows(n int) string {
	var b strings.Builder
	// OR ROLLBACK: a key collision ends the whole transaction, as the
	// caller would anyway (it retries without the colliding documents).
	// The default, ABORT, undoes only the failing statement, which makes
	// SQLite keep a statement journal: a copy of every page the insert
	// touches, written to a temporary file, on every append.
	b.WriteString("INSERT OR ROLLBACK INTO document_log (document, writer, first_seq, last_seq, ord, data) SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM (VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	b.WriteString(`) AS v
		WHERE NOT EXISTS (SELECT 1 FROM document_snapshot_seqs s WHERE s.document = v.column1 AND s.writer = v.column2 AND s.seq >= v.column3)
		AND NOT EXISTS (SELECT 1 FROM document_log u WHERE u.document = v.column1 AND u.writer = v.column2 AND u.last_seq >= v.column3)`)
	return b.String()
}

// isConstraint reports whether err is SQLite's SQLITE_CONSTRAINT (primary
// key or unique violation).
func isConstraint(err error) bool {
	var coder interface{ Code() int }
	if errors.As(err, &coder) {
		return coder.Code()&0xff == 19 // SQLITE_CONSTRAINT and its extended codes
	}
	return false
}

// headSQL is the last seq stored of one writer of one document, snapshot
// included.
const headSQL = `SELECT max(
	coalesce((SELECT seq FROM document_snapshot_seqs WHERE document = ?1 AND writer = ?2), 0),
	coalesce((SELECT max(last_seq) FROM document_log WHERE document = ?1 AND writer = ?2), 0))`

// conflicts lists the documents whose rows collide with what is stored.
func (l *DocumentLog) conflicts(ctx context.Context, rows []logRow) ([]string, error) {
	var out []string
	for _, r := range rows {
		var top int64
		if err := l.db.Reader().QueryRowContext(ctx, headSQL, r.Document, r.Writer).Scan(&top); err != nil {
			return nil, err
		}
		if int64(r.First) <= top {
			out = append(out, r.Document)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

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
	for rows.Next() {
		var w string
		var first, last int64
		var data []byte
		if err := rows.Scan(&w, &first, &last, &data); err != nil {
			return st, fmt.Errorf("updates: %w", err)
		}
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
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	defer tx.Rollback()
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
	return nil
}

// Delete implements tandem.DocumentLog.
func (l *DocumentLog) Delete(ctx context.Context, document string) (err error) {
	ctx, span := l.db.operation(ctx, "DocumentLog.Delete", document)
	defer span.end(&err)
	if document == "" {
		return tandem.Invalid("document", "empty document key")
	}
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
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
	return nil
}
