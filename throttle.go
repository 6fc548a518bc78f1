package tandem

import (
	"context"
	"time"
)

// Throttle slows down repeated failures for a key (an account, an IP
// address) with a growing backoff. The embedded implementation is in
// process memory (package app); a distributed one (Redis) shares the counts
// between App instances.
type Throttle interface {
	// Wait returns how long the key must wait before its next attempt
	// (zero: go ahead).
	Wait(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failed attempt and returns the wait it now imposes.
	Fail(ctx context.Context, key string) (time.Duration, error)
	// Reset forgets the key's failures (after a success).
	Reset(ctx context.Context, key string) error
}
