package collab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
)

// write sends an update from a y-websocket client and returns after the
// other client received it (the update was applied, logged and fanned out).
func writeVia(t *testing.T, w, observer *rawClient, u []byte, marker string) {
	t.Helper()
	w.send(updateMsg(u))
	observer.wait("update "+marker, func(b []byte) bool { return bytes.Contains(b, []byte(marker)) })
}

func TestSyncStep1IsAnsweredWithExactlyTheMissingPart(t *testing.T) {
	ts := startServer(t, Config{})
	a := dialYWS(t, ts, "diff", "alice:rw")
	o := dialYWS(t, ts, "diff", "olga:rw")
	a.wait("server step 1", isSync(syncStep1))
	writeVia(t, a, o, textInsert(1001, 0, "hello"), "hello")
	writeVia(t, a, o, textInsert(1001, 5, "WORLD"), "WORLD")

	// A client that has client 1001 up to clock 5 gets only the rest.
	b := dialYWS(t, ts, "diff", "bob:rw")
	b.wait("server step 1", isSync(syncStep1))
	sv := appendVarUint(appendVarUint([]byte{1}, 1001), 5)
	b.send(step1Msg(sv))
	step2 := b.wait("step 2", isSync(syncStep2))
	if !bytes.Contains(step2, []byte("WORLD")) || bytes.Contains(step2, []byte("hello")) {
		t.Fatalf("step 2 for a client at clock 5 = %q, want only WORLD", step2)
	}
	// An empty client gets everything.
	c := dialYWS(t, ts, "diff", "carol:rw")
	c.send(step1Msg([]byte{0}))
	full := c.wait("step 2", isSync(syncStep2))
	if !bytes.Contains(full, []byte("hello")) || !bytes.Contains(full, []byte("WORLD")) {
		t.Fatalf("full step 2 = %q", full)
	}
	// Hocuspocus: step 2, then the server's step 1, and an ack for the
	// client's own step 2.
	h := dialHP(t, ts, "diff", "hugo:rw")
	h.send(step1Msg([]byte{0}))
	h.wait("hp step 2", func(b []byte) bool { return isSync(syncStep2)(b) && bytes.Contains(b, []byte("WORLD")) })
	h.wait("hp step 1", isSync(syncStep1))
	h.send(appendSync(nil, syncStep2, []byte{0, 0}))
	h.wait("sync status", isSyncStatus)
}

func TestMalformedInputClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, Config{})
	bystander := dialYWS(t, ts, "mal", "olga:rw")
	writer := dialHP(t, ts, "mal", "will:rw")
	writer.wait("authenticated", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authAuthenticated })
	bad := func(typ byte, p ...byte) []byte { return append([]byte{typ}, p...) }
	cases := []struct {
		name string
		body []byte
		code int
	}{
		{"bad var-uint", bytes.Repeat([]byte{0xff}, 11), CloseMalformed},
		{"truncated sync", bad(msgSync, syncUpdate, 50, 1, 2, 3), CloseMalformed},
		{"unknown sync type", bad(msgSync, 9, 0), CloseMalformed},
		{"undecodable update", updateMsg([]byte{1, 1, 0xde, 0xad, 0xbe, 0xef, 0x7f, 0x7f}), CloseMalformed},
		{"update with a dangling parent", updateMsg([]byte{1, 1, 5, 0, 0x04, 0}), CloseMalformed},
		{"unknown message type", bad(99), CloseUnknownType},
		{"bad awareness", bad(msgAwareness, 3, 5, 1, 1), CloseMalformed},
		{"awareness count past the data", bad(msgAwareness, 2, 0xff, 0x7f), CloseMalformed},
	}
	for i, tc := range cases {
		for _, hp := range []bool{false, true} {
			name := tc.name
			if hp {
				name += "/hocuspocus"
			}
			t.Run(name, func(t *testing.T) {
				var k *rawClient
				if hp {
					k = dialHP(t, ts, "mal", "mal:rw")
					k.wait("authenticated", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth })
				} else {
					k = dialYWS(t, ts, "mal", "mal:rw")
					k.wait("server step 1", isSync(syncStep1))
				}
				k.send(tc.body)
				if err := k.waitClose(); err.Code != tc.code {
					t.Fatalf("close %d %q, want %d", err.Code, err.Reason, tc.code)
				}
				// The document and the others are unaffected.
				marker := fmt.Sprintf("still-fine-%d-%v", i, hp)
				writer.send(updateMsg(textInsert(uint64(2000+i*2+boolInt(hp)), 0, marker)))
				bystander.wait(marker, func(b []byte) bool { return bytes.Contains(b, []byte(marker)) })
			})
		}
	}
	// A Hocuspocus message for a document that was never authenticated.
	k := dialRaw(t, ts, "/collab", true, "other")
	k.send(step1Msg([]byte{0}))
	if err := k.waitClose(); err.Code != CloseForbidden {
		t.Fatalf("unauthenticated document: close %d", err.Code)
	}
	// Messages for a document that was denied are ignored; the socket and
	// its other documents go on.
	d := dialHP(t, ts, "mal", "eve:none")
	d.wait("permission denied", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authPermissionDenied })
	d.send(appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: 1, clock: 1, state: []byte(`{}`)}})))
	d.send(updateMsg(textInsert(66, 0, "denied-edit")))
	d.doc = "mal-2"
	d.send(appendVarString([]byte{msgAuth, authToken}, "eve:rw"))
	d.wait("authenticated", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authAuthenticated })
	st, _ := ts.log.Load(t.Context(), "mal")
	for _, u := range st.Updates {
		if bytes.Contains(u.Update, []byte("denied-edit")) {
			t.Fatal("a denied client's update was stored")
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLimits(t *testing.T) {
	t.Run("MessageSize", func(t *testing.T) {
		ts := startServer(t, Config{MaxMessageBytes: 1 << 10})
		k := dialYWS(t, ts, "big", "a:rw")
		k.send(updateMsg(textInsert(1, 0, strings.Repeat("x", 2000))))
		if err := k.waitClose(); err.Code != ws.CloseMessageTooBig {
			t.Fatalf("close %d, want 1009", err.Code)
		}
	})
	t.Run("DocumentSize", func(t *testing.T) {
		ts := startServer(t, Config{MaxDocumentBytes: 300})
		k := dialYWS(t, ts, "full", "a:rw")
		o := dialYWS(t, ts, "full", "o:rw")
		writeVia(t, k, o, textInsert(1, 0, strings.Repeat("a", 200)), "aaaa")
		k.send(updateMsg(textInsert(1, 200, strings.Repeat("b", 200))))
		if err := k.waitClose(); err.Code != CloseDocumentTooLarge {
			t.Fatalf("close %d, want %d", err.Code, CloseDocumentTooLarge)
		}
		if o.count(func(b []byte) bool { return bytes.Contains(b, []byte("bbbb")) }) != 0 {
			t.Fatal("the refused update was broadcast")
		}
	})
	t.Run("UpdateRate", func(t *testing.T) {
		ts := startServer(t, Config{UpdatesPerSecond: 5, UpdateBurst: 5})
		k := dialYWS(t, ts, "rate", "a:rw")
		k.wait("step 1", isSync(syncStep1))
		for i := range 20 {
			k.send(updateMsg(textInsert(1, uint64(i), "x")))
		}
		if err := k.waitClose(); err.Code != CloseRateLimited {
			t.Fatalf("close %d, want %d", err.Code, CloseRateLimited)
		}
	})
	t.Run("AwarenessRate", func(t *testing.T) {
		ts := startServer(t, Config{AwarenessPerSecond: 2, AwarenessBurst: 2})
		k := dialYWS(t, ts, "arate", "a:rw")
		k.wait("step 1", isSync(syncStep1))
		for i := range 10 {
			k.send(appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: 5, clock: uint64(i + 1), state: []byte(`{}`)}})))
		}
		if err := k.waitClose(); err.Code != CloseRateLimited {
			t.Fatalf("close %d, want %d", err.Code, CloseRateLimited)
		}
	})
	t.Run("ConnectionsPerDocument", func(t *testing.T) {
		ts := startServer(t, Config{ConnectionsPerDocument: 2})
		a := dialYWS(t, ts, "crowd", "a:rw")
		b := dialYWS(t, ts, "crowd", "b:rw")
		a.wait("step 1", isSync(syncStep1))
		b.wait("step 1", isSync(syncStep1))
		c := dialYWS(t, ts, "crowd", "c:rw")
		if err := c.waitClose(); err.Code != CloseTryAgain {
			t.Fatalf("close %d, want %d", err.Code, CloseTryAgain)
		}
		// Another document is not affected.
		d := dialYWS(t, ts, "elsewhere", "c:rw")
		d.wait("step 1", isSync(syncStep1))
	})
}

// TestSlowClientIsDisconnected: a client that never reads is closed with
// 4408 once its queue passes the bound; a reading client of the same
// document gets every update meanwhile.
func TestSlowClientIsDisconnected(t *testing.T) {
	ts := startServer(t, Config{SendQueueBytes: 256 << 10, UpdatesPerSecond: 1e6, UpdateBurst: 1e6, MaxDocumentBytes: 1 << 30, CompactAfterBytes: 1 << 30})
	// The slow client: a handshake by hand, then it stops reading.
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "GET /collab/slow?token=s:rw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(nc)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	fast := dialYWS(t, ts, "slow", "f:rw")
	w := dialYWS(t, ts, "slow", "w:rw")
	w.wait("step 1", isSync(syncStep1))
	fast.wait("step 1", isSync(syncStep1))
	// More than the kernel's socket buffers (a few MiB on loopback) absorb.
	chunk := strings.Repeat("z", 64<<10)
	const n = 160
	start := time.Now()
	got := func() int { return fast.count(func(b []byte) bool { return bytes.Contains(b, []byte("zzzz")) }) }
	// Once the server gives up on the slow client it waits only a couple
	// of seconds for it to take the rest of its stream (the close frame
	// included) before it drops the socket; so the slow client starts
	// reading as soon as the server has closed it, while the writer goes
	// on, however slow the machine is.
	slowCode := make(chan int, 1)
	drain := func() {
		nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		frames := 0
		for {
			var h [2]byte
			if _, err := io.ReadFull(br, h[:]); err != nil {
				t.Errorf("slow client: no close frame after %d frames: %v", frames, err)
				slowCode <- 0
				return
			}
			frames++
			l := int(h[1] & 0x7f)
			switch l {
			case 126:
				var x [2]byte
				io.ReadFull(br, x[:])
				l = int(binary.BigEndian.Uint16(x[:]))
			case 127:
				var x [8]byte
				io.ReadFull(br, x[:])
				l = int(binary.BigEndian.Uint64(x[:]))
			}
			p := make([]byte, l)
			if k, err := io.ReadFull(br, p); err != nil {
				t.Errorf("slow client: frame %d header %x len %d: read %d: %v", frames, h, l, k, err)
				slowCode <- 0
				return
			}
			if h[0]&0x0f == ws.OpClose {
				slowCode <- int(binary.BigEndian.Uint16(p))
				return
			}
		}
	}
	draining := false
	checkSlow := func() {
		if !draining && ts.srv.Stats().Connections < 3 {
			draining = true
			go drain()
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := range n {
		w.send(updateMsg(textInsert(7, uint64(i*len(chunk)), chunk)))
		// Pace the writer by the fast reader, so that only the slow
		// client falls behind.
		for got() < i+1-4 {
			if time.Now().After(deadline) {
				t.Fatalf("fast client got %d of %d updates", got(), i+1)
			}
			checkSlow()
			time.Sleep(time.Millisecond)
		}
		checkSlow()
	}
	for got() < n {
		if time.Now().After(deadline) {
			t.Fatalf("fast client got %d of %d updates", got(), n)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("fast client received %d updates of 64 KiB in %v", n, time.Since(start))
	if !draining {
		t.Fatal("the slow client was not disconnected")
	}
	code := <-slowCode
	if code != CloseTooSlow {
		t.Fatalf("slow client closed with %d, want %d", code, CloseTooSlow)
	}
}

// TestDocumentsUnloadAndMemoryReturnsToBaseline opens many documents,
// lets their clients leave, and checks that the documents are unloaded
// and the heap is back near where it started.
func TestDocumentsUnloadAndMemoryReturnsToBaseline(t *testing.T) {
	ts := startServer(t, Config{UnloadGrace: 100 * time.Millisecond})
	heap := func() uint64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	warm := func(prefix string, docs int) {
		var cs []*rawClient
		for i := range docs {
			doc := fmt.Sprintf("%s-%d", prefix, i)
			k := dialYWS(t, ts, doc, "a:rw")
			cs = append(cs, k)
			k.send(updateMsg(textInsert(uint64(100+i), 0, strings.Repeat("m", 4<<10))))
			k.send(appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: uint64(100 + i), clock: 1, state: []byte(`{"user":"a"}`)}})))
			k.send(step1Msg([]byte{0}))
		}
		for _, k := range cs {
			k.wait("step 2", func(b []byte) bool { return isSync(syncStep2)(b) && bytes.Contains(b, []byte("mmmm")) })
			k.c.Close(ws.CloseNormal, "bye")
			k.mu.Lock()
			k.msgs = nil // the test's own copies are not the server's memory
			k.mu.Unlock()
		}
		deadline := time.Now().Add(10 * time.Second)
		for ts.srv.Stats().LoadedDocuments > 0 || ts.srv.Stats().Connections > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("still loaded after the grace period: %+v", ts.srv.Stats())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	warm("warmup", 20) // first use grows pools and maps to their working size
	base := heap()
	warm("docs", 200)
	// The SQLite log keeps the rows of its journal in memory until its
	// next fold (bounded by its size, see sqlite/journal.go): fold now.
	if f, ok := ts.log.(interface{ Fold(context.Context) error }); ok {
		if err := f.Fold(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	t.Logf("heap: baseline %d KiB, after 200 documents came and went %d KiB", base>>10, after>>10)
	if after > base+1<<20 {
		t.Fatalf("heap grew by %d KiB after every document unloaded", (after-base)>>10)
	}
	// The documents were persisted before unloading.
	st, err := ts.log.Load(context.Background(), "docs-7")
	if err != nil || st.Size() == 0 {
		t.Fatalf("docs-7 not stored: %+v %v", st, err)
	}
}

func TestMemoryBudgetUnloadsIdleDocumentsFirst(t *testing.T) {
	ts := startServer(t, Config{UnloadGrace: time.Hour, MemoryBudgetBytes: 100 << 10, MemoryPerDocumentByte: 8})
	active := dialYWS(t, ts, "active", "a:rw")
	active.send(updateMsg(textInsert(1, 0, strings.Repeat("a", 1<<10))))
	active.send(step1Msg([]byte{0}))
	active.wait("step 2", isSync(syncStep2))
	for i := range 10 {
		k := dialYWS(t, ts, fmt.Sprintf("idle-%d", i), "a:rw")
		k.send(updateMsg(textInsert(2, 0, strings.Repeat("i", 2<<10))))
		k.send(step1Msg([]byte{0}))
		k.wait("step 2", isSync(syncStep2))
		k.c.Close(ws.CloseNormal, "")
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.Stats().LoadedDocuments > 6 {
		if time.Now().After(deadline) {
			t.Fatalf("memory budget not enforced: %+v", ts.srv.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The document with a client stays.
	active.send(updateMsg(textInsert(1, 1<<10, "still-here")))
	o := dialYWS(t, ts, "active", "o:rw")
	o.send(step1Msg([]byte{0}))
	o.wait("active content", func(b []byte) bool { return bytes.Contains(b, []byte("still-here")) })
}

// TestRevocationTakesEffectWithinASecond revokes and downgrades open
// connections of both dialects.
func TestRevocationTakesEffectWithinASecond(t *testing.T) {
	ts := startServer(t, Config{})
	y := dialYWS(t, ts, "rev", "yuri:rw")
	h := dialHP(t, ts, "rev", "hana:rw")
	h2 := dialHP(t, ts, "rev-other", "hana:rw") // another document on another socket
	y.wait("step 1", isSync(syncStep1))
	h.wait("authenticated", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authAuthenticated })
	h2.wait("authenticated", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authAuthenticated })

	ts.auth.set("yuri", "rev", tandem.AccessNone)
	ts.auth.set("hana", "rev", tandem.AccessReadOnly)
	start := time.Now()
	ts.srv.Reauthorize(context.Background(), "rev")
	if err := y.waitClose(); err.Code != CloseForbidden {
		t.Fatalf("revoked y-websocket client closed with %d", err.Code)
	}
	h.wait("read-only scope", func(b []byte) bool {
		return len(b) > 2 && b[0] == msgAuth && b[1] == authAuthenticated && bytes.Contains(b, []byte("readonly"))
	})
	if d := time.Since(start); d > time.Second {
		t.Fatalf("revocation took %v", d)
	}
	// The downgraded client's updates are refused from now on.
	h.send(updateMsg(textInsert(9, 0, "after-downgrade")))
	h.wait("refusal", func(b []byte) bool { return len(b) == 2 && b[0] == msgSyncStatus && b[1] == 0 })

	// Revoking the user everywhere denies the Hocuspocus document.
	ts.auth.set("hana", "rev-other", tandem.AccessNone)
	start = time.Now()
	ts.srv.ReauthorizeUser(context.Background(), "hana")
	h2.wait("permission denied", func(b []byte) bool { return len(b) > 1 && b[0] == msgAuth && b[1] == authPermissionDenied })
	if d := time.Since(start); d > time.Second {
		t.Fatalf("revocation took %v", d)
	}
	st, _ := ts.log.Load(context.Background(), "rev")
	for _, u := range st.Updates {
		if bytes.Contains(u.Update, []byte("after-downgrade")) {
			t.Fatal("an update from a downgraded client was stored")
		}
	}
}

func TestAwarenessRelayRemovalAndExpiry(t *testing.T) {
	ts := startServer(t, Config{AwarenessTimeout: 500 * time.Millisecond})
	a := dialYWS(t, ts, "aw", "a:rw")
	b := dialHP(t, ts, "aw", "b:rw")
	b.wait("authenticated", func(m []byte) bool { return len(m) > 1 && m[0] == msgAuth })
	a.wait("step 1", isSync(syncStep1))
	time.Sleep(20 * time.Millisecond)
	aw := func(id, clock uint64, state string) []byte {
		return appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: id, clock: clock, state: []byte(state)}}))
	}
	a.send(aw(77, 1, `{"user":{"name":"ann"}}`))
	b.wait("relayed awareness", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("ann")) })
	// A late joiner gets the current states, and a query answers them.
	c := dialYWS(t, ts, "aw", "c:rw")
	c.wait("awareness on join", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("ann")) })
	// Disconnecting removes the client's state for everyone.
	a.c.Close(ws.CloseNormal, "")
	removed := func(id uint64) func([]byte) bool {
		return func(m []byte) bool {
			if len(m) == 0 || m[0] != msgAwareness {
				return false
			}
			p, _, err := readVarBytes(m[1:])
			if err != nil {
				return false
			}
			es, err := parseAwareness(nil, p)
			if err != nil {
				return false
			}
			for _, e := range es {
				if e.clientID == id && string(e.state) == "null" {
					return true
				}
			}
			return false
		}
	}
	b.wait("removal on disconnect", removed(77))
	// A silent client's state expires.
	c.send(aw(88, 1, `{"user":{"name":"cy"}}`))
	b.wait("relayed", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("cy")) })
	start := time.Now()
	b.wait("expiry", removed(88))
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("expired after %v, before its timeout", d)
	}
	// Awareness is never stored.
	st, _ := ts.log.Load(context.Background(), "aw")
	if st.Size() != 0 {
		t.Fatalf("awareness reached the document log: %+v", st)
	}
}

func TestShutdownAcknowledgesThenClosesWith1012(t *testing.T) {
	ts := startServer(t, Config{})
	h := dialHP(t, ts, "bye", "h:rw")
	h.wait("authenticated", func(m []byte) bool { return len(m) > 1 && m[0] == msgAuth })
	h.send(step1Msg([]byte{0}))
	h.wait("step 2", isSync(syncStep2))
	const n = 50
	for i := range n {
		h.send(updateMsg(textInsert(3, uint64(i), "s")))
	}
	time.Sleep(20 * time.Millisecond) // the updates are in; Shutdown must finish their commits
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.waitClose(); err.Code != CloseRestart {
		t.Fatalf("close %d, want 1012", err.Code)
	}
	if got := h.count(isSyncStatus); got != n {
		t.Fatalf("%d acknowledgements before the close, want %d", got, n)
	}
	st, err := ts.log.Load(context.Background(), "bye")
	if err != nil || len(st.Updates) != n {
		t.Fatalf("log has %d updates, want %d (%v)", len(st.Updates), n, err)
	}
	// New connections are refused while shut down.
	resp, err := http.Get(ts.http.URL + "/collab/x")
	if err == nil && resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: %d", resp.StatusCode)
	}
}

// TestStorageFailureIsNeverAcknowledged breaks the database under a room:
// the update is not acknowledged nor broadcast, and the clients are closed
// so they reconnect and resend.
func TestStorageFailureIsNeverAcknowledged(t *testing.T) {
	ts := startServer(t, Config{})
	h := dialHP(t, ts, "broken", "h:rw")
	o := dialYWS(t, ts, "broken", "o:rw")
	h.wait("authenticated", func(m []byte) bool { return len(m) > 1 && m[0] == msgAuth })
	o.wait("step 1", isSync(syncStep1))
	h.send(updateMsg(textInsert(4, 0, "saved")))
	h.wait("ack", isSyncStatus)
	ts.db.Close() // every later append fails
	h.send(updateMsg(textInsert(4, 5, "doomed")))
	if err := h.waitClose(); err.Code != CloseStorageFailure {
		t.Fatalf("close %d, want %d", err.Code, CloseStorageFailure)
	}
	if h.count(isSyncStatus) != 1 {
		t.Fatal("the failed update was acknowledged")
	}
	if o.count(func(b []byte) bool { return bytes.Contains(b, []byte("doomed")) }) != 0 {
		t.Fatal("the failed update was broadcast")
	}
}

func TestJoinStormSharesOneEncoding(t *testing.T) {
	ts := startServer(t, Config{})
	w := dialYWS(t, ts, "storm", "w:rw")
	o := dialYWS(t, ts, "storm", "o:rw")
	w.wait("step 1", isSync(syncStep1))
	o.wait("step 1", isSync(syncStep1))
	writeVia(t, w, o, textInsert(5, 0, strings.Repeat("s", 64<<10)), "ssss")
	var cs []*rawClient
	for range 40 {
		k := dialYWS(t, ts, "storm", "j:rw")
		k.send(step1Msg([]byte{0}))
		cs = append(cs, k)
	}
	var first []byte
	for _, k := range cs {
		b := k.wait("step 2", isSync(syncStep2))
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatal("joiners got different full states")
		}
	}
	ts.srv.mu.Lock()
	r := ts.srv.rooms["storm"]
	ts.srv.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fullUpdate == nil || r.fullVersion != r.version {
		t.Fatal("the full-state encoding is not cached")
	}
}
