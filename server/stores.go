package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/config"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/sqlite"
)

// storage is what the configured database gives the rest of the process.
type storage struct {
	name   string // "sqlite" or "postgres", for logs
	stores tandem.Stores
	ping   func(context.Context) error
	close  func() error
}

// openStorage opens the metadata database: PostgreSQL when a URL is
// configured, otherwise SQLite in the data directory. With migrate set the
// schema is brought up to date first; otherwise the running schema must
// already be current (blue-green deploys run `tandem migrate` first).
func openStorage(ctx context.Context, cfg *config.Config, migrate bool) (*storage, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		var st *postgres.AppStore
		if migrate {
			st, err = postgres.OpenAppStore(ctx, db)
		} else {
			st = postgres.NewAppStore(db)
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("database: %w", err)
		}
		return &storage{name: "postgres", stores: st.Stores(), ping: db.Ping, close: func() error { db.Close(); return nil }}, nil
	}
	db, err := sqlite.Open(filepath.Join(cfg.DataDir, "tandem.db"))
	if err != nil {
		return nil, err
	}
	var st *sqlite.AppStore
	if migrate {
		st, err = sqlite.OpenAppStore(ctx, db)
	} else {
		st = sqlite.NewAppStore(db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return &storage{name: "sqlite", stores: st.Stores(), ping: db.Ping, close: db.Close}, nil
}
