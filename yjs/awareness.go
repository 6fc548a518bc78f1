package yjs

import (
	"sort"
	"time"
)

// Awareness messages and state (y-protocols/awareness.js): ephemeral
// per-client state such as cursors and user names, each with a clock.

// AwarenessState is one client's entry in an awareness update. State is
// JSON text; "null" means the client's state was removed.
type AwarenessState struct {
	ClientID uint64
	Clock    uint64
	State    []byte
}

// EncodeAwarenessUpdate encodes states as an awareness update.
func EncodeAwarenessUpdate(states []AwarenessState) []byte {
	n := 1
	for _, s := range states {
		n += 16 + len(s.State)
	}
	b := AppendVarUint(make([]byte, 0, n), uint64(len(states)))
	for _, s := range states {
		b = AppendVarUint(b, s.ClientID)
		b = AppendVarUint(b, s.Clock)
		b = AppendVarBytes(b, s.State)
	}
	return b
}

// DecodeAwarenessUpdate decodes an awareness update. Each state must be
// valid JSON, as y-protocols parses it.
func DecodeAwarenessUpdate(b []byte) ([]AwarenessState, error) {
	r := reader{b: b}
	n := r.count(3)
	states := make([]AwarenessState, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		c := r.varUint()
		clock := r.varUint()
		s := r.varString()
		if r.err != nil {
			break
		}
		if _, err := parseJSON(s); err != nil {
			return nil, err
		}
		states = append(states, AwarenessState{ClientID: c, Clock: clock, State: []byte(s)})
	}
	if r.err != nil {
		return nil, r.err
	}
	return states, nil
}

// OutdatedTimeout is how long a remote state lives without renewal, and
// twice the interval at which the local state is renewed.
const OutdatedTimeout = 30 * time.Second

// Awareness holds the awareness states known to one peer with yjs's clock
// rules. It starts no goroutines: call Check periodically (y-protocols does
// every 3 s) to renew the local state and drop outdated remote ones.
// Awareness is not safe for concurrent use.
type Awareness struct {
	clientID uint64
	states   map[uint64]awarenessEntry
	meta     map[uint64]awarenessMeta
	onChange []*awarenessHandler
	onUpdate []*awarenessHandler
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

type awarenessEntry struct {
	json  []byte
	value any
}

type awarenessMeta struct {
	clock       uint64
	lastUpdated time.Time
}

// AwarenessChange lists the clients whose states were added, updated and
// removed.
type AwarenessChange struct {
	Added, Updated, Removed []uint64
}

type awarenessHandler struct {
	fn func(AwarenessChange, any)
}

// NewAwareness returns the awareness of the peer clientID, with no local
// state (a server's view). Unlike y-protocols, which starts every peer with
// the state {}, call SetLocalState to announce one.
func NewAwareness(clientID uint64) *Awareness {
	return &Awareness{
		clientID: clientID,
		states:   map[uint64]awarenessEntry{},
		meta:     map[uint64]awarenessMeta{},
		Now:      time.Now,
	}
}

// ClientID returns the local client id.
func (a *Awareness) ClientID() uint64 { return a.clientID }

// OnChange registers fn for changes of states' content (y-protocols
// "change"); origin is "local", "timeout" or what Apply was given.
func (a *Awareness) OnChange(fn func(c AwarenessChange, origin any)) (unsubscribe func()) {
	h := &awarenessHandler{fn}
	a.onChange = append(a.onChange, h)
	return func() { a.onChange = removeHandler(a.onChange, h) }
}

// OnUpdate registers fn for every accepted state, changed or merely
// renewed (y-protocols "update"); use it to forward updates.
func (a *Awareness) OnUpdate(fn func(c AwarenessChange, origin any)) (unsubscribe func()) {
	h := &awarenessHandler{fn}
	a.onUpdate = append(a.onUpdate, h)
	return func() { a.onUpdate = removeHandler(a.onUpdate, h) }
}

func (a *Awareness) emit(hs []*awarenessHandler, c AwarenessChange, origin any) {
	for _, h := range hs {
		h.fn(c, origin)
	}
}

// LocalState returns the local state as JSON, or nil if there is none.
func (a *Awareness) LocalState() []byte {
	if e, ok := a.states[a.clientID]; ok {
		return e.json
	}
	return nil
}

// SetLocalState sets the local state to the JSON text state; nil or
// "null" removes it.
func (a *Awareness) SetLocalState(state []byte) error {
	var value any
	isNull := state == nil || string(state) == "null"
	if !isNull {
		v, err := parseJSON(string(state))
		if err != nil {
			return err
		}
		value = v
	}
	id := a.clientID
	var clock uint64
	if m, ok := a.meta[id]; ok {
		clock = m.clock + 1
	}
	prev, hadPrev := a.states[id]
	if isNull {
		delete(a.states, id)
	} else {
		a.states[id] = awarenessEntry{json: append([]byte(nil), state...), value: value}
	}
	a.meta[id] = awarenessMeta{clock: clock, lastUpdated: a.Now()}
	var c, filtered AwarenessChange
	switch {
	case isNull:
		c.Removed = []uint64{id}
		filtered.Removed = c.Removed
	case !hadPrev:
		c.Added = []uint64{id}
		filtered.Added = c.Added
	default:
		c.Updated = []uint64{id}
		if !equalAny(prev.value, value) {
			filtered.Updated = c.Updated
		}
	}
	if len(filtered.Added)+len(filtered.Updated)+len(filtered.Removed) > 0 {
		a.emit(a.onChange, filtered, "local")
	}
	a.emit(a.onUpdate, c, "local")
	return nil
}

// States returns every known state as JSON, by client id.
func (a *Awareness) States() map[uint64][]byte {
	out := make(map[uint64][]byte, len(a.states))
	for id, e := range a.states {
		out[id] = e.json
	}
	return out
}

// Clock returns the clock known for a client, and whether any is known.
func (a *Awareness) Clock(clientID uint64) (uint64, bool) {
	m, ok := a.meta[clientID]
	return m.clock, ok
}

// Encode encodes the states of clients (all known states when clients is
// nil) as an awareness update. Clients without state are encoded as null,
// which tells peers they left.
func (a *Awareness) Encode(clients []uint64) []byte {
	if clients == nil {
		for id := range a.states {
			clients = append(clients, id)
		}
		sort.Slice(clients, func(i, j int) bool { return clients[i] < clients[j] })
	}
	states := make([]AwarenessState, 0, len(clients))
	for _, id := range clients {
		m, ok := a.meta[id]
		if !ok {
			continue
		}
		s := []byte("null")
		if e, ok := a.states[id]; ok {
			s = e.json
		}
		states = append(states, AwarenessState{ClientID: id, Clock: m.clock, State: s})
	}
	return EncodeAwarenessUpdate(states)
}

// Apply applies an awareness update with y-protocols' rules: a state is
// accepted when its clock is newer, or equal and it removes the state. A
// remote removal of the local state is refused by bumping the local clock.
func (a *Awareness) Apply(update []byte, origin any) error {
	states, err := DecodeAwarenessUpdate(update)
	if err != nil {
		return err
	}
	now := a.Now()
	var c, filtered AwarenessChange
	for _, s := range states {
		isNull := string(s.State) == "null"
		var value any
		if !isNull {
			value, _ = parseJSON(string(s.State))
		}
		m, known := a.meta[s.ClientID]
		prev, hadState := a.states[s.ClientID]
		var curClock uint64
		if known {
			curClock = m.clock
		}
		clock := s.Clock
		if !(curClock < clock || (curClock == clock && isNull && hadState)) {
			continue
		}
		if isNull {
			if s.ClientID == a.clientID && a.LocalState() != nil {
				// Never let a remote peer remove the local state; announce
				// that this client still exists.
				clock++
			} else {
				delete(a.states, s.ClientID)
			}
		} else {
			a.states[s.ClientID] = awarenessEntry{json: append([]byte(nil), s.State...), value: value}
		}
		a.meta[s.ClientID] = awarenessMeta{clock: clock, lastUpdated: now}
		switch {
		case !known && !isNull:
			c.Added = append(c.Added, s.ClientID)
			filtered.Added = append(filtered.Added, s.ClientID)
		case known && isNull:
			c.Removed = append(c.Removed, s.ClientID)
			filtered.Removed = append(filtered.Removed, s.ClientID)
		case !isNull:
			if !hadState || !equalAny(value, prev.value) {
				filtered.Updated = append(filtered.Updated, s.ClientID)
			}
			c.Updated = append(c.Updated, s.ClientID)
		}
	}
	if len(filtered.Added)+len(filtered.Updated)+len(filtered.Removed) > 0 {
		a.emit(a.onChange, filtered, origin)
	}
	if len(c.Added)+len(c.Updated)+len(c.Removed) > 0 {
		a.emit(a.onUpdate, c, origin)
	}
	return nil
}

// RemoveStates removes the states of clients (y-protocols
// removeAwarenessStates), e.g. when their connection closes.
func (a *Awareness) RemoveStates(clients []uint64, origin any) {
	var removed []uint64
	for _, id := range clients {
		if _, ok := a.states[id]; !ok {
			continue
		}
		delete(a.states, id)
		if id == a.clientID {
			m := a.meta[id]
			a.meta[id] = awarenessMeta{clock: m.clock + 1, lastUpdated: a.Now()}
		}
		removed = append(removed, id)
	}
	if len(removed) > 0 {
		c := AwarenessChange{Removed: removed}
		a.emit(a.onChange, c, origin)
		a.emit(a.onUpdate, c, origin)
	}
}

// Check renews the local state when half the timeout has passed and
// removes remote states not renewed within OutdatedTimeout (y-protocols'
// interval handler). It returns the removed clients.
func (a *Awareness) Check() []uint64 {
	now := a.Now()
	if local := a.LocalState(); local != nil {
		if m := a.meta[a.clientID]; now.Sub(m.lastUpdated) >= OutdatedTimeout/2 {
			_ = a.SetLocalState(local)
		}
	}
	var remove []uint64
	for id, m := range a.meta {
		if id == a.clientID {
			continue
		}
		if _, ok := a.states[id]; ok && now.Sub(m.lastUpdated) >= OutdatedTimeout {
			remove = append(remove, id)
		}
	}
	sort.Slice(remove, func(i, j int) bool { return remove[i] < remove[j] })
	if len(remove) > 0 {
		a.RemoveStates(remove, "timeout")
	}
	return remove
}
