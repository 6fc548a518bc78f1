package collab

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
)

// lostReplyLog commits an append and then reports a failure, as a
// connection that breaks after the database's commit does: a failure a
// test cannot cause with the real database, so it is simulated here
// around a real log.
type lostReplyLog struct {
	tandem.DocumentLog
	lose atomic.Int32 // appends whose reply is lost
}

func (l *lostReplyLog) Append(ctx context.Context, entries []tandem.LogEntry) error {
	err := l.DocumentLog.Append(ctx, entries)
	if err == nil && l.lose.Add(-1) >= 0 {
		return errors.New("connection reset after commit")
	}
	return err
}

// TestRetryOfACommittedAppend: the committer retries an append that had
// in fact committed; the log refuses it as a conflict, and the room reads
// its own entries back instead of storing them twice, releases the
// updates, and goes on appending after them.
func TestRetryOfACommittedAppend(t *testing.T) {
	db, inner := openLog(t, filepath.Join(t.TempDir(), "documents.db"))
	log := &lostReplyLog{DocumentLog: inner}
	ts := startServerWith(t, Config{}, db, log)
	a := dialYWS(t, ts, "lost", "a:rw")
	o := dialYWS(t, ts, "lost", "o:rw")
	a.wait("step 1", isSync(syncStep1))
	o.wait("step 1", isSync(syncStep1))
	writeVia(t, a, o, textInsert(5, 0, "<first>"), "<first>")
	log.lose.Store(1)
	writeVia(t, a, o, textInsert(5, 7, "<lost-reply>"), "<lost-reply>")
	writeVia(t, a, o, textInsert(5, 19, "<after>"), "<after>")
	for _, marker := range []string{"<first>", "<lost-reply>", "<after>"} {
		if n := storedCount(t, inner, "lost", marker); n != 1 {
			t.Fatalf("%s stored %d times", marker, n)
		}
	}
	st, err := inner.Load(context.Background(), "lost")
	if err != nil {
		t.Fatal(err)
	}
	next := uint64(1)
	for _, u := range st.Updates {
		if u.Writer != ts.srv.writer || u.Seq != next {
			t.Fatalf("entry %s/%d, want %s/%d", u.Writer, u.Seq, ts.srv.writer, next)
		}
		next++
	}
	m := gather(t, ts)
	if m["tandem_collab_append_conflicts_total"] != 1 || m[`tandem_collab_catchups_total{reason="conflict"}`] != 1 {
		t.Fatalf("conflicts %v, conflict catch-ups %v; want 1 and 1", m["tandem_collab_append_conflicts_total"], m[`tandem_collab_catchups_total{reason="conflict"}`])
	}
	if got := textOf(t, ts, "lost"); got != "<first><lost-reply><after>" {
		t.Fatalf("text %q", got)
	}
}

// TestClusterWritersHaveTheirOwnIDs: instances append under writer ids
// of their own, which the bus messages carry, so a document written by
// three instances holds three writers' runs of seqs 1, 2, 3...
func TestClusterWritersHaveTheirOwnIDs(t *testing.T) {
	servers, _, log := startCluster(t, 3, Config{})
	ids := map[string]bool{}
	var clients []*rawClient
	for _, ts := range servers {
		ids[ts.srv.writer] = true
		k := dialYWS(t, ts, "ids", "u:rw")
		k.wait("step 1", isSync(syncStep1))
		clients = append(clients, k)
	}
	if len(ids) != 3 || ids[""] {
		t.Fatalf("writer ids %v", ids)
	}
	for i, k := range clients {
		marker := "<" + strings.Repeat("x", i+1) + ">"
		writeVia(t, k, clients[(i+1)%3], textInsert(uint64(10+i), 0, marker), marker)
	}
	st, err := log.Load(context.Background(), "ids")
	if err != nil {
		t.Fatal(err)
	}
	pos := st.Position()
	if len(pos) != 3 {
		t.Fatalf("position %v, want three writers", pos)
	}
	for w, s := range pos {
		if !ids[w] || s != 1 {
			t.Fatalf("position %v", pos)
		}
	}
}

// TestBusGapIsPerWriter: a bus message is applied if it follows its
// writer's last entry the room has, whatever other writers did; a message
// that skips one of its writer's entries (a lost message) makes the room
// read the log.
func TestBusGapIsPerWriter(t *testing.T) {
	servers, _, log := startCluster(t, 1, Config{PollInterval: time.Hour})
	ts := servers[0]
	a := dialYWS(t, ts, "gaps", "a:rw")
	a.wait("step 1", isSync(syncStep1))
	ctx := context.Background()
	u1, u2, v1 := textInsert(21, 0, "<g1>"), textInsert(21, 4, "<g2>"), textInsert(22, 0, "<h1>")
	if err := log.Append(ctx, []tandem.LogEntry{
		{Document: "gaps", Writer: "g", Seq: 1, Update: u1},
		{Document: "gaps", Writer: "g", Seq: 2, Update: u2},
		{Document: "gaps", Writer: "h", Seq: 1, Update: v1},
	}); err != nil {
		t.Fatal(err)
	}
	// h's first entry follows what the room has of h: applied at once.
	ts.srv.BusMessage(tandem.BusMessage{Document: "gaps", Writer: "h", Seq: 1, Updates: [][]byte{v1}})
	a.wait("h's entry", func(b []byte) bool { return bytes.Contains(b, []byte("<h1>")) })
	// g's second entry without its first: a gap, read from the log.
	ts.srv.BusMessage(tandem.BusMessage{Document: "gaps", Writer: "g", Seq: 2, Updates: [][]byte{u2}})
	a.wait("g's entries", func(b []byte) bool { return bytes.Contains(b, []byte("<g1>")) })
	deadline := time.Now().Add(5 * time.Second)
	for text := textOf(t, ts, "gaps"); !strings.Contains(text, "<g1><g2>") || !strings.Contains(text, "<h1>"); text = textOf(t, ts, "gaps") {
		if time.Now().After(deadline) {
			t.Fatalf("text %q", text)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if m := gather(t, ts); m[`tandem_collab_catchups_total{reason="gap"}`] != 1 {
		t.Fatalf("gap catch-ups %v, want 1", m[`tandem_collab_catchups_total{reason="gap"}`])
	}
}
