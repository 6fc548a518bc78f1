package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

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

// storageOptions say how openStorage opens the database.
type storageOptions struct {
	// Migrate brings the schema up to date first; otherwise the running
	// schema must already be current (blue-green deploys run `tandem
	// migrate` first).
	Migrate bool
	// Serve opens what serving needs beyond the schema: the read replica
	// when one is configured, with its lag gauges in Registry.
	Serve    bool
	Registry prometheus.Registerer
	Logger   *slog.Logger
}

// openStorage opens the metadata database: PostgreSQL when a URL is
// configured (with its read replica, if any), otherwise SQLite in the data
// directory.
func openStorage(ctx context.Context, cfg *config.Config, o storageOptions) (*storage, error) {
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg, o)
	}
	db, err := sqlite.Open(filepath.Join(cfg.DataDir, "tandem.db"))
	if err != nil {
		return nil, err
	}
	var st *sqlite.AppStore
	if o.Migrate {
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

// openPostgres opens the primary and, when serving with
// TANDEM_DATABASE_REPLICA_URL set, the replica that lag-tolerant reads go
// to. The replica is not a readiness check: while it is down or too far
// behind, reads go to the primary and the process stays ready. With Redis
// configured, users' write positions are shared through it, so that a
// user's next request reads their own writes on any instance.
func openPostgres(ctx context.Context, cfg *config.Config, o storageOptions) (_ *storage, err error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	closers := []func(){db.Close}
	closeAll := func() error {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		return nil
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	if o.Migrate {
		if err := postgres.MigrateAppStore(ctx, db); err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
	}
	st := postgres.NewAppStore(db)
	if o.Serve && cfg.DatabaseReplicaURL != "" {
		ro := postgres.ReplicaOptions{MaxLag: cfg.DatabaseReplicaMaxLag, Registerer: o.Registry, Logger: o.Logger}
		if cfg.RedisURL != "" {
			ropts, err := goredis.ParseURL(cfg.RedisURL)
			if err != nil {
				return nil, &config.Error{Setting: "TANDEM_REDIS_URL", Problem: err.Error()}
			}
			// A lag-tolerant read asks Redis first: when Redis is down it
			// must fail fast (the read then goes to the primary).
			ropts.MaxRetries = 1
			ropts.DialTimeout, ropts.ReadTimeout, ropts.WriteTimeout = 5e8, 5e8, 5e8
			rdb := goredis.NewClient(ropts)
			closers = append(closers, func() { rdb.Close() })
			ro.Shared = postgres.NewRedisPositions(rdb, "", cfg.DatabaseReplicaMaxLag+5e9)
		}
		replica, err := postgres.OpenReplica(ctx, db, cfg.DatabaseReplicaURL, ro)
		if err != nil {
			return nil, &config.Error{Setting: "TANDEM_DATABASE_REPLICA_URL", Problem: err.Error()}
		}
		closers = append(closers, replica.Close)
		st = postgres.NewReplicatedAppStore(db, replica)
	}
	return &storage{name: "postgres", stores: st.Stores(), ping: db.Ping, close: closeAll}, nil
}
