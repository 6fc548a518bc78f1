package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	tandem "github.com/tandem-docs/tandem"
)

// DocumentCache is tandem.DocumentCache in Redis, shared by every App and
// realtime instance: an entry invalidated by one instance's write is gone
// for all of them at once.
//
// Entries expire after a short TTL (30 s), which bounds how stale an entry
// can be whatever goes wrong (an invalidation lost while Redis blinked, a
// write made outside the App). Invalidate does not delete the entry: it
// writes a tombstone that lives a few seconds, and Fill only writes where
// there is nothing (SET NX). A read that began before a write and fills
// after the write's invalidation therefore cannot put the old metadata
// back; reads during those seconds go to the store.
//
// While Redis does not answer, Document and Fill fail fast for a second at
// a time (the first call pays the dial), so that requests fall through to
// the store without waiting on Redis; Invalidate always tries, since
// another instance may still reach Redis and read the entry.
type DocumentCache struct {
	c       *Client
	ttl     time.Duration
	tomb    time.Duration
	log     *slog.Logger
	down    atomic.Bool
	retryAt atomic.Int64 // Unix ns; see Throttle.retryAt
}

var _ tandem.DocumentCache = (*DocumentCache)(nil)

// DocumentCacheOptions tune a DocumentCache.
type DocumentCacheOptions struct {
	// TTL is how long an entry lives. Default 30 s.
	TTL time.Duration
	// Tombstone is how long an invalidated entry refuses fills; longer than
	// a store read takes. Default 5 s.
	Tombstone time.Duration
	// Logger hears when Redis stops and starts answering (once each way).
	// Default slog.Default().
	Logger *slog.Logger
}

// errSkipped is returned while Redis is given a rest after failing.
var errSkipped = errors.New("redis: not answering; retried shortly")

// DocumentCache returns the client's document-metadata cache.
func (c *Client) DocumentCache(opts DocumentCacheOptions) *DocumentCache {
	if opts.TTL <= 0 {
		opts.TTL = 30 * time.Second
	}
	if opts.Tombstone <= 0 {
		opts.Tombstone = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &DocumentCache{c: c, ttl: opts.TTL, tomb: opts.Tombstone, log: opts.Logger}
}

func (dc *DocumentCache) key(organizationID, id string) string {
	return dc.c.prefix + "doc:" + organizationID + ":" + id
}

// tombstone is the value of an invalidated entry; no JSON object looks
// like it.
const tombstone = "-"

// cachedDocument is the entry's encoding: the metadata, nothing else.
type cachedDocument struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"org"`
	FolderID       string     `json:"folder,omitempty"`
	Title          string     `json:"title"`
	CreatedBy      string     `json:"by,omitempty"`
	CreatedAt      time.Time  `json:"created"`
	UpdatedAt      time.Time  `json:"updated"`
	TrashedAt      *time.Time `json:"trashed,omitempty"`
	TrashedBy      string     `json:"trashed_by,omitempty"`
}

// Document implements tandem.DocumentCache.
func (dc *DocumentCache) Document(ctx context.Context, organizationID, id string) (tandem.Document, bool, error) {
	if dc.skip() {
		return tandem.Document{}, false, errSkipped
	}
	v, err := dc.c.rdb.Get(ctx, dc.key(organizationID, id)).Result()
	if errors.Is(err, goredis.Nil) {
		dc.up()
		return tandem.Document{}, false, nil
	}
	if err != nil {
		return tandem.Document{}, false, dc.failed(err)
	}
	dc.up()
	if v == tombstone {
		return tandem.Document{}, false, nil
	}
	var e cachedDocument
	// Something unreadable, or not this document, is a miss: the store
	// answers and its answer is what counts.
	if json.Unmarshal([]byte(v), &e) != nil || e.ID != id || e.OrganizationID != organizationID {
		return tandem.Document{}, false, nil
	}
	return tandem.Document{ID: e.ID, OrganizationID: e.OrganizationID, FolderID: e.FolderID, Title: e.Title,
		CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, TrashedAt: e.TrashedAt, TrashedBy: e.TrashedBy}, true, nil
}

// Fill implements tandem.DocumentCache: it writes only where there is no
// entry, not even a tombstone.
func (dc *DocumentCache) Fill(ctx context.Context, d tandem.Document) error {
	if dc.skip() {
		return errSkipped
	}
	b, err := json.Marshal(cachedDocument{ID: d.ID, OrganizationID: d.OrganizationID, FolderID: d.FolderID, Title: d.Title,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, TrashedAt: d.TrashedAt, TrashedBy: d.TrashedBy})
	if err != nil {
		return fmt.Errorf("redis: document cache: %w", err)
	}
	if err := dc.c.rdb.SetArgs(ctx, dc.key(d.OrganizationID, d.ID), b, goredis.SetArgs{Mode: "NX", TTL: dc.ttl}).Err(); err != nil && !errors.Is(err, goredis.Nil) {
		return dc.failed(err)
	}
	dc.up()
	return nil
}

// Invalidate implements tandem.DocumentCache.
func (dc *DocumentCache) Invalidate(ctx context.Context, organizationID, id string) error {
	if err := dc.c.rdb.Set(ctx, dc.key(organizationID, id), tombstone, dc.tomb).Err(); err != nil {
		return dc.failed(err)
	}
	dc.up()
	return nil
}

func (dc *DocumentCache) skip() bool {
	at := dc.retryAt.Load()
	return at != 0 && time.Now().UnixNano() < at
}

func (dc *DocumentCache) failed(err error) error {
	err = fmt.Errorf("redis: document cache: %w", err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	dc.retryAt.Store(time.Now().Add(retryInterval).UnixNano())
	if !dc.down.Swap(true) {
		dc.log.Warn("Redis does not answer: document metadata is read from the store", "error", err)
	}
	return err
}

func (dc *DocumentCache) up() {
	if dc.retryAt.Load() != 0 {
		dc.retryAt.Store(0)
	}
	if dc.down.Load() && dc.down.Swap(false) {
		dc.log.Info("Redis answers again: document metadata is cached again")
	}
}
