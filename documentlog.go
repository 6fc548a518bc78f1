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
	// transaction: all of them or none. It returns nil only when every entry
	// is durable. The entries of one document must have increasing seqs
	// (ErrInvalid otherwise). If some entries collide with what is already
	// stored, nothing is stored and the error is a *SeqConflictError naming
	// the documents involved, so the caller can retry without them.
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
