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
	"github.com/tandem-docs/tandem/yjs"
)

// committer is the group commit: one goroutine takes every update queued
// by every room since its last transaction and appends them in one
// transaction (one fsync). While a transaction runs, the next batch
// gathers, so the batch size follows the load with no timer.
type committer struct {
	s     *Server
	mu    sync.Mutex
	queue []appendReq
	spare []appendReq
	busy  bool
	wake  chan struct{}
	batch uint64
}

type appendReq struct {
	r      *room
	seq    uint64
	update []byte
	at     int64
}

func newCommitter(s *Server) *committer {
	return &committer{s: s, wake: make(chan struct{}, 1)}
}

// enqueue adds an update (r.mu held, so a room's seqs arrive in order).
func (c *committer) enqueue(r *room, seq uint64, update []byte, at int64) {
	c.mu.Lock()
	c.queue = append(c.queue, appendReq{r: r, seq: seq, update: update, at: at})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) run() {
	defer c.s.wg.Done()
	var entries []tandem.LogEntry
	for {
		select {
		case <-c.wake:
		case <-c.s.stop:
			return
		}
		for {
			c.mu.Lock()
			reqs := c.queue
			if len(reqs) > 0 {
				// Swap buffers: the spare (emptied last round) takes new
				// requests while this batch commits.
				c.queue, c.spare = c.spare[:0], nil
			}
			c.busy = len(reqs) > 0
			c.mu.Unlock()
			if len(reqs) == 0 {
				break
			}
			entries = c.commit(reqs, entries[:0])
			clear(reqs)
			c.mu.Lock()
			c.spare = reqs[:0]
			c.busy = false
			c.mu.Unlock()
		}
	}
}

// commit appends one batch and releases what waited for it.
func (c *committer) commit(reqs []appendReq, entries []tandem.LogEntry) []tandem.LogEntry {
	s := c.s
	failed := map[*room]bool{}
	build := func() []tandem.LogEntry {
		entries = entries[:0]
		for _, q := range reqs {
			if !failed[q.r] {
				entries = append(entries, tandem.LogEntry{Document: q.r.name, Seq: q.seq, Update: q.update})
			}
		}
		return entries
	}
	build()
	start := time.Now()
	for attempt := 0; len(entries) > 0; attempt++ {
		err := s.log.Append(context.Background(), entries)
		if err == nil {
			break
		}
		var ce *tandem.SeqConflictError
		if errors.As(err, &ce) {
			// Another writer owns these documents now: their rooms are
			// stale. Close them; the clients reconnect and load afresh.
			conflicted := map[string]bool{}
			for _, d := range ce.Documents {
				conflicted[d] = true
			}
			for _, q := range reqs {
				if conflicted[q.r.name] && !failed[q.r] {
					failed[q.r] = true
					s.logger.Warn("document log conflict: another writer appended", "document", q.r.name)
					q.r.fail(CloseTryAgain, "document changed elsewhere; reconnect")
				}
			}
			build()
			continue
		}
		s.m.commitErrors.Inc()
		if attempt >= 4 || errors.Is(err, tandem.ErrInvalid) {
			s.logger.Error("document log append failed; closing the documents of the batch", "err", err, "updates", len(entries))
			for _, q := range reqs {
				if !failed[q.r] {
					failed[q.r] = true
					q.r.fail(CloseStorageFailure, "storage failure: edits not saved; reconnect")
				}
			}
			return entries
		}
		s.logger.Warn("document log append failed; retrying", "err", err, "attempt", attempt+1)
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	done := time.Now()
	s.m.commitSeconds.Observe(done.Sub(start).Seconds())
	s.m.commitBatch.Observe(float64(len(entries)))
	for _, q := range reqs {
		if !failed[q.r] {
			s.m.persistSeconds.Observe(float64(done.UnixNano()-q.at) / 1e9)
		}
	}
	// Release each room once, up to its last seq in the batch.
	c.batch++
	var batch ws.Batch
	for i := len(reqs) - 1; i >= 0; i-- {
		q := reqs[i]
		if failed[q.r] || q.r.commitMark == c.batch {
			continue
		}
		q.r.commitMark = c.batch
		q.r.committedTo(q.seq, &batch)
	}
	batch.Flush()
	return entries
}

// drain waits until everything queued so far is committed and released.
func (c *committer) drain(ctx context.Context) error {
	for {
		c.mu.Lock()
		idle := len(c.queue) == 0 && !c.busy
		c.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
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

// compact merges a document's snapshot and log into a new snapshot. It
// reads only committed data, so it needs no lock on the room: the store
// replaces the snapshot and trims the log in one transaction.
func (s *Server) compact(doc string) {
	ctx, span := s.tracer.Start(context.Background(), "collab.compact")
	span.SetAttributes(attribute.String("tandem.document", doc))
	defer span.End()
	start := time.Now()
	result := "ok"
	var before, after int64
	var through uint64
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
		parts := make([][]byte, 0, len(st.Updates)+1)
		if st.Snapshot != nil {
			parts = append(parts, st.Snapshot)
		}
		for _, u := range st.Updates {
			parts = append(parts, u.Update)
		}
		merged, err := yjs.MergeUpdates(parts)
		if err != nil {
			return err
		}
		if err := s.log.Compact(ctx, doc, st.Seq(), merged); err != nil {
			return err
		}
		before, after, through = st.Size(), int64(len(merged)), st.Seq()
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
		r.snapSeq = max(r.snapSeq, through)
		r.logCount = max(0, int(r.seq)-int(through))
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
