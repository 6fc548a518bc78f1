package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	tandem "github.com/tandem-docs/tandem"
)

// Throttle is tandem.Throttle shared by every App instance through Redis, so
// that spreading a password-guessing run over the instances behind a load
// balancer does not multiply its budget. It keeps, per key, the number of
// failures in a row and the time of the last one (a hash), and computes the
// wait with tandem.ThrottlePolicy.Wait exactly as the in-process throttle
// does. A failure is recorded by one Lua script, so concurrent failures from
// any number of instances are all counted. Keys expire a little after the
// policy's window, when they would be forgotten anyway, so Redis does not
// grow with the keys ever tried.
//
// Time comes from the policy's clock on each instance (they are expected to
// be NTP-synchronised; a skew of a few milliseconds is nothing against
// waits of seconds); the last failure's time never moves backwards, so a
// late clock cannot shorten a wait another instance imposed.
//
// Redis down: the throttle falls back to the in-process throttle it was
// given, and never fails the caller. Failing open (no limit while Redis is
// down) would make a Redis outage unlimited password guessing, and failing
// closed (an error) would lock every user out of a fleet whose Redis is, by
// design, a cache that may vanish. With the fallback each instance keeps
// its own limit: a guesser gains at most the number of App instances times
// the normal budget, for the length of the outage. Every failure is also
// counted in the fallback, so an instance's own failures from before the
// outage keep counting during it. When Redis answers again its counts rule
// again (possibly empty after a restart: Redis is a cache that may lose
// data, and the loss is bounded by one window's budget per key).
type Throttle struct {
	c        *Client
	name     string
	p        tandem.ThrottlePolicy
	fallback tandem.Throttle
	log      *slog.Logger
	down     atomic.Bool
	// retryAt (Unix ns, real time) is when Redis is next tried after it
	// failed; until then calls go straight to the fallback. A call to a
	// Redis that is down costs up to a second (dial retries) or the dial
	// timeout, and a login makes four: without this, an outage would slow
	// every login by seconds.
	retryAt atomic.Int64
}

// retryInterval is how often a throttle whose Redis is down tries it again.
const retryInterval = time.Second

// skip says whether to go straight to the fallback: Redis failed less
// than retryInterval ago. Without a fallback Redis is always tried.
func (t *Throttle) skip() bool {
	if t.fallback == nil {
		return false
	}
	at := t.retryAt.Load()
	return at != 0 && time.Now().UnixNano() < at
}

var _ tandem.Throttle = (*Throttle)(nil)

// ThrottleOptions configure a Throttle.
type ThrottleOptions struct {
	// Fallback is used while Redis does not answer: an in-process throttle
	// with the same policy (app.NewMemoryThrottle). Without one, Redis
	// errors are returned, which fails logins closed.
	Fallback tandem.Throttle
	// Logger hears when Redis stops and starts answering (once each way).
	// Default slog.Default().
	Logger *slog.Logger
}

// Throttle returns the shared throttle called name (one per policy: the
// account and the address throttles have different limits and must not
// count into each other) with policy p.
func (c *Client) Throttle(name string, p tandem.ThrottlePolicy, opts ThrottleOptions) *Throttle {
	if p.Now == nil {
		p.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Throttle{c: c, name: name, p: p, fallback: opts.Fallback, log: opts.Logger}
}

func (t *Throttle) key(key string) string { return t.c.prefix + "throttle:" + t.name + ":" + key }

// failScript counts one failure: it forgets the failures older than the
// window, adds this one, keeps the latest failure time and sets the expiry.
// Times stay the strings the caller sent: Lua's numbers are doubles, which
// Redis would format with too few digits for microseconds since the epoch.
// KEYS[1]: the key. ARGV: now (µs since the epoch), window (µs), expiry
// (ms). It returns the count and the last failure's time.
var failScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'n', 'l')
local n = tonumber(v[1]) or 0
local last = v[2] or ARGV[1]
local lastn = tonumber(last) or now
if n > 0 and now - lastn > tonumber(ARGV[2]) then
  n = 0
end
n = n + 1
if now > lastn or n == 1 then
  last = ARGV[1]
end
redis.call('HSET', KEYS[1], 'n', n, 'l', last)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {n, last}
`)

// expiry is how long Redis keeps a key after its last failure: the window,
// after which the failures no longer count, and a second for clock skew.
func (t *Throttle) expiry() time.Duration { return max(t.p.Window, 0) + time.Second }

func micros(tm time.Time) int64 { return tm.UnixMicro() }

// Wait implements tandem.Throttle. While Redis answers, its count is the
// whole truth (a reset on another instance must free the key here too);
// the fallback's own count is consulted only when it does not.
func (t *Throttle) Wait(ctx context.Context, key string) (time.Duration, error) {
	now := t.p.Now()
	if t.skip() {
		return t.fallback.Wait(ctx, key)
	}
	v, err := t.c.rdb.HMGet(ctx, t.key(key), "n", "l").Result()
	if err != nil {
		err = t.failed(err)
		if t.fallback == nil {
			return 0, err
		}
		return t.fallback.Wait(ctx, key)
	}
	t.up()
	n, last, ok := parseState(v)
	if !ok {
		return 0, nil
	}
	return t.p.Wait(n, time.UnixMicro(last), now), nil
}

// Fail implements tandem.Throttle. The failure is also recorded in the
// fallback, always, so that when Redis stops answering the failures this
// instance saw before keep counting: an outage does not hand a guesser a
// fresh budget.
func (t *Throttle) Fail(ctx context.Context, key string) (time.Duration, error) {
	now := t.p.Now()
	var local time.Duration
	if t.fallback != nil {
		d, err := t.fallback.Fail(ctx, key)
		if err != nil {
			return 0, err
		}
		local = d
		if t.skip() {
			return local, nil
		}
	}
	r, err := failScript.Run(ctx, t.c.rdb, []string{t.key(key)},
		micros(now), t.p.Window.Microseconds(), t.expiry().Milliseconds()).Slice()
	if err != nil {
		err = t.failed(err)
		if t.fallback == nil {
			return 0, err
		}
		return local, nil
	}
	t.up()
	n, ok := int64(0), len(r) == 2
	var last int64
	if ok {
		n, ok = r[0].(int64)
	}
	if ok {
		var s string
		s, ok = r[1].(string)
		last, err = strconv.ParseInt(s, 10, 64)
		ok = ok && err == nil
	}
	if !ok {
		return local, fmt.Errorf("redis: throttle %s: unexpected reply %v", t.name, r)
	}
	return t.p.Wait(int(n), time.UnixMicro(last), now), nil
}

// Reset implements tandem.Throttle. It forgets the key in Redis and in the
// fallback; if Redis does not answer, the key's shared failures stay until
// they expire, which errs on the safe side.
func (t *Throttle) Reset(ctx context.Context, key string) error {
	if t.fallback != nil {
		if err := t.fallback.Reset(ctx, key); err != nil {
			return err
		}
		if t.skip() {
			return nil
		}
	}
	if err := t.c.rdb.Del(ctx, t.key(key)).Err(); err != nil {
		err = t.failed(err)
		if t.fallback == nil {
			return err
		}
		return nil
	}
	t.up()
	return nil
}

// parseState reads a key's hash fields n and l; ok is false for a key that
// does not exist (or holds something this code did not write).
func parseState(v []any) (n int, last int64, ok bool) {
	if len(v) != 2 {
		return 0, 0, false
	}
	ns, ok1 := v[0].(string)
	ls, ok2 := v[1].(string)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	n64, err1 := strconv.ParseInt(ns, 10, 64)
	last, err2 := strconv.ParseInt(ls, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(n64), last, true
}

// failed notes that Redis did not answer (logged once until it answers
// again) and returns the error for callers without a fallback. A cancelled
// or expired context is the caller's, not Redis's, and is not logged.
func (t *Throttle) failed(err error) error {
	err = fmt.Errorf("redis: throttle %s: %w", t.name, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	t.retryAt.Store(time.Now().Add(retryInterval).UnixNano())
	if !t.down.Swap(true) {
		t.log.Warn("Redis does not answer: login throttling falls back to this instance's own counts", "throttle", t.name, "error", err)
	}
	return err
}

func (t *Throttle) up() {
	if t.retryAt.Load() != 0 {
		t.retryAt.Store(0)
	}
	if t.down.Load() && t.down.Swap(false) {
		t.log.Info("Redis answers again: login throttling is shared again", "throttle", t.name)
	}
}
