package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run against the real PostgreSQL named by
// TANDEM_TEST_POSTGRES_DSN, in a database of their own that TestMain
// creates and drops.
var (
	adminDSN string
	testDB   string // the per-run database
)

func TestMain(m *testing.M) {
	adminDSN = os.Getenv("TANDEM_TEST_POSTGRES_DSN")
	if adminDSN == "" {
		adminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests need a PostgreSQL server (TANDEM_TEST_POSTGRES_DSN): %v\n", err)
		return 1
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "tandem_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		fmt.Fprintf(os.Stderr, "create test database: %v\n", err)
		return 1
	}
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	testDB = name
	return m.Run()
}

var schemaSeq atomic.Int64

// openSchema opens the test database with a fresh schema of its own on the
// search path, so that every test starts empty without the cost of a new
// database.
func openSchema(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("t%d", schemaSeq.Add(1))
	cfg, err := pgxpool.ParseConfig(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Database = testDB
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 8
	db, err := OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Pool().Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrateConcurrentStarts(t *testing.T) {
	ctx := context.Background()
	db := openSchema(t)
	steps := []string{
		`CREATE TABLE a (id INTEGER PRIMARY KEY)`,
		`ALTER TABLE a ADD COLUMN name TEXT; CREATE INDEX a_name ON a (name)`,
	}
	// Several instances starting at once: each step runs exactly once.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Migrate(ctx, "test", steps)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE component = 'test'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("applied %d steps, want 2", n)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO a (id, name) VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	// An older release that knows only the first step runs against the
	// newer schema without touching it.
	if err := db.Migrate(ctx, "test", steps[:1]); err != nil {
		t.Fatal(err)
	}
	// A failing step is reported with its version and leaves nothing half done.
	bad := append(steps, `CREATE TABLE b (id INTEGER); CREATE TABLE a (id INTEGER)`)
	err := db.Migrate(ctx, "test", bad)
	if err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("failing step: err = %v", err)
	}
	var exists bool
	if err := db.Pool().QueryRow(ctx, `SELECT to_regclass('b') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("a failed step left table b behind")
	}
	// The lock was released: migrating again works.
	if err := db.Migrate(ctx, "test", steps); err != nil {
		t.Fatal(err)
	}
}
