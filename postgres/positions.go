package postgres

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tandem-docs/tandem"
)

// MemoryPositions is the in-process tandem.WritePositions: enough for one
// App instance, and the first place a Replica looks before asking a shared
// one, so that a user's reads right after a write on this instance cost no
// round trip to Redis.
type MemoryPositions struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	m         map[string]memoryPosition
	lastSweep time.Time
}

type memoryPosition struct {
	pos     uint64
	expires time.Time
}

// NewMemoryPositions returns positions forgotten ttl after their last
// advance. now is the clock (time.Now when nil; tests pass their own).
func NewMemoryPositions(ttl time.Duration, now func() time.Time) *MemoryPositions {
	if now == nil {
		now = time.Now
	}
	return &MemoryPositions{ttl: ttl, now: now, m: map[string]memoryPosition{}, lastSweep: now()}
}

// Advance implements tandem.WritePositions.
func (p *MemoryPositions) Advance(_ context.Context, userID string, pos uint64) error {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	// Expired entries go in one sweep per TTL, so that the map holds about
	// the users who wrote in the last TTL or two, whatever the traffic.
	if now.Sub(p.lastSweep) >= p.ttl {
		for k, e := range p.m {
			if !now.Before(e.expires) {
				delete(p.m, k)
			}
		}
		p.lastSweep = now
	}
	if e, ok := p.m[userID]; ok && e.pos > pos && now.Before(e.expires) {
		pos = e.pos
	}
	p.m[userID] = memoryPosition{pos: pos, expires: now.Add(p.ttl)}
	return nil
}

// Position implements tandem.WritePositions.
func (p *MemoryPositions) Position(_ context.Context, userID string) (uint64, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[userID]
	if !ok || !now.Before(e.expires) {
		return 0, nil
	}
	return e.pos, nil
}

// size is the number of entries held, for tests of the sweep.
func (p *MemoryPositions) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// RedisPositions is tandem.WritePositions in Redis, shared by every App
// instance: a user whose next request lands on another instance still
// reads their own writes. Each position is a key that expires ttl after
// the user's last write.
type RedisPositions struct {
	rdb    *goredis.Client
	prefix string
	ttl    time.Duration
}

// NewRedisPositions returns positions kept under keys starting with prefix
// ("tandem:wal:" when empty) in rdb.
func NewRedisPositions(rdb *goredis.Client, prefix string, ttl time.Duration) *RedisPositions {
	if prefix == "" {
		prefix = "tandem:wal:"
	}
	return &RedisPositions{rdb: rdb, prefix: prefix, ttl: ttl}
}

// advanceScript sets the key unless it holds a later position. Positions
// are 16 hexadecimal digits, so that string order is numeric order and the
// full 64 bits survive (Lua numbers are doubles).
var advanceScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur > ARGV[1] then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// Advance implements tandem.WritePositions.
func (p *RedisPositions) Advance(ctx context.Context, userID string, pos uint64) error {
	ttl := max(p.ttl.Milliseconds(), 1)
	if err := advanceScript.Run(ctx, p.rdb, []string{p.prefix + userID}, fmt.Sprintf("%016x", pos), ttl).Err(); err != nil {
		return fmt.Errorf("redis: record write position: %w", err)
	}
	return nil
}

// Position implements tandem.WritePositions.
func (p *RedisPositions) Position(ctx context.Context, userID string) (uint64, error) {
	v, err := p.rdb.Get(ctx, p.prefix+userID).Result()
	if err == goredis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: read write position: %w", err)
	}
	pos, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("redis: write position %q: %w", v, err)
	}
	return pos, nil
}

var (
	_ tandem.WritePositions = (*MemoryPositions)(nil)
	_ tandem.WritePositions = (*RedisPositions)(nil)
)
