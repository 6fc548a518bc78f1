package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tandem-docs/tandem/sqlstore"
	"github.com/tandem-docs/tandem/telemetry/dbtrace"
)

// stmts keeps the prepared statements of one pool, by SQL text. SQLite
// compiles every statement before it runs, which for the longer queries
// (the recursive permission check, the document list) costs more than
// running them; a prepared statement is compiled once per connection.
// The stores' queries are a fixed set of texts (those built from parts
// have a few hundred combinations), so the cache is bounded: past max
// texts, further ones run unprepared.
type stmts struct {
	db    *sql.DB
	attrs []attribute.KeyValue // of the pool's spans
	max   int
	mu    sync.RWMutex
	m     map[string]*sql.Stmt
}

const maxStmts = 1000

func newStmts(db *sql.DB) *stmts { return &stmts{db: db, max: maxStmts, m: make(map[string]*sql.Stmt)} }

// lookup returns the prepared statement for query, if there is one.
func (c *stmts) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the prepared statement for query, preparing it on the pool
// if needed, or nil if the cache is full. It takes a connection of the
// pool to prepare: never call it with the writer's connection held (in a
// transaction).
func (c *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	c.mu.RLock()
	full := len(c.m) >= c.max
	c.mu.RUnlock()
	if full {
		return nil, nil
	}
	// Prepared without the lock held: preparing waits for a connection.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		st.Close()
		return prev, nil
	}
	if len(c.m) >= c.max {
		st.Close()
		return nil, nil
	}
	c.m[query] = st
	return st, nil
}

// poolQuerier runs statements on a pool.
type poolQuerier struct{ c *stmts }

func (q poolQuerier) exec(ctx context.Context, query string, args []any) (int64, error) {
	st, err := q.c.get(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.c.db.ExecContext(ctx, query, args...)
	}
	return affected(res, err)
}

func (q poolQuerier) query(ctx context.Context, query string, args []any) (sqlstore.Rows, error) {
	st, err := q.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.c.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q poolQuerier) queryRow(ctx context.Context, query string, args []any) sqlstore.Row {
	st, err := q.c.get(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.c.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs statements in a transaction on the writer, with the
// writer's prepared statements where it has them already: it cannot
// prepare new ones on the pool, whose only connection the transaction
// holds.
type txQuerier struct {
	tx *sql.Tx
	c  *stmts
}

func (q txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	return nil
}

func (q txQuerier) exec(ctx context.Context, query string, args []any) (int64, error) {
	var res sql.Result
	var err error
	if st := q.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.tx.ExecContext(ctx, query, args...)
	}
	return affected(res, err)
}

func (q txQuerier) query(ctx context.Context, query string, args []any) (sqlstore.Rows, error) {
	var rows *sql.Rows
	var err error
	if st := q.stmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q txQuerier) queryRow(ctx context.Context, query string, args []any) sqlstore.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// rawQuerier is a querier without tracing: poolQuerier or txQuerier.
type rawQuerier interface {
	exec(ctx context.Context, query string, args []any) (int64, error)
	query(ctx context.Context, query string, args []any) (sqlstore.Rows, error)
	queryRow(ctx context.Context, query string, args []any) sqlstore.Row
}

// tracedQuerier is the sqlstore.Querier of a raw querier: it makes a span
// of each statement when ctx is traced (see trace.go); with tracing off a
// statement costs a context lookup.
type tracedQuerier[Q rawQuerier] struct {
	q     Q
	attrs []attribute.KeyValue // of the database's spans
}

func (t tracedQuerier[Q]) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if !dbtrace.Traced(ctx) {
		return t.q.exec(ctx, query, args)
	}
	ctx, span := dbtrace.StartQuery(ctx, traceScope, query, t.attrs...)
	n, err := t.q.exec(ctx, query, args)
	endSpan(span, err)
	return n, err
}

func (t tracedQuerier[Q]) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if !dbtrace.Traced(ctx) {
		return t.q.query(ctx, query, args)
	}
	ctx, span := dbtrace.StartQuery(ctx, traceScope, query, t.attrs...)
	rows, err := t.q.query(ctx, query, args)
	if err != nil {
		endSpan(span, err)
		return nil, err
	}
	return tracedRows{rows, span}, nil
}

func (t tracedQuerier[Q]) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if !dbtrace.Traced(ctx) {
		return t.q.queryRow(ctx, query, args)
	}
	ctx, span := dbtrace.StartQuery(ctx, traceScope, query, t.attrs...)
	return tracedRow{t.q.queryRow(ctx, query, args), span}
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// sqlRows is *sql.Rows with the Close of sqlstore.Rows: an error closing
// is also reported by Err.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
