package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

// testURL is the Redis the tests use (TANDEM_TEST_REDIS_URL, by default
// the local server). The tests fail if it is down: a silent skip would hide
// that.
func testURL() string {
	if u := os.Getenv("TANDEM_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// openTest returns a client with a prefix of its own.
func openTest(t testing.TB, prefix string) *Client {
	t.Helper()
	c, err := Open(testURL(), Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Redis (TANDEM_TEST_REDIS_URL): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "tandemtest:" + hex.EncodeToString(b) + ":"
}

func TestBus(t *testing.T) {
	tandemtest.TestDocumentBus(t, func(t *testing.T) (tandem.DocumentBus, tandem.DocumentBus) {
		p := testPrefix()
		a, b := openTest(t, p).Bus(), openTest(t, p).Bus()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(encodeMessage(nil, "origin", tandem.BusMessage{Document: "d", Writer: "w", Seq: 3, Updates: [][]byte{{1, 2}, {3}}}))
	f.Add(encodeMessage(nil, "o", tandem.BusMessage{Document: "d", Awareness: []byte{1, 2, 3}}))
	f.Add([]byte{2, 0, 0, 'u', 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, p []byte) {
		origin, m, err := decodeMessage(p)
		if err != nil {
			return
		}
		// What decodes re-encodes to bytes that decode to the same message
		// (not always the same bytes: a var-int may be written longer).
		o2, m2, err := decodeMessage(encodeMessage(nil, origin, m))
		if err != nil || o2 != origin || fmt.Sprint(m2) != fmt.Sprint(m) {
			t.Fatalf("%x: decoded %q %+v, re-decoded %q %+v (%v)", p, origin, m, o2, m2, err)
		}
	})
}

// TestPermissionChangesReachEveryInstance: a change published on one
// instance reaches the subscribers of both, once each.
func TestPermissionChangesReachEveryInstance(t *testing.T) {
	p := testPrefix()
	a, b := openTest(t, p).PermissionChanges(), openTest(t, p).PermissionChanges()
	t.Cleanup(func() { a.Close(); b.Close() })
	var mu sync.Mutex
	var gotA, gotB []tandem.PermissionChange
	if _, err := a.Subscribe(func(c tandem.PermissionChange) { mu.Lock(); gotA = append(gotA, c); mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	cancel, err := b.Subscribe(func(c tandem.PermissionChange) { mu.Lock(); gotB = append(gotB, c); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the subscription is confirmed asynchronously
	want := tandem.PermissionChange{OrganizationID: "o1", UserID: "u1", DocumentID: "d1"}
	if err := a.Publish(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(gotA) != 1 || gotA[0] != want {
		t.Fatalf("the publishing instance heard %v synchronously, want [%v]", gotA, want)
	}
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(gotB)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if len(gotB) != 1 || gotB[0] != want || len(gotA) != 1 {
		t.Fatalf("other instance heard %v, publisher %v", gotB, gotA)
	}
	mu.Unlock()
	cancel()
	a.Publish(context.Background(), tandem.PermissionChange{UserID: "u2"})
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(gotB) != 1 {
		t.Fatalf("a cancelled subscriber heard %v", gotB)
	}
}

// TestBusReportsRedisDownAndBack: a bus on a Redis that stops and starts
// again says so, and is subscribed again afterwards.
func TestBusReportsRedisDownAndBack(t *testing.T) {
	port := freePort(t)
	start := func() *exec.Cmd {
		cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	srv := start()
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	waitPing := func(c *Client) {
		deadline := time.Now().Add(10 * time.Second)
		for c.Ping(context.Background()) != nil {
			if time.Now().After(deadline) {
				t.Fatal("redis-server did not answer")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ca, err := Open(url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := Open(url, Options{})
	t.Cleanup(func() { ca.Close(); cb.Close() })
	waitPing(ca)
	a, b := ca.Bus(), cb.Bus()
	t.Cleanup(func() { a.Close(); b.Close() })
	var ra statusRecorder
	a.Listen(&ra)
	b.Listen(&statusRecorder{})
	if err := a.Subscribe(context.Background(), "doc"); err != nil {
		t.Fatal(err)
	}
	srv.Process.Kill()
	srv.Wait()
	ra.wait(t, "down", func(s []error) bool { return len(s) >= 1 && s[len(s)-1] != nil })
	if ca.Ping(context.Background()) == nil {
		t.Fatal("Ping succeeded with Redis down")
	}
	start()
	ra.wait(t, "back", func(s []error) bool { return len(s) >= 2 && s[len(s)-1] == nil })
	// Subscribed again: a message from b arrives.
	deadline := time.Now().Add(5 * time.Second)
	for len(ra.messages()) == 0 {
		b.Publish(context.Background(), tandem.BusMessage{Document: "doc", Seq: 1, Updates: [][]byte{{1}}})
		if time.Now().After(deadline) {
			t.Fatal("no message after Redis came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type statusRecorder struct {
	mu     sync.Mutex
	status []error
	msgs   []tandem.BusMessage
}

func (r *statusRecorder) BusMessage(m tandem.BusMessage) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *statusRecorder) BusStatus(err error) {
	r.mu.Lock()
	r.status = append(r.status, err)
	r.mu.Unlock()
}

func (r *statusRecorder) messages() []tandem.BusMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tandem.BusMessage(nil), r.msgs...)
}

func (r *statusRecorder) wait(t *testing.T, what string, cond func([]error) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.status)
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the bus to report %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
