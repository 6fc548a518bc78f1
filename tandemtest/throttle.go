package tandemtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// OpenThrottle returns two handles on one fresh, empty throttle with policy
// p, as two App instances would hold them: for an in-process throttle both
// are the same value, for a shared one (Redis) they are separate clients
// that must see each other's failures at once. The suite sets p.Now to its
// own clock.
type OpenThrottle func(t *testing.T, p tandem.ThrottlePolicy) (a, b tandem.Throttle)

// testClock is a settable time for throttles: the suite moves time forward
// instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestThrottle is the contract of tandem.Throttle: the backoff of
// tandem.ThrottlePolicy.Wait, failures shared by every handle, reset,
// forgetting after the window, exact counts under concurrent failures, and
// keys and throttles that do not see each other.
func TestThrottle(t *testing.T, open OpenThrottle) {
	ctx := context.Background()
	policy := func(c *testClock) tandem.ThrottlePolicy {
		return tandem.ThrottlePolicy{Free: 2, Base: time.Second, Max: 8 * time.Second, Window: time.Hour, Now: c.Now}
	}
	newClock := func() *testClock { return &testClock{t: now} }
	fail := func(t *testing.T, th tandem.Throttle, key string) time.Duration {
		t.Helper()
		d, err := th.Fail(ctx, key)
		if err != nil {
			t.Fatalf("Fail(%q): %v", key, err)
		}
		return d
	}
	wait := func(t *testing.T, th tandem.Throttle, key string) time.Duration {
		t.Helper()
		d, err := th.Wait(ctx, key)
		if err != nil {
			t.Fatalf("Wait(%q): %v", key, err)
		}
		return d
	}

	t.Run("BackoffGrowsAndIsShared", func(t *testing.T) {
		c := newClock()
		a, b := open(t, policy(c))
		if d := wait(t, a, "k"); d != 0 {
			t.Fatalf("a fresh key waits %v", d)
		}
		want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
		for i, w := range want {
			th, other := a, b
			if i%2 == 1 {
				th, other = b, a
			}
			if d := fail(t, th, "k"); d != w {
				t.Fatalf("failure %d: wait %v, want %v", i+1, d, w)
			}
			if d := wait(t, other, "k"); d != w {
				t.Fatalf("failure %d: the other handle says wait %v, want %v", i+1, d, w)
			}
		}
		// The wait counts down from the last failure...
		c.Add(3 * time.Second)
		if d := wait(t, a, "k"); d != 5*time.Second {
			t.Fatalf("3 s later: wait %v, want 5s", d)
		}
		c.Add(5 * time.Second)
		if d := wait(t, b, "k"); d != 0 {
			t.Fatalf("after the wait: wait %v, want 0", d)
		}
		// ...but the failures are remembered within the window.
		if d := fail(t, a, "k"); d != 8*time.Second {
			t.Fatalf("a failure after the wait: wait %v, want 8s", d)
		}
	})

	t.Run("SubSecondBackoff", func(t *testing.T) {
		c := newClock()
		p := policy(c)
		p.Free, p.Base, p.Max = 0, 250*time.Millisecond, 900*time.Millisecond
		a, b := open(t, p)
		for i, w := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 900 * time.Millisecond} {
			if d := fail(t, a, "k"); d != w {
				t.Fatalf("failure %d: wait %v, want %v", i+1, d, w)
			}
		}
		c.Add(time.Millisecond)
		if d := wait(t, b, "k"); d != 899*time.Millisecond {
			t.Fatalf("1 ms later: wait %v, want 899ms", d)
		}
	})

	t.Run("Reset", func(t *testing.T) {
		c := newClock()
		a, b := open(t, policy(c))
		for range 4 {
			fail(t, a, "k")
		}
		if d := wait(t, b, "k"); d != 2*time.Second {
			t.Fatalf("before reset: wait %v, want 2s", d)
		}
		if err := b.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if d := wait(t, a, "k"); d != 0 {
			t.Fatalf("after a reset on the other handle: wait %v", d)
		}
		// Counting starts again from nothing.
		if d := fail(t, a, "k"); d != 0 {
			t.Fatalf("the first failure after reset: wait %v", d)
		}
		fail(t, a, "k")
		if d := fail(t, a, "k"); d != time.Second {
			t.Fatalf("the third failure after reset: wait %v, want 1s", d)
		}
		if err := a.Reset(ctx, "never-failed"); err != nil {
			t.Fatalf("reset of an unknown key: %v", err)
		}
	})

	t.Run("WindowForgets", func(t *testing.T) {
		c := newClock()
		p := policy(c)
		p.Max = 2 * time.Hour // a wait longer than the window ends with it
		a, b := open(t, p)
		for range 20 {
			fail(t, a, "k")
		}
		if d := wait(t, b, "k"); d != p.Max {
			t.Fatalf("wait %v, want %v", d, p.Max)
		}
		c.Add(p.Window)
		if d := wait(t, b, "k"); d != p.Max-p.Window {
			t.Fatalf("at the end of the window: wait %v, want %v", d, p.Max-p.Window)
		}
		c.Add(time.Millisecond)
		if d := wait(t, b, "k"); d != 0 {
			t.Fatalf("past the window: wait %v, want 0", d)
		}
		// The old failures are forgotten: this one is the first.
		if d := fail(t, b, "k"); d != 0 {
			t.Fatalf("a failure after the window: wait %v, want 0", d)
		}
		fail(t, a, "k")
		if d := fail(t, a, "k"); d != time.Second {
			t.Fatalf("the third failure after the window: wait %v, want 1s", d)
		}
	})

	t.Run("ConcurrentFailuresCountedExactly", func(t *testing.T) {
		const workers, each = 16, 25
		c := newClock()
		p := policy(c)
		p.Free, p.Max = workers*each, time.Hour
		a, b := open(t, p)
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			th := a
			if w%2 == 1 {
				th = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if _, err := th.Fail(ctx, "k"); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// Exactly Free failures: none counted twice (that would impose a
		// wait now) and none lost (the next one must be the first to wait).
		if d := wait(t, a, "k"); d != 0 {
			t.Fatalf("after %d failures (all free): wait %v", p.Free, d)
		}
		if d := fail(t, b, "k"); d != time.Second {
			t.Fatalf("failure %d: wait %v, want 1s (failures were lost)", p.Free+1, d)
		}
		if d := fail(t, a, "k"); d != 2*time.Second {
			t.Fatalf("failure %d: wait %v, want 2s", p.Free+2, d)
		}
	})

	t.Run("KeysAreIsolated", func(t *testing.T) {
		c := newClock()
		a, b := open(t, policy(c))
		keys := []string{"account:a@example.com", "account:a@example.com:", "account:A@example.com", "ip:10.0.0.1", "ip:*", "", "ünï cödé {x}"}
		for i, k := range keys {
			for range 3 + i {
				fail(t, a, k)
			}
		}
		for i, k := range keys {
			want := policy(c).Wait(3+i, now, now)
			if d := wait(t, b, k); d != want {
				t.Fatalf("key %q after %d failures: wait %v, want %v", k, 3+i, d, want)
			}
		}
		if err := b.Reset(ctx, keys[0]); err != nil {
			t.Fatal(err)
		}
		if d := wait(t, a, keys[1]); d != 2*time.Second {
			t.Fatalf("resetting %q changed %q: wait %v", keys[0], keys[1], d)
		}
	})

	t.Run("ThrottlesAreIsolated", func(t *testing.T) {
		c := newClock()
		a, _ := open(t, policy(c))
		other, _ := open(t, policy(c))
		for range 5 {
			fail(t, a, "k")
		}
		if d := wait(t, other, "k"); d != 0 {
			t.Fatalf("another throttle sees the failures: wait %v", d)
		}
	})
}
