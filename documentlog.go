package tandem

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DocumentLog is the durable store of document content: for each document,
// the latest snapshot (a Yjs update that encodes the whole document as of
// some LogPosition) and the log of Yjs updates appended after it.
//
// The realtime service acknowledges an edit only after Append has returned
// nil for it, so an implementation must not return before the entries are
// committed durably (fsync on one machine, the primary's commit on a
// replicated database). A document's content is its snapshot followed by its
// updates.
//
// Every writer (a realtime instance, a headless engine) has a writer id of
// its own, chosen at random when it starts, and numbers its own updates of
// each document 1, 2, 3...: an entry is keyed by (document, writer, seq).
// Several instances that serve one document therefore never collide and
// never wait for each other: there is no single sequence of a document to
// race for. Yjs updates commute, so the content does not depend on how the
// writers' entries interleave. A reader's place in a document is a
// LogPosition, the last seq it has of each writer.
//
// An entry whose seq is not above every seq already stored for its
// (document, writer) (snapshot included) collides: a writer that retries an
// append which had in fact committed (the commit's reply was lost) gets a
// *SeqConflictError for that document instead of storing its updates twice,
// and then reads back what the log holds of its own and continues after it.
//
// Logs written before writer ids existed load with every entry under the
// writer "" (the legacy writer); a writer never uses "" for new entries.
//
// Document keys are opaque, non-empty strings; callers authorize before they
// touch the log.
type DocumentLog interface {
	// Append stores a batch of updates, possibly of many documents and
	// writers, in one transaction. It returns nil only when every entry is
	// durable. The entries of one (document, writer) must have increasing
	// seqs (ErrInvalid otherwise, and nothing is stored). If the entries
	// of some documents collide with what is already stored, none of those
	// documents' entries are stored, the other documents' entries are
	// (durably), and the error is a *SeqConflictError naming the documents
	// not stored.
	Append(ctx context.Context, entries []LogEntry) error

	// Load returns a document's snapshot and every update stored after it.
	// A document that was never written has an empty state (no snapshot,
	// no updates, an empty Position) and no error.
	Load(ctx context.Context, document string) (DocumentState, error)

	// Compact replaces the document's snapshot with snapshot, which must
	// contain every update at or below position through, and deletes
	// exactly those updates, atomically: a reader sees either the old
	// snapshot and log or the new ones. through must cover the current
	// snapshot's position (a snapshot never goes back) and must not be
	// above what is stored of any writer (ErrConflict otherwise); updates
	// beyond through, of any writer, stay in the log.
	//
	// Compact also forgets the writers that are done with the document:
	// one whose entries are all at or below through and that has appended
	// nothing to it for WriterIdle leaves the snapshot's position and
	// Heads. Every instance start brings a new writer id, so without this a
	// document's position would grow by one writer per start, forever. A
	// forgotten writer that appends again (an instance idle for that long)
	// goes on with its next seq; a reader that no longer has the writer in
	// its position sees a gap and reads the log once. A compaction that
	// forgets writers raises the snapshot position's ForgottenWriters
	// count, so that no position that lacks it covers the snapshot: a
	// reader that never had a forgotten writer's entries gets them, in
	// the snapshot, from its next ReadSince.
	Compact(ctx context.Context, document string, through LogPosition, snapshot []byte) error

	// ReadSince returns what was stored for document beyond position
	// after: the updates of every writer with a higher seq than after
	// holds for it. If the log was compacted past after (the snapshot's
	// position is not covered by after), the snapshot is returned too and
	// the updates are those beyond both; otherwise Snapshot is nil and
	// SnapshotPosition empty. An instance that learns it is behind (another
	// instance appended to a document it serves) catches up with it
	// without reloading the whole document.
	ReadSince(ctx context.Context, document string, after LogPosition) (DocumentState, error)

	// Heads returns the position of the last stored entries (snapshot
	// included) of each of documents; documents never written are absent.
	// It lets an instance find, in one query, which of its documents others
	// wrote.
	Heads(ctx context.Context, documents []string) (map[string]LogPosition, error)

	// Delete removes a document's snapshot and log. Deleting a document that
	// does not exist is not an error.
	Delete(ctx context.Context, document string) error
}

// WriterIdle is how long a writer must have appended nothing to a
// document before Compact forgets it (see DocumentLog.Compact). It is far
// longer than any retry of an append (a retry must still find its
// committed first attempt, to not store it twice) and short enough that
// positions stay a handful of writers: those of the instances running.
const WriterIdle = time.Hour

// ForgottenWriters is the writer key, in a snapshot's position, that
// counts the compactions of the document that forgot writers (see
// DocumentLog.Compact). No writer has it: Append refuses it.
const ForgottenWriters = "\x00forgotten"

// LogEntry is one update of one document by one writer.
type LogEntry struct {
	Document string
	Writer   string // "" only for entries stored before writer ids existed
	Seq      uint64 // the writer's own counter for the document, from 1
	Update   []byte // a Yjs update, format v1
}

// LogPosition is a place in a document's log: for each writer, the last
// seq included. A writer absent from it counts as 0 (nothing of it). It is
// a small map (one key per writer that ever wrote the document since its
// last snapshot, plus those folded into the snapshot).
type LogPosition map[string]uint64

// Covers reports whether p includes everything q does.
func (p LogPosition) Covers(q LogPosition) bool {
	for w, s := range q {
		if p[w] < s {
			return false
		}
	}
	return true
}

// Clone returns a copy of p (never nil).
func (p LogPosition) Clone() LogPosition {
	c := make(LogPosition, len(p))
	for w, s := range p {
		c[w] = s
	}
	return c
}

// Advance moves p to at least seq for writer (p must not be nil).
func (p LogPosition) Advance(writer string, seq uint64) {
	if seq > p[writer] {
		p[writer] = seq
	}
}

// Merge advances p to include q (p must not be nil).
func (p LogPosition) Merge(q LogPosition) {
	for w, s := range q {
		p.Advance(w, s)
	}
}

// Count is the number of entries p includes (the sum of its seqs): how
// many updates were appended up to it.
func (p LogPosition) Count() uint64 {
	var n uint64
	for _, s := range p {
		n += s
	}
	return n
}

// DocumentState is what Load and ReadSince return.
type DocumentState struct {
	// Snapshot encodes the document up to and including SnapshotPosition,
	// or is nil if the document was never compacted (or, from ReadSince, if
	// the reader's position covers the snapshot).
	Snapshot         []byte
	SnapshotPosition LogPosition
	// Updates are the updates beyond SnapshotPosition: each writer's in
	// increasing seq order, and the writers' interleaved in the order they
	// were stored (an update comes after those stored before it, which
	// is all it can depend on).
	Updates []LogEntry
}

// Position is the position the state reaches: its snapshot's and every
// update's. It is never nil.
func (s DocumentState) Position() LogPosition {
	p := s.SnapshotPosition.Clone()
	for _, u := range s.Updates {
		p.Advance(u.Writer, u.Seq)
	}
	return p
}

// Size is the number of bytes the state takes encoded: the snapshot plus
// every update in the log.
func (s DocumentState) Size() int64 {
	n := int64(len(s.Snapshot))
	for _, u := range s.Updates {
		n += int64(len(u.Update))
	}
	return n
}

// SeqConflictError reports that an Append collided with sequence numbers
// that are already stored for the same writer: in normal operation never,
// since every writer numbers its own entries; it means a retried append had
// in fact committed (or two processes share a writer id). It matches
// ErrConflict with errors.Is.
type SeqConflictError struct {
	Documents []string // the documents whose entries collided, sorted
}

func (e *SeqConflictError) Error() string {
	return fmt.Sprintf("document log: sequence conflict in %d document(s): %s", len(e.Documents), strings.Join(e.Documents, ", "))
}

// Is makes errors.Is(err, ErrConflict) true for a *SeqConflictError.
func (e *SeqConflictError) Is(target error) bool { return target == ErrConflict }

// DocumentBus connects the realtime instances that serve the same
// documents. It is a doorbell, not a store: the DocumentLog stays the one
// source of truth. After an instance appends updates to the log it
// publishes them on the bus so that the other instances with clients on the
// document apply them at once instead of discovering them in the log;
// awareness (cursors, presence), which is never stored, travels only here.
//
// Delivery is best effort: messages can be lost (the bus restarts, a
// subscriber is slow), so receivers detect gaps by each writer's sequence
// numbers and read
// the log, and when the bus reports that it is back after being down they
// catch up from the log. An instance never receives its own messages.
//
// The embedded deployment (one instance) has no bus; package redis
// implements it for a fleet.
type DocumentBus interface {
	// Listen sets the receiver of messages and status changes. It is
	// called once, before Subscribe.
	Listen(l BusListener)
	// Subscribe starts delivering the messages published about documents.
	Subscribe(ctx context.Context, documents ...string) error
	// Unsubscribe stops it.
	Unsubscribe(ctx context.Context, documents ...string) error
	// Publish sends messages to the other instances subscribed to their
	// documents. A nil error does not mean they were delivered.
	Publish(ctx context.Context, msgs ...BusMessage) error
	// Presence records how many connections this instance has to each
	// document (a document absent from local: none) and returns how many the
	// other live instances have to the same documents. Counts of an instance
	// that stops refreshing them expire within seconds.
	Presence(ctx context.Context, local map[string]int) (others map[string]int, err error)
}

// BusListener receives what a DocumentBus delivers. Its methods must not
// block for long: they run on the bus's receiving goroutine.
type BusListener interface {
	BusMessage(m BusMessage)
	// BusStatus reports the bus going down (err != nil) or coming back
	// (nil). Messages published while it was down are lost.
	BusStatus(err error)
}

// BusMessage is one message about one document: updates the sender
// appended to the log as Writer (Seq is the sequence number of the first,
// the others follow one by one), or an awareness update (y-protocols
// encoding).
type BusMessage struct {
	Document  string
	Writer    string
	Seq       uint64
	Updates   [][]byte
	Awareness []byte
}

// Validate checks what every document log requires of an entry it stores.
func (e LogEntry) Validate() error {
	switch {
	case e.Document == "":
		return Invalid("document", "empty document key")
	case e.Writer == ForgottenWriters:
		return Invalid("writer", "a reserved writer key")
	case e.Seq == 0:
		return Invalid("seq", "sequence numbers start at 1")
	case e.Seq > 1<<63-1:
		return Invalid("seq", "sequence number out of range")
	case len(e.Update) == 0:
		return Invalid("update", "empty update")
	}
	return nil
}

// Validate checks that p's seqs fit the databases' signed 64-bit columns;
// field names p in the error.
func (p LogPosition) Validate(field string) error {
	for _, s := range p {
		if s > 1<<63-1 {
			return Invalid(field, "sequence number out of range")
		}
	}
	return nil
}
