package tandem

import (
	"context"
	"fmt"
	"strings"
)

// DocumentLog is the durable store of document content: for each document,
// the latest snapshot (a Yjs update that encodes the whole document as of
// some sequence number) and the log of Yjs updates appended after it.
//
// The realtime service acknowledges an edit only after Append has returned
// nil for it, so an implementation must not return before the entries are
// committed durably (fsync on one machine, the primary's commit on a
// replicated database). A document's content is its snapshot followed by its
// updates in sequence order.
//
// Sequence numbers are chosen by the writer, one per update, increasing
// per document (the service uses s+1 after the last stored seq s). An entry
// whose seq is not above every seq already stored for its document
// (snapshot included) collides. Letting the writer choose them makes a
// second writer of the same document visible: its append fails with a
// *SeqConflictError instead of silently interleaving with the first.
//
// Document keys are opaque, non-empty strings; callers authorize before they
// touch the log.
type DocumentLog interface {
	// Append stores a batch of updates, possibly of many documents, in one
	// transaction. It returns nil only when every entry is durable. The
	// entries of one document must have increasing seqs (ErrInvalid
	// otherwise, and nothing is stored). If the entries of some documents
	// collide with what is already stored, none of those documents' entries
	// are stored, the other documents' entries are (durably), and the error
	// is a *SeqConflictError naming the documents not stored. Several
	// instances append to the documents they share this way without one
	// document's race holding back the others of the batch.
	Append(ctx context.Context, entries []LogEntry) error

	// Load returns a document's snapshot and every update stored after it,
	// in sequence order. A document that was never written has an empty
	// state (no snapshot, no updates, Seq 0) and no error.
	Load(ctx context.Context, document string) (DocumentState, error)

	// Compact replaces the document's snapshot with snapshot, which must
	// contain every update up to and including seq through, and deletes those
	// updates, atomically: a reader sees either the old snapshot and log or
	// the new ones. through must not be below the current snapshot's seq nor
	// above the last stored update (ErrConflict otherwise); updates after
	// through stay in the log.
	Compact(ctx context.Context, document string, through uint64, snapshot []byte) error

	// ReadSince returns what was stored for document after sequence number
	// after: the updates with a higher seq, in order. If the log was
	// compacted past after (the snapshot's seq is above it), the snapshot is
	// returned too and the updates are those after the snapshot; otherwise
	// Snapshot is nil and SnapshotSeq 0. An instance that learns it is behind
	// (another instance appended to a document it serves) catches up with
	// it without reloading the whole document.
	ReadSince(ctx context.Context, document string, after uint64) (DocumentState, error)

	// Heads returns the last stored sequence number of each of documents
	// (snapshot included); documents never written are absent. It lets an
	// instance find, in one query, which of its documents others wrote.
	Heads(ctx context.Context, documents []string) (map[string]uint64, error)

	// Delete removes a document's snapshot and log. Deleting a document that
	// does not exist is not an error.
	Delete(ctx context.Context, document string) error
}

// LogEntry is one update of one document.
type LogEntry struct {
	Document string
	Seq      uint64
	Update   []byte // a Yjs update, format v1
}

// DocumentState is what Load returns.
type DocumentState struct {
	// Snapshot encodes the document up to and including SnapshotSeq, or is
	// nil if the document was never compacted (SnapshotSeq is then 0).
	Snapshot    []byte
	SnapshotSeq uint64
	// Updates are the updates after SnapshotSeq, in increasing sequence
	// order.
	Updates []LogEntry
}

// Seq is the sequence number of the last update the state includes.
func (s DocumentState) Seq() uint64 {
	if n := len(s.Updates); n > 0 {
		return s.Updates[n-1].Seq
	}
	return s.SnapshotSeq
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
// that are already stored: another writer appended to these documents. It
// matches ErrConflict with errors.Is.
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
// subscriber is slow), so receivers detect gaps by sequence number and read
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
// appended to the log (Seq is the sequence number of the first, the others
// follow one by one), or an awareness update (y-protocols encoding).
type BusMessage struct {
	Document  string
	Seq       uint64
	Updates   [][]byte
	Awareness []byte
}
