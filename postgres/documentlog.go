package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/tandem-docs/tandem/logrow"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	tandem "github.com/tandem-docs/tandem"
)

// documentLogSteps is the forward-only schema of the document log. Released
// steps are never edited; changes are appended.
//
// document_heads holds the last stored sequence number of each writer of
// each document. An append moves it forward with a conditional update,
// which takes the row's lock; a writer's retried append that had committed
// finds the head past its first seq and fails as a conflict instead of
// storing its updates twice. Writers have heads of their own, so instances
// that write one document never touch each other's rows. A row of document_updates holds every update one append
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
	// Version 2: per-writer sequence numbers. Heads and updates are keyed
	// by (document, writer); what was stored before is the writer '' (the
	// empty key). ord is the order rows were stored in (legacy rows 0: they
	// come first, in seq order). A snapshot's position is two arrays
	// (writers, seqs); a legacy snapshot's seq becomes writer '' at seq.
	// A head's at is its writer's last append (Compact forgets writers
	// idle for tandem.WriterIdle).
	`ALTER TABLE document_heads ADD COLUMN writer BYTEA NOT NULL DEFAULT ''::bytea, ADD COLUMN at TIMESTAMPTZ NOT NULL DEFAULT now();
	ALTER TABLE document_heads DROP CONSTRAINT document_heads_pkey, ADD PRIMARY KEY (document, writer);
	ALTER TABLE document_updates ADD COLUMN writer BYTEA NOT NULL DEFAULT ''::bytea, ADD COLUMN ord BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE document_updates DROP CONSTRAINT document_updates_pkey, ADD PRIMARY KEY (document, writer, last_seq);
	CREATE SEQUENCE document_log_ord;
	ALTER TABLE document_updates ALTER COLUMN ord SET DEFAULT nextval('document_log_ord');
	ALTER TABLE document_snapshots ADD COLUMN writers BYTEA[] NOT NULL DEFAULT '{}', ADD COLUMN seqs BIGINT[] NOT NULL DEFAULT '{}';
	UPDATE document_snapshots SET writers = ARRAY[''::bytea], seqs = ARRAY[seq] WHERE seq > 0;`,
}

// DocumentLog is tandem.DocumentLog on PostgreSQL. Every instance of a
// fleet shares it; an append is one statement (one round trip, one
// transaction, one WAL flush) however many documents it carries, and is
// durable when the primary has committed it (an append of one document by
// several writers in one batch, which only tests make, takes a
// transaction). Reads go to the primary too: an instance that catches up
// (a gap in the bus messages, its own retried append) must see what was
// committed, which a lagging replica might not have.
//
// Appends run on connections of their own (DB.generic), so the group
// commit that every acknowledgement waits for never queues for a
// connection behind reads: after a Redis outage every room of every
// instance reads the log at once. Reads (Load, ReadSince, Heads) and
// compactions take at most all but one of the main pool's connections at a
// time, which leaves one for the App's statements when it shares the pool.
type DocumentLog struct {
	db    *DB
	reads chan struct{} // a token per connection reads may hold

	// writerIdle is tandem.WriterIdle (tests shorten it).
	writerIdle time.Duration
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
	// The appends' pool sets plan_cache_mode (PostgreSQL 12 and later):
	// a server that refuses it must stop the start, not every append.
	if err := db.generic.Ping(ctx); err != nil {
		return nil, fmt.Errorf("document log: the appends' connections (plan_cache_mode = force_generic_plan, PostgreSQL 12 or later): %w", err)
	}
	n := max(1, int(db.pool.Config().MaxConns)-1)
	return &DocumentLog{db: db, reads: make(chan struct{}, n), writerIdle: tandem.WriterIdle}, nil
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

// appendSQL stores a batch: it locks the heads of the (document, writer)
// pairs that are below the batch's first seq, moves them to the batch's
// last, creates the heads of new pairs, inserts the rows of the pairs whose
// head moved or was created, and returns those pairs; the others collided
// (a writer's retried append that had committed).
//
// A head that another append holds locked is reported as a collision at
// once (SKIP LOCKED): only the same writer's earlier attempt can hold it,
// and that one stores the same seqs. New heads are created in key order,
// and nothing else here waits for a lock, so concurrent appends cannot
// deadlock.
//
// It runs on DB.generic, on its generic plan, planned once per connection:
// planning it anew for every batch (PostgreSQL's choice for a statement
// whose arguments are arrays) cost more than running it. A generic plan
// cannot know the batch's size, so the statement fixes its shape itself:
// every touch of document_heads is a primary-key probe per pair of the
// batch (the LATERAL subquery, whose row lock keeps it from being
// flattened into a join; the update by the locked row's ctid; the NOT
// EXISTS that OFFSET 0 keeps a per-row subplan), never a scan of the whole
// table, which the planner would otherwise pick for a small table and a
// batch it guesses at 10 rows. TestAppendPlan checks that shape.
const appendSQL = `WITH v AS (
	SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bytea[]) AS v(document, writer, first_seq, last_seq, data)
), l AS (
	SELECT h.ctid, v.last_seq FROM v CROSS JOIN LATERAL (
		SELECT h.ctid FROM document_heads h WHERE h.document = v.document AND h.writer = v.writer AND h.last_seq < v.first_seq
		FOR NO KEY UPDATE SKIP LOCKED
	) h
), moved AS (
	UPDATE document_heads h SET last_seq = l.last_seq, at = now() FROM l WHERE h.ctid = l.ctid
	RETURNING h.document, h.writer
), created AS (
	INSERT INTO document_heads (document, writer, last_seq)
	SELECT v.document, v.writer, v.last_seq FROM v
	WHERE NOT EXISTS (SELECT FROM document_heads h WHERE h.document = v.document AND h.writer = v.writer OFFSET 0)
	ORDER BY v.document, v.writer
	ON CONFLICT (document, writer) DO NOTHING
	RETURNING document, writer
), stored AS (
	SELECT document, writer FROM moved UNION ALL SELECT document, writer FROM created
), u AS (
	INSERT INTO document_updates (document, writer, first_seq, last_seq, data, ord)
	SELECT v.document, v.writer, v.first_seq, v.last_seq, v.data, nextval('document_log_ord') FROM v JOIN stored USING (document, writer)
)
SELECT document, writer FROM stored`

// errPartial rolls back an append that stored some writers of a document
// but not others.
var errPartial = errors.New("partial document")

// Append implements tandem.DocumentLog.
func (l *DocumentLog) Append(ctx context.Context, entries []tandem.LogEntry) error {
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
	// Keys in a fixed order, so that two batches lock shared heads in the
	// same order and never deadlock.
	slices.SortFunc(rows, func(a, b logRow) int {
		if c := strings.Compare(a.Document, b.Document); c != 0 {
			return c
		}
		return strings.Compare(a.Writer, b.Writer)
	})
	multi := false // some document has rows of several writers
	for i := 1; i < len(rows); i++ {
		if rows[i].Document == rows[i-1].Document {
			multi = true
		}
	}
	var conflicts []string
	for {
		// Each row's ord comes from a sequence, taken before the commit:
		// an update appended after another committed sorts after it, which
		// is the order an update's dependencies were stored in.
		var stored map[string]map[string]bool
		if !multi {
			// The realtime service's case: one statement, one round trip.
			stored, err = l.appendRows(ctx, l.db.generic, rows)
		} else {
			// Several writers of one document in a batch: a document whose
			// rows are stored only in part is rolled back and retried
			// without it, so that none of a colliding document is stored.
			err = pgx.BeginFunc(ctx, l.db.generic, func(tx pgx.Tx) error {
				var err error
				stored, err = l.appendRows(ctx, tx, rows)
				if err != nil {
					return err
				}
				for _, r := range rows {
					if !stored[r.Document][r.Writer] && len(stored[r.Document]) > 0 {
						return errPartial
					}
				}
				return nil
			})
			if errors.Is(err, errPartial) {
				// Retry without the documents that collided, judged outside
				// the rolled-back transaction.
				var bad []string
				for _, r := range rows {
					if !stored[r.Document][r.Writer] {
						bad = append(bad, r.Document)
					}
				}
				conflicts = append(conflicts, bad...)
				rows = slices.DeleteFunc(rows, func(r logRow) bool { return slices.Contains(bad, r.Document) })
				if len(rows) == 0 {
					break
				}
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("document log: append: %w", err)
		}
		for _, r := range rows {
			if !stored[r.Document][r.Writer] {
				conflicts = append(conflicts, r.Document)
			}
		}
		break
	}
	if len(conflicts) == 0 {
		return nil
	}
	slices.Sort(conflicts)
	return &tandem.SeqConflictError{Documents: slices.Compact(conflicts)}
}

type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// appendRows runs appendSQL and returns the (document, writer) pairs stored.
func (l *DocumentLog) appendRows(ctx context.Context, q rowsQuerier, rows []logRow) (map[string]map[string]bool, error) {
	docs := make([][]byte, len(rows))
	writers := make([][]byte, len(rows))
	firsts := make([]int64, len(rows))
	lasts := make([]int64, len(rows))
	data := make([][]byte, len(rows))
	for i, r := range rows {
		docs[i], writers[i], firsts[i], lasts[i], data[i] = []byte(r.Document), []byte(r.Writer), int64(r.First), int64(r.Last), r.Data
	}
	res, err := q.Query(ctx, appendSQL, docs, writers, firsts, lasts, data)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	stored := make(map[string]map[string]bool, len(rows))
	for res.Next() {
		var d, w []byte
		if err := res.Scan(&d, &w); err != nil {
			return nil, err
		}
		if stored[string(d)] == nil {
			stored[string(d)] = map[string]bool{}
		}
		stored[string(d)][string(w)] = true
	}
	return stored, res.Err()
}

// logRow is what one Append stores for one (document, writer).
type logRow = logrow.Row

func validKey(document string) error {
	if document == "" {
		return tandem.Invalid("document", "empty document key")
	}
	return nil
}

// positionArrays splits a position into the arrays the statements take.
func positionArrays(p tandem.LogPosition) ([][]byte, []int64) {
	ws := make([][]byte, 0, len(p))
	ss := make([]int64, 0, len(p))
	for w, s := range p {
		if s > 0 {
			ws, ss = append(ws, []byte(w)), append(ss, int64(s))
		}
	}
	return ws, ss
}

func arraysPosition(ws [][]byte, ss []int64) tandem.LogPosition {
	p := make(tandem.LogPosition, len(ws))
	for i := range min(len(ws), len(ss)) {
		p.Advance(string(ws[i]), uint64(ss[i]))
	}
	return p
}

// readSQL reads a document's snapshot (a row of kind 0: its position, and
// its data if the position ($2, $3) does not cover it) and its rows of
// updates beyond that position (kind 1), in the order they were stored.
// One statement is one snapshot of the database, so the snapshot and the
// updates belong to one state of the log, in one round trip. Rows at or
// below the snapshot's position do not exist (compaction trims exactly
// those), so the updates need only be filtered by the reader's position.
const readSQL = `WITH a AS (SELECT * FROM unnest($2::bytea[], $3::bigint[]) AS a(writer, seq))
SELECT 0, NULL::bytea, 0::bigint, 0::bigint, s.writers, s.seqs,
	CASE WHEN EXISTS (SELECT FROM unnest(s.writers, s.seqs) AS p(writer, seq)
		WHERE p.seq > COALESCE((SELECT a.seq FROM a WHERE a.writer = p.writer), 0)) THEN s.data END
FROM document_snapshots s WHERE s.document = $1
UNION ALL
SELECT 1, u.writer, u.first_seq, u.ord, NULL, NULL, u.data FROM document_updates u
WHERE u.document = $1 AND u.last_seq > COALESCE((SELECT a.seq FROM a WHERE a.writer = u.writer), 0)
ORDER BY 1, 4, 2, 3`

// read returns what is stored for document beyond after: the snapshot if
// after does not cover it, and the updates beyond both.
func (l *DocumentLog) read(ctx context.Context, document string, after tandem.LogPosition) (tandem.DocumentState, error) {
	st := tandem.DocumentState{SnapshotPosition: tandem.LogPosition{}}
	if err := l.acquireRead(ctx); err != nil {
		return st, err
	}
	defer l.releaseRead()
	aw, as := positionArrays(after)
	rows, err := l.db.pool.Query(ctx, readSQL, []byte(document), aw, as)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	from := after.Clone()
	for rows.Next() {
		var kind int32
		var writer []byte
		var first, ord int64
		var sw [][]byte
		var ss []int64
		var data []byte
		if err := rows.Scan(&kind, &writer, &first, &ord, &sw, &ss, &data); err != nil {
			return st, err
		}
		if kind == 0 {
			if data != nil {
				st.Snapshot, st.SnapshotPosition = data, arraysPosition(sw, ss)
				from.Merge(st.SnapshotPosition)
			}
			continue
		}
		w := string(writer)
		if st.Updates, err = logrow.Decode(st.Updates, document, w, uint64(first), data, from[w]); err != nil {
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
	st, err := l.read(ctx, document, nil)
	if err != nil {
		return tandem.DocumentState{}, fmt.Errorf("document log: load: %w", err)
	}
	return st, nil
}

// ReadSince implements tandem.DocumentLog.
func (l *DocumentLog) ReadSince(ctx context.Context, document string, after tandem.LogPosition) (tandem.DocumentState, error) {
	if err := validKey(document); err != nil {
		return tandem.DocumentState{}, err
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

// Heads implements tandem.DocumentLog. A head never moves back (compaction
// leaves it), so it includes the snapshot.
func (l *DocumentLog) Heads(ctx context.Context, documents []string) (map[string]tandem.LogPosition, error) {
	out := make(map[string]tandem.LogPosition, len(documents))
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
	// The heads, and the snapshots' ForgottenWriters counts (a room that
	// missed a forgotten writer's entries learns it from those).
	rows, err := l.db.pool.Query(ctx, `SELECT document, writer, last_seq FROM document_heads WHERE document = ANY($1::bytea[])
		UNION ALL
		SELECT s.document, p.writer, p.seq FROM document_snapshots s, unnest(s.writers, s.seqs) AS p(writer, seq)
		WHERE s.document = ANY($1::bytea[]) AND p.writer = $2`, keys, []byte(tandem.ForgottenWriters))
	if err != nil {
		return nil, fmt.Errorf("document log: heads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, w []byte
		var seq int64
		if err := rows.Scan(&d, &w, &seq); err != nil {
			return nil, fmt.Errorf("document log: heads: %w", err)
		}
		if out[string(d)] == nil {
			out[string(d)] = tandem.LogPosition{}
		}
		out[string(d)].Advance(string(w), uint64(seq))
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
func (l *DocumentLog) Compact(ctx context.Context, document string, through tandem.LogPosition, snapshot []byte) error {
	if err := validKey(document); err != nil {
		return err
	}
	switch {
	case through.Count() == 0:
		return tandem.Invalid("through", "empty position")
	case len(snapshot) == 0:
		return tandem.Invalid("snapshot", "empty snapshot")
	}
	if err := through.Validate("through"); err != nil {
		return err
	}
	if err := l.acquireRead(ctx); err != nil {
		return fmt.Errorf("document log: compact: %w", err)
	}
	defer l.releaseRead()
	err := pgx.BeginFunc(ctx, l.db.pool, func(tx pgx.Tx) error {
		// Two compactions of one document (two instances) run one after the
		// other: the second then sees the first's snapshot. The lock is an
		// advisory one, not the heads' row locks, so that appends go on
		// while a document is compacted.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(encode($2::bytea, 'base64')))`, compactLockSpace, []byte(document)); err != nil {
			return err
		}
		// KEY SHARE does not conflict with an append's lock but does with a
		// Delete, which must not run between this and the snapshot's write
		// (it would leave a snapshot of a deleted document). Heads read
		// here may be behind a concurrent append; they only ever grow, so
		// the check below errs on the side of refusing.
		heads := tandem.LogPosition{}
		rows, err := tx.Query(ctx, `SELECT writer, last_seq FROM document_heads WHERE document = $1 FOR KEY SHARE`, []byte(document))
		if err != nil {
			return err
		}
		for rows.Next() {
			var w []byte
			var seq int64
			if err := rows.Scan(&w, &seq); err != nil {
				rows.Close()
				return err
			}
			heads[string(w)] = uint64(seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var sw [][]byte
		var ss []int64
		err = tx.QueryRow(ctx, `SELECT writers, seqs FROM document_snapshots WHERE document = $1`, []byte(document)).Scan(&sw, &ss)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		cur := arraysPosition(sw, ss)
		if !through.Covers(cur) {
			return tandem.Errorf(tandem.CodeConflict, "document log: compact %s: the snapshot is already beyond the position", document)
		}
		heads.Merge(cur) // the ForgottenWriters count is only there
		if !heads.Covers(through) {
			return tandem.Errorf(tandem.CodeConflict, "document log: compact %s: the position is beyond the log", document)
		}
		tw, ts := positionArrays(through)
		// Forget the writers that are done (see tandem.DocumentLog.Compact):
		// nothing of them stays in the log and they are idle. The conditions
		// are in the DELETE, so an append that moved a head meanwhile keeps
		// it. (An append of such a writer that runs into this row lock
		// reports a conflict and is retried after a read of the log.)
		forgotten := map[string]bool{}
		gone, err := tx.Query(ctx, `DELETE FROM document_heads h USING unnest($2::bytea[], $3::bigint[]) AS t(writer, seq)
			WHERE h.document = $1 AND h.writer = t.writer AND h.last_seq = t.seq AND h.at < now() - make_interval(secs => $4)
			RETURNING h.writer`, []byte(document), tw, ts, l.writerIdle.Seconds())
		if err != nil {
			return err
		}
		for gone.Next() {
			var w []byte
			if err := gone.Scan(&w); err != nil {
				gone.Close()
				return err
			}
			forgotten[string(w)] = true
		}
		gone.Close()
		if err := gone.Err(); err != nil {
			return err
		}
		kept := through.Clone()
		for w := range forgotten {
			delete(kept, w)
		}
		if len(forgotten) > 0 {
			kept[tandem.ForgottenWriters]++
		}
		kw, ks := positionArrays(kept)
		if _, err := tx.Exec(ctx, `INSERT INTO document_snapshots (document, seq, data, writers, seqs) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (document) DO UPDATE SET seq = excluded.seq, data = excluded.data, writers = excluded.writers, seqs = excluded.seqs`,
			[]byte(document), int64(through.Count()), snapshot, kw, ks); err != nil {
			return err
		}
		for i, w := range tw {
			t := ts[i]
			// A row that straddles t keeps only its updates after it.
			var first, last int64
			var data []byte
			err = tx.QueryRow(ctx, `SELECT first_seq, last_seq, data FROM document_updates
				WHERE document = $1 AND writer = $2 AND first_seq <= $3 AND last_seq > $3`, []byte(document), w, t).Scan(&first, &last, &data)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return err
			default:
				keep, err := logrow.Decode(nil, document, string(w), uint64(first), data, uint64(t))
				if err != nil {
					return fmt.Errorf("%s: %w", document, err)
				}
				rows, _ := logrow.Group(keep)
				if _, err := tx.Exec(ctx, `UPDATE document_updates SET first_seq = $1, data = $2 WHERE document = $3 AND writer = $4 AND last_seq = $5`,
					int64(rows[0].First), rows[0].Data, []byte(document), w, last); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM document_updates u USING unnest($2::bytea[], $3::bigint[]) AS t(writer, seq)
			WHERE u.document = $1 AND u.writer = t.writer AND u.last_seq <= t.seq`, []byte(document), tw, ts)
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
