package server

import (
	"context"
	"errors"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/yjs"
)

// documentContent is document content as the App service and the REST API
// use it: the collab.Server that edits documents (the realtime service's
// own, or a headless one on instances without the rt role) and the
// document log under it. It is created empty, handed to app.New, and
// filled before the process serves, because the realtime service needs
// the App to authorize its clients.
type documentContent struct {
	engine *collab.Server
	log    tandem.DocumentLog
}

// CopyDocument makes document toID's content a copy of fromID's, through
// the engine so that the copy is stored, and seen by anyone who opens it,
// like any edit. The copy is the source's Yjs state as it is (every field,
// not only the editor's), so nothing a client wrote is lost in the copy.
func (c *documentContent) CopyDocument(ctx context.Context, organizationID, fromID, toID string) error {
	if c.engine == nil {
		return errors.New("server: document content is not wired")
	}
	var state []byte
	err := c.engine.Read(ctx, fromID, func(doc *yjs.Doc) error {
		var err error
		state, err = doc.EncodeStateAsUpdate(nil)
		return err
	})
	if err != nil {
		return err
	}
	return c.engine.Edit(ctx, toID, func(doc *yjs.Doc) error { return doc.ApplyUpdate(state, nil) })
}

// DeleteDocument drops the document's log and snapshot. The metadata is
// already gone and every open connection is re-checked (and closed) by the
// permission change the App publishes, so nothing writes it again.
func (c *documentContent) DeleteDocument(ctx context.Context, organizationID, id string) error {
	if c.log == nil {
		return errors.New("server: document content is not wired")
	}
	return c.log.Delete(ctx, id)
}

// startContent serves document content on an instance without the rt role:
// a collab.Server over the same document log, mounted on no route (it has no
// WebSocket clients and refuses any). Its edits are appended to the log and,
// with TANDEM_REDIS_URL, published on the bus, so the realtime instances'
// clients see them at once; before each edit it catches up with the log.
func (s *Server) startContent(ctx context.Context) error {
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
	deny := collab.AuthorizerFunc(func(context.Context, tandem.Credentials, string) (collab.Grant, error) {
		return collab.Grant{Access: tandem.AccessNone}, nil
	})
	eng, err := collab.New(cfg, s.datedLog(docs), deny, s.logger, s.registry)
	if err != nil {
		return err
	}
	// It stops after the last request (a closer, run after the HTTP
	// server's shutdown, and before the log's, registered earlier), so
	// in-flight REST edits are committed, not refused.
	s.closers = append(s.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		return eng.Shutdown(ctx)
	})
	s.content.engine, s.content.log = eng, docs
	return nil
}
