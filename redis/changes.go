package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	tandem "github.com/tandem-docs/tandem"
)

// PermissionChanges is tandem.PermissionChanges over Redis pub/sub: a change
// published on any instance reaches the subscribers of every instance (this
// one's synchronously, before Publish returns, the others' within a round
// trip). If Redis was down, revocations published meanwhile may have been
// missed, so when it comes back subscribers hear an empty change, which
// means "re-check everything".
type PermissionChanges struct {
	c *Client

	mu   sync.Mutex
	next int
	subs map[int]func(tandem.PermissionChange)
	sub  *subscriber
}

var _ tandem.PermissionChanges = (*PermissionChanges)(nil)

// PermissionChanges returns the client's permission-change channel. Close
// it before the client.
func (c *Client) PermissionChanges() *PermissionChanges {
	return &PermissionChanges{c: c, subs: map[int]func(tandem.PermissionChange){}}
}

type changeMessage struct {
	Origin         string `json:"o"`
	OrganizationID string `json:"org,omitempty"`
	UserID         string `json:"user,omitempty"`
	DocumentID     string `json:"doc,omitempty"`
}

func (p *PermissionChanges) channel() string { return p.c.prefix + "permissions" }

// Publish implements tandem.PermissionChanges. Local subscribers hear the
// change even if Redis is down; the error then says that other instances
// did not.
func (p *PermissionChanges) Publish(ctx context.Context, c tandem.PermissionChange) error {
	p.deliver(c)
	b, _ := json.Marshal(changeMessage{Origin: p.c.id, OrganizationID: c.OrganizationID, UserID: c.UserID, DocumentID: c.DocumentID})
	if err := p.c.rdb.Publish(ctx, p.channel(), b).Err(); err != nil {
		return fmt.Errorf("redis: publish permission change: %w", err)
	}
	return nil
}

func (p *PermissionChanges) deliver(c tandem.PermissionChange) {
	p.mu.Lock()
	fns := make([]func(tandem.PermissionChange), 0, len(p.subs))
	for _, fn := range p.subs {
		fns = append(fns, fn)
	}
	p.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// Subscribe implements tandem.PermissionChanges.
func (p *PermissionChanges) Subscribe(fn func(tandem.PermissionChange)) (func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sub == nil {
		p.sub = p.c.newSubscriber(p.channel(), true, p.received, func(err error) {
			if err == nil {
				p.deliver(tandem.PermissionChange{})
			}
		})
	}
	id := p.next
	p.next++
	p.subs[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.subs, id)
	}, nil
}

func (p *PermissionChanges) received(channel string, payload []byte) {
	var m changeMessage
	if json.Unmarshal(payload, &m) != nil || m.Origin == p.c.id {
		return
	}
	p.deliver(tandem.PermissionChange{OrganizationID: m.OrganizationID, UserID: m.UserID, DocumentID: m.DocumentID})
}

// Close stops receiving.
func (p *PermissionChanges) Close() error {
	p.mu.Lock()
	sub := p.sub
	p.mu.Unlock()
	if sub != nil {
		sub.close()
	}
	return nil
}
