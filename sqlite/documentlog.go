package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
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
}

// DocumentLog is tandem.DocumentLog on SQLite. Appends go through the
// database's single write connection, so a batch is one transaction and one
// fsync of the WAL however many documents it touches; loads read from the
// reader pool under WAL snapshot isolation and never wait for the writer.
//
// The lead's deployment opens a database file of its own for the document
// log, so that group commits do not contend with metadata writes.
//
// Sequence numbers of a document must increase from one Append to the
// next: an entry whose seq is not above every seq already stored for its
// document (snapshot included) collides, which is how a second writer of
// the same document is detected.
type DocumentLog struct {
	db    *DB
	stmts []*sql.Stmt // stmts[n-1] inserts n rows
	stop  chan struct{}
	done  chan struct{}
}

var _ tandem.DocumentLog = (*DocumentLog)(nil)

// NewDocumentLog migrates db's document-log tables and returns the store.
func NewDocumentLog(ctx context.Context, db *DB) (*DocumentLog, error) {
	if err := db.Migrate(ctx, "document_log", documentLogSteps); err != nil {
		return nil, err
	}
	l := &DocumentLog{db: db}
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
	return nil
}

var errCollision = errors.New("collision")

// Append implements tandem.DocumentLog.
func (l *DocumentLog) Append(ctx context.Context, entries []tandem.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if err := validEntry(e); err != nil {
			return err
		}
	}
	rows, err := groupRows(entries)
	if err != nil {
		return err
	}
	// The usual case stores every row in one statement; if some collide
	// (another writer of those documents), the transaction is rolled back,
	// the colliding documents are found, and the others are stored.
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
			continue // the colliding writer's rows are gone (deleted): retry
		}
		conflicts = append(conflicts, docs...)
		drop := map[string]bool{}
		for _, d := range docs {
			drop[d] = true
		}
		rows = slices.DeleteFunc(rows, func(r logRow) bool { return drop[r.document] })
		if len(rows) == 0 {
			break
		}
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return &tandem.SeqConflictError{Documents: conflicts}
	}
	return nil
}

func validEntry(e tandem.LogEntry) error {
	switch {
	case e.Document == "":
		return tandem.Invalid("document", "empty document key")
	case e.Seq == 0:
		return tandem.Invalid("seq", "sequence numbers start at 1")
	case e.Seq > 1<<63-1:
		return tandem.Invalid("seq", "sequence number out of range")
	case len(e.Update) == 0:
		return tandem.Invalid("update", "empty update")
	}
	return nil
}

// logRow is what one Append stores for one document.
type logRow struct {
	document    string
	first, last uint64
	data        []byte
}

// groupRows packs the entries of each document into one row, keeping the
// documents in order of first appearance.
func groupRows(entries []tandem.LogEntry) ([]logRow, error) {
	var rows []logRow
	index := map[string]int{}
	for _, e := range entries {
		i, ok := index[e.Document]
		if !ok {
			i = len(rows)
			index[e.Document] = i
			rows = append(rows, logRow{document: e.Document, first: e.Seq, last: e.Seq - 1})
		}
		r := &rows[i]
		if e.Seq <= r.last {
			return nil, tandem.Invalid("entries", "sequence numbers of a document must increase within a batch")
		}
		r.data = binary.AppendUvarint(r.data, e.Seq-r.first)
		r.data = binary.AppendUvarint(r.data, uint64(len(e.Update)))
		r.data = append(r.data, e.Update...)
		r.last = e.Seq
	}
	return rows, nil
}

// decodeRow expands a row into entries with seq > after.
func decodeRow(dst []tandem.LogEntry, document string, first uint64, data []byte, after uint64) ([]tandem.LogEntry, error) {
	for len(data) > 0 {
		d, n := binary.Uvarint(data)
		if n <= 0 {
			return dst, errors.New("corrupt log row")
		}
		data = data[n:]
		size, n := binary.Uvarint(data)
		if n <= 0 || size > uint64(len(data)-n) {
			return dst, errors.New("corrupt log row")
		}
		data = data[n:]
		if seq := first + d; seq > after {
			dst = append(dst, tandem.LogEntry{Document: document, Seq: seq, Update: data[:size:size]})
		}
		data = data[size:]
	}
	return dst, nil
}

func (l *DocumentLog) appendTx(ctx context.Context, rows []logRow) error {
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Many rows per statement: the per-statement cost of database/sql and
	// the driver is a large part of a small insert.
	args := make([]any, 0, 4*appendChunk)
	for len(rows) > 0 {
		n := min(len(rows), appendChunk)
		stmt := tx.StmtContext(ctx, l.stmts[n-1])
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.document, int64(r.first), int64(r.last), r.data)
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

// insertRows is an insert of n rows that skips any row not above
// everything stored for its document (updates and snapshot); the caller
// compares the row count to detect that.
func insertRows(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO document_updates (document, first_seq, last_seq, data) SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("(?,?,?,?)")
	}
	b.WriteString(`) AS v
		WHERE NOT EXISTS (SELECT 1 FROM document_snapshots s WHERE s.document = v.column1 AND s.seq >= v.column2)
		AND NOT EXISTS (SELECT 1 FROM document_updates u WHERE u.document = v.column1 AND u.last_seq >= v.column2)`)
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

// conflicts lists the documents whose rows collide with what is stored.
func (l *DocumentLog) conflicts(ctx context.Context, rows []logRow) ([]string, error) {
	var out []string
	for _, r := range rows {
		var top int64
		err := l.db.Reader().QueryRowContext(ctx, `SELECT max(
			coalesce((SELECT seq FROM document_snapshots WHERE document = ?1), 0),
			coalesce((SELECT max(last_seq) FROM document_updates WHERE document = ?1), 0))`, r.document).Scan(&top)
		if err != nil {
			return nil, err
		}
		if int64(r.first) <= top {
			out = append(out, r.document)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Load implements tandem.DocumentLog.
func (l *DocumentLog) Load(ctx context.Context, document string) (tandem.DocumentState, error) {
	var st tandem.DocumentState
	if document == "" {
		return st, tandem.Invalid("document", "empty document key")
	}
	tx, err := l.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("document log: load: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	err = tx.QueryRowContext(ctx, `SELECT seq, data FROM document_snapshots WHERE document = ?`, document).Scan(&seq, &st.Snapshot)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, fmt.Errorf("document log: load snapshot: %w", err)
	default:
		st.SnapshotSeq = uint64(seq)
	}
	rows, err := tx.QueryContext(ctx, `SELECT first_seq, data FROM document_updates WHERE document = ? AND last_seq > ? ORDER BY last_seq`, document, seq)
	if err != nil {
		return st, fmt.Errorf("document log: load updates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var first int64
		var data []byte
		if err := rows.Scan(&first, &data); err != nil {
			return st, fmt.Errorf("document log: load updates: %w", err)
		}
		if st.Updates, err = decodeRow(st.Updates, document, uint64(first), data, uint64(seq)); err != nil {
			return st, fmt.Errorf("document log: load %s: %w", document, err)
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("document log: load updates: %w", err)
	}
	return st, nil
}

// ReadSince implements tandem.DocumentLog.
func (l *DocumentLog) ReadSince(ctx context.Context, document string, after uint64) (tandem.DocumentState, error) {
	var st tandem.DocumentState
	if document == "" {
		return st, tandem.Invalid("document", "empty document key")
	}
	if after > 1<<63-1 {
		return st, tandem.Invalid("after", "sequence number out of range")
	}
	tx, err := l.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return st, fmt.Errorf("document log: read: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	var snap []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, CASE WHEN seq > ? THEN data END FROM document_snapshots WHERE document = ?`,
		int64(after), document).Scan(&seq, &snap)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, fmt.Errorf("document log: read snapshot: %w", err)
	case uint64(seq) > after:
		st.Snapshot, st.SnapshotSeq = snap, uint64(seq)
	}
	from := max(after, st.SnapshotSeq)
	rows, err := tx.QueryContext(ctx, `SELECT first_seq, data FROM document_updates WHERE document = ? AND last_seq > ? ORDER BY last_seq`, document, int64(from))
	if err != nil {
		return st, fmt.Errorf("document log: read updates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var first int64
		var data []byte
		if err := rows.Scan(&first, &data); err != nil {
			return st, fmt.Errorf("document log: read updates: %w", err)
		}
		if st.Updates, err = decodeRow(st.Updates, document, uint64(first), data, from); err != nil {
			return st, fmt.Errorf("document log: read %s: %w", document, err)
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("document log: read updates: %w", err)
	}
	return st, nil
}

// Heads implements tandem.DocumentLog.
func (l *DocumentLog) Heads(ctx context.Context, documents []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(documents))
	if len(documents) == 0 {
		return out, nil
	}
	tx, err := l.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `SELECT max(
			coalesce((SELECT seq FROM document_snapshots WHERE document = ?1), 0),
			coalesce((SELECT max(last_seq) FROM document_updates WHERE document = ?1), 0))`)
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer stmt.Close()
	for _, d := range documents {
		var top int64
		if err := stmt.QueryRowContext(ctx, d).Scan(&top); err != nil {
			return nil, fmt.Errorf("document log: heads: %w", err)
		}
		if top > 0 {
			out[d] = uint64(top)
		}
	}
	return out, nil
}

// Compact implements tandem.DocumentLog.
func (l *DocumentLog) Compact(ctx context.Context, document string, through uint64, snapshot []byte) error {
	switch {
	case document == "":
		return tandem.Invalid("document", "empty document key")
	case through == 0 || through > 1<<63-1:
		return tandem.Invalid("through", "sequence number out of range")
	case len(snapshot) == 0:
		return tandem.Invalid("snapshot", "empty snapshot")
	}
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	defer tx.Rollback()
	var cur, last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT seq FROM document_snapshots WHERE document = ?1),
		(SELECT max(last_seq) FROM document_updates WHERE document = ?1)`, document).Scan(&cur, &last); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	if cur.Valid && int64(through) < cur.Int64 {
		return tandem.Errorf(tandem.CodeConflict, "document log: compact %s through %d: snapshot is already at %d", document, through, cur.Int64)
	}
	top := max(cur.Int64, last.Int64)
	if int64(through) > top {
		return tandem.Errorf(tandem.CodeConflict, "document log: compact %s through %d: log ends at %d", document, through, top)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO document_snapshots (document, seq, data) VALUES (?, ?, ?)
		ON CONFLICT (document) DO UPDATE SET seq = excluded.seq, data = excluded.data`, document, int64(through), snapshot); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	// A row that straddles through keeps only its updates after it.
	var first, lastSeq int64
	var data []byte
	err = tx.QueryRowContext(ctx, `SELECT first_seq, last_seq, data FROM document_updates
		WHERE document = ? AND first_seq <= ? AND last_seq > ?`, document, int64(through), int64(through)).Scan(&first, &lastSeq, &data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("document log: compact: %w", err)
	default:
		keep, err := decodeRow(nil, document, uint64(first), data, through)
		if err != nil {
			return fmt.Errorf("document log: compact %s: %w", document, err)
		}
		rows, _ := groupRows(keep)
		if _, err := tx.ExecContext(ctx, `UPDATE document_updates SET first_seq = ?, data = ? WHERE document = ? AND last_seq = ?`,
			int64(rows[0].first), rows[0].data, document, lastSeq); err != nil {
			return fmt.Errorf("document log: compact: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_updates WHERE document = ? AND last_seq <= ?`, document, int64(through)); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	return nil
}

// Delete implements tandem.DocumentLog.
func (l *DocumentLog) Delete(ctx context.Context, document string) error {
	if document == "" {
		return tandem.Invalid("document", "empty document key")
	}
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_updates WHERE document = ?`, document); err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_snapshots WHERE document = ?`, document); err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	return nil
}
