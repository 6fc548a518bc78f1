package ws

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// echo answers every message with itself and records closes.
type echo struct {
	mu     sync.Mutex
	closed []*CloseError
}

func (e *echo) Message(c *Conn, msg []byte, b *Batch) { b.Queue(c, msg) }
func (e *echo) Closed(c *Conn, err *CloseError) {
	e.mu.Lock()
	e.closed = append(e.closed, err)
	e.mu.Unlock()
}

// collect records messages a client receives.
type collect struct {
	mu     sync.Mutex
	msgs   [][]byte
	closed chan *CloseError
}

func newCollect() *collect { return &collect{closed: make(chan *CloseError, 1)} }
func (k *collect) Message(c *Conn, msg []byte, b *Batch) {
	k.mu.Lock()
	k.msgs = append(k.msgs, append([]byte(nil), msg...))
	k.mu.Unlock()
}
func (k *collect) Closed(c *Conn, err *CloseError) { k.closed <- err }
func (k *collect) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		k.mu.Lock()
		if len(k.msgs) >= n {
			out := k.msgs
			k.mu.Unlock()
			return out
		}
		k.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("got %d messages, want %d", len(k.msgs), n)
	return nil
}

func startEcho(t *testing.T, cfg Config) (*Loop, *echo, string) {
	t.Helper()
	l, err := NewLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Upgrade(w, r, e, nil)
	}))
	t.Cleanup(func() { srv.Close(); l.Close() })
	return l, e, strings.TrimPrefix(srv.URL, "http://")
}

func TestEchoSizesAndCoalescing(t *testing.T) {
	_, _, addr := startEcho(t, Config{})
	cl, err := NewLoop(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	k := newCollect()
	c, err := cl.Dial(addr, "/", nil, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 70000, 3 << 20}
	var want [][]byte
	for i, n := range sizes {
		m := bytes.Repeat([]byte{byte(i + 1)}, n)
		want = append(want, m)
		c.Queue(m)
	}
	c.Flush()
	got := k.wait(t, len(sizes))
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("message %d: got %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
}

// rawConn dials the echo server and completes the handshake by hand, to
// send frames a well-behaved client never would.
func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := newKey()
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return nc, br
}

func maskedFrame(op byte, fin bool, payload []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	f := AppendFrameHeader(nil, op, fin, len(payload), &key)
	p := append([]byte(nil), payload...)
	maskBytes(key, 0, p)
	return append(f, p...)
}

// readClose reads frames until a close frame and returns its code.
func readClose(t *testing.T, nc net.Conn, br *bufio.Reader) int {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var hb [14]byte
		if _, err := io.ReadFull(br, hb[:2]); err != nil {
			t.Fatalf("reading close: %v", err)
		}
		n := int(hb[1] & 0x7f)
		switch n {
		case 126:
			io.ReadFull(br, hb[2:4])
			n = int(binary.BigEndian.Uint16(hb[2:4]))
		case 127:
			io.ReadFull(br, hb[2:10])
			n = int(binary.BigEndian.Uint64(hb[2:10]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatal(err)
		}
		if hb[0]&0x0f == OpClose {
			if len(p) < 2 {
				return CloseNoStatus
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

func TestProtocolViolationsCloseWithCode(t *testing.T) {
	_, _, addr := startEcho(t, Config{MaxMessageBytes: 1 << 10})
	huge := []byte{0x82, 0x80 | 127, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4} // claims 2^60 bytes
	cases := []struct {
		name  string
		bytes []byte
		code  int
	}{
		{"unmasked", AppendMessage(nil, []byte("hi")), CloseProtocolError},
		{"reserved bits", append([]byte{0xC2}, maskedFrame(OpBinary, true, []byte("x"))[1:]...), CloseProtocolError},
		{"bad opcode", append([]byte{0x83}, maskedFrame(OpBinary, true, []byte("x"))[1:]...), CloseProtocolError},
		{"too big", maskedFrame(OpBinary, true, make([]byte, 2000)), CloseMessageTooBig},
		{"length 2^60", huge, CloseMessageTooBig},
		{"length with top bit", append([]byte{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, 1, 2, 3, 4), CloseProtocolError},
		{"too big in fragments", append(maskedFrame(OpBinary, false, make([]byte, 600)), maskedFrame(OpContinuation, true, make([]byte, 600))...), CloseMessageTooBig},
		{"stray continuation", maskedFrame(OpContinuation, true, []byte("x")), CloseProtocolError},
		{"text", maskedFrame(OpText, true, []byte("x")), CloseUnsupportedData},
		{"long ping", maskedFrame(OpPing, true, make([]byte, 126)), CloseProtocolError},
		{"bad close code", maskedFrame(OpClose, true, []byte{0x03, 0xe8 + 4}), CloseProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, br := rawConn(t, addr)
			nc.Write(tc.bytes)
			if code := readClose(t, nc, br); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
		})
	}
}

func TestFragmentsPingAndCloseHandshake(t *testing.T) {
	_, e, addr := startEcho(t, Config{})
	nc, br := rawConn(t, addr)
	// A fragmented message with a ping between its fragments, written one
	// byte at a time to exercise reassembly across reads.
	var in []byte
	in = append(in, maskedFrame(OpBinary, false, []byte("hel"))...)
	in = append(in, maskedFrame(OpPing, true, []byte("p"))...)
	in = append(in, maskedFrame(OpContinuation, true, []byte("lo"))...)
	for _, b := range in {
		nc.Write([]byte{b})
		time.Sleep(100 * time.Microsecond)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []string
	for len(got) < 2 {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, h[1]&0x7f)
		io.ReadFull(br, p)
		got = append(got, fmt.Sprintf("%x:%s", h[0]&0x0f, p))
	}
	if got[0] != "a:p" || got[1] != "2:hello" {
		t.Fatalf("got %v, want pong then hello", got)
	}
	nc.Write(maskedFrame(OpClose, true, []byte{0x03, 0xe8, 'b', 'y', 'e'}))
	if code := readClose(t, nc, br); code != CloseNormal {
		t.Fatalf("echoed close %d", code)
	}
	// The server then closes the socket.
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after close: %v, want EOF", err)
	}
	time.Sleep(20 * time.Millisecond)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.closed) != 1 || e.closed[0].Code != CloseNormal || e.closed[0].Reason != "bye" || !e.closed[0].Remote {
		t.Fatalf("Closed calls: %+v", e.closed)
	}
}

// slow reads nothing: the server must close it once its queue overflows,
// without stalling anyone else.
type flood struct{ peers []*Conn }

func TestSlowReaderIsClosed(t *testing.T) {
	l, err := NewLoop(Config{SendQueueBytes: 256 << 10, OverflowCode: 4408})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var conns []*Conn
	h := &echo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := l.Upgrade(w, r, h, nil)
		if err == nil {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	nc, _ := rawConn(t, addr) // never reads
	// The server side of the raw connection must be conns[0]: each upgrade
	// runs in its own goroutine, so wait for it before dialing the fast
	// client (otherwise the two can register in either order, and the
	// fast client's connection is then the one flooded with 16 KiB
	// messages and closed).
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(conns) == 1 })
	cl, _ := NewLoop(Config{})
	defer cl.Close()
	k := newCollect()
	fast, err := cl.Dial(addr, "/", nil, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = fast
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(conns) == 2 })
	mu.Lock()
	slow, quick := conns[0], conns[1]
	mu.Unlock()
	msg := make([]byte, 16<<10)
	sent := 0
	for i := 0; i < 2000; i++ {
		slow.Send(msg)
		quick.Send([]byte{byte(i)})
		sent++
		if slow.CloseErr() != nil {
			break
		}
	}
	if ce := slow.CloseErr(); ce == nil || ce.Code != 4408 {
		t.Fatalf("slow reader not closed for overflow: %+v", ce)
	}
	k.wait(t, sent) // the fast client got every message
	_ = nc
}

func TestIdleConnectionIsPingedThenClosed(t *testing.T) {
	_, e, addr := startEcho(t, Config{PingAfter: 300 * time.Millisecond, IdleTimeout: 1500 * time.Millisecond})
	nc, br := rawConn(t, addr)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || h[0]&0x0f != OpPing {
		t.Fatalf("want a ping, got %x %v", h, err)
	}
	if code := readClose(t, nc, br); code != CloseGoingAway {
		t.Fatalf("idle close code %d", code)
	}
	time.Sleep(50 * time.Millisecond)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.closed) != 1 {
		t.Fatalf("Closed calls: %d", len(e.closed))
	}
}

func TestCloseAllSendsCode(t *testing.T) {
	l, _, addr := startEcho(t, Config{})
	nc, br := rawConn(t, addr)
	time.Sleep(20 * time.Millisecond)
	l.CloseAll(CloseServiceRestart, "restart")
	if code := readClose(t, nc, br); code != CloseServiceRestart {
		t.Fatalf("close code %d", code)
	}
	if l.Len() > 1 {
		t.Fatalf("Len = %d", l.Len())
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
