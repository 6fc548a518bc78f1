package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	tandem "github.com/tandem-docs/tandem"
)

// documentLogSteps is the forward-only schema of the document log. Released
// steps are never edited; changes are appended.
//
// document_heads holds each document's last stored sequence number. An
// append moves it forward with a conditional upsert, which takes the row's
// lock: two instances appending to one document queue on that row, and the
// second finds the head past its first seq and fails as a conflict instead
// of interleaving. A row of document_updates holds every update one append
// stored for one document (first_seq..last_seq), packed as in the SQLite
// log, so a group commit writes one row per document rather than per update.
var documentLogSteps = []string{
	`CREATE TABLE document_heads (
		document BYTEA PRIMARY KEY, -- keys are opaque bytes (text cannot hold NUL)
		last_seq BIGINT NOT NULL
	);
	CREATE TABLE document_updates (
		document BYTEA NOT NULL,
		first_seq BIGINT NOT NULL,
		last_seq BIGINT NOT NULL,
		data BYTEA NOT NULL, -- per update: var-int seq-first_seq, var-int length, bytes
		PRIMARY KEY (document, last_seq)
	);
	CREATE TABLE document_snapshots (
		document BYTEA PRIMARY KEY,
		seq BIGINT NOT NULL,
		data BYTEA NOT NULL
	);`,
}

// DocumentLog is tandem.DocumentLog on PostgreSQL. Every instance of a
// fleet shares it; an append is one statement (one round trip, one
// transaction, one WAL flush) however many documents it carries, and is
// durable when the primary has committed it. Reads go to the primary too:
// an instance that catches up after a conflict must see what the other
// instance committed, which a lagging replica might not have.
//
// Reads (Load, ReadSince, Heads) and compactions take at most all but one
// of the pool's connections at a time, so that an append never queues for
// a connection behind them: a fleet's instances read the log after every
// append race they lose, hundreds of rooms at once under load, and the
// group commit that every acknowledgement waits for must not wait for them.
type DocumentLog struct {
	db    *DB
	reads chan struct{} // a token per connection reads may hold
}

var _ tandem.DocumentLog = (*DocumentLog)(nil)

// NewDocumentLog migrates the document-log tables and returns the store. It
// refuses a server whose synchronous_commit is off: a commit would then
// return before its WAL reached disk, and the realtime service acknowledges
// edits on commit.
func NewDocumentLog(ctx context.Context, db *DB) (*DocumentLog, error) {
	var sc string
	if err := db.pool.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&sc); err != nil {
		return nil, fmt.Errorf("document log: %w", err)
	}
	if sc == "off" {
		return nil, errors.New("document log: PostgreSQL has synchronous_commit=off, so a commit is not durable when it returns; set it to on (or local, remote_write, remote_apply)")
	}
	if err := db.Migrate(ctx, "document_log", documentLogSteps); err != nil {
		return nil, err
	}
	n := max(1, int(db.pool.Config().MaxConns)-1)
	return &DocumentLog{db: db, reads: make(chan struct{}, n)}, nil
}

// acquireRead waits for a read token (see DocumentLog).
func (l *DocumentLog) acquireRead(ctx context.Context) error {
	select {
	case l.reads <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *DocumentLog) releaseRead() { <-l.reads }

// appendSQL stores a batch: it locks the heads of the documents that are
// below the batch's first seq, moves them to the batch's last, creates the
// heads of new documents, inserts the rows of the documents whose head
// moved or was created, and returns those documents; the others conflicted.
//
// Two choices make it scale with the number of documents in a batch and of
// instances appending to them (BENCHMARKS.md, "Several instances"):
//
//   - Every step is a join (hash or merge) against the batch. The previous
//     statement, an INSERT ... ON CONFLICT DO UPDATE whose WHERE looked up
//     the batch's first seq per row with a subquery, was quadratic: 0.2-0.6 s
//     of execution for a batch of 2,000 documents (this one: 30-40 ms),
//     during which it held the locks of all 2,000 heads.
//   - SKIP LOCKED: a head another append holds locked is reported as a
//     conflict at once instead of waited for. The holder is another
//     instance storing the same next seqs (it locks only heads below its
//     first seq, as this one does), so this append would conflict on it
//     anyway after the wait; waiting made the instances' batches, which
//     share most documents when clients are spread over instances, queue
//     behind one another's whole commit. Compact does not take a lock that
//     conflicts with appends, so a single writer never sees a conflict.
//
// New documents are created in document order, and nothing else here waits
// for a lock, so concurrent appends cannot deadlock.
const appendSQL = `WITH v AS (
	SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bytea[]) AS v(document, first_seq, last_seq, data)
), l AS (
	SELECT h.document, v.last_seq FROM document_heads h JOIN v ON h.document = v.document
	WHERE h.last_seq < v.first_seq
	FOR NO KEY UPDATE OF h SKIP LOCKED
), moved AS (
	UPDATE document_heads h SET last_seq = l.last_seq FROM l WHERE h.document = l.document
	RETURNING h.document
), created AS (
	INSERT INTO document_heads (document, last_seq)
	SELECT v.document, v.last_seq FROM v
	WHERE NOT EXISTS (SELECT FROM document_heads h WHERE h.document = v.document)
	ORDER BY v.document
	ON CONFLICT (document) DO NOTHING
	RETURNING document
), stored AS (
	SELECT document FROM moved UNION ALL SELECT document FROM created
), u AS (
	INSERT INTO document_updates (document, first_seq, last_seq, data)
	SELECT v.document, v.first_seq, v.last_seq, v.data FROM v JOIN stored USING (document)
)
SELECT document FROM stored`

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
	// Documents in a fixed order, so that two batches lock shared heads in
	// the same order and never deadlock.
	slices.SortFunc(rows, func(a, b logRow) int { return strings.Compare(a.document, b.document) })
	docs := make([][]byte, len(rows))
	firsts := make([]int64, len(rows))
	lasts := make([]int64, len(rows))
	data := make([][]byte, len(rows))
	for i, r := range rows {
		docs[i], firsts[i], lasts[i], data[i] = []byte(r.document), int64(r.first), int64(r.last), r.data
	}
	res, err := l.db.pool.Query(ctx, appendSQL, docs, firsts, lasts, data)
	if err != nil {
		return fmt.Errorf("document log: append: %w", err)
	}
	stored := make(map[string]bool, len(rows))
	for res.Next() {
		var d []byte
		if err := res.Scan(&d); err != nil {
			res.Close()
			return fmt.Errorf("document log: append: %w", err)
		}
		stored[string(d)] = true
	}
	res.Close()
	if err := res.Err(); err != nil {
		return fmt.Errorf("document log: append: %w", err)
	}
	if len(stored) == len(rows) {
		return nil
	}
	var conflicts []string
	for _, r := range rows {
		if !stored[r.document] {
			conflicts = append(conflicts, r.document)
		}
	}
	slices.Sort(conflicts)
	return &tandem.SeqConflictError{Documents: conflicts}
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

// groupRows packs the entries of each document into one row.
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

func validKey(document string) error {
	if document == "" {
		return tandem.Invalid("document", "empty document key")
	}
	return nil
}

// readSQL reads a document's snapshot, if its seq is above $2 (a row of
// kind 0; its data is NULL if the snapshot is not above $2), and its rows
// of updates after both (kind 1), in order. One statement is one snapshot
// of the database, so the snapshot and the updates belong to one state of
// the log, in one round trip: a fleet's instances catch up after every
// append race, and a read transaction (BEGIN, two queries, COMMIT) held a
// pooled connection four times as long, which the group commit waited for.
const readSQL = `SELECT 0, seq, CASE WHEN seq > $2 THEN data END FROM document_snapshots WHERE document = $1
UNION ALL
SELECT 1, first_seq, data FROM document_updates
WHERE document = $1 AND last_seq > GREATEST($2, COALESCE((SELECT seq FROM document_snapshots WHERE document = $1), 0))
ORDER BY 1, 2`

// read returns what is stored for document after seq after: the snapshot
// if it is above after, and the updates after both.
func (l *DocumentLog) read(ctx context.Context, document string, after uint64) (tandem.DocumentState, error) {
	var st tandem.DocumentState
	if err := l.acquireRead(ctx); err != nil {
		return st, err
	}
	defer l.releaseRead()
	rows, err := l.db.pool.Query(ctx, readSQL, []byte(document), int64(after))
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int32
		var seq int64
		var data []byte
		if err := rows.Scan(&kind, &seq, &data); err != nil {
			return st, err
		}
		if kind == 0 {
			if uint64(seq) > after {
				st.Snapshot, st.SnapshotSeq = data, uint64(seq)
			}
			continue
		}
		if st.Updates, err = decodeRow(st.Updates, document, uint64(seq), data, max(after, st.SnapshotSeq)); err != nil {
			return st, fmt.Errorf("%s: %w", document, err)
		}
	}
	return st, rows.Err()
}

// Load implements tandem.DocumentLog.
func (l *DocumentLog) Load(ctx context.Context, document string) (tandem.DocumentState, error) {
	if err := validKey(document); err != nil {
		return tandem.DocumentState{}, err
	}
	st, err := l.read(ctx, document, 0)
	if err != nil {
		return tandem.DocumentState{}, fmt.Errorf("document log: load: %w", err)
	}
	return st, nil
}

// ReadSince implements tandem.DocumentLog.
func (l *DocumentLog) ReadSince(ctx context.Context, document string, after uint64) (tandem.DocumentState, error) {
	if err := validKey(document); err != nil {
		return tandem.DocumentState{}, err
	}
	if after > 1<<63-1 {
		return tandem.DocumentState{}, tandem.Invalid("after", "sequence number out of range")
	}
	st, err := l.read(ctx, document, after)
	if err != nil {
		return tandem.DocumentState{}, fmt.Errorf("document log: read: %w", err)
	}
	return st, nil
}

// Heads implements tandem.DocumentLog.
func (l *DocumentLog) Heads(ctx context.Context, documents []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(documents))
	if len(documents) == 0 {
		return out, nil
	}
	keys := make([][]byte, len(documents))
	for i, d := range documents {
		keys[i] = []byte(d)
	}
	if err := l.acquireRead(ctx); err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer l.releaseRead()
	rows, err := l.db.pool.Query(ctx, `SELECT document, last_seq FROM document_heads WHERE document = ANY($1::bytea[])`, keys)
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d []byte
		var seq int64
		if err := rows.Scan(&d, &seq); err != nil {
			return nil, fmt.Errorf("document log: heads: %w", err)
		}
		out[string(d)] = uint64(seq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	return out, nil
}

// compactLockSpace is the first key of the advisory locks that serialize
// compactions of one document (the second is a hash of the document key;
// two documents that share a hash only compact one after the other).
const compactLockSpace = 0x7464_6c63 // "tdlc"

// Compact implements tandem.DocumentLog.
func (l *DocumentLog) Compact(ctx context.Context, document string, through uint64, snapshot []byte) error {
	if err := validKey(document); err != nil {
		return err
	}
	switch {
	case through == 0 || through > 1<<63-1:
		return tandem.Invalid("through", "sequence number out of range")
	case len(snapshot) == 0:
		return tandem.Invalid("snapshot", "empty snapshot")
	}
	if err := l.acquireRead(ctx); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	defer l.releaseRead()
	err := pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		// Two compactions of one document (two instances) run one after the
		// other: the second then sees the first's snapshot. The lock is an
		// advisory one, not the head's row lock, so that appends, which skip
		// locked heads as conflicts, go on while a document is compacted.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(encode($2::bytea, 'base64')))`, compactLockSpace, []byte(document)); err != nil {
			return err
		}
		// KEY SHARE does not conflict with an append's lock but does with a
		// Delete, which must not run between this and the snapshot's write
		// (it would leave a snapshot of a deleted document). A head read
		// here may be behind a concurrent append; it only ever grows, so
		// the check below errs on the side of refusing.
		var head int64
		err := tx.QueryRow(ctx, `SELECT last_seq FROM document_heads WHERE document = $1 FOR KEY SHARE`, []byte(document)).Scan(&head)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var cur int64
		err = tx.QueryRow(ctx, `SELECT seq FROM document_snapshots WHERE document = $1`, []byte(document)).Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if int64(through) < cur {
			return tandem.Errorf(tandem.CodeConflict, "document log: compact %s through %d: snapshot is already at %d", document, through, cur)
		}
		if int64(through) > head {
			return tandem.Errorf(tandem.CodeConflict, "document log: compact %s through %d: log ends at %d", document, through, head)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO document_snapshots (document, seq, data) VALUES ($1, $2, $3)
			ON CONFLICT (document) DO UPDATE SET seq = excluded.seq, data = excluded.data`, []byte(document), int64(through), snapshot); err != nil {
			return err
		}
		// A row that straddles through keeps only its updates after it.
		var first, last int64
		var data []byte
		err = tx.QueryRow(ctx, `SELECT first_seq, last_seq, data FROM document_updates
			WHERE document = $1 AND first_seq <= $2 AND last_seq > $2`, []byte(document), int64(through)).Scan(&first, &last, &data)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			keep, err := decodeRow(nil, document, uint64(first), data, through)
			if err != nil {
				return fmt.Errorf("%s: %w", document, err)
			}
			rows, _ := groupRows(keep)
			if _, err := tx.Exec(ctx, `UPDATE document_updates SET first_seq = $1, data = $2 WHERE document = $3 AND last_seq = $4`,
				int64(rows[0].first), rows[0].data, []byte(document), last); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM document_updates WHERE document = $1 AND last_seq <= $2`, []byte(document), int64(through))
		return err
	})
	if err != nil {
		if errors.Is(err, tandem.ErrConflict) {
			return err
		}
		return fmt.Errorf("document log: compact: %w", err)
	}
	return nil
}

// Delete implements tandem.DocumentLog.
func (l *DocumentLog) Delete(ctx context.Context, document string) error {
	if err := validKey(document); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM document_heads WHERE document = $1`, []byte(document)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM document_updates WHERE document = $1`, []byte(document)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM document_snapshots WHERE document = $1`, []byte(document))
		return err
	})
	if err != nil {
		return fmt.Errorf("document log: delete: %w", err)
	}
	return nil
}
