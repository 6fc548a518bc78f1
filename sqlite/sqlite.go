// Package sqlite implements Tandem's storage interfaces on an embedded SQLite
// database. It is the storage of the embedded default: one process, files
// under the data directory, no server to run.
//
// SQLite allows one writer at a time, so a DB keeps two pools: a single
// write connection (writes queue in Go instead of failing with SQLITE_BUSY)
// and a pool of read connections that run concurrently with it under WAL.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"go.opentelemetry.io/otel/attribute"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DB is one SQLite database file opened for Tandem.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	attrs []attribute.KeyValue // of its spans
}

// Open opens (creating if needed) the database file at path in WAL mode with
// full fsync on commit, so that a committed transaction survives a crash of
// the process or of the machine.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "mmap_size(268435456)")
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	write, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{path: path, write: write, read: read, attrs: traceAttrs(path)}, nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Writer is the single connection every write goes through.
func (db *DB) Writer() *sql.DB { return db.write }

// Reader is the pool for reads; under WAL they do not block the writer.
func (db *DB) Reader() *sql.DB { return db.read }

// Ping checks that the database file can be read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Migrate applies the forward-only schema steps of one component (for
// example "documents" or "accounts") that have not been applied yet, each in
// its own transaction. Components keep separate version counters so that
// stores can evolve their schemas independently. Steps are never edited once
// released; a change is a new step appended to the list.
func (db *DB) Migrate(ctx context.Context, component string, steps []string) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	for i, step := range steps {
		version := i + 1
		if err := db.applyStep(ctx, component, version, step); err != nil {
			return fmt.Errorf("sqlite: migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

func (db *DB) applyStep(ctx context.Context, component string, version int, step string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component = ? AND version = ?`, component, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, step); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`, component, version); err != nil {
		return err
	}
	return tx.Commit()
}
