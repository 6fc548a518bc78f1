package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/sqlite"
)

// startRealtime opens the document log (PostgreSQL when TANDEM_DATABASE_URL
// is set, otherwise documents.db in the data directory) and, with
// TANDEM_REDIS_URL, the bus to the other realtime instances, and mounts the
// realtime service at /collab (Hocuspocus dialect) and /collab/{document}
// (y-websocket). The App service answers its permission questions, and
// permission changes (from every instance, through Redis) re-check open
// connections at once.
func (s *Server) startRealtime(ctx context.Context) error {
	docs, err := s.openDocumentLog(ctx)
	if err != nil {
		return err
	}
	cfg := collab.Config{}
	if s.redis != nil {
		bus := s.redis.Bus()
		s.closers = append(s.closers, bus.Close)
		cfg.Bus = bus
	}
	rt, err := collab.New(cfg, s.datedLog(docs), realtimeAuthorizer(s.App, s.touch), s.logger, s.registry)
	if err != nil {
		return err
	}
	s.HTTP.Handle("/collab", rt)
	s.HTTP.Handle("/collab/", rt)
	s.HTTP.OnShutdown(func(ctx context.Context) {
		if err := rt.Shutdown(ctx); err != nil {
			s.logger.Error("realtime shutdown", "error", err)
		}
	})
	s.Realtime = rt
	s.content.engine, s.content.log = rt, docs
	cancel, err := s.App.Changes().Subscribe(func(c tandem.PermissionChange) { s.reauthorize(c) })
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { cancel(); return nil })
	return nil
}

// reauthorize re-checks the connections a permission change may affect.
// Re-checking calls the stores, so it runs off the publisher's goroutine.
func (s *Server) reauthorize(c tandem.PermissionChange) {
	rt := s.Realtime
	if rt == nil {
		return
	}
	go func() {
		switch {
		case c.DocumentID != "":
			rt.Reauthorize(context.Background(), c.DocumentID)
		case c.UserID != "":
			rt.ReauthorizeUser(context.Background(), c.UserID)
		default:
			rt.Reauthorize(context.Background(), "")
		}
	}()
}

// openDocumentLog opens the configured document log and registers its
// readiness check and closing.
func (s *Server) openDocumentLog(ctx context.Context) (tandem.DocumentLog, error) {
	if s.cfg.DatabaseURL != "" {
		// A pool of its own: group commits do not queue behind metadata
		// queries.
		db, err := postgres.Open(ctx, s.cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("document log: %w", err)
		}
		s.closers = append(s.closers, func() error { db.Close(); return nil })
		docs, err := postgres.NewDocumentLog(ctx, db)
		if err != nil {
			return nil, fmt.Errorf("document log: %w", err)
		}
		return docs, nil
	}
	db, err := sqlite.Open(filepath.Join(s.cfg.DataDir, "documents.db"))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, db.Close)
	docs, err := sqlite.NewDocumentLog(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("document log: %w", err)
	}
	s.closers = append(s.closers, docs.Close)
	s.HTTP.AddReadinessCheck("documents", db.Ping)
	return docs, nil
}

// realtimeAuthorizer answers the realtime service's permission questions
// with the App's. Every connection it lets in tells touch the document's
// organization, which the realtime service (keyed by document id alone)
// does not know and the dating of its edits needs.
func realtimeAuthorizer(a *app.App, touch *touches) collab.Authorizer {
	return collab.AuthorizerFunc(func(ctx context.Context, c tandem.Credentials, document string) (collab.Grant, error) {
		az, err := a.AuthorizeRealtime(ctx, c, document)
		if err == nil && az.Access != tandem.AccessNone && touch != nil {
			touch.record(az.OrganizationID, document)
		}
		return collab.Grant{UserID: az.UserID, UserName: az.Name, Access: az.Access}, err
	})
}
