package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tandem-docs/tandem/sqlstore"
	msqlite "modernc.org/sqlite"
)

// AppStore is the App service's stores (package sqlstore) on one SQLite
// database. This file holds what is SQLite's own: the schema, the adapter
// from database/sql, time columns as microseconds, and error codes.
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
// (component "app").
func MigrateAppStore(ctx context.Context, db *DB) error {
	return db.Migrate(ctx, "app", appMigrations)
}

// NewAppStore returns the App service's stores on an already migrated db.
// Reads go to the reader pool, writes to the single writer connection.
func NewAppStore(db *DB) *AppStore {
	return &AppStore{sqlstore.New(newAppDB(db), dialect{})}
}

func newAppDB(db *DB) *appDB {
	a := &appDB{db: db, read: newStmts(db.Reader()), write: newStmts(db.Writer())}
	a.read.attrs, a.write.attrs = db.attrs, db.attrs
	return a
}

// appDB adapts a DB to sqlstore.DB.
type appDB struct {
	db          *DB
	read, write *stmts
}

func (a *appDB) Reader() sqlstore.Querier { return a.querier(a.read) }
func (a *appDB) Writer() sqlstore.Querier { return a.querier(a.write) }

func (a *appDB) querier(c *stmts) sqlstore.Querier {
	return tracedQuerier[poolQuerier]{poolQuerier{c}, c.attrs}
}

// Tx runs fn in a transaction on the writer. SQLite has a single writer
// and the writer begins transactions IMMEDIATE, so the transaction is
// serialized with every other write: the read-then-write checks in fn
// cannot race.
func (a *appDB) Tx(ctx context.Context, fn func(q sqlstore.Querier) error) error {
	tx, err := a.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tracedQuerier[txQuerier]{txQuerier{tx, a.write}, a.write.attrs}); err != nil {
		return err
	}
	return tx.Commit()
}

// dialect is SQLite's sqlstore.Dialect.
type dialect struct{}

func (dialect) Name() string { return "sqlite" }

// Time stores times as microseconds since the epoch in INTEGER columns:
// they sort and compare as numbers, and keep the precision Go and
// PostgreSQL have.
func (dialect) Time(t time.Time) any { return t.UTC().UnixMicro() }

// LockOrganization and LockSignUp need no statement: transactions are
// serialized already (see appDB.Tx).
func (dialect) LockOrganization(context.Context, sqlstore.Querier, string) error { return nil }
func (dialect) LockSignUp(context.Context, sqlstore.Querier) error               { return nil }

func (dialect) NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// SQLite extended result codes for constraint violations.
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

func (dialect) Unique(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && (e.Code() == sqliteConstraintUnique || e.Code() == sqliteConstraintPrimaryKey)
}

func (dialect) ForeignKey(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == sqliteConstraintForeignKey
}

// appMigrations is the App service's schema, forward-only: never edit a
// released step, append a new one.
var appMigrations = []string{`
CREATE TABLE users (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	totp_secret TEXT NOT NULL DEFAULT '',
	totp_enabled INTEGER NOT NULL DEFAULT 0,
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	password_changed_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE TABLE organizations (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	default_access TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE TABLE memberships (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	created_at INTEGER NOT NULL,
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
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
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
	expires_at INTEGER,
	last_used_at INTEGER,
	created_at INTEGER NOT NULL,
	FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_owner ON api_tokens (organization_id, user_id);
CREATE TABLE recovery_codes (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	used_at INTEGER,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, hash)
);
CREATE TABLE invitations (
	id TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	role TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	invited_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	accepted_at INTEGER,
	accepted_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_org ON invitations (organization_id, created_at);
CREATE TABLE folders (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id TEXT NOT NULL,
	parent_id TEXT,
	name TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (organization_id, id),
	FOREIGN KEY (organization_id, parent_id) REFERENCES folders (organization_id, id)
);
CREATE INDEX folders_parent ON folders (organization_id, parent_id);
CREATE TABLE documents (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id TEXT NOT NULL,
	folder_id TEXT,
	title TEXT NOT NULL,
	title_key TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	trashed_at INTEGER,
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
	created_at INTEGER NOT NULL,
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
	created_at INTEGER NOT NULL,
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
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER,
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
	details TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (organization_id, id);
CREATE INDEX audit_events_action ON audit_events (organization_id, action, id);
CREATE TABLE idempotency_keys (
	organization_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	done INTEGER NOT NULL DEFAULT 0,
	status INTEGER NOT NULL DEFAULT 0,
	body BLOB,
	created_at INTEGER NOT NULL,
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
`, `
-- The newest-first list (the API's most frequent read) from the index
-- alone: every column a page reads is in it, so a page is 50 index
-- entries, not 50 entries and 50 table rows (TestListPlan; about a tenth
-- of a list's time in BenchmarkDocumentReads). It replaces
-- documents_updated, which it starts with.
CREATE INDEX documents_listed ON documents (organization_id, updated_at, id, trashed_at, folder_id, title, created_by, created_at);
DROP INDEX documents_updated;
`}
