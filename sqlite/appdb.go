package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-docs/tandem"
	msqlite "modernc.org/sqlite"
)

// AppStore implements the App service's stores (tandem.Accounts,
// tandem.Organizations, tandem.Documents, tandem.Shares, tandem.AuditLog and
// tandem.IdempotencyKeys) on one SQLite database.
//
// The SQL of the store files (accounts.go, organizations.go, documents.go,
// shares.go, audit.go, idempotency.go) is written in the dialect SQLite and
// PostgreSQL share ($n parameters, row values, recursive CTEs, ON
// CONFLICT), and package postgres carries the same files over its own
// adapter; this file and its twin hold what differs.
type AppStore struct {
	db *DB
	r  querier // reads
	w  querier // single-statement writes
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
func NewAppStore(db *DB) *AppStore {
	return &AppStore{db: db, r: db.Reader(), w: db.Writer()}
}

// Stores returns the store interfaces backed by s.
func (s *AppStore) Stores() tandem.Stores {
	return tandem.Stores{Accounts: s, Organizations: s, Documents: s, Shares: s, Audit: s, Idempotency: s}
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in a write transaction. SQLite has a single writer, so the
// transaction is serialized with every other write: the read-then-write
// checks in fn cannot race.
func (s *AppStore) tx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return storeErr(tx.Commit())
}

// Locks taken at the start of transactions that check an invariant across
// rows. SQLite transactions are serialized already; PostgreSQL needs them.
const (
	lockOrganization = `SELECT 1 FROM organizations WHERE id = $1`
	lockSignUp       = `SELECT 1`
)

// ts converts a time to its column value: microseconds since the epoch.
func ts(t time.Time) any { return t.UTC().UnixMicro() }

// nts converts an optional time; nil stays NULL.
func nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// jsonArg passes a JSON text to a JSON column.
func jsonArg(s string) any { return s }

// timeCol scans a time column (microseconds here, timestamptz in postgres).
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
		return fmt.Errorf("sqlite: cannot scan %T into a time", v)
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
		return fmt.Errorf("sqlite: cannot scan %T into a string", v)
	}
	return nil
}

func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func rowsAffected(res sql.Result) int64 {
	n, _ := res.RowsAffected()
	return n
}

// SQLite extended result codes for constraint violations.
const (
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

func isUnique(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && (e.Code() == sqliteConstraintUnique || e.Code() == sqliteConstraintPrimaryKey)
}

func isForeignKey(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == sqliteConstraintForeignKey
}

// storeErr wraps an unexpected database error so that it reads as an
// internal error that names the store; domain errors pass through.
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
	return fmt.Errorf("sqlite: %w", err)
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
`}
