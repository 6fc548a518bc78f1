// Package redis implements what Tandem's instances share through Redis:
// the bus between realtime instances (tandem.DocumentBus: log doorbells,
// awareness, presence counts), permission changes
// (tandem.PermissionChanges), the login throttles (tandem.Throttle) and a
// cache of document metadata (tandem.DocumentCache). Redis holds nothing
// that cannot be lost: the document log in the database stays the source
// of truth, and every instance recovers from a Redis restart by reading it.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// quietLogger drops go-redis's own log lines (a dial failure per retry
// while Redis is down): the users of this package report Redis being down
// once, through their status and readiness checks.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

var quiet sync.Once

// Client is a connection pool to one Redis server, with this process's
// identity on it.
type Client struct {
	rdb    *goredis.Client
	prefix string
	id     string // this process, so that it ignores its own messages
}

// Options tune a Client.
type Options struct {
	// Prefix starts every key and channel name. Default "tandem:"; tests
	// use a random one so that they do not hear each other.
	Prefix string
}

// Open returns a client for the server named by url (redis://[user:pass@]
// host:port/db or rediss:// for TLS). It does not wait for the server: an
// instance starts while Redis is down and runs without it (see Bus) until it
// answers.
func Open(url string, opts Options) (*Client, error) {
	quiet.Do(func() { goredis.SetLogger(quietLogger{}) })
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	// Fail fast when Redis is down: callers degrade and retry on their own.
	o.MaxRetries = 1
	o.DialTimeout = 2e9
	o.ReadTimeout = 2e9
	o.WriteTimeout = 2e9
	if opts.Prefix == "" {
		opts.Prefix = "tandem:"
	}
	b := make([]byte, 12)
	rand.Read(b)
	return &Client{rdb: goredis.NewClient(o), prefix: opts.Prefix, id: hex.EncodeToString(b)}, nil
}

// Ping checks that Redis answers, for readiness checks.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }
