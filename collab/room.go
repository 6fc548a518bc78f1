package collab

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
	"github.com/tandem-docs/tandem/yjs"
)

// room states
const (
	roomLoading = iota
	roomReady
	roomClosed // unloaded or failed: joiners must make a new room
)

// room is one loaded document and its clients. Everything in it is
// guarded by mu.
//
// The document's content is the log (every entry up to logPos, all
// applied to doc) plus the local updates in pending, applied to doc but not yet
// durable. Output that depends on a pending update (its broadcast, its
// acknowledgement, a sync reply that includes it) waits in gated until the
// update is committed; local updates are numbered by lseq for that.
type room struct {
	s    *Server
	name string

	mu       sync.Mutex
	state    int
	doc      *yjs.Doc
	unsub    func()
	emitted  []byte // set by the document's update handler during ApplyUpdate
	bindings map[*binding]struct{}
	waiting  []*binding // joined while loading
	holds    int        // server-side Edit/Read calls using the room

	logPos   tandem.LogPosition // every log entry up to it is in doc (never nil when ready)
	snapPos  tandem.LogPosition // position of the stored snapshot (as last known)
	pending  []pendingUpdate
	inflight int    // pending[:inflight] are in the committer's current append
	queued   bool   // in the committer's list (guarded by the committer's mu)
	lseq     uint64 // last local update applied
	lcommit  uint64 // last local update durable
	gated    []gated

	// With a bus (several instances):
	remote      map[remoteKey][]byte // entries heard on the bus, not yet applied
	remoteBytes int
	behind      bool // an append collided (it had committed): pending waits for a catch-up
	catching    bool // a catch-up read runs
	remoteConns int  // connections to this document on other instances
	// polledHead is the log's head the last poll found beyond the room's
	// position while the bus was up (nil: none); see pollHeads.
	polledHead tandem.LogPosition

	size     int64 // encoded bytes: snapshot plus log
	logCount int   // updates after the snapshot
	logBytes int64
	version  uint64 // bumps whenever the document changes

	// The full-state encoding for joiners with an empty state vector,
	// valid while fullVersion == version; its frames are shared by every
	// such joiner, so a reconnect storm encodes the document once.
	fullVersion uint64
	fullUpdate  []byte

	awareness  map[uint64]*awareState
	lastUsed   int64
	idleSince  int64
	compacting bool
}

// pendingUpdate is a local update applied to the document and not yet
// durable. update is what is appended: nil if nothing of it is left to
// store (another instance stored the same structs first).
type pendingUpdate struct {
	lseq   uint64
	update []byte
	at     int64
}

// awareState is one awareness client's latest state. owner is nil for a
// client of another instance.
type awareState struct {
	clock    uint64
	state    []byte
	owner    *binding
	lastSeen int64
}

// gated is output that waits for the local update lseq to be durable.
type gated struct {
	lseq uint64
	recv int64 // when the update arrived, for the fan-out latency
	// Broadcast body to every binding but from (nil body: none); frame,
	// if set, is body as a WebSocket frame (see syncFrame).
	body  []byte
	frame []byte
	from  *binding
	// ack acknowledges the update to from (Hocuspocus SyncStatus).
	ack bool
	// to: a reply for one binding: head (copied) then shared (sent by
	// reference), then extra as a message of its own.
	to     *binding
	head   []byte
	shared []byte
	extra  []byte
	// done is told the outcome (a server-side Edit waits on it).
	done chan error
}

// remoteOrigin is the transaction origin of updates that come from the
// log or another instance.
type remoteOrigin struct{}

// roomFor returns the room of doc, creating it and starting its load.
func (s *Server) roomFor(doc string) (*room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, errClosing
	}
	if r := s.rooms[doc]; r != nil {
		return r, nil
	}
	now := time.Now().UnixNano()
	r := &room{s: s, name: doc, state: roomLoading, bindings: map[*binding]struct{}{},
		awareness: map[uint64]*awareState{}, lastUsed: now, idleSince: now}
	s.rooms[doc] = r
	s.m.documents.Set(float64(len(s.rooms)))
	go r.load()
	return r, nil
}

var errClosing = fmt.Errorf("collab: server is shutting down")

// join adds a binding to its document's room. The binding's messages are
// processed once the room is loaded.
func (s *Server) join(b *binding) {
	for range 5 {
		r, err := s.roomFor(b.doc)
		if err != nil {
			b.conn.Close(CloseRestart, "server restarting")
			return
		}
		r.mu.Lock()
		if r.state == roomClosed {
			r.mu.Unlock()
			continue
		}
		if len(r.bindings)+r.remoteConns >= s.cfg.ConnectionsPerDocument {
			r.mu.Unlock()
			b.conn.Close(CloseTryAgain, "too many connections to this document")
			return
		}
		b.mu.Lock()
		if b.gone {
			b.mu.Unlock()
			r.mu.Unlock()
			return
		}
		b.room = r
		b.mu.Unlock()
		r.bindings[b] = struct{}{}
		r.lastUsed, r.idleSince = time.Now().UnixNano(), 0
		if r.state == roomLoading {
			r.waiting = append(r.waiting, b)
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if s.bus != nil {
			// Another instance may have served this document's clients
			// (and died): catch up from the log before answering them.
			r.syncWithLog(context.Background())
		}
		var batch ws.Batch
		r.mu.Lock()
		if _, ok := r.bindings[b]; !ok || r.state != roomReady {
			r.mu.Unlock()
			continue
		}
		r.greet(b, &batch)
		r.mu.Unlock()
		b.activate(&batch)
		batch.Flush()
		return
	}
	b.conn.Close(CloseTryAgain, "document is being unloaded; reconnect")
}

// load reads the document from the log and lets the waiting clients in.
func (r *room) load() {
	s := r.s
	ctx, span := s.tracer.Start(context.Background(), "collab.load")
	span.SetAttributes(attribute.String("tandem.document", r.name))
	defer span.End()
	start := time.Now()
	if s.bus != nil {
		// Subscribe first, so that what others append after the read below
		// is heard; what was published before is in the read.
		if err := s.bus.Subscribe(ctx, r.name); err != nil {
			s.logger.Warn("bus subscribe failed; the log is polled instead", "document", r.name, "err", err)
		}
	}
	st, err := s.log.Load(ctx, r.name)
	var doc *yjs.Doc
	if err == nil {
		doc, err = buildDoc(st)
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "load failed")
		s.logger.Error("document load failed", "document", r.name, "err", err)
		r.fail(CloseTryAgain, "document could not be loaded; reconnect later")
		return
	}
	s.m.loadSeconds.Observe(time.Since(start).Seconds())
	r.mu.Lock()
	if r.state != roomLoading {
		r.mu.Unlock()
		return
	}
	r.doc = doc
	r.unsub = doc.OnUpdate(func(update []byte, origin any) {
		// The document does not reuse update (see yjs.Doc.OnUpdate), so
		// the room keeps it rather than a copy.
		r.emitted = update
	})
	r.logPos, r.snapPos = st.Position(), st.SnapshotPosition.Clone()
	r.size = st.Size()
	r.logCount = len(st.Updates)
	r.logBytes = st.Size() - int64(len(st.Snapshot))
	r.state = roomReady
	waiting := r.waiting
	r.waiting = nil
	var batch ws.Batch
	r.drainRemote(&batch)
	for _, b := range waiting {
		r.greet(b, &batch)
	}
	compact := r.needsCompaction()
	r.mu.Unlock()
	for _, b := range waiting {
		b.activate(&batch)
	}
	batch.Flush()
	if compact {
		s.requestCompaction(r)
	}
}

// buildDoc makes a document from a stored state. Garbage collection is on,
// as in every room, so deleted content is dropped as it loads.
func buildDoc(st tandem.DocumentState) (*yjs.Doc, error) {
	doc := yjs.NewDoc()
	var parts [][]byte
	if st.Snapshot != nil {
		parts = append(parts, st.Snapshot)
	}
	for _, u := range st.Updates {
		parts = append(parts, u.Update)
	}
	switch len(parts) {
	case 0:
		return doc, nil
	case 1:
		if err := doc.ApplyUpdate(parts[0], remoteOrigin{}); err != nil {
			return nil, fmt.Errorf("apply stored state: %w", err)
		}
		return doc, nil
	}
	merged, err := yjs.MergeUpdates(parts)
	if err != nil {
		return nil, fmt.Errorf("merge stored updates: %w", err)
	}
	if err := doc.ApplyUpdate(merged, remoteOrigin{}); err != nil {
		return nil, fmt.Errorf("apply stored updates: %w", err)
	}
	return doc, nil
}

// fail closes the room and its clients after an unrecoverable error
// (storage, a conflicting writer). Nothing unacknowledged is kept: the
// clients hold their edits and send them again on reconnect.
func (r *room) fail(code int, reason string) {
	r.mu.Lock()
	if r.state == roomClosed {
		r.mu.Unlock()
		return
	}
	r.state = roomClosed
	for _, g := range r.gated {
		if g.done != nil {
			g.done <- tandem.Errorf(tandem.CodeUnavailable, "collab: %s", reason)
		}
	}
	r.gated = nil
	r.pending = nil
	bs := make([]*binding, 0, len(r.bindings))
	for b := range r.bindings {
		bs = append(bs, b)
	}
	r.release()
	r.mu.Unlock()
	r.s.removeRoom(r)
	for _, b := range bs {
		b.conn.Close(code, reason)
	}
}

// release drops the document (r.mu held).
func (r *room) release() {
	if r.unsub != nil {
		r.unsub()
		r.unsub = nil
	}
	r.doc = nil
	r.fullUpdate = nil
	r.awareness = nil
	r.waiting = nil
	r.remote = nil
}

func (s *Server) removeRoom(r *room) {
	s.mu.Lock()
	removed := s.rooms[r.name] == r
	if removed {
		delete(s.rooms, r.name)
	}
	s.m.documents.Set(float64(len(s.rooms)))
	s.mu.Unlock()
	if removed && s.bus != nil {
		s.unsubscribe(r.name)
	}
}

// greet sends a new client what it needs to start (r.mu held, room ready):
// y-websocket clients get the server's sync step 1, and both get the
// awareness states present.
func (r *room) greet(b *binding, batch *ws.Batch) {
	if !b.hp {
		var m []byte
		m = append(m, msgSync, syncStep1)
		m = appendVarBytes(m, r.doc.EncodeStateVector())
		r.sendNow(b, m, batch)
	}
	if len(r.awareness) > 0 {
		r.sendNow(b, r.awarenessSnapshot(), batch)
	}
}

// sendNow queues body for b at once, with b's prefix.
func (r *room) sendNow(b *binding, body []byte, batch *ws.Batch) {
	batch.QueueParts(b.conn, b.prefix, body)
	r.s.m.bytesOut.Add(float64(len(b.prefix) + len(body)))
}

func (r *room) awarenessSnapshot() []byte {
	entries := make([]awarenessEntry, 0, len(r.awareness))
	for id, st := range r.awareness {
		entries = append(entries, awarenessEntry{clientID: id, clock: st.clock, state: st.state})
	}
	return appendAwarenessMsg(nil, appendAwareness(nil, entries))
}

// handle processes one message of a ready binding.
func (r *room) handle(b *binding, body []byte, batch *ws.Batch) {
	m, err := parseBody(body)
	if err != nil {
		if err == errUnknownType {
			b.conn.Close(CloseUnknownType, "unknown message type")
		} else {
			b.conn.Close(CloseMalformed, "malformed message: "+err.Error())
		}
		return
	}
	now := time.Now().UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != roomReady {
		return
	}
	if _, ok := r.bindings[b]; !ok {
		return
	}
	r.lastUsed = now
	switch m.typ {
	case msgSync, msgSyncReply:
		switch m.syncType {
		case syncStep1:
			r.replyStep1(b, m.payload, b.hp && m.typ == msgSync, batch)
		default:
			r.applyUpdate(b, m.payload, m.syncType == syncStep2, now, batch)
		}
	case msgAwareness:
		r.awarenessUpdate(b, m.payload, now, batch)
	case msgQueryAwareness:
		r.sendNow(b, r.awarenessSnapshot(), batch)
	case msgAuth, msgStateless, msgClose:
		// y-websocket clients send no auth; stateless messages are for
		// server hooks, of which there are none yet.
	}
}

// fullState is the encoding of the whole document, cached until it
// changes (r.mu held).
func (r *room) fullState() ([]byte, error) {
	if r.fullVersion != r.version || r.fullUpdate == nil {
		u, err := r.doc.EncodeStateAsUpdate(nil)
		if err != nil {
			return nil, err
		}
		r.fullUpdate, r.fullVersion = u, r.version
	}
	return r.fullUpdate, nil
}

// replyStep1 answers a client's state vector with exactly what it lacks.
func (r *room) replyStep1(b *binding, sv []byte, alsoStep1 bool, batch *ws.Batch) {
	var head, shared []byte
	if emptyStateVector(sv) {
		u, err := r.fullState()
		if err != nil {
			r.s.logger.Error("encode document", "document", r.name, "err", err)
			b.conn.Close(ws.CloseInternalError, "could not encode the document")
			return
		}
		shared = u
	} else {
		u, err := r.doc.EncodeStateAsUpdate(sv)
		if err != nil {
			b.conn.Close(CloseMalformed, "malformed state vector: "+err.Error())
			return
		}
		shared = u
	}
	head = append(head, b.prefix...)
	head = append(head, msgSync, syncStep2)
	head = appendVarUint(head, uint64(len(shared)))
	var step1 []byte
	if alsoStep1 {
		step1 = append(step1, b.prefix...)
		step1 = append(step1, msgSync, syncStep1)
		step1 = appendVarBytes(step1, r.doc.EncodeStateVector())
	}
	if r.lseq <= r.lcommit {
		batch.QueueShared(b.conn, head, shared)
		if step1 != nil {
			batch.Queue(b.conn, step1)
		}
		r.s.m.bytesOut.Add(float64(len(head) + len(shared) + len(step1)))
		return
	}
	r.gated = append(r.gated, gated{lseq: r.lseq, to: b, head: head, shared: shared, extra: step1})
}

// coveredByState reports whether an update adds no structs the document
// lacks (its state vector is within the document's).
func (r *room) coveredByState(u []byte) bool {
	usv, err := yjs.EncodeStateVectorFromUpdate(u)
	if err != nil {
		return false
	}
	have := map[uint64]uint64{}
	want := map[uint64]uint64{}
	if parseStateVector(r.doc.EncodeStateVector(), have) != nil || parseStateVector(usv, want) != nil {
		return false
	}
	for c, clock := range want {
		if have[c] < clock {
			return false
		}
	}
	return true
}

// applyUpdate applies, logs and schedules the broadcast of one update.
func (r *room) applyUpdate(b *binding, u []byte, step2 bool, now int64, batch *ws.Batch) {
	s := r.s
	if b.access() != tandem.AccessReadWrite {
		ok := step2 && (emptyUpdate(u) || r.coveredByState(u))
		if b.hp {
			r.sendNow(b, []byte{msgSyncStatus, boolByte(ok)}, batch)
			return
		}
		b.mu.Lock()
		tell := !ok && !b.toldReadOnly
		b.toldReadOnly = b.toldReadOnly || tell
		b.mu.Unlock()
		if tell {
			m := []byte{msgAuth, ywsPermissionDenied}
			r.sendNow(b, appendVarString(m, "read-only: your changes are not saved"), batch)
		}
		return
	}
	if s.draining.Load() {
		return // shutting down: unacknowledged, so the client resends it
	}
	if !b.updates.allow(now) {
		b.conn.Close(CloseRateLimited, "update rate limit exceeded")
		return
	}
	if emptyUpdate(u) {
		r.ack(b, now, batch)
		return
	}
	if r.size+int64(len(u)) > s.cfg.MaxDocumentBytes {
		b.conn.Close(CloseDocumentTooLarge, "document size limit reached")
		return
	}
	added, err := r.applyLocal(u, b, now, nil, b.hp)
	if err != nil {
		b.conn.Close(CloseMalformed, "invalid update: "+err.Error())
		return
	}
	if !added {
		r.ack(b, now, batch)
	}
}

// applyLocal applies an update from a client (from) or from the server
// (from nil), queues what is new in it for the log and gates its broadcast
// (and acknowledgement, with ack) on the commit; done, if set, is told the
// outcome. It reports whether it gated anything: a client's update that
// held nothing new is not, and the caller acknowledges it (r.mu held).
func (r *room) applyLocal(u []byte, from *binding, now int64, done chan error, ack bool) (bool, error) {
	s := r.s
	r.emitted = nil
	if err := r.doc.ApplyUpdate(u, from); err != nil {
		return false, err
	}
	emitted := r.emitted
	r.emitted = nil
	// What the log stores is what the document took in: the client's bytes
	// when all of it was new (the usual case), only the new part when some
	// of it was known already (a client that resends after a reconnect),
	// nothing when all of it was. An update with structs the document keeps
	// pending (their dependencies are missing) is stored as it came, so
	// that they survive a restart.
	store := u
	stored := emitted != nil && bytes.Equal(emitted, u) // store's bytes are emitted's
	if !stored {
		switch {
		case !r.coveredByState(u):
			store = u
		case emitted == nil:
			store = nil
		default:
			store, stored = emitted, true
		}
	}
	if store == nil {
		if done == nil {
			return false, nil
		}
		r.gated = append(r.gated, gated{lseq: r.lseq, recv: now, done: done})
		if r.lseq <= r.lcommit {
			var batch ws.Batch
			r.releaseGated(&batch, now)
			batch.Flush()
		}
		return true, nil
	}
	r.version++
	r.lseq++
	r.size += int64(len(store))
	r.logCount++
	r.logBytes += int64(len(store))
	var frame, body, inner []byte
	if emitted != nil {
		frame, body, inner = syncFrame(emitted)
	}
	// u belongs to the caller (a read buffer): the log stores a copy, or
	// the same bytes inside the broadcast frame.
	if stored {
		store = inner
	} else {
		store = append([]byte(nil), store...)
	}
	r.pending = append(r.pending, pendingUpdate{lseq: r.lseq, update: store, at: now})
	s.commit.enqueue(r)
	r.gated = append(r.gated, gated{lseq: r.lseq, recv: now, body: body, frame: frame, from: from, done: done, ack: ack})
	s.m.updates.Inc()
	return true, nil
}

// syncFrame encodes the broadcast of an update: a WebSocket frame, as
// ws.AppendMessage makes, of the sync message body, which ends with the
// update's bytes (inner). All three share one allocation, made once per
// update for every receiver and the log alike; none may change afterwards.
func syncFrame(update []byte) (frame, body, inner []byte) {
	n := 2 + varUintLen(uint64(len(update))) + len(update)
	frame = make([]byte, 0, ws.FrameHeaderSize(n)+n)
	frame = ws.AppendFrameHeader(frame, ws.OpBinary, true, n, nil)
	h := len(frame)
	frame = appendSync(frame, syncUpdate, update)
	return frame, frame[h:], frame[len(frame)-len(update):]
}

func boolByte(ok bool) byte {
	if ok {
		return 1
	}
	return 0
}

// ack acknowledges an update that changed nothing, in order with the
// acknowledgements before it.
func (r *room) ack(b *binding, now int64, batch *ws.Batch) {
	if !b.hp {
		return
	}
	if r.lseq <= r.lcommit {
		r.sendNow(b, []byte{msgSyncStatus, 1}, batch)
		return
	}
	r.gated = append(r.gated, gated{lseq: r.lseq, recv: now, from: b, ack: true})
}

// releaseGated runs the output that waited for local updates up to
// r.lcommit (r.mu held).
func (r *room) releaseGated(batch *ws.Batch, now int64) {
	i := 0
	for ; i < len(r.gated) && r.gated[i].lseq <= r.lcommit; i++ {
		r.dispatch(&r.gated[i], now, batch)
		r.gated[i] = gated{}
	}
	if i == len(r.gated) {
		r.gated = r.gated[:0]
	} else {
		r.gated = append(r.gated[:0], r.gated[i:]...)
	}
}

func (r *room) dispatch(g *gated, now int64, batch *ws.Batch) {
	s := r.s
	if g.done != nil {
		g.done <- nil
	}
	if g.to != nil {
		if _, ok := r.bindings[g.to]; ok {
			if g.head != nil {
				batch.QueueShared(g.to.conn, g.head, g.shared)
			}
			if g.extra != nil {
				batch.Queue(g.to.conn, g.extra)
			}
			s.m.bytesOut.Add(float64(len(g.head) + len(g.shared) + len(g.extra)))
		}
		return
	}
	if g.body != nil {
		if n := r.broadcast(g.body, g.frame, g.from, batch); n > 0 {
			s.m.deliveries.Add(float64(n))
			s.m.fanout.Observe(float64(now-g.recv) / 1e9)
		}
	}
	if g.ack && g.from != nil {
		if _, ok := r.bindings[g.from]; ok {
			batch.QueueParts(g.from.conn, g.from.prefix, []byte{msgSyncStatus, 1})
		}
	}
}

// broadcast queues body for every binding but from and returns how many.
// frame, if not nil, is body as a WebSocket frame.
func (r *room) broadcast(body, frame []byte, from *binding, batch *ws.Batch) int {
	yframe := frame
	var hframe []byte
	n := 0
	for b := range r.bindings {
		if b == from {
			continue
		}
		switch {
		case !b.hp:
			if yframe == nil {
				yframe = ws.AppendMessage(nil, body)
			}
			batch.QueueFrame(b.conn, yframe)
		case b.key == r.name:
			if hframe == nil {
				hframe = ws.AppendMessage(nil, append(appendVarString(nil, r.name), body...))
			}
			batch.QueueFrame(b.conn, hframe)
		default:
			batch.QueueParts(b.conn, b.prefix, body)
		}
		n++
	}
	if n > 0 {
		r.s.m.bytesOut.Add(float64(n * (len(body) + 4)))
	}
	return n
}

// awarenessUpdate records and relays an awareness update. It is relayed to
// every client of the room, the sender included, as y-websocket-server and
// Hocuspocus do (clients rely on hearing their own renewals).
func (r *room) awarenessUpdate(b *binding, payload []byte, now int64, batch *ws.Batch) {
	if !b.aware.allow(now) {
		b.conn.Close(CloseRateLimited, "awareness rate limit exceeded")
		return
	}
	entries, err := parseAwareness(nil, payload)
	if err != nil {
		b.conn.Close(CloseMalformed, "malformed awareness update: "+err.Error())
		return
	}
	for _, e := range entries {
		cur := r.awareness[e.clientID]
		if string(e.state) == "null" {
			if cur != nil && (cur.owner == b || e.clock >= cur.clock) {
				delete(r.awareness, e.clientID)
				cur.owner.dropClient(e.clientID)
			}
			continue
		}
		if cur == nil {
			if len(b.clientIDs) >= maxClientsPerConnection {
				b.conn.Close(ws.ClosePolicyViolation, "too many awareness clients on one connection")
				return
			}
			cur = &awareState{owner: b}
			r.awareness[e.clientID] = cur
			b.clientIDs = append(b.clientIDs, e.clientID)
		} else if cur.owner != b {
			cur.owner.dropClient(e.clientID)
			cur.owner = b
			b.clientIDs = append(b.clientIDs, e.clientID)
		}
		if e.clock >= cur.clock {
			cur.clock = e.clock
			cur.state = append(cur.state[:0], e.state...)
		}
		cur.lastSeen = now
	}
	r.broadcastAwareness(payload, batch)
	r.s.publishAwareness(r.name, payload)
}

const maxClientsPerConnection = 64

func (b *binding) dropClient(id uint64) {
	if b == nil {
		return // a client of another instance
	}
	for i, c := range b.clientIDs {
		if c == id {
			b.clientIDs = append(b.clientIDs[:i], b.clientIDs[i+1:]...)
			return
		}
	}
}

// broadcastAwareness relays an awareness update to every client.
func (r *room) broadcastAwareness(update []byte, batch *ws.Batch) {
	body := appendAwarenessMsg(make([]byte, 0, len(update)+6), update)
	var yframe, hframe []byte
	for b := range r.bindings {
		switch {
		case !b.hp:
			if yframe == nil {
				yframe = ws.AppendMessage(nil, body)
			}
			batch.QueueFrame(b.conn, yframe)
		case b.key == r.name:
			if hframe == nil {
				hframe = ws.AppendMessage(nil, append(appendVarString(nil, r.name), body...))
			}
			batch.QueueFrame(b.conn, hframe)
		default:
			batch.QueueParts(b.conn, b.prefix, body)
		}
	}
	r.s.m.bytesOut.Add(float64(len(r.bindings) * len(body)))
}

// removeAwareness tells everyone that these clients are gone: the local
// clients, and with publish the other instances too.
func (r *room) removeAwareness(ids []uint64, publish bool, batch *ws.Batch) {
	var entries []awarenessEntry
	for _, id := range ids {
		if st := r.awareness[id]; st != nil {
			entries = append(entries, awarenessEntry{clientID: id, clock: st.clock + 1, state: nullState})
			delete(r.awareness, id)
		}
	}
	if len(entries) == 0 {
		return
	}
	u := appendAwareness(nil, entries)
	if len(r.bindings) > 0 {
		r.broadcastAwareness(u, batch)
	}
	if publish {
		r.s.publishAwareness(r.name, u)
	}
}

// leave removes a binding; its awareness states go with it.
func (r *room) leave(b *binding, batch *ws.Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.bindings[b]; !ok {
		return
	}
	delete(r.bindings, b)
	for i, w := range r.waiting {
		if w == b {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			break
		}
	}
	if r.state == roomReady && len(b.clientIDs) > 0 {
		var mine []uint64
		for _, id := range b.clientIDs {
			if st := r.awareness[id]; st != nil && st.owner == b {
				mine = append(mine, id)
			}
		}
		b.clientIDs = nil
		r.removeAwareness(mine, true, batch)
	}
	if len(r.bindings) == 0 && r.holds == 0 {
		r.idleSince = time.Now().UnixNano()
		r.fullUpdate = nil
	}
}

// needsCompaction reports whether the committed log after the snapshot is
// long enough to fold (r.mu held); it marks the room so that one
// compaction runs at a time.
func (r *room) needsCompaction() bool {
	if r.compacting || r.state != roomReady {
		return false
	}
	if countAfter(r.logPos, r.snapPos) >= uint64(r.s.cfg.CompactAfterUpdates) || r.logBytes >= r.s.cfg.CompactAfterBytes {
		r.compacting = true
		return true
	}
	return false
}

// countAfter is the number of entries pos includes beyond snap.
func countAfter(pos, snap tandem.LogPosition) uint64 {
	var n uint64
	for w, s := range pos {
		if s > snap[w] {
			n += s - snap[w]
		}
	}
	return n
}

// remoteKey names an entry heard on the bus: its writer and seq.
type remoteKey struct {
	writer string
	seq    uint64
}
