package app

import (
	"context"
	"sync"
	"time"

	"github.com/tandem-docs/tandem"
)

// ThrottlePolicy says how fast failures slow a key down; see
// tandem.ThrottlePolicy, which the Redis throttle shares.
type ThrottlePolicy = tandem.ThrottlePolicy

// The default policies of the login throttles (Config.AccountThrottle and
// Config.IPThrottle), exported so that a shared (Redis) throttle is built
// with the same limits as the in-process default.
var (
	// AccountThrottlePolicy: 5 free failures per account, then a doubling
	// wait from 1 s up to 15 minutes; failures are forgotten after an hour.
	AccountThrottlePolicy = ThrottlePolicy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour}
	// IPThrottlePolicy: the same with 20 free failures per client address
	// (many people may share one behind a NAT).
	IPThrottlePolicy = ThrottlePolicy{Free: 20, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour}
)

// MemoryThrottle is the in-process tandem.Throttle: exponential backoff per
// key, for a single App instance.
type MemoryThrottle struct {
	p   ThrottlePolicy
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

// NewMemoryThrottle returns an empty throttle with policy p.
func NewMemoryThrottle(p ThrottlePolicy) *MemoryThrottle {
	if p.MaxKeys <= 0 {
		p.MaxKeys = 100_000
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &MemoryThrottle{p: p, now: p.Now, keys: make(map[string]*failures)}
}

func (t *MemoryThrottle) wait(f *failures, now time.Time) time.Duration {
	if f == nil {
		return 0
	}
	return t.p.Wait(f.n, f.last, now)
}

// Wait implements tandem.Throttle.
func (t *MemoryThrottle) Wait(_ context.Context, key string) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wait(t.keys[key], t.now()), nil
}

// Fail implements tandem.Throttle.
func (t *MemoryThrottle) Fail(_ context.Context, key string) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.keys[key]
	if f == nil {
		if len(t.keys) >= t.p.MaxKeys {
			t.sweep(now)
		}
		f = &failures{}
		t.keys[key] = f
	}
	if now.Sub(f.last) > t.p.Window {
		f.n = 0
	}
	f.n++
	f.last = now
	return t.wait(f, now), nil
}

// Reset implements tandem.Throttle.
func (t *MemoryThrottle) Reset(_ context.Context, key string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
	return nil
}

func (t *MemoryThrottle) sweep(now time.Time) {
	for k, f := range t.keys {
		if now.Sub(f.last) > t.p.Window {
			delete(t.keys, k)
		}
	}
	for k := range t.keys {
		if len(t.keys) < t.p.MaxKeys {
			break
		}
		delete(t.keys, k)
	}
}
