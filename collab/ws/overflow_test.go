package ws

import (
	"bufio"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOverflowCloseFrameFollowsTheWire: when a connection overflows, the
// frames not yet started are dropped and the close frame follows right
// behind what is on the wire, so a client that reads later finds a valid
// stream ending in the close code.
func TestOverflowCloseFrameFollowsTheWire(t *testing.T) {
	for _, shared := range []bool{false, true} {
		l, err := NewLoop(Config{SendQueueBytes: 256 << 10, OverflowCode: 4408})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []*Conn
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := l.Upgrade(w, r, &echo{}, nil)
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}))
		nc, br := rawConn(t, strings.TrimPrefix(srv.URL, "http://"))
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		c := conns[0]
		mu.Unlock()
		frame := AppendMessage(nil, make([]byte, 64<<10))
		sent := 0
		for c.CloseErr() == nil && sent < 10000 {
			if shared {
				c.QueueFrame(frame)
			} else {
				c.Queue(make([]byte, 64<<10))
			}
			c.Flush()
			sent++
		}
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		frames, code := 0, 0
		for code == 0 {
			var h [10]byte
			if _, err := io.ReadFull(br, h[:2]); err != nil {
				t.Fatalf("shared=%v: after %d of %d frames: %v", shared, frames, sent, err)
			}
			n := int(h[1] & 0x7f)
			if n == 127 {
				io.ReadFull(br, h[2:10])
				n = int(binary.BigEndian.Uint64(h[2:10]))
			} else if n == 126 {
				io.ReadFull(br, h[2:4])
				n = int(binary.BigEndian.Uint16(h[2:4]))
			}
			p := make([]byte, n)
			if k, err := io.ReadFull(br, p); err != nil {
				t.Fatalf("shared=%v: frame %d of %d: %d of %d payload bytes: %v", shared, frames, sent, k, n, err)
			}
			if h[0]&0x0f == OpClose {
				code = int(binary.BigEndian.Uint16(p))
			}
			frames++
		}
		if code != 4408 {
			t.Fatalf("close code %d", code)
		}
		t.Logf("shared=%v: %d frames queued, %d read before the close", shared, sent, frames-1)
		srv.Close()
		l.Close()
		_ = bufio.NewReader
	}
}
