package tandemtest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	tandem "github.com/tandem-docs/tandem"
)

// TestDocumentLogForgetsIdleWriters checks that Compact forgets the
// writers that are done with a document. open returns a fresh, empty
// store whose WriterIdle is zero (every writer counts as idle), which only
// the implementation's own tests can set.
func TestDocumentLogForgetsIdleWriters(t *testing.T, open func(t *testing.T) tandem.DocumentLog) {
	ctx := context.Background()
	l := open(t)
	e := func(w string, seq uint64) tandem.LogEntry {
		return tandem.LogEntry{Document: "d", Writer: w, Seq: seq, Update: []byte{byte(w[0]), byte(seq)}}
	}
	if err := l.Append(ctx, []tandem.LogEntry{e("x", 1), e("x", 2), e("y", 1), e("y", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, []tandem.LogEntry{e("y", 3)}); err != nil {
		t.Fatal(err)
	}
	// x is folded whole; y keeps y3 in the log, so it stays.
	if err := l.Compact(ctx, "d", tandem.LogPosition{"x": 2, "y": 2}, []byte("snap1")); err != nil {
		t.Fatal(err)
	}
	st, err := l.Load(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if want := (tandem.LogPosition{"y": 2, tandem.ForgottenWriters: 1}); !samePosition(st.SnapshotPosition, want) ||
		len(st.Updates) != 1 || st.Updates[0].Writer != "y" || st.Updates[0].Seq != 3 {
		t.Fatalf("after forgetting x: snapshot at %v, updates %+v; want the snapshot at %v and y3", st.SnapshotPosition, st.Updates, want)
	}
	h, err := l.Heads(ctx, []string{"d"})
	if err != nil || h["d"]["x"] != 0 || h["d"]["y"] != 3 || h["d"][tandem.ForgottenWriters] != 1 {
		t.Fatalf("Heads = %v, %v; want y at 3, the forgotten count at 1 and no x", h, err)
	}
	// A reader that never had x's entries gets them, in the snapshot.
	st, err = l.ReadSince(ctx, "d", tandem.LogPosition{"y": 3})
	if err != nil || !bytes.Equal(st.Snapshot, []byte("snap1")) || len(st.Updates) != 0 {
		t.Fatalf("ReadSince(y3) = %q, %+v, %v; want the snapshot", st.Snapshot, st.Updates, err)
	}
	// One that has everything gets nothing.
	caughtUp := tandem.LogPosition{"x": 2, "y": 3, tandem.ForgottenWriters: 1}
	if st, err = l.ReadSince(ctx, "d", caughtUp); err != nil || st.Snapshot != nil || len(st.Updates) != 0 {
		t.Fatalf("ReadSince(%v) = %+v, %v; want nothing", caughtUp, st, err)
	}
	// x, back, goes on with its next seq.
	if err := l.Append(ctx, []tandem.LogEntry{e("x", 3)}); err != nil {
		t.Fatalf("a forgotten writer's next entry: %v", err)
	}
	if st, err = l.ReadSince(ctx, "d", caughtUp); err != nil || len(st.Updates) != 1 || st.Updates[0].Writer != "x" || st.Updates[0].Seq != 3 {
		t.Fatalf("ReadSince(%v) = %+v, %v; want x3", caughtUp, st, err)
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Writer: tandem.ForgottenWriters, Seq: 9, Update: []byte{1}}}); !errors.Is(err, tandem.ErrInvalid) {
		t.Fatalf("an append as the reserved writer = %v, want ErrInvalid", err)
	}
	// A snapshot that does not know of the forgetting is stale.
	if err := l.Compact(ctx, "d", tandem.LogPosition{"x": 3, "y": 3}, []byte("stale")); !errors.Is(err, tandem.ErrConflict) {
		t.Fatalf("Compact without the forgotten count = %v, want conflict", err)
	}
	// Folding everything forgets everyone.
	st, err = l.Load(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Compact(ctx, "d", st.Position(), []byte("snap2")); err != nil {
		t.Fatal(err)
	}
	st, err = l.Load(ctx, "d")
	if want := (tandem.LogPosition{tandem.ForgottenWriters: 2}); err != nil || !samePosition(st.SnapshotPosition, want) || len(st.Updates) != 0 || string(st.Snapshot) != "snap2" {
		t.Fatalf("after folding everything: %+v, %v; want the snapshot at %v", st, err, want)
	}
}
