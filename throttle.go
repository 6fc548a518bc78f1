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

// ThrottlePolicy says how fast failures slow a key down. It lives here, not
// with an implementation, so that the in-process and the Redis throttles
// share one policy type and compute the backoff with one function
// (ThrottlePolicy.Wait): a fleet that switches between them keeps its limits.
type ThrottlePolicy struct {
	Free   int           // failures allowed without waiting
	Base   time.Duration // the first wait; it doubles with each further failure
	Max    time.Duration // the longest wait
	Window time.Duration // failures older than this are forgotten
	// MaxKeys bounds memory of an in-process throttle: beyond it, forgotten
	// keys are swept and then arbitrary keys dropped. Default 100,000.
	// Redis expires its keys instead.
	MaxKeys int
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Wait is how long a key that has failed n times in a row, the last time at
// last, must still wait at now: nothing for the first Free failures or once
// the window has passed since the last one, then Base doubling with each
// further failure up to Max, counted from the last failure.
func (p ThrottlePolicy) Wait(n int, last, now time.Time) time.Duration {
	if n <= p.Free || now.Sub(last) > p.Window {
		return 0
	}
	d := p.Base
	for i := p.Free + 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return max(0, last.Add(d).Sub(now))
}
