package collab

import (
	"context"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
)

// Several instances serving one document (Config.Bus set)
//
// Every instance with clients on a document keeps its own room. The log is
// the one source of truth: an instance appends its clients' updates under
// its own writer id, numbering them 1, 2, 3... per document, so instances
// never race for sequence numbers and never wait for each other's entries
// before appending their own. After each commit the instance publishes the
// entries (document, writer, first seq, updates) on the bus; the others
// apply them at once (the usual path, a fraction of a millisecond) and
// notice a gap in a writer's sequence numbers if some message was lost, and
// then read the log from their position (the last seq they have of each
// writer). While the bus is down, and as a safety net while it is up, the
// log's heads are polled for every loaded document.
//
// Awareness travels over the bus only. Presence counts (connections per
// document on the other instances) are exchanged through it every few
// seconds and count against ConnectionsPerDocument.

// maxRemoteBacklog bounds what a room keeps of bus messages it cannot apply
// yet (a gap before them, or its own append in flight); past it they are
// dropped and the room reads the log instead.
const maxRemoteBacklog = 8 << 20

// gapWait is how long a room waits for a missing message (messages can
// arrive out of order) before reading the log.
const gapWait = 20 * time.Millisecond

// BusMessage implements tandem.BusListener. It hands the message to the
// receiver goroutine (waiting if that one is far behind, which slows the
// bus's reading rather than dropping).
func (s *Server) BusMessage(m tandem.BusMessage) {
	select {
	case s.inbox <- m:
	case <-s.stop:
	}
}

// receiver applies what the bus delivered, flushing the sockets once per
// run of messages that were waiting rather than once per message: every
// instance publishes a message per document per commit, and a flush is a
// write to every local client of the document. Under load the runs grow,
// so the cost per message falls, with no timer (as in the group commit).
func (s *Server) receiver() {
	defer s.wg.Done()
	var batch ws.Batch
	for {
		select {
		case <-s.stop:
			return
		case m := <-s.inbox:
			s.busMessage(m, &batch)
		}
	more:
		for range 1024 {
			select {
			case m := <-s.inbox:
				s.busMessage(m, &batch)
			default:
				break more
			}
		}
		batch.Flush()
	}
}

// busMessage applies one message from the bus.
func (s *Server) busMessage(m tandem.BusMessage, batch *ws.Batch) {
	s.mu.Lock()
	r := s.rooms[m.Document]
	s.mu.Unlock()
	if r == nil {
		return
	}
	if m.Awareness != nil {
		r.remoteAwareness(m.Awareness, batch)
	} else if len(m.Updates) > 0 {
		r.busUpdates(m.Writer, m.Seq, m.Updates, batch)
	}
}

// BusStatus implements tandem.BusListener.
func (s *Server) BusStatus(err error) {
	if err != nil {
		if !s.busDown.Swap(true) {
			s.logger.Warn("the bus between realtime instances is down: polling the document log for other instances' edits", "err", err)
		}
		return
	}
	if s.busDown.Swap(false) {
		s.logger.Info("the bus between realtime instances is back: catching up from the log")
	}
	// Messages published while it was down are lost: catch up.
	for _, r := range s.snapshotRooms() {
		r.startCatchUp("bus-back")
	}
}

// BusDown reports whether the bus is down (the instance then polls the log).
func (s *Server) BusDown() bool { return s.bus != nil && s.busDown.Load() }

// busUpdates takes entries another instance appended as writer.
func (r *room) busUpdates(writer string, first uint64, updates [][]byte, batch *ws.Batch) {
	if writer == r.s.writer {
		return // never sent to itself; a stray copy is already in the log
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == roomClosed {
		return
	}
	if r.remote == nil {
		r.remote = map[remoteKey][]byte{}
	}
	for i, u := range updates {
		k := remoteKey{writer, first + uint64(i)}
		if (r.logPos == nil || k.seq > r.logPos[writer]) && r.remote[k] == nil {
			r.remote[k] = u
			r.remoteBytes += len(u)
		}
	}
	if r.remoteBytes > maxRemoteBacklog {
		clear(r.remote)
		r.remoteBytes = 0
		if r.state == roomReady {
			go r.startCatchUp("backlog")
		}
		return
	}
	r.drainRemote(batch)
}

// drainRemote applies the bus entries that follow the room's position of
// their writer, and schedules a read of the log if a gap remains (r.mu
// held). Other writers' entries do not depend on the outcome of this
// room's append in flight, so they are applied while it runs.
func (r *room) drainRemote(batch *ws.Batch) {
	if len(r.remote) == 0 || r.state != roomReady {
		return
	}
	var ranges clockRanges
	if len(r.pending) > r.inflight {
		ranges = clockRanges{}
	}
	now := time.Now().UnixNano()
	for progress := true; progress; {
		progress = false
		for k, u := range r.remote {
			switch at := r.logPos[k.writer]; {
			case k.seq == at+1:
				r.applyRemote(u, ranges, now, batch)
				r.logPos[k.writer] = k.seq
				progress = true
			case k.seq > at+1:
				continue
			}
			delete(r.remote, k)
			r.remoteBytes -= len(u)
		}
	}
	r.rebase(ranges)
	if len(r.remote) > 0 {
		// A gap: wait briefly for the missing message, then read the log.
		time.AfterFunc(gapWait, func() {
			r.mu.Lock()
			gap := len(r.remote) > 0 && r.state == roomReady
			r.mu.Unlock()
			if gap {
				r.startCatchUp("gap")
			}
		})
	}
}

// applyRemote applies an update that is already in the log and sends what
// it changed to the local clients; with ranges set, it records the clocks
// the update covers (r.mu held).
func (r *room) applyRemote(u []byte, ranges clockRanges, now int64, batch *ws.Batch) {
	if ranges != nil {
		if _, err := updateRanges(u, ranges); err != nil {
			r.s.logger.Warn("cannot read the structs of a log entry", "document", r.name, "err", err)
		}
	}
	r.emitted = nil
	if err := r.doc.ApplyUpdate(u, remoteOrigin{}); err != nil {
		// Another instance applied it before storing it; this one cannot.
		// Nothing better to do than to say so: the entry stays in the log.
		r.s.logger.Error("cannot apply a log entry", "document", r.name, "err", err)
		return
	}
	r.size += int64(len(u))
	r.logCount++
	r.logBytes += int64(len(u))
	emitted := r.emitted
	r.emitted = nil
	if emitted == nil {
		return
	}
	r.version++
	frame, body, _ := syncFrame(emitted)
	if n := r.broadcast(body, frame, nil, batch); n > 0 {
		r.s.m.deliveries.Add(float64(n))
		r.s.m.remoteUpdates.Inc()
	}
}

// rebase drops from the pending updates not in flight what the entries
// just applied already stored (r.mu held). The ones in flight are stored as
// they are: a struct stored twice is harmless (applying it again changes
// nothing), a lost one is not.
func (r *room) rebase(ranges clockRanges) {
	if len(ranges) == 0 {
		return
	}
	for i := r.inflight; i < len(r.pending); i++ {
		p := &r.pending[i]
		if p.update == nil {
			continue
		}
		u, err := withoutRanges(p.update, ranges)
		if err != nil {
			continue // keep it whole: stored twice is harmless, lost is not
		}
		if u == nil || emptyUpdate(u) {
			r.s.m.dedupedUpdates.Inc()
			u = nil
		}
		p.update = u
	}
}

// conflicted handles an append that collided with this server's own
// entries: an earlier attempt of it had committed although it reported a
// failure. The room reads what the log holds beyond its position (its own
// entries among it), drops from its pending updates what that stored, and
// appends the rest after it.
func (r *room) conflicted() {
	r.mu.Lock()
	r.inflight = 0
	r.behind = true
	r.mu.Unlock()
	r.startCatchUp("conflict")
}

// startCatchUp reads what the room missed from the log, in the background.
// The reason labels a metric: in a fleet under load, reads of the log are
// what competes with the group commit for the database.
func (r *room) startCatchUp(reason string) {
	r.mu.Lock()
	if r.catching || r.state != roomReady {
		r.mu.Unlock()
		return
	}
	r.catching = true
	r.mu.Unlock()
	r.s.m.catchUps.WithLabelValues(reason).Inc()
	go r.catchUp()
}

func (r *room) catchUp() {
	s := r.s
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		after := r.logPos.Clone()
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := s.log.ReadSince(ctx, r.name, after)
		cancel()
		r.mu.Lock()
		if r.state != roomReady {
			r.catching = false
			r.mu.Unlock()
			return
		}
		if err != nil {
			r.mu.Unlock()
			if attempt < 5 {
				s.logger.Warn("catching up from the document log failed; retrying", "document", r.name, "err", err)
				time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
				continue
			}
			s.logger.Error("catching up from the document log failed; closing the document", "document", r.name, "err", err)
			r.mu.Lock()
			r.catching = false
			r.mu.Unlock()
			r.fail(CloseStorageFailure, "storage failure: edits not saved; reconnect")
			return
		}
		var batch ws.Batch
		r.applyState(st, &batch)
		r.behind = false
		r.catching = false
		more := len(r.pending) > 0
		r.drainRemote(&batch)
		r.mu.Unlock()
		batch.Flush()
		if more {
			s.commit.enqueue(r)
		}
		return
	}
}

// applyState applies what ReadSince returned beyond the room's position
// (r.mu held). With an append in flight, the server's own entries are left
// to it: its outcome moves the own position.
func (r *room) applyState(st tandem.DocumentState, batch *ws.Batch) {
	var ranges clockRanges
	if len(r.pending) > r.inflight {
		ranges = clockRanges{}
	}
	now := time.Now().UnixNano()
	if st.Snapshot != nil && !r.logPos.Covers(st.SnapshotPosition) {
		r.applyRemote(st.Snapshot, ranges, now, batch)
		r.logPos.Merge(st.SnapshotPosition)
		r.snapPos.Merge(st.SnapshotPosition)
	}
	for _, e := range st.Updates {
		if e.Seq <= r.logPos[e.Writer] || (e.Writer == r.s.writer && r.inflight > 0) {
			continue
		}
		r.applyRemote(e.Update, ranges, now, batch)
		r.logPos[e.Writer] = e.Seq
	}
	r.rebase(ranges)
}

// syncWithLog brings a ready room up to the log's head, for a client that
// joins: it may come from an instance that died after appending edits this
// one has not heard of.
func (r *room) syncWithLog(ctx context.Context) {
	r.mu.Lock()
	ok := r.state == roomReady
	var after tandem.LogPosition
	if ok {
		after = r.logPos.Clone()
	}
	r.mu.Unlock()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := r.s.log.ReadSince(ctx, r.name, after)
	if err != nil {
		r.s.logger.Warn("catching up a joined document failed", "document", r.name, "err", err)
		r.startCatchUp("join-read-failed")
		return
	}
	var batch ws.Batch
	r.mu.Lock()
	if r.state == roomReady && !r.behind {
		r.applyState(st, &batch)
		r.drainRemote(&batch)
	}
	r.mu.Unlock()
	batch.Flush()
}

// remoteAwareness takes an awareness update from another instance.
func (r *room) remoteAwareness(payload []byte, batch *ws.Batch) {
	entries, err := parseAwareness(nil, payload)
	if err != nil {
		r.s.logger.Warn("malformed awareness from the bus", "document", r.name, "err", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != roomReady {
		return
	}
	now := time.Now().UnixNano()
	for _, e := range entries {
		cur := r.awareness[e.clientID]
		if string(e.state) == "null" {
			if cur != nil && e.clock >= cur.clock {
				delete(r.awareness, e.clientID)
				cur.owner.dropClient(e.clientID)
			}
			continue
		}
		if cur == nil {
			if len(r.awareness) >= maxAwarenessStates {
				continue
			}
			cur = &awareState{}
			r.awareness[e.clientID] = cur
		} else if cur.owner != nil {
			// The client moved to another instance.
			cur.owner.dropClient(e.clientID)
			cur.owner = nil
		}
		if e.clock >= cur.clock {
			cur.clock = e.clock
			cur.state = append(cur.state[:0], e.state...)
		}
		cur.lastSeen = now
	}
	if len(r.bindings) > 0 {
		r.broadcastAwareness(payload, batch)
	}
}

// maxAwarenessStates bounds the awareness states one room keeps.
const maxAwarenessStates = 1 << 14

// publish hands messages to the publisher goroutine. Delivery is best
// effort: if the bus is far behind, messages are dropped and the receivers
// notice the gap.
func (s *Server) publish(msgs []tandem.BusMessage) {
	if s.bus == nil {
		return
	}
	select {
	case s.pubQ <- append([]tandem.BusMessage(nil), msgs...):
	default:
		s.m.busDropped.Add(float64(len(msgs)))
	}
}

func (s *Server) publishAwareness(doc string, payload []byte) {
	if s.bus == nil {
		return
	}
	s.publish([]tandem.BusMessage{{Document: doc, Awareness: append([]byte(nil), payload...)}})
}

// publisher sends what publish queued, batching what accumulated.
func (s *Server) publisher() {
	defer s.wg.Done()
	var msgs []tandem.BusMessage
	for {
		select {
		case <-s.stop:
			return
		case m := <-s.pubQ:
			msgs = append(msgs[:0], m...)
		}
	more:
		for len(msgs) < 4096 {
			select {
			case m := <-s.pubQ:
				msgs = append(msgs, m...)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.bus.Publish(ctx, msgs...); err != nil {
			s.m.busDropped.Add(float64(len(msgs)))
			s.logger.Debug("bus publish failed", "err", err)
		}
		cancel()
		clear(msgs)
	}
}

func (s *Server) unsubscribe(doc string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.bus.Unsubscribe(ctx, doc); err != nil {
		s.logger.Debug("bus unsubscribe failed", "document", doc, "err", err)
	}
}

// cluster runs the periodic work of a multi-instance deployment: polling
// the log's heads (often while the bus is down, rarely as a safety net
// while it is up) and exchanging presence counts.
func (s *Server) cluster() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.DownPollInterval)
	defer tick.Stop()
	var lastPoll, lastPresence time.Time
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			if s.busDown.Load() || now.Sub(lastPoll) >= s.cfg.PollInterval {
				lastPoll = now
				s.pollHeads()
			}
			if now.Sub(lastPresence) >= s.cfg.PresenceInterval {
				lastPresence = now
				s.exchangePresence()
			}
		}
	}
}

// pollHeads catches up every loaded document that others appended to:
// at once while the bus is down, and, while it is up, the documents that
// stayed behind the head found by the previous poll (a lost message).
func (s *Server) pollHeads() {
	busUp := !s.busDown.Load()
	rooms := s.snapshotRooms()
	names := make([]string, 0, len(rooms))
	pos := make(map[string]*room, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		if r.state == roomReady {
			names = append(names, r.name)
			pos[r.name] = r
		}
		r.mu.Unlock()
	}
	for len(names) > 0 {
		chunk := names[:min(len(names), 1000)]
		names = names[len(chunk):]
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		heads, err := s.log.Heads(ctx, chunk)
		cancel()
		if err != nil {
			s.logger.Warn("polling the document log failed", "err", err)
			return
		}
		for _, d := range chunk {
			r := pos[d]
			r.mu.Lock()
			behind := r.state == roomReady && !coversOthers(r.logPos, heads[d], s.writer)
			if behind && busUp {
				// A room that other instances write is behind the head
				// most of the time for a millisecond or two: their
				// entries are on the bus. It reads the log only if it
				// has not reached, by the next poll, the head this poll
				// saw: then a message was lost. Reading at once made
				// every busy room of a fleet read the log every poll,
				// and those reads took the database connections the
				// group commit needed.
				behind = r.polledHead != nil && !coversOthers(r.logPos, r.polledHead, s.writer)
				r.polledHead = heads[d]
			} else {
				r.polledHead = nil
			}
			r.mu.Unlock()
			if behind {
				s.m.polledCatchUps.Inc()
				r.startCatchUp("poll")
			}
		}
	}
}

// coversOthers reports whether pos includes every other writer's part of
// head: the server's own entries are known without reading them.
func coversOthers(pos, head tandem.LogPosition, self string) bool {
	for w, s := range head {
		if w != self && pos[w] < s {
			return false
		}
	}
	return true
}

// exchangePresence publishes this instance's connection counts and takes
// the other instances'.
func (s *Server) exchangePresence() {
	rooms := s.snapshotRooms()
	local := make(map[string]int, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		if n := len(r.bindings); n > 0 {
			local[r.name] = n
		}
		r.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	others, err := s.bus.Presence(ctx, local)
	cancel()
	if err != nil {
		return // counts stay as they were; the bus status says why
	}
	for _, r := range rooms {
		r.mu.Lock()
		r.remoteConns = others[r.name]
		r.mu.Unlock()
	}
}
