package collab

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
)

// committer is the group commit: one goroutine takes the pending updates
// of every room that has some and appends them in one transaction (one
// fsync, or one PostgreSQL commit). While a transaction runs, the next
// batch gathers, so the batch size follows the load with no timer.
//
// Sequence numbers are chosen here, when a room's updates join a batch:
// the server's own next seqs of the document (its writer id numbers only
// its entries), so other instances' appends never make one fail. A
// conflict means an earlier attempt of this append had committed (its
// reply was lost): the room then reads its own entries back from the log,
// drops from its pending updates what they stored, and appends the rest
// in a later batch (see catchUp).
type committer struct {
	s     *Server
	mu    sync.Mutex
	dirty []*room
	spare []*room
	busy  bool
	wake  chan struct{}
}

func newCommitter(s *Server) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1)}
}

// enqueue marks r as having pending updates.
func (c *committer) enqueue(r *room) {
	c.mu.Lock()
	if !r.queued {
		r.queued = true
		c.dirty = append(c.dirty, r)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) run() {
	defer c.s.wg.Done()
	var w commitWork
	for {
		select {
		case <-c.wake:
		case <-c.s.stop:
			return
		}
		for {
			c.mu.Lock()
			rooms := c.dirty
			if len(rooms) > 0 {
				c.dirty, c.spare = c.spare[:0], nil
				for _, r := range rooms {
					r.queued = false
				}
			}
			c.busy = len(rooms) > 0
			c.mu.Unlock()
			if len(rooms) == 0 {
				break
			}
			c.commit(rooms, &w)
			clear(rooms)
			c.mu.Lock()
			c.spare = rooms[:0]
			c.busy = false
			c.mu.Unlock()
		}
	}
}

// commitWork is the committer's reusable scratch space.
type commitWork struct {
	parts   []commitPart
	entries []tandem.LogEntry
	msgs    []tandem.BusMessage
}

// commitPart is one room's share of a batch: its pending[:n] with log
// seqs first.. (entries of them that store nothing take no seq).
type commitPart struct {
	r       *room
	n       int
	first   uint64
	updates [][]byte // the non-nil updates of pending[:n]
	failed  bool
}

// commit appends the pending updates of rooms in one batch and releases
// what waited for them.
func (c *committer) commit(rooms []*room, w *commitWork) {
	s := c.s
	w.parts = w.parts[:0]
	for _, r := range rooms {
		r.mu.Lock()
		if r.state == roomReady && !r.behind && r.inflight == 0 && len(r.pending) > 0 {
			p := commitPart{r: r, n: len(r.pending), first: r.logPos[s.writer] + 1}
			for _, u := range r.pending {
				if u.update != nil {
					p.updates = append(p.updates, u.update)
				}
			}
			r.inflight = p.n
			w.parts = append(w.parts, p)
		}
		r.mu.Unlock()
	}
	build := func() []tandem.LogEntry {
		w.entries = w.entries[:0]
		for i := range w.parts {
			p := &w.parts[i]
			if p.failed {
				continue
			}
			for j, u := range p.updates {
				w.entries = append(w.entries, tandem.LogEntry{Document: p.r.name, Writer: s.writer, Seq: p.first + uint64(j), Update: u})
			}
		}
		return w.entries
	}
	entries := build()
	start := time.Now()
	for attempt := 0; len(entries) > 0; attempt++ {
		err := s.log.Append(context.Background(), entries)
		if err == nil {
			break
		}
		var ce *tandem.SeqConflictError
		if errors.As(err, &ce) {
			// An earlier attempt of this append had committed: read our
			// own entries back, then append what they did not store. The
			// rest of the batch is stored.
			conflicted := map[string]bool{}
			for _, d := range ce.Documents {
				conflicted[d] = true
			}
			for i := range w.parts {
				p := &w.parts[i]
				if !p.failed && conflicted[p.r.name] {
					p.failed = true
					s.m.conflicts.Inc()
					p.r.conflicted()
				}
			}
			break
		}
		s.m.commitErrors.Inc()
		if attempt >= 4 || errors.Is(err, tandem.ErrInvalid) {
			s.logger.Error("document log append failed; closing the documents of the batch", "err", err, "updates", len(entries))
			for i := range w.parts {
				p := &w.parts[i]
				if !p.failed {
					p.failed = true
					p.r.fail(CloseStorageFailure, "storage failure: edits not saved; reconnect")
				}
			}
			return
		}
		s.logger.Warn("document log append failed; retrying", "err", err, "attempt", attempt+1)
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	done := time.Now()
	if len(entries) > 0 {
		s.m.commitSeconds.Observe(done.Sub(start).Seconds())
		s.m.commitBatch.Observe(float64(len(entries)))
	}
	w.msgs = w.msgs[:0]
	var batch ws.Batch
	now := done.UnixNano()
	for i := range w.parts {
		p := &w.parts[i]
		if p.failed {
			continue
		}
		r := p.r
		r.mu.Lock()
		if r.state != roomReady {
			r.mu.Unlock()
			continue
		}
		for _, u := range r.pending[:p.n] {
			s.m.persistSeconds.Observe(float64(now-u.at) / 1e9)
		}
		if s.bus != nil && len(p.updates) > 0 {
			w.msgs = append(w.msgs, tandem.BusMessage{Document: r.name, Writer: s.writer, Seq: p.first, Updates: p.updates})
		}
		if len(p.updates) > 0 {
			// A catch-up that ran meanwhile may have advanced the
			// position past these (a compaction folded them): max.
			r.logPos.Advance(s.writer, p.first+uint64(len(p.updates))-1)
		}
		r.lcommit = r.pending[p.n-1].lseq
		clear(r.pending[:p.n])
		r.pending = r.pending[p.n:]
		r.inflight = 0
		r.releaseGated(&batch, now)
		r.drainRemote(&batch)
		more := len(r.pending) > 0 && !r.behind
		compact := r.needsCompaction()
		r.mu.Unlock()
		if more {
			c.enqueue(r)
		}
		if compact {
			s.requestCompaction(r)
		}
	}
	// Publish first: it only queues for the publisher, and the other
	// instances' clients then do not wait for the writes to every local
	// socket.
	if len(w.msgs) > 0 {
		s.publish(w.msgs)
	}
	batch.Flush()
}

// drain waits until every update received so far is committed and
// released.
func (c *committer) drain(ctx context.Context) error {
	for {
		c.mu.Lock()
		idle := len(c.dirty) == 0 && !c.busy
		c.mu.Unlock()
		if idle && c.s.pendingUpdates() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// pendingUpdates counts the local updates not yet durable.
func (s *Server) pendingUpdates() int {
	n := 0
	for _, r := range s.snapshotRooms() {
		r.mu.Lock()
		if r.state == roomReady {
			n += len(r.pending)
		}
		r.mu.Unlock()
	}
	return n
}

// requestCompaction asks the compactor to fold r's log.
func (s *Server) requestCompaction(r *room) {
	select {
	case s.compactQ <- r.name:
	default:
		// The compactor is behind; the room asks again after more updates.
		r.mu.Lock()
		r.compacting = false
		r.mu.Unlock()
	}
}

// compactor folds document logs into snapshots, one document at a time,
// in the background.
func (s *Server) compactor() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case doc := <-s.compactQ:
			s.compact(doc)
		}
	}
}

// compact folds a document's snapshot and log into a new snapshot. It
// reads only committed data, so it needs no lock on the room: the store
// replaces the snapshot and trims the log in one transaction, and refuses a
// snapshot older than the stored one (another instance compacted first).
//
// The log is replayed into a document with garbage collection on and the
// snapshot is that document's full state, as a client would receive it in
// a sync: content deleted since the last snapshot is dropped (only the
// structure yjs needs to merge edits that refer to it is kept, as
// y-websocket-server's documents do), so a document that was written and
// erased many times does not keep every erased version forever.
func (s *Server) compact(doc string) {
	ctx, span := s.tracer.Start(context.Background(), "collab.compact")
	span.SetAttributes(attribute.String("tandem.document", doc))
	defer span.End()
	start := time.Now()
	result := "ok"
	var before, after int64
	var through tandem.LogPosition
	var trimmedBytes int64
	err := func() error {
		st, err := s.log.Load(ctx, doc)
		if err != nil {
			return err
		}
		if len(st.Updates) == 0 {
			result = "noop"
			return nil
		}
		snap, err := foldState(st)
		if err != nil {
			return err
		}
		if err := s.log.Compact(ctx, doc, st.Position(), snap); err != nil {
			return err
		}
		before, after, through = st.Size(), int64(len(snap)), st.Position()
		trimmedBytes = st.Size() - int64(len(st.Snapshot))
		return nil
	}()
	if errors.Is(err, tandem.ErrConflict) {
		result, err = "conflict", nil // compacted meanwhile by someone else
	}
	if err != nil {
		result = "error"
		span.RecordError(err)
		span.SetStatus(codes.Error, "compaction failed")
		s.logger.Error("compaction failed", "document", doc, "err", err)
	}
	s.m.compactions.WithLabelValues(result).Inc()
	s.m.compactSeconds.Observe(time.Since(start).Seconds())
	s.mu.Lock()
	r := s.rooms[doc]
	s.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	r.compacting = false
	if result == "ok" && r.state == roomReady {
		// The room may have been reloaded meanwhile; these are estimates
		// that drive the next compaction and the memory budget.
		r.snapPos.Merge(through)
		r.logCount = int(countAfter(r.logPos, r.snapPos))
		r.logBytes = max(0, r.logBytes-trimmedBytes)
		r.size = max(after, r.size-before+after)
	}
	// Updates committed meanwhile may already call for the next one.
	again := result == "ok" && r.needsCompaction()
	r.mu.Unlock()
	if again {
		s.requestCompaction(r)
	}
}

// foldState replays a stored state into a document with garbage
// collection on and returns the document's full state as one update.
func foldState(st tandem.DocumentState) ([]byte, error) {
	d, err := buildDoc(st)
	if err != nil {
		return nil, err
	}
	return d.EncodeStateAsUpdate(nil)
}
