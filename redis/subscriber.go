package redis

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscriber runs one Redis pub/sub connection: it receives messages and
// watches the connection, reporting when it goes down and when it is back
// (resubscribed), so that users can catch up on what they missed.
type subscriber struct {
	ps      *goredis.PubSub
	control string // always subscribed, so a reconnect always confirms
	// ownControl: the control channel's messages go to onMsg too.
	ownControl bool
	onMsg      func(channel string, payload []byte)
	onState    func(err error)

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (c *Client) newSubscriber(control string, ownControl bool, onMsg func(string, []byte), onState func(error)) *subscriber {
	s := &subscriber{
		ps:         c.rdb.Subscribe(context.Background()),
		control:    control,
		ownControl: ownControl,
		onMsg:      onMsg,
		onState:    onState,
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	// Recorded even if Redis is down now: go-redis subscribes it when the
	// connection comes up.
	s.ps.Subscribe(context.Background(), control)
	go s.run()
	return s
}

func (s *subscriber) run() {
	defer close(s.done)
	ctx := context.Background()
	down := false
	setDown := func(err error) {
		if !down {
			down = true
			s.onState(err)
		}
	}
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		msg, err := s.ps.ReceiveTimeout(ctx, time.Second)
		if err != nil {
			select {
			case <-s.stop:
				return // closing
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !down {
				// Quiet: check that the connection is alive.
				if perr := s.ps.Ping(ctx); perr != nil {
					setDown(perr)
				}
				continue
			}
			if errors.Is(err, goredis.ErrClosed) {
				return
			}
			setDown(err)
			select {
			case <-s.stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if down && m.Kind == "subscribe" && m.Channel == s.control {
				// Reconnected and resubscribed (the control channel comes
				// with the others, so they are subscribed again too).
				down = false
				s.onState(nil)
			}
		case *goredis.Message:
			if m.Channel != s.control || s.ownControl {
				s.onMsg(m.Channel, []byte(m.Payload))
			}
		case *goredis.Pong:
		}
	}
}

func (s *subscriber) close() {
	s.once.Do(func() {
		close(s.stop)
		s.ps.Close()
		<-s.done
	})
}
