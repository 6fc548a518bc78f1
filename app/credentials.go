package app

import (
	"sync"
	"time"

	"github.com/tandem-docs/tandem"
)

// credentialCache remembers, for a short while, what a session cookie or an
// API token resolved to (the session or token row, and the membership it
// works in), so that a burst of requests from one browser or script reads
// it from the database once rather than once per request. On the API
// benchmark that statement is about a third of the work of fetching a
// document's metadata.
//
// What it may never do is let a revoked credential or a lowered role through
// after the revocation took effect. Every change that shrinks what a
// credential resolves to (logout, password change, role change, removal
// from the organization, a token deleted, the organization's default access,
// a session switching organizations) is published as a
// tandem.PermissionChange, and the cache drops everything it holds when it
// hears one that is not about a single document:
//
//   - On the instance that made the change, the notice is delivered before
//     the request that made it returns, so the next request, here, reads
//     the database. With one process (SQLite, the embedded defaults) that
//     is exact.
//   - Other instances hear it over Redis within a round trip. If Redis
//     loses it (Redis down), the entry's lifetime (ttl, default one second)
//     bounds how long they can go on using it: the same bound the realtime
//     service keeps for open WebSockets.
//
// A read that raced a change cannot put the old answer back: a change bumps
// gen, and an answer read before the bump is not stored. Only answers that
// let the request in are stored; refusals always go to the database.
type credentialCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	gen     uint64
	entries map[string]credential
}

// credential is what one session or token hash resolved to.
type credential struct {
	expires    time.Time // of this entry, not of the credential
	session    tandem.Session
	token      tandem.APIToken
	membership tandem.Membership
}

// maxCredentials bounds the entries; at a one-second lifetime it is reached
// only by more distinct callers per second than an instance serves.
const maxCredentials = 10000

func newCredentialCache(ttl time.Duration) *credentialCache {
	return &credentialCache{ttl: ttl, max: maxCredentials, entries: map[string]credential{}}
}

// get returns the live entry for hash, if any, and the generation to pass
// to put after reading the database on a miss.
func (c *credentialCache) get(hash string, now time.Time) (credential, uint64, bool) {
	if c == nil {
		return credential{}, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if ok && !now.Before(e.expires) {
		delete(c.entries, hash)
		ok = false
	}
	return e, c.gen, ok
}

// put stores what hash resolved to, read from the database at generation
// gen; nothing if a change was heard since.
func (c *credentialCache) put(hash string, gen uint64, now time.Time, e credential) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= c.max {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	e.expires = now.Add(c.ttl)
	c.entries[hash] = e
}

// touched records that the credential's last use was written, so that the
// requests after this one do not write it again.
func (c *credentialCache) touched(hash string, fn func(*credential)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok {
		fn(&e)
		c.entries[hash] = e
	}
}

// changed forgets everything: a permission changed somewhere.
func (c *credentialCache) changed(ch tandem.PermissionChange) {
	if c == nil || ch.DocumentID != "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}
