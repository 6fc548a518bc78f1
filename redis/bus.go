package redis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	tandem "github.com/tandem-docs/tandem"
)

// Bus is tandem.DocumentBus over Redis pub/sub: one channel per document
// ({prefix}doc:{document}), subscribed by the instances that have the
// document loaded. Presence counts live in one hash per document
// ({prefix}presence:{document}, a field per instance holding its count and
// when that count expires), so the counts of an instance that died stop
// counting within PresenceTTL even while other instances keep the hash.
type Bus struct {
	c   *Client
	sub *subscriber

	mu       sync.Mutex
	l        tandem.BusListener
	reported map[string]bool // documents whose presence this instance wrote
}

// PresenceTTL is how long an instance's presence count stands without
// being refreshed.
const PresenceTTL = 10 * time.Second

var _ tandem.DocumentBus = (*Bus)(nil)

// Bus returns the client's document bus. Close it before the client.
func (c *Client) Bus() *Bus {
	return &Bus{c: c, reported: map[string]bool{}}
}

func (b *Bus) channel(doc string) string { return b.c.prefix + "doc:" + doc }

// Listen implements tandem.DocumentBus.
func (b *Bus) Listen(l tandem.BusListener) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sub != nil {
		return
	}
	b.l = l
	prefix := b.c.prefix + "doc:"
	b.sub = b.c.newSubscriber(b.c.prefix+"bus", false, func(channel string, payload []byte) {
		doc, ok := strings.CutPrefix(channel, prefix)
		if !ok {
			return
		}
		origin, m, err := decodeMessage(payload)
		if err != nil || origin == b.c.id || m.Document != doc {
			return
		}
		l.BusMessage(m)
	}, l.BusStatus)
}

// Close stops receiving.
func (b *Bus) Close() error {
	b.mu.Lock()
	sub := b.sub
	b.mu.Unlock()
	if sub != nil {
		sub.close()
	}
	return nil
}

// Subscribe implements tandem.DocumentBus. The subscriptions are kept
// across reconnections, even if this call fails because Redis is down.
func (b *Bus) Subscribe(ctx context.Context, documents ...string) error {
	if b.sub == nil {
		return errors.New("redis: bus: Listen first")
	}
	chs := make([]string, len(documents))
	for i, d := range documents {
		chs[i] = b.channel(d)
	}
	if err := b.sub.ps.Subscribe(ctx, chs...); err != nil {
		return fmt.Errorf("redis: subscribe: %w", err)
	}
	return nil
}

// Unsubscribe implements tandem.DocumentBus.
func (b *Bus) Unsubscribe(ctx context.Context, documents ...string) error {
	if b.sub == nil {
		return nil
	}
	chs := make([]string, len(documents))
	for i, d := range documents {
		chs[i] = b.channel(d)
	}
	if err := b.sub.ps.Unsubscribe(ctx, chs...); err != nil {
		return fmt.Errorf("redis: unsubscribe: %w", err)
	}
	return nil
}

// Publish implements tandem.DocumentBus: one round trip for all of msgs.
func (b *Bus) Publish(ctx context.Context, msgs ...tandem.BusMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	pipe := b.c.rdb.Pipeline()
	for _, m := range msgs {
		pipe.Publish(ctx, b.channel(m.Document), encodeMessage(nil, b.c.id, m))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: publish: %w", err)
	}
	return nil
}

// Presence implements tandem.DocumentBus.
func (b *Bus) Presence(ctx context.Context, local map[string]int) (map[string]int, error) {
	now := time.Now()
	until := strconv.FormatInt(now.Add(PresenceTTL).UnixMilli(), 10)
	pipe := b.c.rdb.Pipeline()
	b.mu.Lock()
	for d := range b.reported {
		if local[d] == 0 {
			pipe.HDel(ctx, b.c.prefix+"presence:"+d, b.c.id)
			delete(b.reported, d)
		}
	}
	docs := make([]string, 0, len(local))
	for d, n := range local {
		docs = append(docs, d)
		if n > 0 {
			key := b.c.prefix + "presence:" + d
			pipe.HSet(ctx, key, b.c.id, strconv.Itoa(n)+":"+until)
			pipe.PExpire(ctx, key, 2*PresenceTTL)
			b.reported[d] = true
		}
	}
	b.mu.Unlock()
	reads := make([]*goredis.MapStringStringCmd, len(docs))
	for i, d := range docs {
		reads[i] = pipe.HGetAll(ctx, b.c.prefix+"presence:"+d)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("redis: presence: %w", err)
	}
	out := make(map[string]int, len(docs))
	nowMs := now.UnixMilli()
	var stale []string
	for i, d := range docs {
		for inst, v := range reads[i].Val() {
			if inst == b.c.id {
				continue
			}
			ns, exp, _ := strings.Cut(v, ":")
			n, err1 := strconv.Atoi(ns)
			e, err2 := strconv.ParseInt(exp, 10, 64)
			if err1 != nil || err2 != nil || e < nowMs {
				stale = append(stale, d, inst)
				continue
			}
			out[d] += n
		}
	}
	if len(stale) > 0 {
		// An instance that died: forget its counts.
		pipe := b.c.rdb.Pipeline()
		for i := 0; i < len(stale); i += 2 {
			pipe.HDel(ctx, b.c.prefix+"presence:"+stale[i], stale[i+1])
		}
		pipe.Exec(ctx)
	}
	return out, nil
}

// The message format: a version byte (2), the sender's id, the document,
// then either 'u', the writer, the first seq and the updates, or 'a' and
// an awareness update; lengths and numbers as unsigned varints. Version 1
// (no writer: one sequence per document) is refused: its seqs mean nothing
// to a per-writer reader, which finds those entries in the log instead.
const messageVersion = 2

func encodeMessage(dst []byte, origin string, m tandem.BusMessage) []byte {
	dst = append(dst, messageVersion)
	dst = appendBytes(dst, []byte(origin))
	dst = appendBytes(dst, []byte(m.Document))
	if m.Awareness != nil {
		dst = append(dst, 'a')
		return appendBytes(dst, m.Awareness)
	}
	dst = append(dst, 'u')
	dst = appendBytes(dst, []byte(m.Writer))
	dst = binary.AppendUvarint(dst, m.Seq)
	dst = binary.AppendUvarint(dst, uint64(len(m.Updates)))
	for _, u := range m.Updates {
		dst = appendBytes(dst, u)
	}
	return dst
}

func appendBytes(dst, p []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, p...)
}

var errMessage = errors.New("redis: malformed bus message")

// decodeMessage parses a message; the results alias p.
func decodeMessage(p []byte) (origin string, m tandem.BusMessage, err error) {
	if len(p) == 0 || p[0] != messageVersion {
		return "", m, errMessage
	}
	p = p[1:]
	uv := func() uint64 {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			err = errMessage
			p = nil
			return 0
		}
		p = p[n:]
		return v
	}
	bs := func() []byte {
		n := uv()
		if err != nil || n > uint64(len(p)) {
			err = errMessage
			p = nil
			return nil
		}
		b := p[:n:n]
		p = p[n:]
		return b
	}
	origin = string(bs())
	m.Document = string(bs())
	if err != nil || len(p) == 0 {
		return "", m, errMessage
	}
	kind := p[0]
	p = p[1:]
	switch kind {
	case 'a':
		m.Awareness = bs()
		if m.Awareness == nil {
			m.Awareness = []byte{}
		}
	case 'u':
		m.Writer = string(bs())
		m.Seq = uv()
		n := uv()
		if err != nil || n == 0 || n > uint64(len(p)) || m.Seq == 0 {
			return "", tandem.BusMessage{}, errMessage
		}
		m.Updates = make([][]byte, 0, n)
		for range n {
			m.Updates = append(m.Updates, bs())
		}
	default:
		return "", m, errMessage
	}
	if err != nil || len(p) != 0 {
		return "", tandem.BusMessage{}, errMessage
	}
	return origin, m, nil
}
