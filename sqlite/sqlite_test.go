package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestMigrateIsIdempotentAndOrdered(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	steps := []string{
		`CREATE TABLE a (id INTEGER PRIMARY KEY)`,
		`ALTER TABLE a ADD COLUMN name TEXT`,
	}
	for range 2 {
		if err := db.Migrate(ctx, "test", steps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO a (id, name) VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := db.Reader().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode = %q, want wal", mode)
	}
	var n int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component = 'test'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("applied %d steps, want 2", n)
	}
	// A failing step leaves earlier steps applied and reports the version.
	bad := append(steps, `CREATE TABLE a (id INTEGER)`)
	if err := db.Migrate(ctx, "test", bad); err == nil {
		t.Fatal("want error from a failing step")
	}
}
