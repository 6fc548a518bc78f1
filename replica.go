package tandem

import "context"

type userKey struct{}

// WithUser returns ctx marked with the user on whose behalf the work is
// done. Storage with a read replica uses the mark for read-your-writes:
// a write under it remembers where the primary's log was for this user,
// and a lag-tolerant read under it goes to the primary until the replica
// has replayed that far. Work without a mark (background jobs) reads from
// the replica whenever it is fresh enough.
func WithUser(ctx context.Context, userID string) context.Context {
	if userID == "" {
		return ctx
	}
	return context.WithValue(ctx, userKey{}, userID)
}

// ContextUser returns the user WithUser marked ctx with, or "".
func ContextUser(ctx context.Context) string {
	id, _ := ctx.Value(userKey{}).(string)
	return id
}

// WritePositions remembers, per user, how far the primary database's log
// was after the user's latest write (a PostgreSQL WAL position), so that
// the user's next reads, on any instance, are served by a copy that has
// replayed at least that far. Positions only move forward and may be
// forgotten after a while: once the replica is further behind than its
// configured bound, reads go to the primary anyway, so a position is only
// needed for about that long.
type WritePositions interface {
	// Advance records pos for userID unless a later position is recorded.
	Advance(ctx context.Context, userID string, pos uint64) error
	// Position returns the latest position recorded for userID, 0 if none
	// is (or it was forgotten).
	Position(ctx context.Context, userID string) (uint64, error)
}
