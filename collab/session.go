package collab

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
)

// session is the state of one WebSocket connection: one binding for
// y-websocket, one per opened document for Hocuspocus.
type session struct {
	s    *Server
	hp   bool
	cred tandem.Credentials
	conn *ws.Conn

	mu     sync.Mutex
	docs   map[string]*binding // Hocuspocus: by routing key
	denied map[string]bool     // Hocuspocus: keys told PermissionDenied
	yws    *binding
	closed bool
}

// binding is one connection's membership of one document.
type binding struct {
	s    *Server
	sess *session
	conn *ws.Conn
	hp   bool
	key  string // Hocuspocus routing key (the name as the client sent it)
	doc  string // document key
	cred tandem.Credentials
	// prefix is the Hocuspocus message prefix (the var-string key); nil
	// for y-websocket.
	prefix []byte

	mu           sync.Mutex
	grant        Grant
	ready        bool     // joined a loaded room: messages go straight to it
	pending      [][]byte // messages that arrived before that
	pendingBytes int
	gone         bool
	room         *room
	toldReadOnly bool

	// Room-locked state.
	updates   bucket
	aware     bucket
	clientIDs []uint64 // awareness clients this connection announced
	lastSeen  int64
}

func (b *binding) userID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.grant.UserID
}

func (b *binding) access() tandem.Access {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.grant.Access
}

// handler adapts the Server to ws.Handler.
type handler struct{ s *Server }

func (s *Server) serveYWebsocket(w http.ResponseWriter, r *http.Request, cred tandem.Credentials, doc string) {
	if err := validDocument(doc); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	acc, aerr := s.authorize(r.Context(), cred, doc)
	sess := &session{s: s, cred: cred}
	b := &binding{s: s, sess: sess, doc: doc, key: doc, cred: cred, grant: acc}
	b.initBuckets()
	sess.yws = b
	c, err := s.loop.Upgrade(w, r, handler{s}, sess)
	if err != nil {
		return
	}
	sess.conn, b.conn = c, c
	s.connOpened(sess)
	switch {
	case aerr != nil:
		s.logger.Warn("authorize failed", "err", aerr)
		c.Close(CloseTryAgain, "permission check unavailable; reconnect later")
		return
	case acc.Access == tandem.AccessNone:
		c.Close(CloseForbidden, "permission denied")
		return
	}
	s.join(b)
}

func (s *Server) serveHocuspocus(w http.ResponseWriter, r *http.Request, cred tandem.Credentials) {
	// The token comes per document in Auth messages; the cookie applies to all.
	sess := &session{s: s, hp: true, cred: tandem.Credentials{SessionCookie: cred.SessionCookie}, docs: map[string]*binding{}}
	c, err := s.loop.Upgrade(w, r, handler{s}, sess)
	if err != nil {
		return
	}
	sess.mu.Lock()
	sess.conn = c
	sess.mu.Unlock()
	s.connOpened(sess)
}

func (s *Server) connOpened(sess *session) {
	s.mu.Lock()
	s.conns[sess.conn] = sess
	s.mu.Unlock()
	dialect := "y-websocket"
	if sess.hp {
		dialect = "hocuspocus"
	}
	s.m.connections.WithLabelValues(dialect).Inc()
}

// Message implements ws.Handler, on the loop goroutine.
func (h handler) Message(c *ws.Conn, msg []byte, batch *ws.Batch) {
	sess := c.Session().(*session)
	h.s.m.bytesIn.Add(float64(len(msg)))
	if !sess.hp {
		sess.yws.deliver(msg, batch)
		return
	}
	sess.hocuspocus(c, msg, batch)
}

// Closed implements ws.Handler.
func (h handler) Closed(c *ws.Conn, err *ws.CloseError) {
	sess := c.Session().(*session)
	s := h.s
	sess.mu.Lock()
	sess.closed = true
	var bs []*binding
	if sess.yws != nil {
		bs = append(bs, sess.yws)
	}
	for _, b := range sess.docs {
		bs = append(bs, b)
	}
	sess.docs = nil
	sess.mu.Unlock()
	var batch ws.Batch
	for _, b := range bs {
		b.leave(&batch)
	}
	batch.Flush()
	s.mu.Lock()
	_, known := s.conns[c]
	delete(s.conns, c)
	s.mu.Unlock()
	if known {
		dialect := "y-websocket"
		if sess.hp {
			dialect = "hocuspocus"
		}
		s.m.connections.WithLabelValues(dialect).Dec()
	}
	if err != nil && !err.Remote && err.Code != CloseRestart && err.Code != ws.CloseNormal {
		s.logger.Debug("connection closed", "code", err.Code, "reason", err.Reason)
	}
}

// hocuspocus routes one message of a Hocuspocus socket.
func (sess *session) hocuspocus(c *ws.Conn, msg []byte, batch *ws.Batch) {
	s := sess.s
	if len(msg) == 1 {
		// Connection-level ping and pong carry no document name.
		switch msg[0] {
		case msgPing:
			batch.Queue(c, []byte{msgPong})
			return
		case msgPong:
			return
		}
	}
	key, body, err := readVarString(msg)
	if err != nil {
		c.Close(CloseMalformed, "malformed message: "+err.Error())
		return
	}
	typ, rest, err := readVarUint(body)
	if err != nil {
		c.Close(CloseMalformed, "malformed message: "+err.Error())
		return
	}
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return
	}
	b := sess.docs[key]
	if typ == msgAuth {
		authType, rest2, err := readVarUint(rest)
		if err != nil || authType != authToken {
			sess.mu.Unlock()
			c.Close(CloseMalformed, "malformed auth message")
			return
		}
		token, _, err := readVarString(rest2)
		if err != nil {
			sess.mu.Unlock()
			c.Close(CloseMalformed, "malformed auth message: "+err.Error())
			return
		}
		if b != nil {
			// Already authenticated (or authenticating): a provider that
			// was recreated quickly. Nothing to do.
			sess.mu.Unlock()
			return
		}
		doc, _, _ := strings.Cut(key, "\x00") // sessionAwareness keys are name\0session
		if err := validDocument(doc); err != nil {
			sess.mu.Unlock()
			c.Close(CloseMalformed, err.Error())
			return
		}
		if len(sess.docs) >= s.cfg.DocumentsPerConnection {
			sess.mu.Unlock()
			c.Close(CloseTryAgain, "too many documents on one connection")
			return
		}
		cred := tandem.Credentials{Token: token, SessionCookie: sess.cred.SessionCookie}
		b = &binding{s: s, sess: sess, conn: c, hp: true, key: key, doc: doc, cred: cred,
			prefix: appendVarString(nil, key)}
		b.initBuckets()
		sess.docs[key] = b
		delete(sess.denied, key)
		sess.mu.Unlock()
		go s.authorizeHocuspocus(b)
		return
	}
	if b == nil {
		denied := sess.denied[key]
		sess.mu.Unlock()
		if typ == msgClose || denied {
			// A provider whose document was denied keeps sending (its
			// awareness, say) until it is destroyed; it was told already.
			return
		}
		// Hocuspocus clients authenticate a document before anything else.
		c.Close(CloseForbidden, "message for a document that was not authenticated")
		return
	}
	if typ == msgClose {
		delete(sess.docs, key)
		sess.mu.Unlock()
		b.leave(batch)
		return
	}
	sess.mu.Unlock()
	b.deliver(body, batch)
}

// deny removes a Hocuspocus binding from its session after telling the
// client PermissionDenied, and remembers the key so that the client's
// further messages for it are ignored.
func (b *binding) deny() {
	b.sess.mu.Lock()
	if b.sess.docs[b.key] == b {
		delete(b.sess.docs, b.key)
	}
	if b.sess.denied == nil {
		b.sess.denied = map[string]bool{}
	}
	if len(b.sess.denied) < 1024 {
		b.sess.denied[b.key] = true
	}
	b.sess.mu.Unlock()
}

func (s *Server) authorizeHocuspocus(b *binding) {
	acc, err := s.authorize(context.Background(), b.cred, b.doc)
	if err != nil {
		s.logger.Warn("authorize failed", "err", err)
		b.conn.Close(CloseTryAgain, "permission check unavailable; reconnect later")
		return
	}
	if acc.Access == tandem.AccessNone {
		b.deny()
		b.mu.Lock()
		b.gone = true
		b.pending = nil
		b.mu.Unlock()
		b.conn.Send(b.authMessage(authPermissionDenied, "permission-denied"))
		return
	}
	b.mu.Lock()
	b.grant = acc
	b.mu.Unlock()
	b.conn.Send(b.authMessage(authAuthenticated, scope(acc.Access)))
	s.join(b)
}

func scope(p tandem.Access) string {
	if p == tandem.AccessReadWrite {
		return "read-write"
	}
	return "readonly"
}

func (b *binding) authMessage(typ uint64, text string) []byte {
	m := append([]byte(nil), b.prefix...)
	m = append(m, msgAuth)
	m = appendVarUint(m, typ)
	return appendVarString(m, text)
}

// deliver hands one message body (after any document prefix) to the room,
// or queues it until the binding is authorized and its room loaded.
func (b *binding) deliver(body []byte, batch *ws.Batch) {
	b.mu.Lock()
	if b.gone {
		b.mu.Unlock()
		return
	}
	if !b.ready {
		if b.pendingBytes+len(body) > b.s.cfg.PendingBytes {
			b.mu.Unlock()
			b.conn.Close(ws.ClosePolicyViolation, "too much data before the document was ready")
			return
		}
		b.pending = append(b.pending, append([]byte(nil), body...))
		b.pendingBytes += len(body)
		b.mu.Unlock()
		return
	}
	r := b.room
	b.mu.Unlock()
	r.handle(b, body, batch)
}

// activate processes what queued up while the binding was not ready, then
// lets messages through directly. Messages arriving meanwhile queue behind.
func (b *binding) activate(batch *ws.Batch) {
	for {
		b.mu.Lock()
		if b.gone {
			b.pending = nil
			b.mu.Unlock()
			return
		}
		if len(b.pending) == 0 {
			b.ready = true
			b.mu.Unlock()
			return
		}
		msgs := b.pending
		b.pending, b.pendingBytes = nil, 0
		r := b.room
		b.mu.Unlock()
		for _, m := range msgs {
			r.handle(b, m, batch)
		}
	}
}

// leave detaches the binding from its room.
func (b *binding) leave(batch *ws.Batch) {
	b.mu.Lock()
	if b.gone {
		b.mu.Unlock()
		return
	}
	b.gone = true
	b.pending = nil
	r := b.room
	b.mu.Unlock()
	if r != nil {
		r.leave(b, batch)
	}
}

// closeWith ends the binding with a close code. For y-websocket that
// closes the socket; a Hocuspocus socket carries other documents, so a
// permission loss only ends this document, and other failures close the
// socket (the client reconnects and re-syncs every document).
func (b *binding) closeWith(code int, reason string) {
	if b.hp && code == CloseForbidden {
		b.deny()
		var batch ws.Batch
		b.leave(&batch)
		batch.Flush()
		b.conn.Send(b.authMessage(authPermissionDenied, reason))
		return
	}
	b.conn.Close(code, reason)
}

// applyAccess applies a re-authorization.
func (b *binding) applyAccess(acc Grant) {
	if acc.Access == tandem.AccessNone {
		b.closeWith(CloseForbidden, "permission revoked")
		return
	}
	b.mu.Lock()
	changed := b.grant.Access != acc.Access
	b.grant = acc
	b.toldReadOnly = false
	gone := b.gone
	b.mu.Unlock()
	if changed && b.hp && !gone {
		b.conn.Send(b.authMessage(authAuthenticated, scope(acc.Access)))
	}
}

// bucket is a token-bucket rate limiter (room-locked).
type bucket struct {
	tokens float64
	last   int64
	rate   float64
	burst  float64
}

func (b *binding) initBuckets() {
	cfg := &b.s.cfg
	now := time.Now().UnixNano()
	b.updates = bucket{tokens: float64(cfg.UpdateBurst), last: now, rate: cfg.UpdatesPerSecond, burst: float64(cfg.UpdateBurst)}
	b.aware = bucket{tokens: float64(cfg.AwarenessBurst), last: now, rate: cfg.AwarenessPerSecond, burst: float64(cfg.AwarenessBurst)}
}

func (k *bucket) allow(now int64) bool {
	k.tokens = min(k.burst, k.tokens+float64(now-k.last)/1e9*k.rate)
	k.last = now
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}
