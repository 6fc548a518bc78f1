package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tandem-docs/tandem"
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
