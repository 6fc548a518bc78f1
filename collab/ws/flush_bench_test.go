package ws

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type discard struct{}

func (discard) Message(c *Conn, msg []byte, b *Batch) {}
func (discard) Closed(c *Conn, err *CloseError)       {}

// BenchmarkQueueFlush queues a small message on a connection and flushes
// it, as a broadcast does for each receiver: one write, and no allocation
// once the connection has flushed before.
func BenchmarkQueueFlush(b *testing.B) {
	l, err := NewLoop(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Upgrade(w, r, discard{}, nil)
	}))
	defer srv.Close()
	c, err := l.Dial(strings.TrimPrefix(srv.URL, "http://"), "/", nil, discard{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 40)
	var batch Batch
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		batch.Queue(c, msg)
		batch.Flush()
	}
}
