package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/sqlite"
)

// startRealtime opens the document log and mounts the realtime service at
// /collab (Hocuspocus dialect) and /collab/{document} (y-websocket). The App
// service answers its permission questions, and permission changes re-check
// open connections at once.
func (s *Server) startRealtime(ctx context.Context) error {
	db, err := sqlite.Open(filepath.Join(s.cfg.DataDir, "documents.db"))
	if err != nil {
		return err
	}
	s.closers = append(s.closers, db.Close)
	docs, err := sqlite.NewDocumentLog(ctx, db)
	if err != nil {
		return fmt.Errorf("document log: %w", err)
	}
	s.closers = append(s.closers, docs.Close)
	s.HTTP.AddReadinessCheck("documents", db.Ping)

	rt, err := collab.New(collab.Config{}, docs, realtimeAuthorizer(s.App), s.logger, s.registry)
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
	cancel, err := s.App.Changes().Subscribe(func(c tandem.PermissionChange) {
		// Re-checking calls the stores; do it off the publisher's goroutine.
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
	})
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { cancel(); return nil })
	s.Realtime = rt
	return nil
}

func realtimeAuthorizer(a *app.App) collab.Authorizer {
	return collab.AuthorizerFunc(func(ctx context.Context, c collab.Credentials, document string) (collab.Access, error) {
		az, err := a.AuthorizeRealtime(ctx, tandem.Credentials{Token: c.Token, SessionCookie: c.SessionCookie}, document)
		if err != nil {
			return collab.Access{}, err
		}
		perm := collab.PermissionNone
		switch az.Access {
		case tandem.AccessReadOnly:
			perm = collab.PermissionReadOnly
		case tandem.AccessReadWrite:
			perm = collab.PermissionReadWrite
		}
		return collab.Access{UserID: az.UserID, UserName: az.Name, Permission: perm}, nil
	})
}
