package app

import (
	"context"
	"sync"
	"time"
)

// ThrottlePolicy says how fast failures slow a key down.
type ThrottlePolicy struct {
	Free   int           // failures allowed without waiting
	Base   time.Duration // the first wait; it doubles with each further failure
	Max    time.Duration // the longest wait
	Window time.Duration // failures older than this are forgotten
	// MaxKeys bounds memory: beyond it, forgotten keys are swept and then
	// arbitrary keys dropped. Default 100,000.
	MaxKeys int
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

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
	if f == nil || f.n <= t.p.Free || now.Sub(f.last) > t.p.Window {
		return 0
	}
	d := t.p.Base
	for i := t.p.Free + 1; i < f.n && d < t.p.Max; i++ {
		d *= 2
	}
	d = min(d, t.p.Max)
	return max(0, f.last.Add(d).Sub(now))
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
