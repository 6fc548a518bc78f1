package app

import (
	"context"
	"sync"

	"github.com/tandem-docs/tandem"
)

// LocalChanges is the in-process tandem.PermissionChanges: subscribers in
// this process hear every change published in it.
type LocalChanges struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(tandem.PermissionChange)
}

// NewLocalChanges returns a LocalChanges with no subscribers.
func NewLocalChanges() *LocalChanges {
	return &LocalChanges{subs: make(map[int]func(tandem.PermissionChange))}
}

// Publish calls every subscriber, synchronously, so that by the time the
// operation that changed a permission returns, listeners have heard of it.
func (l *LocalChanges) Publish(_ context.Context, c tandem.PermissionChange) error {
	l.mu.RLock()
	fns := make([]func(tandem.PermissionChange), 0, len(l.subs))
	for _, fn := range l.subs {
		fns = append(fns, fn)
	}
	l.mu.RUnlock()
	for _, fn := range fns {
		fn(c)
	}
	return nil
}

// Subscribe implements tandem.PermissionChanges.
func (l *LocalChanges) Subscribe(fn func(tandem.PermissionChange)) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	l.subs[id] = fn
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.subs, id)
	}, nil
}
