package collab

import (
	"context"
	"errors"
	"sync"

	tandem "github.com/tandem-docs/tandem"
)

// MemoryHub connects the Servers of one process as if they were instances
// sharing a Redis: each Bus it hands out is one instance's
// tandem.DocumentBus. It exists for tests (several instances in one test
// process, and a bus that can be taken down on purpose); a real fleet uses
// package redis.
type MemoryHub struct {
	mu    sync.Mutex
	buses []*memoryBus
	down  bool
}

// NewMemoryHub returns a hub with no instances.
func NewMemoryHub() *MemoryHub { return &MemoryHub{} }

// Bus returns a new instance's bus.
func (h *MemoryHub) Bus() tandem.DocumentBus {
	b := &memoryBus{h: h, subs: map[string]bool{}, presence: map[string]int{}, q: make(chan func(), 1<<16)}
	h.mu.Lock()
	h.buses = append(h.buses, b)
	h.mu.Unlock()
	go b.run()
	return b
}

// SetDown takes the hub down (messages are lost, calls fail) or brings it
// back, telling every listener.
func (h *MemoryHub) SetDown(down bool) {
	h.mu.Lock()
	h.down = down
	buses := append([]*memoryBus(nil), h.buses...)
	h.mu.Unlock()
	var err error
	if down {
		err = errHubDown
	}
	for _, b := range buses {
		b.enqueue(func() {
			if l := b.listener(); l != nil {
				l.BusStatus(err)
			}
		})
	}
}

var errHubDown = errors.New("memory hub is down")

type memoryBus struct {
	h        *MemoryHub
	mu       sync.Mutex
	l        tandem.BusListener
	subs     map[string]bool
	presence map[string]int
	q        chan func()
}

func (b *memoryBus) run() {
	for f := range b.q {
		f()
	}
}

func (b *memoryBus) enqueue(f func()) {
	select {
	case b.q <- f:
	default: // a subscriber far behind loses messages, as with Redis
	}
}

func (b *memoryBus) listener() tandem.BusListener {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.l
}

func (b *memoryBus) Listen(l tandem.BusListener) {
	b.mu.Lock()
	b.l = l
	b.mu.Unlock()
}

func (b *memoryBus) Subscribe(_ context.Context, documents ...string) error {
	b.mu.Lock()
	for _, d := range documents {
		b.subs[d] = true
	}
	b.mu.Unlock()
	return b.h.err()
}

func (b *memoryBus) Unsubscribe(_ context.Context, documents ...string) error {
	b.mu.Lock()
	for _, d := range documents {
		delete(b.subs, d)
	}
	b.mu.Unlock()
	return b.h.err()
}

func (h *MemoryHub) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return errHubDown
	}
	return nil
}

func (b *memoryBus) Publish(_ context.Context, msgs ...tandem.BusMessage) error {
	b.h.mu.Lock()
	if b.h.down {
		b.h.mu.Unlock()
		return errHubDown
	}
	buses := append([]*memoryBus(nil), b.h.buses...)
	b.h.mu.Unlock()
	for _, m := range msgs {
		m := copyMessage(m)
		for _, o := range buses {
			if o == b {
				continue
			}
			o.mu.Lock()
			sub := o.subs[m.Document]
			o.mu.Unlock()
			if sub {
				o.enqueue(func() {
					if l := o.listener(); l != nil {
						l.BusMessage(m)
					}
				})
			}
		}
	}
	return nil
}

func copyMessage(m tandem.BusMessage) tandem.BusMessage {
	c := m
	if m.Awareness != nil {
		c.Awareness = append([]byte{}, m.Awareness...)
	}
	if m.Updates != nil {
		c.Updates = make([][]byte, len(m.Updates))
		for i, u := range m.Updates {
			c.Updates[i] = append([]byte(nil), u...)
		}
	}
	return c
}

func (b *memoryBus) Presence(_ context.Context, local map[string]int) (map[string]int, error) {
	if err := b.h.err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.presence = make(map[string]int, len(local))
	for d, n := range local {
		if n > 0 {
			b.presence[d] = n
		}
	}
	b.mu.Unlock()
	b.h.mu.Lock()
	buses := append([]*memoryBus(nil), b.h.buses...)
	b.h.mu.Unlock()
	out := map[string]int{}
	for _, o := range buses {
		if o == b {
			continue
		}
		o.mu.Lock()
		for d := range local {
			if n := o.presence[d]; n > 0 {
				out[d] += n
			}
		}
		o.mu.Unlock()
	}
	return out, nil
}
