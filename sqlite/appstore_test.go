package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/sqlstore"
	"github.com/tandem-docs/tandem/tandemtest"
)

func openAppStore(t *testing.T) tandem.Stores {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := OpenAppStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s.Stores()
}

func TestAppStoreContract(t *testing.T) {
	tandemtest.TestAppStores(t, openAppStore)
}

func TestAppStoreReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	for range 2 {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenAppStore(ctx, db); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// TestStatementCache checks the prepared statements behind the stores: a
// full cache runs further statements unprepared, with the same results,
// and preparing on the writer waits for a running transaction instead of
// deadlocking on its only connection.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	a := &appDB{db: db, read: newStmts(db.Reader()), write: newStmts(db.Writer())}
	a.read.max, a.write.max = 2, 2
	w := a.Writer()
	for i := range 5 {
		// Five texts: two get prepared, three run unprepared.
		n, err := w.Exec(ctx, fmt.Sprintf(`INSERT INTO t (k, v) VALUES ($1, $2) -- %d`, i), i, fmt.Sprint("v", i))
		if err != nil || n != 1 {
			t.Fatalf("insert %d: %d rows, %v", i, n, err)
		}
	}
	if len(a.write.m) != 2 {
		t.Fatalf("%d statements cached, want 2", len(a.write.m))
	}
	for i := range 5 {
		var v string
		if err := a.Reader().QueryRow(ctx, fmt.Sprintf(`SELECT v FROM t WHERE k = $1 -- %d`, i), i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("read %d: %q, %v", i, v, err)
		}
	}
	if _, err := w.Exec(ctx, `NOT SQL`); err == nil {
		t.Fatal("a bad statement ran")
	}

	// A transaction holds the writer's only connection while another
	// writer prepares a statement it has not seen yet.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	err = a.Tx(ctx, func(q sqlstore.Querier) error {
		go func() {
			_, err := a.Writer().Exec(ctx, `UPDATE t SET v = 'late' WHERE k = $1 -- never seen`, 1)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM t -- in the transaction`).Scan(&n); err != nil || n != 5 {
			return fmt.Errorf("count in transaction: %d, %v", n, err)
		}
		_, err := q.Exec(ctx, `INSERT INTO t (k, v) VALUES ($1, $2) -- 0`, 9, "v9")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a statement prepared during a transaction never ran")
	}
}
