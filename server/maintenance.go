package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// maintain runs the periodic clean-ups of the worker role until ctx ends:
// documents past their trash retention, expired sessions and old
// idempotency records. Each is idempotent, so several workers may run it.
func maintain(ctx context.Context, a *app.App, stores tandem.Stores, logger *slog.Logger, every time.Duration) {
	run := func() {
		now := time.Now()
		if n, err := a.PurgeTrash(ctx, 1000); err != nil {
			logger.Error("purging trash", "error", err)
		} else if n > 0 {
			logger.Info("purged trashed documents", "count", n)
		}
		if n, err := stores.Accounts.DeleteExpiredSessions(ctx, now); err != nil {
			logger.Error("deleting expired sessions", "error", err)
		} else if n > 0 {
			logger.Info("deleted expired sessions", "count", n)
		}
		if stores.Idempotency != nil {
			if _, err := stores.Idempotency.PurgeIdempotencyKeys(ctx, now.Add(-24*time.Hour)); err != nil {
				logger.Error("purging idempotency keys", "error", err)
			}
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		run()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
