package collab

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/yjs"
)

// startCluster starts n servers in this process on one shared document log
// and one MemoryHub, as instances of a fleet would share PostgreSQL and
// Redis.
func startCluster(t *testing.T, n int, cfg Config) ([]*testServer, *MemoryHub, tandem.DocumentLog) {
	t.Helper()
	db, log := openLog(t, filepath.Join(t.TempDir(), "documents.db"))
	hub := NewMemoryHub()
	var out []*testServer
	for range n {
		c := cfg
		c.Bus = hub.Bus()
		if c.PollInterval == 0 {
			c.PollInterval = 200 * time.Millisecond
		}
		if c.DownPollInterval == 0 {
			c.DownPollInterval = 20 * time.Millisecond
		}
		out = append(out, startServerWith(t, c, db, log))
	}
	return out, hub, log
}

func textOf(t *testing.T, ts *testServer, doc string) string {
	t.Helper()
	var s string
	if err := ts.srv.Read(context.Background(), doc, func(d *yjs.Doc) error { s = d.GetText("text").String(); return nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

// storedCount counts the log entries of doc that contain marker.
func storedCount(t *testing.T, log tandem.DocumentLog, doc, marker string) int {
	t.Helper()
	st, err := log.Load(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(st.Snapshot, []byte(marker))
	for _, u := range st.Updates {
		n += bytes.Count(u.Update, []byte(marker))
	}
	return n
}

// TestClusterConvergesAndStoresOnce: clients on three instances type into
// one document at once. Every instance's clients see every edit, every edit
// is in the log exactly once, and no append conflicts (every instance
// numbers its own entries).
func TestClusterConvergesAndStoresOnce(t *testing.T) {
	servers, _, log := startCluster(t, 3, Config{})
	const per = 60
	var clients []*rawClient
	for i, ts := range servers {
		k := dialYWS(t, ts, "shared", fmt.Sprintf("u%d:rw", i))
		k.wait("step 1", isSync(syncStep1))
		clients = append(clients, k)
	}
	var wg sync.WaitGroup
	for i, k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range per {
				k.send(updateMsg(textInsert(uint64(100+i), uint64(n), string(rune('a'+i)))))
				if n%7 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	want := strings.Repeat("a", per) + strings.Repeat("b", per) + strings.Repeat("c", per)
	deadline := time.Now().Add(10 * time.Second)
	for _, ts := range servers {
		for {
			got := textOf(t, ts, "shared")
			if len(got) == 3*per {
				// Each client's run is contiguous; the order of runs is
				// the CRDT's, the same everywhere.
				if strings.Count(got, "a") != per || strings.Count(got, "b") != per {
					t.Fatalf("text %q", got)
				}
				want = got
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance has %d of %d characters", len(got), 3*per)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, ts := range servers {
		if got := textOf(t, ts, "shared"); got != want {
			t.Fatalf("instances diverge: %q vs %q", got, want)
		}
	}
	// Every client received the other clients' characters.
	for i, k := range clients {
		for j := range clients {
			if j == i {
				continue
			}
			c := string(rune('a' + j))
			n := 0
			for _, b := range k.bodies() {
				if isSync(syncUpdate)(b) {
					n += bytes.Count(b[3:], []byte(c))
				}
			}
			if n < per {
				t.Fatalf("client %d received %d of client %d's %d characters", i, n, j, per)
			}
		}
	}
	// Stored once: the log replays to the same text, one entry per insert.
	st, err := log.Load(context.Background(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Updates) != 3*per {
		t.Fatalf("log has %d entries, want %d (one per update)", len(st.Updates), 3*per)
	}
	d, err := buildDoc(st)
	if err != nil || d.GetText("text").String() != want {
		t.Fatalf("log replays to %q, %v", d.GetText("text").String(), err)
	}
	// Every instance numbers its own entries: no append conflicts.
	for i, ts := range servers {
		m := gather(t, ts)
		if m["tandem_collab_append_conflicts_total"] != 0 {
			t.Fatalf("instance %d: %v append conflicts, want none", i, m["tandem_collab_append_conflicts_total"])
		}
		t.Logf("instance %d: %v updates from others", i, m["tandem_collab_remote_updates_total"])
	}
}

// TestClusterSameUpdateOnTwoInstancesIsStoredOnce: a client whose update
// reaches two instances at the same moment (a browser tab relaying another
// tab's edits) gets it into the content once. Instances append under
// writer ids of their own and do not wait for each other, so two that
// take the same update at once may both store it (an instance that has
// heard the other's entry first drops it from its pending updates): the
// document holds it once, and the next compaction folds the copies into
// one.
func TestClusterSameUpdateOnTwoInstancesIsStoredOnce(t *testing.T) {
	servers, _, log := startCluster(t, 2, Config{})
	a := dialYWS(t, servers[0], "dup", "a:rw")
	b := dialYWS(t, servers[1], "dup", "b:rw")
	a.wait("step 1", isSync(syncStep1))
	b.wait("step 1", isSync(syncStep1))
	for i := range 30 {
		marker := fmt.Sprintf("<dup-%02d>", i)
		u := textInsert(7, uint64(i*len(marker)), marker)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a.send(updateMsg(u)) }()
		go func() { defer wg.Done(); b.send(updateMsg(u)) }()
		wg.Wait()
		// A third instance's view: the log.
		deadline := time.Now().Add(5 * time.Second)
		for storedCount(t, log, "dup", marker) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s never stored", marker)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Let every append settle, then count.
	time.Sleep(200 * time.Millisecond)
	for _, ts := range servers {
		if n := ts.srv.pendingUpdates(); n != 0 {
			t.Fatalf("%d updates still pending", n)
		}
	}
	copies := 0
	for i := range 30 {
		marker := fmt.Sprintf("<dup-%02d>", i)
		n := storedCount(t, log, "dup", marker)
		if n < 1 || n > 2 {
			t.Fatalf("%s stored %d times", marker, n)
		}
		copies += n - 1
	}
	t.Logf("%d of 30 updates stored by both instances", copies)
	text := textOf(t, servers[0], "dup")
	if text != textOf(t, servers[1], "dup") {
		t.Fatal("instances diverge")
	}
	for i := range 30 {
		if marker := fmt.Sprintf("<dup-%02d>", i); strings.Count(text, marker) != 1 {
			t.Fatalf("%s is %d times in the text %q", marker, strings.Count(text, marker), text)
		}
	}
	servers[0].srv.compact("dup")
	for i := range 30 {
		marker := fmt.Sprintf("<dup-%02d>", i)
		if n := storedCount(t, log, "dup", marker); n != 1 {
			t.Fatalf("after compaction %s stored %d times", marker, n)
		}
	}
}

// TestClusterBusDownPollsTheLog: with the bus down, an edit on one
// instance still reaches the clients of another (through the log, polled),
// and after it comes back the bus carries edits again.
func TestClusterBusDownPollsTheLog(t *testing.T) {
	servers, hub, _ := startCluster(t, 2, Config{})
	a := dialYWS(t, servers[0], "down", "a:rw")
	b := dialYWS(t, servers[1], "down", "b:rw")
	a.wait("step 1", isSync(syncStep1))
	b.wait("step 1", isSync(syncStep1))
	writeVia(t, a, b, textInsert(1, 0, "before"), "before")
	hub.SetDown(true)
	deadline := time.Now().Add(5 * time.Second)
	for !servers[0].srv.BusDown() || !servers[1].srv.BusDown() {
		if time.Now().After(deadline) {
			t.Fatal("the servers did not notice the bus going down")
		}
		time.Sleep(5 * time.Millisecond)
	}
	writeVia(t, a, b, textInsert(1, 6, "-while-down"), "-while-down")
	writeVia(t, b, a, textInsert(2, 0, "<b-down>"), "<b-down>")
	hub.SetDown(false)
	writeVia(t, a, b, textInsert(1, 17, "-after"), "-after")
	if x, y := textOf(t, servers[0], "down"), textOf(t, servers[1], "down"); x != y || !strings.Contains(x, "before-while-down-after") {
		t.Fatalf("texts %q and %q", x, y)
	}
	if m := gather(t, servers[1]); m["tandem_collab_polled_catchups_total"] < 1 {
		t.Fatalf("no polled catch-up counted: %v", m)
	}
}

// TestClusterPresenceCountsAcrossInstances: the connections-per-document
// limit counts the clients of every instance.
func TestClusterPresenceCountsAcrossInstances(t *testing.T) {
	servers, _, _ := startCluster(t, 2, Config{ConnectionsPerDocument: 3, PresenceInterval: 20 * time.Millisecond})
	for i := range 2 {
		k := dialYWS(t, servers[0], "crowd", fmt.Sprintf("a%d:rw", i))
		k.wait("step 1", isSync(syncStep1))
	}
	k := dialYWS(t, servers[1], "crowd", "b0:rw")
	k.wait("step 1", isSync(syncStep1))
	time.Sleep(150 * time.Millisecond) // a few presence exchanges
	over := dialYWS(t, servers[1], "crowd", "b1:rw")
	if err := over.waitClose(); err.Code != CloseTryAgain {
		t.Fatalf("close %d, want %d", err.Code, CloseTryAgain)
	}
}

// TestClusterAwarenessCrossesInstances: awareness reaches the clients of
// the other instance, and their leaving is announced there too.
func TestClusterAwarenessCrossesInstances(t *testing.T) {
	servers, _, _ := startCluster(t, 2, Config{})
	a := dialYWS(t, servers[0], "aw", "a:rw")
	b := dialYWS(t, servers[1], "aw", "b:rw")
	a.wait("step 1", isSync(syncStep1))
	b.wait("step 1", isSync(syncStep1))
	a.send(appendAwarenessMsg(nil, appendAwareness(nil, []awarenessEntry{{clientID: 42, clock: 1, state: []byte(`{"user":"ann"}`)}})))
	b.wait("ann's cursor", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("ann")) })
	// A late joiner on the other instance gets it in its greeting.
	c := dialYWS(t, servers[1], "aw", "c:rw")
	c.wait("ann's cursor", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("ann")) })
	a.c.Close(1000, "")
	b.wait("ann leaving", func(m []byte) bool { return m[0] == msgAwareness && bytes.Contains(m, []byte("null")) })
}

// TestClusterSafetyPollFindsAnUnpublishedAppend: with the bus up, an entry
// that reached the log but never the bus (its instance died between its
// commit and its publish, or the message was lost and nothing followed it)
// is found by polling the heads, and the clients of the other instances
// get it. The poll waits for a room to stay behind the head one poll saw
// until the next before reading the log (rooms of busy documents are behind
// for a moment all the time), so this takes two polls.
func TestClusterSafetyPollFindsAnUnpublishedAppend(t *testing.T) {
	servers, _, log := startCluster(t, 2, Config{PollInterval: 50 * time.Millisecond})
	a := dialYWS(t, servers[0], "quiet", "a:rw")
	b := dialYWS(t, servers[1], "quiet", "b:rw")
	a.wait("step 1", isSync(syncStep1))
	b.wait("step 1", isSync(syncStep1))
	writeVia(t, a, b, textInsert(1, 0, "published"), "published")
	ctx := context.Background()
	heads, err := log.Heads(ctx, []string{"quiet"})
	if err != nil {
		t.Fatal(err)
	}
	// What a third instance committed and then died before publishing.
	if err := log.Append(ctx, []tandem.LogEntry{{Document: "quiet", Writer: "third", Seq: heads["quiet"]["third"] + 1, Update: textInsert(3, 0, "unpublished")}}); err != nil {
		t.Fatal(err)
	}
	a.wait("the unpublished entry", func(m []byte) bool { return bytes.Contains(m, []byte("unpublished")) })
	b.wait("the unpublished entry", func(m []byte) bool { return bytes.Contains(m, []byte("unpublished")) })
	if m := gather(t, servers[1]); m[`tandem_collab_catchups_total{reason="poll"}`] < 1 {
		t.Fatalf("no catch-up by poll counted: %v", m)
	}
	// The rooms append after it, with no conflict left over.
	writeVia(t, b, a, textInsert(2, 0, "after"), "after")
	if x, y := textOf(t, servers[0], "quiet"), textOf(t, servers[1], "quiet"); x != y || !strings.Contains(x, "unpublished") || !strings.Contains(x, "after") {
		t.Fatalf("texts %q and %q", x, y)
	}
}
