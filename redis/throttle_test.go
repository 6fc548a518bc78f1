package redis

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/tandemtest"
)

// TestThrottle: two clients on one prefix are two App instances sharing
// the throttle.
func TestThrottle(t *testing.T) {
	tandemtest.TestThrottle(t, func(t *testing.T, p tandem.ThrottlePolicy) (tandem.Throttle, tandem.Throttle) {
		prefix := testPrefix()
		a := openTest(t, prefix).Throttle("login", p, ThrottleOptions{Fallback: app.NewMemoryThrottle(p)})
		b := openTest(t, prefix).Throttle("login", p, ThrottleOptions{Fallback: app.NewMemoryThrottle(p)})
		return a, b
	})
}

// TestThrottleNamesAreIsolated: the account and the address throttles of
// one client do not count into each other.
func TestThrottleNamesAreIsolated(t *testing.T) {
	c := openTest(t, testPrefix())
	p := tandem.ThrottlePolicy{Free: 1, Base: time.Second, Max: time.Minute, Window: time.Hour}
	a, b := c.Throttle("account", p, ThrottleOptions{}), c.Throttle("ip", p, ThrottleOptions{})
	for range 3 {
		if _, err := a.Fail(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := b.Wait(ctx, "k"); err != nil || d != 0 {
		t.Fatalf("the other throttle: wait %v, %v", d, err)
	}
}

var ctx = context.Background()

// TestThrottleKeysExpire: a key lives in Redis as long as its failures
// count (the window) and a second more, and a reset deletes it, so Redis
// holds only the keys that failed recently.
func TestThrottleKeysExpire(t *testing.T) {
	prefix := testPrefix()
	c := openTest(t, prefix)
	p := tandem.ThrottlePolicy{Free: 1, Base: time.Second, Max: time.Minute, Window: 10 * time.Minute}
	th := c.Throttle("account", p, ThrottleOptions{})
	if _, err := th.Fail(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	keys, err := c.rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != prefix+"throttle:account:k" {
		t.Fatalf("keys = %q", keys)
	}
	ttl, err := c.rdb.PTTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= p.Window-time.Minute || ttl > p.Window+time.Second {
		t.Fatalf("TTL %v, want the window (%v) and a second", ttl, p.Window)
	}
	// Every failure pushes the expiry back.
	c.rdb.PExpire(ctx, keys[0], time.Minute)
	th.Fail(ctx, "k")
	if ttl, _ := c.rdb.PTTL(ctx, keys[0]).Result(); ttl <= time.Minute {
		t.Fatalf("TTL after another failure %v", ttl)
	}
	if err := th.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.rdb.Exists(ctx, keys[0]).Result(); n != 0 {
		t.Fatal("the key outlived its reset")
	}
	// Wait alone writes nothing.
	th.Wait(ctx, "other")
	if n, _ := c.rdb.DBSize(ctx).Result(); n > 0 {
		if keys, _ := c.rdb.Keys(ctx, prefix+"*").Result(); len(keys) != 0 {
			t.Fatalf("keys after Wait: %q", keys)
		}
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestThrottleRedisDownFallsBack: with Redis unreachable (a closed port),
// a login throttle neither fails the login (closed) nor stops counting
// (open): the in-process fallback imposes the same backoff, and the outage
// is logged once.
func TestThrottleRedisDownFallsBack(t *testing.T) {
	c, err := Open(fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t)), Options{Prefix: testPrefix()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var logs syncBuffer
	p := app.AccountThrottlePolicy
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	th := c.Throttle("account", p, ThrottleOptions{Fallback: app.NewMemoryThrottle(p), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := 1; i <= 8; i++ {
		d, err := th.Fail(ctx, "account:a@example.com")
		if err != nil {
			t.Fatalf("failure %d: %v", i, err)
		}
		if (i <= p.Free) != (d == 0) {
			t.Fatalf("failure %d: wait %v with %d free", i, d, p.Free)
		}
	}
	d, err := th.Wait(ctx, "account:a@example.com")
	if err != nil || d != 4*time.Second {
		t.Fatalf("after 8 failures with Redis down: wait %v, %v; want 4s", d, err)
	}
	if d, err := th.Wait(ctx, "account:b@example.com"); err != nil || d != 0 {
		t.Fatalf("another key: wait %v, %v", d, err)
	}
	if err := th.Reset(ctx, "account:a@example.com"); err != nil {
		t.Fatal(err)
	}
	if d, _ := th.Wait(ctx, "account:a@example.com"); d != 0 {
		t.Fatalf("after reset: wait %v", d)
	}
	if n := strings.Count(logs.String(), "Redis does not answer"); n != 1 {
		t.Fatalf("logged %d warnings, want 1:\n%s", n, logs.String())
	}

	// Without a fallback the error reaches the caller (fail closed).
	bare := c.Throttle("ip", p, ThrottleOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := bare.Wait(ctx, "k"); err == nil {
		t.Fatal("Wait without a fallback: no error with Redis down")
	}
	if _, err := bare.Fail(ctx, "k"); err == nil {
		t.Fatal("Fail without a fallback: no error with Redis down")
	}
}

// TestThrottleRedisBack: the failures an instance saw before an outage keep
// counting during it, and the shared counts rule again once Redis returns.
func TestThrottleRedisBack(t *testing.T) {
	port := freePort(t)
	start := func() *exec.Cmd {
		cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	waitPing := func(c *Client, up bool) {
		deadline := time.Now().Add(10 * time.Second)
		for (c.Ping(ctx) == nil) != up {
			if time.Now().After(deadline) {
				t.Fatalf("redis-server up=%v did not happen", up)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	srv := start()
	c, err := Open(fmt.Sprintf("redis://127.0.0.1:%d/0", port), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	waitPing(c, true)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	p := tandem.ThrottlePolicy{Free: 2, Base: time.Second, Max: time.Hour, Window: time.Hour, Now: func() time.Time { return now }}
	var logs syncBuffer
	th := c.Throttle("account", p, ThrottleOptions{Fallback: app.NewMemoryThrottle(p), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	other := c.Throttle("account", p, ThrottleOptions{Fallback: app.NewMemoryThrottle(p)})
	for range 3 {
		th.Fail(ctx, "k")
	}
	if d, _ := other.Wait(ctx, "k"); d != time.Second {
		t.Fatalf("shared: wait %v, want 1s", d)
	}
	srv.Process.Kill()
	srv.Wait()
	waitPing(c, false)
	for range 6 { // counted by this instance only
		if _, err := th.Fail(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	// The 3 failures before the outage count too: 9 in all.
	if d, _ := th.Wait(ctx, "k"); d != 64*time.Second {
		t.Fatalf("during the outage: wait %v, want 64s", d)
	}
	start()
	waitPing(c, true)
	// Redis rules again: it restarted empty, and what the instances share
	// from now on counts, not this instance's outage count (a success on
	// another instance must be able to reset the key everywhere).
	for range 3 {
		other.Fail(ctx, "k")
	}
	// This instance tries Redis again within retryInterval.
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := th.Wait(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if d == time.Second {
			break
		}
		if d != 64*time.Second || time.Now().After(deadline) {
			t.Fatalf("after Redis returned: wait %v; want its own 64s, then the shared 1s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := other.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if d, _ := th.Wait(ctx, "k"); d != 0 {
		t.Fatalf("after a reset on the other instance: wait %v", d)
	}
	if !strings.Contains(logs.String(), "Redis answers again") {
		t.Fatalf("no log line for Redis returning:\n%s", logs.String())
	}
}
