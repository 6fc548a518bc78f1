package postgres

import (
	"context"
	"testing"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/tandemtest"
)

func openDocumentLog(t testing.TB) *DocumentLog {
	t.Helper()
	db, err := Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	l, err := NewDocumentLog(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDocumentLog(t *testing.T) {
	tandemtest.TestDocumentLog(t, func(t *testing.T) tandem.DocumentLog { return openDocumentLog(t) })
}
