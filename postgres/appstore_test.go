package postgres

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

func openAppStore(t *testing.T) tandem.Stores {
	t.Helper()
	s, err := OpenAppStore(context.Background(), openSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	return s.Stores()
}

func TestAppStoreContract(t *testing.T) {
	tandemtest.TestAppStores(t, openAppStore)
}

// TestStoreFilesMatchSQLite keeps the SQL shared with package sqlite in
// step: the store files must be the same but for the package clause.
func TestStoreFilesMatchSQLite(t *testing.T) {
	for _, name := range []string{"accounts.go", "organizations.go", "documents.go", "shares.go", "audit.go", "idempotency.go"} {
		ours, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(filepath.Join("..", "sqlite", name))
		if err != nil {
			t.Fatal(err)
		}
		theirs = bytes.Replace(theirs, []byte("package sqlite\n"), []byte("package postgres\n"), 1)
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from ../sqlite/%s: copy the change over (only the package clause differs)", name, name)
		}
	}
}
