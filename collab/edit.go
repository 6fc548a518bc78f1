package collab

import (
	"context"
	"errors"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/yjs"
)

// Server-side access to documents, for the REST content endpoints.
//
// Edit and Read work on the same rooms as the WebSocket clients, so an edit
// made through the API reaches connected editors live, goes through the same
// group commit and limits, and is seen by the other instances like any
// client's edit. Callers authorize first: these methods do not.

// Edit runs fn against a private copy of the document's current state
// (loading the document if no client has it open) and applies what fn
// changed to the document as one update: appended to the log durably,
// broadcast to the connected clients of every instance. It returns after
// the update is committed, or with fn's error (nothing is applied then), or
// with a tandem error: CodeTooLarge if the document would pass
// MaxDocumentBytes, CodeUnavailable if the log failed or the server is
// shutting down. If ctx ends first Edit returns ctx.Err(); the update may
// still be committed.
//
// fn may change the document in any number of transactions; the copy has
// a client id of its own, so its edits merge with concurrent clients' edits
// as any client's would. A change that makes nothing new (fn set what was
// already there) commits nothing and returns nil.
func (s *Server) Edit(ctx context.Context, document string, fn func(doc *yjs.Doc) error) error {
	if err := validDocument(document); err != nil {
		return tandem.Invalid("document", err.Error())
	}
	if s.draining.Load() {
		return tandem.Errorf(tandem.CodeUnavailable, "collab: the realtime service is shutting down")
	}
	r, err := s.hold(ctx, document)
	if err != nil {
		return err
	}
	defer r.unhold()
	doc, err := r.copyDoc()
	if err != nil {
		return err
	}
	var updates [][]byte
	unsub := doc.OnUpdate(func(u []byte, _ any) { updates = append(updates, append([]byte(nil), u...)) })
	err = fn(doc)
	unsub()
	if err != nil {
		return err
	}
	if len(updates) == 0 {
		return nil
	}
	u := updates[0]
	if len(updates) > 1 {
		if u, err = yjs.MergeUpdates(updates); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	r.mu.Lock()
	switch {
	case r.state != roomReady:
		err = tandem.Errorf(tandem.CodeUnavailable, "collab: document %s was closed; try again", document)
	case s.draining.Load():
		err = tandem.Errorf(tandem.CodeUnavailable, "collab: the realtime service is shutting down")
	case r.size+int64(len(u)) > s.cfg.MaxDocumentBytes:
		err = tandem.Errorf(tandem.CodeTooLarge, "collab: the edit would make the document larger than %d bytes", s.cfg.MaxDocumentBytes)
	default:
		if _, err = r.applyLocal(u, nil, time.Now().UnixNano(), done, false); err != nil {
			err = &tandem.Error{Code: tandem.CodeInvalid, Message: "the edit produced an invalid update", Err: err}
		}
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Read runs fn against a private copy of the document's current state: the
// room's if the document is loaded on this instance (brought up to the log
// first when instances share documents), otherwise the log's. Changes fn
// makes to the copy are discarded.
func (s *Server) Read(ctx context.Context, document string, fn func(doc *yjs.Doc) error) error {
	if err := validDocument(document); err != nil {
		return tandem.Invalid("document", err.Error())
	}
	s.mu.Lock()
	r := s.rooms[document]
	s.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		ready := r.state == roomReady
		if ready {
			r.holds++
		}
		r.mu.Unlock()
		if ready {
			defer r.unhold()
			if s.bus != nil {
				r.syncWithLog(ctx)
			}
			doc, err := r.copyDoc()
			if err != nil {
				return err
			}
			return fn(doc)
		}
	}
	st, err := s.log.Load(ctx, document)
	if err != nil {
		return err
	}
	doc, err := buildDoc(st)
	if err != nil {
		return err
	}
	return fn(doc)
}

// hold opens document's room (loading it) and keeps it from unloading
// until unhold, up to date with the log.
func (s *Server) hold(ctx context.Context, document string) (*room, error) {
	for range 5 {
		r, err := s.roomFor(document)
		if err != nil {
			return nil, tandem.Errorf(tandem.CodeUnavailable, "collab: the realtime service is shutting down")
		}
		r.mu.Lock()
		if r.state == roomClosed {
			r.mu.Unlock()
			continue
		}
		r.holds++
		r.idleSince = 0
		r.mu.Unlock()
		for {
			r.mu.Lock()
			state := r.state
			r.mu.Unlock()
			if state == roomReady {
				if s.bus != nil {
					r.syncWithLog(ctx)
				}
				return r, nil
			}
			if state == roomClosed {
				r.unhold()
				break
			}
			select {
			case <-ctx.Done():
				r.unhold()
				return nil, ctx.Err()
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	return nil, tandem.Errorf(tandem.CodeUnavailable, "collab: document %s could not be loaded; try again", document)
}

func (r *room) unhold() {
	r.mu.Lock()
	r.holds--
	if r.holds == 0 && len(r.bindings) == 0 {
		r.idleSince = time.Now().UnixNano()
	}
	r.mu.Unlock()
}

// copyDoc returns a new document with the room's current state.
func (r *room) copyDoc() (*yjs.Doc, error) {
	r.mu.Lock()
	if r.state != roomReady {
		r.mu.Unlock()
		return nil, tandem.Errorf(tandem.CodeUnavailable, "collab: document %s was closed; try again", r.name)
	}
	full, err := r.fullState()
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	doc := yjs.NewDoc()
	if err := doc.ApplyUpdate(full, nil); err != nil {
		return nil, errors.Join(errors.New("collab: copy document"), err)
	}
	return doc, nil
}
