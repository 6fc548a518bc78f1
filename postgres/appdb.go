package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tandem-docs/tandem/sqlstore"
)

// AppStore is the App service's stores (package sqlstore) on PostgreSQL.
// This file holds what is PostgreSQL's own: the schema, the adapter from
// pgx, locks for the checks that span rows, and error codes.
type AppStore struct {
	*sqlstore.Store
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
// Every read and write goes to db.
func NewAppStore(db *DB) *AppStore {
	return &AppStore{sqlstore.New(appDB{db: db}, dialect{})}
}

// NewReplicatedAppStore is NewAppStore with a read replica of db: the reads
// package sqlstore marks as lag-tolerant go to replica when it is fresh
// enough (see Replica), and writes made under a user (tandem.WithUser)
// record the user's position so that the user reads them back.
func NewReplicatedAppStore(db *DB, replica *Replica) *AppStore {
	return &AppStore{sqlstore.New(appDB{db: db, replica: replica}, dialect{})}
}

// appDB adapts a DB, and its replica if it has one, to sqlstore.DB.
type appDB struct {
	db      *DB
	replica *Replica // nil without a replica
}

func (a appDB) Reader() sqlstore.Querier { return querier{a.db.pool} }

func (a appDB) Writer() sqlstore.Querier {
	if a.replica != nil {
		return recordingQuerier{querier{a.db.pool}, a.replica}
	}
	return querier{a.db.pool}
}

// LagTolerant implements sqlstore.Replicated.
func (a appDB) LagTolerant(ctx context.Context) sqlstore.Querier {
	if a.replica == nil {
		return querier{a.db.pool}
	}
	return a.replica.lagTolerant(ctx)
}

// Tx runs fn in a READ COMMITTED transaction. Checks that span rows take
// the dialect's locks first, so concurrent instances cannot interleave
// them.
func (a appDB) Tx(ctx context.Context, fn func(q sqlstore.Querier) error) error {
	tx, err := a.db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(querier{tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if a.replica != nil {
		a.replica.wrote(ctx)
	}
	return nil
}

// recordingQuerier is the writer of a store with a replica: a statement
// that changed rows records the user's write position once it has
// committed (each runs in a transaction of its own).
type recordingQuerier struct {
	querier
	replica *Replica
}

func (q recordingQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	n, err := q.querier.Exec(ctx, query, args...)
	if err == nil && n > 0 {
		q.replica.wrote(ctx)
	}
	return n, err
}

// pgxQuerier is what the pool and a transaction share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier adapts pgx to sqlstore.Querier.
type querier struct{ q pgxQuerier }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.q.Query(ctx, query, args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, query, args...)
}

// dialect is PostgreSQL's sqlstore.Dialect.
type dialect struct{}

func (dialect) Name() string { return "postgres" }

// Time passes times to timestamptz columns, which keep microseconds.
func (dialect) Time(t time.Time) any { return t.UTC() }

// LockOrganization locks the organization's row until the transaction
// ends (the last owner, folder cycles, the invitation limit).
func (dialect) LockOrganization(ctx context.Context, q sqlstore.Querier, organizationID string) error {
	_, err := q.Exec(ctx, `SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE`, organizationID)
	return err
}

// LockSignUp takes a transaction-level advisory lock that only first
// sign-ups take.
func (dialect) LockSignUp(ctx context.Context, q sqlstore.Querier) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(7523094288207667809)`)
	return err
}

func (dialect) NoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func (dialect) Unique(err error) bool     { return pgCode(err) == "23505" }
func (dialect) ForeignKey(err error) bool { return pgCode(err) == "23503" }

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
`, `
-- A user's grants, covering: document lists read them once per page (which
-- documents and folders, with what role) and probe the result per row.
-- With only (organization_id, user_id, resource_type) SQLite read them
-- through the primary key instead, which covers resource_id: every
-- document grant of the organization, on every page.
CREATE INDEX grants_user_resource ON grants (organization_id, user_id, resource_type, resource_id, role);
DROP INDEX grants_user;
`}
