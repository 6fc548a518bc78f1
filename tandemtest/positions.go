package tandemtest

import (
	"context"
	"sync"
	"testing"

	"github.com/tandem-docs/tandem"
)

// OpenWritePositions returns two handles on one fresh, empty
// tandem.WritePositions, as two App instances would hold them: for an
// in-process implementation both are the same value, for a shared one
// (Redis) they are separate clients that must see each other's positions.
type OpenWritePositions func(t *testing.T) (a, b tandem.WritePositions)

// TestWritePositions is the contract of tandem.WritePositions.
func TestWritePositions(t *testing.T, open OpenWritePositions) {
	ctx := context.Background()
	a, b := open(t)

	pos := func(p tandem.WritePositions, user string) uint64 {
		t.Helper()
		v, err := p.Position(ctx, user)
		must(t, err)
		return v
	}
	equal(t, "position of a user who never wrote", pos(a, "u1"), uint64(0))

	must(t, a.Advance(ctx, "u1", 0x16B3748))
	equal(t, "position after a write", pos(a, "u1"), uint64(0x16B3748))
	equal(t, "position seen by another instance", pos(b, "u1"), uint64(0x16B3748))
	equal(t, "another user's position", pos(b, "u2"), uint64(0))

	// Positions only move forward: a write that committed earlier but
	// reports later must not hide the later one.
	must(t, b.Advance(ctx, "u1", 0x16B0000))
	equal(t, "position after an older report", pos(a, "u1"), uint64(0x16B3748))
	must(t, b.Advance(ctx, "u1", 0x2_0000_0000))
	equal(t, "position past 32 bits", pos(a, "u1"), uint64(0x2_0000_0000))
	// The whole range of a WAL position survives the round trip.
	must(t, a.Advance(ctx, "u3", 1<<63+5))
	equal(t, "position above 2^63", pos(b, "u3"), uint64(1<<63+5))

	// Concurrent writes of one user from several instances end at the
	// highest.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := a
			if i%2 == 1 {
				p = b
			}
			if err := p.Advance(ctx, "u4", uint64(1000+i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	equal(t, "position after concurrent writes", pos(a, "u4"), uint64(1019))
}
