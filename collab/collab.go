// Package collab is Tandem's realtime service: it keeps documents open in
// memory, syncs Yjs clients with them and with each other, and makes every
// edit durable before anyone hears of it.
//
// Two WebSocket dialects share one set of rooms, so clients of either can
// edit the same document together:
//
//   - y-websocket, at {prefix}/{document}: one document per socket, the
//     y-protocols sync, awareness and auth messages; credentials from the
//     ?token= parameter or the session cookie.
//   - Hocuspocus, at {prefix}: one socket, many documents, each message
//     prefixed with the document name; an Auth message per document; the
//     server acknowledges each stored update with SyncStatus.
//
// An incoming update is applied to the room's document (which validates
// it), appended to the durable DocumentLog through the group committer,
// and only once that transaction has committed is it broadcast to the other
// clients and acknowledged to its sender. Everything a room sends that
// depends on document state waits the same way, so nothing a client ever
// sees can be lost by a crash.
//
// Connections live on an epoll event loop (package ws), not a goroutine
// each, so an idle connection costs a few hundred bytes of Go heap.
package collab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
)

// Close codes sent to clients. Clients of both dialects reconnect after a
// close; the code and reason tell them (and their users) why.
const (
	CloseMalformed        = 1007 // undecodable message or update
	CloseUnknownType      = 1003 // message type the server does not know
	CloseStorageFailure   = 1011 // the document log failed; nothing unacknowledged was kept
	CloseRestart          = 1012 // the server is restarting: reconnect
	CloseTryAgain         = 1013 // overloaded or a dependency is down: reconnect later
	CloseForbidden        = 4403 // no permission on the document (or it was revoked)
	CloseTooSlow          = 4408 // the send queue passed its bound: the client does not read
	CloseDocumentTooLarge = 4413 // the update would make the document larger than allowed
	CloseRateLimited      = 4429 // too many updates or awareness messages
)

// Config holds the service's limits and timings. Zero fields take the
// documented defaults.
type Config struct {
	// PathPrefix is where the handler is mounted. Default "/collab".
	PathPrefix string
	// SessionCookie is the name of the session cookie passed to the
	// Authorizer. Default "tandem_session".
	SessionCookie string
	// MaxMessageBytes bounds one WebSocket message. Default 16 MiB.
	MaxMessageBytes int
	// MaxDocumentBytes bounds a document's encoded size (snapshot plus log);
	// an update that would pass it is refused with 4413. Default 256 MiB.
	MaxDocumentBytes int64
	// UpdatesPerSecond and UpdateBurst rate-limit the updates of one
	// connection to one document (token bucket). Defaults 100/s, burst 500
	// (a paste or an offline client's backlog arrives as a burst).
	UpdatesPerSecond float64
	UpdateBurst      int
	// AwarenessPerSecond and AwarenessBurst do the same for awareness
	// messages. Defaults 50/s, burst 200.
	AwarenessPerSecond float64
	AwarenessBurst     int
	// ConnectionsPerDocument bounds a room's clients. Default 1000.
	ConnectionsPerDocument int
	// DocumentsPerConnection bounds the documents one Hocuspocus socket may
	// open. Default 100.
	DocumentsPerConnection int
	// SendQueueBytes bounds the unsent bytes of one connection (shared
	// frames such as a cached initial sync do not count); a client past it
	// is closed with 4408. Default 8 MiB.
	SendQueueBytes int
	// UnloadGrace is how long a document stays loaded after its last client
	// leaves. Default 30 s.
	UnloadGrace time.Duration
	// MemoryBudgetBytes bounds the estimated memory of loaded documents
	// (MemoryPerDocumentByte times their encoded size); past it, documents
	// without clients are unloaded least recently used first, then, if that
	// is not enough, documents with clients (which are closed with 1013 and
	// reconnect). Default 2 GiB.
	MemoryBudgetBytes int64
	// MemoryPerDocumentByte estimates a loaded document's memory from its
	// encoded size. Default 8.
	MemoryPerDocumentByte int64
	// AwarenessTimeout drops the awareness state of a client that has been
	// silent this long (y-protocols clients renew every 15 s). Default 30 s.
	AwarenessTimeout time.Duration
	// CompactAfterUpdates and CompactAfterBytes start a background
	// compaction of a document's log once it holds this many updates or
	// bytes after its snapshot. Defaults 1000 updates, 8 MiB.
	CompactAfterUpdates int
	CompactAfterBytes   int64
	// AuthTimeout bounds one Authorize call. Default 5 s.
	AuthTimeout time.Duration
	// PendingBytes bounds what one document on a connection may send before
	// it is authorized and loaded. Default 1 MiB plus MaxMessageBytes.
	PendingBytes int
	// KeepAlive is how often idle connections get an application-level
	// message so that clients do not time out (both clients reconnect after
	// 30 s without a message). Default 15 s.
	KeepAlive time.Duration
	// Pollers is the number of event-loop goroutines. Default 1.
	Pollers int

	// Bus connects the instances that serve the same documents (see
	// bus.go); nil for a single instance.
	Bus tandem.DocumentBus
	// PollInterval is how often, with a bus, the log's heads are checked
	// for edits the bus did not bring (a safety net). Default 2 s.
	PollInterval time.Duration
	// DownPollInterval is how often they are checked while the bus is
	// down. Default 250 ms.
	DownPollInterval time.Duration
	// PresenceInterval is how often connection counts are exchanged with
	// the other instances. Default 2 s.
	PresenceInterval time.Duration
}

func (c *Config) setDefaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def64 := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	defDur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.PathPrefix == "" {
		c.PathPrefix = "/collab"
	}
	c.PathPrefix = strings.TrimSuffix(c.PathPrefix, "/")
	if c.SessionCookie == "" {
		c.SessionCookie = "tandem_session"
	}
	def(&c.MaxMessageBytes, 16<<20)
	def64(&c.MaxDocumentBytes, 256<<20)
	if c.UpdatesPerSecond <= 0 {
		c.UpdatesPerSecond = 100
	}
	def(&c.UpdateBurst, 500)
	if c.AwarenessPerSecond <= 0 {
		c.AwarenessPerSecond = 50
	}
	def(&c.AwarenessBurst, 200)
	def(&c.ConnectionsPerDocument, 1000)
	def(&c.DocumentsPerConnection, 100)
	def(&c.SendQueueBytes, 8<<20)
	defDur(&c.UnloadGrace, 30*time.Second)
	def64(&c.MemoryBudgetBytes, 2<<30)
	def64(&c.MemoryPerDocumentByte, 8)
	defDur(&c.AwarenessTimeout, 30*time.Second)
	def(&c.CompactAfterUpdates, 1000)
	def64(&c.CompactAfterBytes, 8<<20)
	defDur(&c.AuthTimeout, 5*time.Second)
	def(&c.PendingBytes, 1<<20+c.MaxMessageBytes)
	defDur(&c.KeepAlive, 15*time.Second)
	def(&c.Pollers, 1)
	defDur(&c.PollInterval, 2*time.Second)
	defDur(&c.DownPollInterval, 250*time.Millisecond)
	defDur(&c.PresenceInterval, 2*time.Second)
}

// Server is the realtime service. Create it with New, mount it on the
// HTTP server, and call Shutdown when the process stops.
type Server struct {
	cfg    Config
	log    tandem.DocumentLog
	auth   Authorizer
	logger *slog.Logger
	m      *metrics
	tracer trace.Tracer
	loop   *ws.Loop
	commit *committer

	mu      sync.Mutex
	rooms   map[string]*room
	conns   map[*ws.Conn]*session
	closing bool
	// draining is set by Shutdown: updates that arrive after it are not
	// applied (nor acknowledged); the clients send them again after
	// reconnecting to the next server.
	draining atomic.Bool

	// writer is this server's writer id in the document log, chosen at
	// random when it starts: it numbers its own entries of each document,
	// so that instances sharing a document never race for sequence
	// numbers (see tandem.DocumentLog).
	writer string

	bus     tandem.DocumentBus
	busDown atomic.Bool
	pubQ    chan []tandem.BusMessage
	inbox   chan tandem.BusMessage // bus messages for the receiver

	stop     chan struct{}
	wg       sync.WaitGroup
	compactQ chan string
}

// New starts a Server over the document log. reg may be nil (no metrics
// are exported then); logger may be nil (slog.Default).
func New(cfg Config, log tandem.DocumentLog, auth Authorizer, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if log == nil || auth == nil {
		return nil, errors.New("collab: a DocumentLog and an Authorizer are required")
	}
	cfg.setDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	s := &Server{
		writer:   hex.EncodeToString(id[:]),
		cfg:      cfg,
		log:      log,
		auth:     auth,
		logger:   logger.With("component", "collab"),
		m:        m,
		tracer:   otel.Tracer("github.com/tandem-docs/tandem/collab"),
		rooms:    map[string]*room{},
		conns:    map[*ws.Conn]*session{},
		stop:     make(chan struct{}),
		compactQ: make(chan string, 1024),
	}
	s.loop, err = ws.NewLoop(ws.Config{
		MaxMessageBytes: cfg.MaxMessageBytes,
		SendQueueBytes:  cfg.SendQueueBytes,
		OverflowCode:    CloseTooSlow,
		Pollers:         cfg.Pollers,
	})
	if err != nil {
		return nil, err
	}
	s.commit = newCommitter(s)
	s.wg.Add(3)
	go s.commit.run()
	go s.sweep()
	go s.compactor()
	if cfg.Bus != nil {
		s.bus = cfg.Bus
		s.pubQ = make(chan []tandem.BusMessage, 4096)
		s.inbox = make(chan tandem.BusMessage, 4096)
		s.wg.Add(3)
		go s.receiver()
		s.bus.Listen(s)
		go s.publisher()
		go s.cluster()
	}
	return s, nil
}

// ServeHTTP accepts WebSocket connections: the Hocuspocus dialect at the
// prefix itself and the y-websocket dialect at prefix/{document}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "the realtime service is restarting", http.StatusServiceUnavailable)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.cfg.PathPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	cred := tandem.Credentials{Token: r.URL.Query().Get("token")}
	if c, err := r.Cookie(s.cfg.SessionCookie); err == nil {
		cred.SessionCookie = c.Value
	}
	if rest == "" || rest == "/" {
		s.serveHocuspocus(w, r, cred)
		return
	}
	s.serveYWebsocket(w, r, cred, rest[1:])
}

// validDocument checks a document name from a client.
func validDocument(name string) error {
	switch {
	case name == "":
		return errors.New("empty document name")
	case len(name) > 512:
		return errors.New("document name longer than 512 bytes")
	case !utf8.ValidString(name):
		return errors.New("document name is not valid UTF-8")
	}
	return nil
}

// authorize runs the Authorizer with the configured timeout.
func (s *Server) authorize(ctx context.Context, cred tandem.Credentials, doc string) (Grant, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AuthTimeout)
	defer cancel()
	ctx, span := s.tracer.Start(ctx, "collab.authorize")
	defer span.End()
	return s.auth.Authorize(ctx, cred, doc)
}

// Reauthorize re-checks the permission of every open connection to
// document (every document if it is empty) and applies the answer at once:
// a connection that lost access is closed with 4403 (y-websocket) or told
// PermissionDenied (Hocuspocus); one downgraded to read-only stops having
// its updates applied. The App service calls it when sharing changes.
func (s *Server) Reauthorize(ctx context.Context, document string) {
	s.reauthorize(ctx, func(b *binding) bool { return document == "" || b.doc == document })
}

// ReauthorizeUser does what Reauthorize does for every connection of one
// user (for example after their sessions were revoked).
func (s *Server) ReauthorizeUser(ctx context.Context, userID string) {
	s.reauthorize(ctx, func(b *binding) bool { return b.userID() == userID })
}

func (s *Server) reauthorize(ctx context.Context, match func(*binding) bool) {
	var todo []*binding
	s.mu.Lock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		for b := range r.bindings {
			if match(b) {
				todo = append(todo, b)
			}
		}
		r.mu.Unlock()
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, b := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			acc, err := s.authorize(ctx, b.cred, b.doc)
			if err != nil {
				// Cannot decide: fail closed for this connection; it
				// reconnects and is authorized afresh.
				s.logger.Warn("reauthorize failed", "err", err)
				b.closeWith(CloseTryAgain, "permission check unavailable; reconnect")
				return
			}
			b.applyAccess(acc)
		}()
	}
	wg.Wait()
}

// Shutdown stops accepting connections, waits until every update already
// received is committed and acknowledged, then closes the clients with
// 1012 (they reconnect, to this process's successor) and stops. If ctx
// ends first, what is not committed is not acknowledged either: clients
// keep those edits and send them again on reconnect.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.mu.Unlock()
	s.draining.Store(true)
	err := s.commit.drain(ctx)
	s.loop.CloseAll(CloseRestart, "server restarting")
	for s.loop.Len() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	s.loop.Close()
	close(s.stop)
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("collab: shutdown: %w", err)
	}
	return ctx.Err()
}

// Stats is a point-in-time view of the service, for tests and diagnostics.
type Stats struct {
	Connections     int
	LoadedDocuments int
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Connections: len(s.conns), LoadedDocuments: len(s.rooms)}
}
