package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tandem-docs/tandem"
)

// AppStore implements the App service's stores (tandem.Accounts,
// tandem.Organizations, tandem.Documents, tandem.Shares, tandem.AuditLog and
// tandem.IdempotencyKeys) on PostgreSQL.
//
// The SQL of the store files (accounts.go, organizations.go, documents.go,
// shares.go, audit.go, idempotency.go) is shared with package sqlite, in the
// dialect both speak; TestStoreFilesMatchSQLite keeps the copies identical.
// This file holds what differs: the pgx adapter, time columns, locks and
// error codes.
type AppStore struct {
	db *DB
	r  querier
	w  querier
}

// OpenAppStore migrates the App service's schema in db and returns its
// stores.
func OpenAppStore(ctx context.Context, db *DB) (*AppStore, error) {
	if err := MigrateAppStore(ctx, db); err != nil {
		return nil, err
	}
	return NewAppStore(db), nil
}

// MigrateAppStore applies the App service's pending schema steps
// (component "app"); `tandem migrate` calls it, or the server at start when
// configured to.
func MigrateAppStore(ctx context.Context, db *DB) error {
	return db.Migrate(ctx, "app", appMigrations)
}

// NewAppStore returns the App service's stores on an already migrated db.
// Reads and writes share the pool; read-replica routing comes with issue 5.
func NewAppStore(db *DB) *AppStore {
	q := pgq{db.pool}
	return &AppStore{db: db, r: q, w: q}
}

// Stores returns the store interfaces backed by s.
func (s *AppStore) Stores() tandem.Stores {
	return tandem.Stores{Accounts: s, Organizations: s, Documents: s, Shares: s, Audit: s, Idempotency: s}
}

// pgxQuerier is what the pool and a transaction share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier gives pgx the method names of database/sql, so that the store
// files read the same in both packages.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error)
	QueryContext(ctx context.Context, query string, args ...any) (pgx.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) pgx.Row
}

type pgq struct{ q pgxQuerier }

func (p pgq) ExecContext(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	return p.q.Exec(ctx, query, args...)
}

func (p pgq) QueryContext(ctx context.Context, query string, args ...any) (pgx.Rows, error) {
	return p.q.Query(ctx, query, args...)
}

func (p pgq) QueryRowContext(ctx context.Context, query string, args ...any) pgx.Row {
	return p.q.QueryRow(ctx, query, args...)
}

// tx runs fn in a READ COMMITTED transaction. Checks that span rows take
// the locks below first, so concurrent instances cannot interleave them.
func (s *AppStore) tx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(pgq{tx}); err != nil {
		return err
	}
	return storeErr(tx.Commit(ctx))
}

// Locks taken at the start of transactions that check an invariant across
// rows (the last owner, folder cycles, the first sign-up).
const (
	lockOrganization = `SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE`
	lockSignUp       = `SELECT pg_advisory_xact_lock(7523094288207667809)`
)

// ts passes a time to a timestamptz column (which keeps microseconds).
func ts(t time.Time) any { return t.UTC() }

// nts passes an optional time; nil stays NULL.
func nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// jsonArg passes a JSON text to a jsonb column as it is.
func jsonArg(s string) any { return json.RawMessage(s) }

// timeCol scans a time column (timestamptz here, microseconds in sqlite).
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		*c.t = x.UTC()
	case int64:
		*c.t = time.UnixMicro(x).UTC()
	case nil:
		*c.t = time.Time{}
	default:
		return fmt.Errorf("postgres: cannot scan %T into a time", v)
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
		return fmt.Errorf("postgres: cannot scan %T into a string", v)
	}
	return nil
}

func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func rowsAffected(tag pgconn.CommandTag) int64 { return tag.RowsAffected() }

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func isUnique(err error) bool     { return pgCode(err) == "23505" }
func isForeignKey(err error) bool { return pgCode(err) == "23503" }

// storeErr wraps an unexpected database error; domain errors pass through.
func storeErr(err error) error {
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
	return fmt.Errorf("postgres: %w", err)
}

// appMigrations is the App service's schema, forward-only: never edit a
// released step, append a new one.
var appMigrations = []string{`
CREATE TABLE users (
	id TEXT PRIMARY KEY,
	email TEXT COLLATE "C" NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	totp_secret TEXT NOT NULL DEFAULT '',
	totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	password_changed_at TIMESTAMPTZ NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE organizations (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	default_access TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE memberships (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	organization_id TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE TABLE api_tokens (
	id TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	name TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	scope TEXT NOT NULL,
	expires_at TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_owner ON api_tokens (organization_id, user_id);
CREATE TABLE recovery_codes (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	used_at TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, hash)
);
CREATE TABLE invitations (
	id TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	role TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	invited_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	accepted_at TIMESTAMPTZ,
	accepted_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_org ON invitations (organization_id, created_at);
CREATE TABLE folders (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id TEXT NOT NULL,
	parent_id TEXT,
	name TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (organization_id, id),
	FOREIGN KEY (organization_id, parent_id) REFERENCES folders (organization_id, id)
);
CREATE INDEX folders_parent ON folders (organization_id, parent_id);
CREATE TABLE documents (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id TEXT NOT NULL,
	folder_id TEXT,
	title TEXT NOT NULL,
	title_key TEXT COLLATE "C" NOT NULL,
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	trashed_at TIMESTAMPTZ,
	trashed_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (organization_id, id),
	FOREIGN KEY (organization_id, folder_id) REFERENCES folders (organization_id, id)
);
CREATE INDEX documents_updated ON documents (organization_id, updated_at, id);
CREATE INDEX documents_title ON documents (organization_id, title_key, id);
CREATE INDEX documents_folder ON documents (organization_id, folder_id, updated_at, id);
CREATE INDEX documents_creator ON documents (organization_id, created_by);
CREATE INDEX documents_trashed ON documents (trashed_at) WHERE trashed_at IS NOT NULL;
CREATE TABLE favorites (
	organization_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	document_id TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (organization_id, user_id, document_id),
	FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE,
	FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX favorites_document ON favorites (organization_id, document_id);
CREATE TABLE grants (
	organization_id TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	role TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (organization_id, resource_type, resource_id, user_id),
	FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX grants_user ON grants (organization_id, user_id, resource_type);
CREATE TABLE public_links (
	id TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL,
	document_id TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ,
	FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX public_links_document ON public_links (organization_id, document_id);
CREATE TABLE audit_events (
	id TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	action TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id TEXT NOT NULL,
	ip TEXT NOT NULL,
	details JSONB NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (organization_id, id);
CREATE INDEX audit_events_action ON audit_events (organization_id, action, id);
CREATE TABLE idempotency_keys (
	organization_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	done BOOLEAN NOT NULL DEFAULT FALSE,
	status INTEGER NOT NULL DEFAULT 0,
	body BYTEA,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (organization_id, user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
`}
