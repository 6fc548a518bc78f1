package collab

import (
	"slices"
	"time"

	"github.com/tandem-docs/tandem/collab/ws"
)

// sweep runs the periodic work: awareness expiry, unloading idle
// documents, the memory budget and keep-alive messages.
func (s *Server) sweep() {
	defer s.wg.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastAware, lastKeep := time.Now(), time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			if now.Sub(lastAware) >= time.Second {
				lastAware = now
				s.expireAwareness(now.UnixNano())
			}
			s.unloadIdle(now.UnixNano())
			if now.Sub(lastKeep) >= s.cfg.KeepAlive {
				lastKeep = now
				s.keepAlive()
			}
		}
	}
}

func (s *Server) snapshotRooms() []*room {
	s.mu.Lock()
	defer s.mu.Unlock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// expireAwareness drops the states of clients silent for AwarenessTimeout.
func (s *Server) expireAwareness(now int64) {
	limit := now - int64(s.cfg.AwarenessTimeout)
	for _, r := range s.snapshotRooms() {
		var batch ws.Batch
		r.mu.Lock()
		if r.state == roomReady {
			var mine, others []uint64
			for id, st := range r.awareness {
				if st.lastSeen < limit {
					if st.owner != nil {
						mine = append(mine, id)
					} else {
						others = append(others, id)
					}
					st.owner.dropClient(id)
				}
			}
			r.removeAwareness(mine, true, &batch)
			r.removeAwareness(others, false, &batch)
		}
		r.mu.Unlock()
		batch.Flush()
	}
}

// unloadIdle unloads documents whose last client left more than
// UnloadGrace ago, and enforces the memory budget.
func (s *Server) unloadIdle(now int64) {
	grace := int64(s.cfg.UnloadGrace)
	type cand struct {
		r        *room
		lastUsed int64
		mem      int64
		idle     bool
	}
	var cands []cand
	var total int64
	s.mu.Lock()
	for name, r := range s.rooms {
		r.mu.Lock()
		mem := r.size*s.cfg.MemoryPerDocumentByte + int64(len(r.fullUpdate))
		idle := r.state == roomReady && len(r.bindings) == 0 && r.holds == 0 && len(r.gated) == 0 && len(r.pending) == 0
		if idle && r.idleSince > 0 && now-r.idleSince >= grace {
			r.state = roomClosed
			r.release()
			delete(s.rooms, name)
			if s.bus != nil {
				go s.unsubscribe(name)
			}
			s.m.unloads.WithLabelValues("idle").Inc()
			compact := r.logCount > 0 && !r.compacting
			r.mu.Unlock()
			if compact {
				// Fold the log now so that the next load reads one snapshot.
				select {
				case s.compactQ <- name:
				default:
				}
			}
			continue
		}
		if r.state == roomReady {
			total += mem
			cands = append(cands, cand{r, r.lastUsed, mem, idle})
		}
		r.mu.Unlock()
	}
	s.m.documents.Set(float64(len(s.rooms)))
	s.mu.Unlock()
	if total <= s.cfg.MemoryBudgetBytes {
		return
	}
	// Over budget: unload the least recently used, documents without
	// clients first.
	slices.SortFunc(cands, func(a, b cand) int {
		if a.idle != b.idle {
			if a.idle {
				return -1
			}
			return 1
		}
		return int(a.lastUsed - b.lastUsed)
	})
	for _, c := range cands {
		if total <= s.cfg.MemoryBudgetBytes {
			break
		}
		total -= c.mem
		if c.idle {
			s.mu.Lock()
			c.r.mu.Lock()
			if c.r.state == roomReady && len(c.r.bindings) == 0 && c.r.holds == 0 && len(c.r.pending) == 0 {
				c.r.state = roomClosed
				c.r.release()
				if s.rooms[c.r.name] == c.r {
					delete(s.rooms, c.r.name)
					if s.bus != nil {
						go s.unsubscribe(c.r.name)
					}
				}
				s.m.unloads.WithLabelValues("memory").Inc()
			}
			c.r.mu.Unlock()
			s.m.documents.Set(float64(len(s.rooms)))
			s.mu.Unlock()
			continue
		}
		s.logger.Warn("memory budget exceeded: unloading an open document", "document", c.r.name)
		s.m.unloads.WithLabelValues("memory").Inc()
		c.r.fail(CloseTryAgain, "server memory budget exceeded; reconnect later")
	}
}

// keepAlive sends every connection a message it ignores, because both
// clients reconnect after 30 s without hearing from the server: Hocuspocus
// gets its connection-level Ping, y-websocket an empty awareness update.
func (s *Server) keepAlive() {
	s.mu.Lock()
	conns := make([]*session, 0, len(s.conns))
	for _, sess := range s.conns {
		conns = append(conns, sess)
	}
	s.mu.Unlock()
	var batch ws.Batch
	ping := []byte{msgPing}
	empty := []byte{msgAwareness, 1, 0}
	for _, sess := range conns {
		if sess.hp {
			batch.Queue(sess.conn, ping)
		} else {
			batch.Queue(sess.conn, empty)
		}
		if batch.Len() >= 256 {
			batch.Flush()
		}
	}
	batch.Flush()
}
