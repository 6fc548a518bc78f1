// Package postgres implements Tandem's storage interfaces on PostgreSQL
// through pgx and its connection pool. It is the storage of a distributed
// deployment: several Tandem instances share one database.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is a pool of connections to one PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	// generic is a second, small pool whose sessions always run prepared
	// statements on their generic plan (plan_cache_mode), planned once per
	// connection. It serves the statements that run thousands of times a
	// second with a plan that does not depend on their arguments: the
	// realtime service's appends, whose planning cost PostgreSQL more than
	// their execution (BENCHMARKS.md, "Group commits on PostgreSQL"). Its
	// connections open on first use.
	generic *pgxpool.Pool
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; pool settings such as pool_max_conns go in it too) and
// checks that it answers.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed pool configuration. The pool traces its
// statements (see queryTracer), besides any tracer cfg has.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	cfg = traced(cfg)
	gcfg := cfg.Copy()
	gcfg.MinConns, gcfg.MaxConns = 0, genericConns
	// A SET after connecting rather than a startup parameter: poolers such
	// as PgBouncer refuse startup parameters they do not know.
	after := gcfg.AfterConnect
	gcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, c); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", cfg.ConnConfig.Host, err)
	}
	generic, err := pgxpool.NewWithConfig(ctx, gcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &DB{pool: pool, generic: generic}, nil
}

// genericConns bounds DB.generic: an instance's group commit runs one
// append at a time, and the pool's only other users are tests that share
// one log between several servers.
const genericConns = 4

// Pool is the connection pool, for stores built on this database.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes every connection of the pools.
func (db *DB) Close() {
	db.pool.Close()
	db.generic.Close()
}

// migrationLock is the key of the session-level advisory lock that
// serializes migrations: when several instances start at once, one applies
// the steps and the others wait, then find them applied.
const migrationLock = 0x74616e64656d // "tandem"

// Migrate applies the forward-only schema steps of one component that have
// not been applied yet, each in its own transaction, like sqlite.Migrate.
// Steps are never edited once released; a change is a new step. Every step
// must stay compatible with the previous release's code (add tables,
// columns with defaults and indexes; never drop or rename in the same
// release that stops using them), so that old and new instances can run
// side by side during a blue-green deploy. Versions applied by a newer
// release and unknown to steps are left alone for the same reason.
func (db *DB) Migrate(ctx context.Context, component string, steps []string) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", component, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migrate %s: lock: %w", component, err)
	}
	defer func() {
		// A fresh context: the lock must go even if ctx was cancelled, or
		// the connection must (it goes back to the pool otherwise).
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock)); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("postgres: migrations table: %w", err)
	}
	for i, step := range steps {
		version := i + 1
		if err := applyStep(ctx, conn.Conn(), component, version, step); err != nil {
			return fmt.Errorf("postgres: migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

func applyStep(ctx context.Context, conn *pgx.Conn, component string, version int, step string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var done bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2)`, component, version).Scan(&done); err != nil {
		return err
	}
	if done {
		return nil
	}
	// The simple protocol lets one step hold several statements.
	if _, err := tx.Exec(ctx, step, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (component, version) VALUES ($1, $2)`, component, version); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
