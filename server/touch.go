package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tandem-docs/tandem"
	thttp "github.com/tandem-docs/tandem/http"
	"github.com/tandem-docs/tandem/yjs"
)

// Documents' updated_at follows their content.
//
// The realtime service stores content in the document log and knows
// nothing of document metadata, and its room keys are document ids alone,
// while documents are keyed by (organization, id). touches sits between
// the two: the document log handed to collab is wrapped so that every
// append that stored something marks its documents dirty, with the time;
// every few seconds (and at shutdown) the dirty documents are reported to
// the App (App.ContentChanged), grouped by organization, which moves their
// updated_at and drops their cached metadata. A burst of keystrokes thus
// costs one UPDATE per document and flush, never one per keystroke, and
// nothing is added to the commit path but a map insert.
//
// The organization of a document is remembered from where it is known
// anyway: the realtime authorizer (every connection is authorized against
// its organization) and App.EditableDocument, which the REST content
// endpoints call before every edit (app.Config.EditAuthorized). A dirty
// document whose organization is not known is dropped: an edit reaches
// this instance's log only from its own clients or its own REST calls,
// which were authorized here, so that happens only after the memory below
// forgot the document, or for a document created with content or
// duplicated (whose updated_at is its creation time anyway).

// defaultTouchInterval is how often dirty documents are flushed: the
// delay after which the list sorted by "updated" shows a realtime edit.
const defaultTouchInterval = 5 * time.Second

// defaultTouchMemory bounds the documents whose organization is
// remembered, per generation (see docOrgs): about 100 bytes each.
const defaultTouchMemory = 50_000

// touches batches content edits into App.ContentChanged calls. Set its
// fields before start.
type touches struct {
	// changed dates the edits: App.ContentChanged.
	changed func(ctx context.Context, organizationID string, ids []string, at time.Time) error
	logger  *slog.Logger
	// interval is the flush period (default 5 s); tests shorten it.
	interval time.Duration
	// timeout bounds one flush's calls to the stores.
	timeout time.Duration

	mu    sync.Mutex
	orgs  docOrgs
	dirty map[string]time.Time // document -> time of its latest stored edit

	running, closed bool

	stop chan struct{}
	done chan struct{}
}

func newTouches(logger *slog.Logger) *touches {
	return &touches{
		logger:   logger,
		interval: defaultTouchInterval,
		timeout:  30 * time.Second,
		orgs:     docOrgs{max: defaultTouchMemory},
		dirty:    map[string]time.Time{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// record remembers that document belongs to organizationID. It is called
// on every successful authorization, so documents in use stay known.
func (t *touches) record(organizationID, document string) {
	if organizationID == "" || document == "" {
		return
	}
	t.mu.Lock()
	t.orgs.put(document, organizationID)
	t.mu.Unlock()
}

// stored marks the documents of entries dirty, except those in skip (an
// append's *SeqConflictError names the documents it did not store).
func (t *touches) stored(entries []tandem.LogEntry, skip []string) {
	at := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
next:
	for i := range entries {
		d := entries[i].Document
		for _, s := range skip {
			if s == d {
				continue next
			}
		}
		t.dirty[d] = at
	}
}

// start runs the periodic flush until close. The server starts it when
// it starts serving, so tests can set interval after New.
func (t *touches) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running || t.closed {
		return
	}
	t.running = true
	go func() {
		defer close(t.done)
		tick := time.NewTicker(t.interval)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				t.flush(context.Background())
			}
		}
	}()
}

// close stops the periodic flush and flushes what is left. The server
// calls it after the last edit was committed (the realtime service and the
// headless engine have shut down) and before the stores and Redis close.
func (t *touches) close() error {
	t.mu.Lock()
	running, closed := t.running, t.closed
	t.closed = true
	t.mu.Unlock()
	if !closed {
		close(t.stop)
	}
	if running {
		<-t.done
	}
	t.flush(context.Background())
	return nil
}

// flush reports every dirty document.
func (t *touches) flush(ctx context.Context) {
	t.mu.Lock()
	if len(t.dirty) == 0 {
		t.mu.Unlock()
		return
	}
	dirty := t.dirty
	t.dirty = make(map[string]time.Time, len(dirty))
	t.mu.Unlock()
	t.report(ctx, dirty)
}

// flushDocuments reports documents now if they are dirty: a REST edit is
// dated before its request answers, so the caller's next list shows it.
func (t *touches) flushDocuments(ctx context.Context, documents ...string) {
	dirty := map[string]time.Time{}
	t.mu.Lock()
	for _, d := range documents {
		if at, ok := t.dirty[d]; ok {
			dirty[d] = at
			delete(t.dirty, d)
		}
	}
	t.mu.Unlock()
	if len(dirty) > 0 {
		t.report(ctx, dirty)
	}
}

// report calls changed once per organization and edit time. The documents
// of one group commit share a time, so there are few groups, and each
// document is dated by its own latest edit, not by the flush.
func (t *touches) report(ctx context.Context, dirty map[string]time.Time) {
	type group struct {
		org string
		at  time.Time
	}
	groups := map[group][]string{}
	var unknown []string
	t.mu.Lock()
	for d, at := range dirty {
		org, ok := t.orgs.get(d)
		if !ok {
			unknown = append(unknown, d)
			continue
		}
		g := group{org, at}
		groups[g] = append(groups[g], d)
	}
	t.mu.Unlock()
	for _, d := range unknown {
		t.logger.Debug("content edit not dated: organization unknown", "document", d)
	}
	if t.changed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.timeout)
	defer cancel()
	for g, ids := range groups {
		if err := t.changed(ctx, g.org, ids, g.at); err != nil {
			// The next edit of these documents dates them again.
			t.logger.Warn("dating content edits failed", "organization", g.org, "documents", len(ids), "error", err)
		}
	}
}

// datedLog is the document log to hand to collab: docs wrapped so that
// its edits are dated, when the App runs here to date them. It registers
// the final flush as a closer, which runs after the engine's own shutdown
// (rt's in the HTTP server's shutdown, the headless engine's registered
// after this) and before the log, Redis and the stores close.
func (s *Server) datedLog(docs tandem.DocumentLog) tandem.DocumentLog {
	if s.touch == nil {
		return docs
	}
	s.closers = append(s.closers, s.touch.close)
	return s.touch.log(docs)
}

// apiContent is the content engine the REST API gets: the engine, dating
// its edits at once.
func (s *Server) apiContent() thttp.ContentEngine {
	if s.content.engine == nil {
		return nil
	}
	if s.touch == nil {
		return s.content.engine
	}
	return s.touch.engine(s.content.engine)
}

// log wraps the document log handed to collab so that what it stores
// marks its documents dirty.
func (t *touches) log(l tandem.DocumentLog) tandem.DocumentLog {
	return &touchedLog{DocumentLog: l, t: t}
}

// engine wraps the content engine the REST API edits through so that an
// edit is dated before its request answers.
func (t *touches) engine(e thttp.ContentEngine) thttp.ContentEngine {
	return &touchingEngine{ContentEngine: e, t: t}
}

// touchedLog is a tandem.DocumentLog that reports what Append stored.
type touchedLog struct {
	tandem.DocumentLog
	t *touches
}

// Append marks the documents it stored: all of them on success, all but
// the conflicting ones on a *SeqConflictError (those are retried by the
// room and marked when they are stored). Any other error stored nothing.
func (l *touchedLog) Append(ctx context.Context, entries []tandem.LogEntry) error {
	err := l.DocumentLog.Append(ctx, entries)
	var ce *tandem.SeqConflictError
	switch {
	case err == nil:
		l.t.stored(entries, nil)
	case errors.As(err, &ce):
		l.t.stored(entries, ce.Documents)
	}
	return err
}

// touchingEngine is the REST API's content engine: Edit dates the
// document it changed at once (with the request's context, so a read
// replica's read-your-writes applies to the caller's next list).
type touchingEngine struct {
	thttp.ContentEngine
	t *touches
}

func (e *touchingEngine) Edit(ctx context.Context, document string, fn func(doc *yjs.Doc) error) error {
	err := e.ContentEngine.Edit(ctx, document, fn)
	if err == nil {
		e.t.flushDocuments(ctx, document)
	}
	return err
}

// docOrgs remembers the organization of documents, bounded: two
// generations of at most max entries each; when the current one is full it
// becomes the old one and the old one is forgotten, and a document found
// in the old one moves back to the current one. So a document used lately
// stays known however long ago it was authorized (an editor who left a
// tab open all day and types again is still dated), and memory stays under
// 2*max entries whatever the number of documents. Not safe for concurrent
// use: touches holds its lock.
type docOrgs struct {
	max      int
	cur, old map[string]string
}

func (m *docOrgs) put(document, org string) {
	if m.cur == nil {
		m.cur = map[string]string{}
	}
	if m.cur[document] == org {
		return
	}
	if len(m.cur) >= m.max {
		m.old, m.cur = m.cur, make(map[string]string, len(m.cur))
	}
	m.cur[document] = org
}

func (m *docOrgs) get(document string) (string, bool) {
	if org, ok := m.cur[document]; ok {
		return org, true
	}
	org, ok := m.old[document]
	if ok {
		m.put(document, org)
	}
	return org, ok
}

func (m *docOrgs) len() int { return len(m.cur) + len(m.old) }
