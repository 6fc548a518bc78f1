// Package sqlstore implements the App service's stores (tandem.Accounts,
// tandem.Organizations, tandem.Documents, tandem.Shares, tandem.AuditLog and
// tandem.IdempotencyKeys) once, in the SQL that SQLite and PostgreSQL both
// speak: $n parameters, row values, recursive CTEs, ON CONFLICT and
// RETURNING.
//
// It does not open databases or own a schema. Packages sqlite and postgres
// adapt their connections to DB, describe what their SQL cannot share in a
// Dialect (time columns, locks, error codes) and create the tables; both
// run the same contract suites (package tandemtest) over a Store.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tandem-docs/tandem"
)

// Querier runs statements on a connection pool or in a transaction.
type Querier interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query for one row; a missing row shows as an error
	// from Scan that Dialect.NoRows recognises.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is one result row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set, read with Next and Scan; it must be closed.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// DB is the database under a Store.
type DB interface {
	// Reader runs reads.
	Reader() Querier
	// Writer runs single-statement writes.
	Writer() Querier
	// Tx runs fn in a transaction, committed if fn returns nil and rolled
	// back otherwise. Errors of the database itself come back unwrapped.
	Tx(ctx context.Context, fn func(q Querier) error) error
}

// Replicated is implemented by a DB with a read replica (PostgreSQL's).
//
// Routing is chosen per store method, not per statement kind: a method
// that lists what people browse (documents, favorites and trash, folders,
// members, audit events) reads through Store.lagged, which asks the DB for
// the querier of a lag-tolerant read; every other read stays on Reader
// (the primary), because it decides who may do what (sessions, API tokens,
// memberships, grants, document and folder roles) or comes just before a
// write, and a revocation must take effect at once. Reads inside a
// transaction use the transaction, on the primary.
type Replicated interface {
	// LagTolerant returns where a read that may see the database a little
	// behind runs for the user marked on ctx (tandem.WithUser): the
	// replica, or the primary when the replica is too far behind, down, or
	// has not replayed that user's latest write yet.
	LagTolerant(ctx context.Context) Querier
}

// Dialect is what the stores' SQL cannot say the same way on every
// database.
type Dialect interface {
	// Name names the database in the errors the store wraps ("sqlite").
	Name() string
	// Time converts a time to the value of a time column, which keeps
	// microseconds. Scanning takes either representation back (timeCol).
	Time(t time.Time) any
	// LockOrganization is run first in a transaction that checks an
	// invariant across the rows of one organization (its last owner, its
	// folder tree, its pending invitations): it must serialize the
	// transaction with every other one that locks the same organization.
	LockOrganization(ctx context.Context, q Querier, organizationID string) error
	// LockSignUp serializes the transactions of first sign-ups, so that
	// only one of several concurrent ones finds no organization.
	LockSignUp(ctx context.Context, q Querier) error
	// NoRows, Unique and ForeignKey recognise a missing row and
	// violations of unique and foreign key constraints.
	NoRows(err error) bool
	Unique(err error) bool
	ForeignKey(err error) bool
}

// Store implements the App service's store interfaces over a DB.
type Store struct {
	db DB
	d  Dialect
	r  Querier // db.Reader()
	w  Querier // db.Writer()
	// replicated is db if it can route reads to a replica (PostgreSQL's
	// can), else nil.
	replicated Replicated
}

// New returns the stores over db, which must hold the App service's schema.
func New(db DB, d Dialect) *Store {
	s := &Store{db: db, d: d, r: db.Reader(), w: db.Writer()}
	s.replicated, _ = db.(Replicated)
	return s
}

// actingAs marks ctx with userID, the user a method is told acts or reads
// (a document's creator, an audit event's actor, the user a list is for),
// unless the caller marked it already (tandem.WithUser). The mark is what
// read-your-writes with a replica keys on; callers that mark every request
// get it for every method, and these methods get it even from callers that
// do not.
func actingAs(ctx context.Context, userID string) context.Context {
	if userID == "" || tandem.ContextUser(ctx) != "" {
		return ctx
	}
	return tandem.WithUser(ctx, userID)
}

// lagged returns the querier for a lag-tolerant read (see Replicated): the
// reader when db has no replica.
func (s *Store) lagged(ctx context.Context) Querier {
	if s.replicated == nil {
		return s.r
	}
	return s.replicated.LagTolerant(ctx)
}

// Stores returns the store interfaces backed by s.
func (s *Store) Stores() tandem.Stores {
	return tandem.Stores{Accounts: s, Organizations: s, Documents: s, Shares: s, Audit: s, Idempotency: s}
}

// tx runs fn in a transaction; database errors come back wrapped, domain
// errors from fn as they are.
func (s *Store) tx(ctx context.Context, fn func(q Querier) error) error {
	return s.err(s.db.Tx(ctx, fn))
}

// ts converts a time for a time column.
func (s *Store) ts(t time.Time) any { return s.d.Time(t) }

// nts converts an optional time; nil stays NULL.
func (s *Store) nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.d.Time(*t)
}

// err wraps an unexpected database error so that it reads as an internal
// error that names the database; domain errors and cancellations pass
// through.
func (s *Store) err(err error) error {
	if err == nil {
		return nil
	}
	var te *tandem.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", s.d.Name(), err)
}

func notFound(what string) error { return tandem.Errorf(tandem.CodeNotFound, "%s not found", what) }

// one maps a single-row result: no row is not_found.
func one[T any](s *Store, v T, err error, what string) (T, error) {
	if s.d.NoRows(err) {
		return v, notFound(what)
	}
	return v, s.err(err)
}

// affected maps a change of one row: no row is not_found.
func (s *Store) affected(n int64, err error, what string) error {
	if err != nil {
		return s.err(err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// collect reads every row of a query with scan.
func collect[T any](s *Store, rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, s.err(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.err(err)
		}
		out = append(out, v)
	}
	return out, s.err(rows.Err())
}

// limit renders the LIMIT of a query that should return n rows, as a
// literal: PostgreSQL plans a prepared statement with LIMIT $n for an
// unknown limit (a tenth of the rows), which costs so much more than the
// plan for the actual one that it plans the statement again on every
// execution, and planning costs more than running these queries. The
// literal is n rounded up to one of a few sizes, so that the texts, each
// prepared per connection, stay few; the caller keeps the first n rows
// (see first), which the same query with LIMIT n would have returned, its
// order being total.
func limit(n int) string {
	for _, size := range limitSizes {
		if n <= size {
			return ` LIMIT ` + strconv.Itoa(size)
		}
	}
	return ` LIMIT ` + strconv.Itoa(n)
}

var limitSizes = []int{11, 26, 51, 101, 201, 501, 1001}

// first keeps the first n of rows.
func first[T any](rows []T, n int) []T {
	n = max(n, 0)
	if len(rows) > n {
		return rows[:n]
	}
	return rows
}

// args builds the parameter list of a query assembled from parts.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// timeCol scans a time column: microseconds since the epoch (SQLite) or a
// timestamp (PostgreSQL).
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*c.t = time.UnixMicro(x).UTC()
	case time.Time:
		*c.t = x.UTC()
	case nil:
		*c.t = time.Time{}
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(v); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// nullStr scans a nullable text column, NULL as "".
type nullStr struct{ s *string }

func (c nullStr) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = x
	case []byte:
		*c.s = string(x)
	default:
		return fmt.Errorf("cannot scan %T into a string", v)
	}
	return nil
}

// nullID passes "" as NULL, for the nullable folder references.
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}
