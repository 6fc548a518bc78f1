package postgres

import (
	"context"
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
