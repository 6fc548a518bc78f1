package collab

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-docs/tandem/yjs"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestCompactionFoldsTheLogAndSurvivesRestart: with a low threshold the
// log is folded into a snapshot in the background; a fresh server on the
// same database loads the same content; metrics and spans record it.
func TestCompactionFoldsTheLogAndSurvivesRestart(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	path := filepath.Join(t.TempDir(), "documents.db")
	db, log := openLog(t, path)
	ts := startServerWith(t, Config{CompactAfterUpdates: 10}, db, log)
	w := dialHP(t, ts, "fold", "w:rw")
	w.wait("authenticated", func(m []byte) bool { return len(m) > 1 && m[0] == msgAuth })
	const n = 35
	for i := range n {
		w.send(updateMsg(textInsert(11, uint64(i), string(rune('a'+i%26)))))
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.count(isSyncStatus) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged", w.count(isSyncStatus), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		st, err := ts.log.Load(context.Background(), "fold")
		if err != nil {
			t.Fatal(err)
		}
		if st.SnapshotPosition.Count() >= 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no compaction: snapshot at %v, %d updates in the log", st.SnapshotPosition, len(st.Updates))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The compactor counts a run after the snapshot is stored, so the
	// counter can lag the database by a moment.
	metrics := gather(t, ts)
	for metrics[`tandem_collab_compactions_total{result="ok"}`] < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("compactions: %v", metrics)
		}
		time.Sleep(5 * time.Millisecond)
		metrics = gather(t, ts)
	}
	if got := metrics["tandem_collab_updates_total"]; got != n {
		t.Fatalf("updates_total = %v, want %d", got, n)
	}
	for _, name := range []string{`tandem_collab_connections{dialect="hocuspocus"}`, "tandem_collab_documents_loaded",
		"tandem_collab_fanout_latency_seconds_count", "tandem_collab_persist_latency_seconds_count",
		"tandem_collab_received_bytes_total", "tandem_collab_sent_bytes_total", "tandem_collab_commit_duration_seconds_count"} {
		if _, ok := metrics[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	var want strings.Builder
	for i := range n {
		want.WriteRune(rune('a' + i%26))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.srv.Shutdown(ctx)
	ts.http.Close()

	// A new server on the same database.
	ts2 := startServerWith(t, Config{}, db, log)
	r := dialYWS(t, ts2, "fold", "r:rw")
	r.send(step1Msg([]byte{0}))
	r.wait("the compacted content", func(b []byte) bool {
		return isSync(syncStep2)(b) && bytes.Contains(b, []byte(want.String()))
	})
	// A load's span ends when load returns, just after it let the waiting
	// clients in: the sync above can arrive first.
	deadline = time.Now().Add(5 * time.Second)
	for {
		spans := map[string]int{}
		for _, s := range rec.Ended() {
			spans[s.Name()]++
		}
		if spans["collab.load"] >= 2 && spans["collab.compact"] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans: %v", spans)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gather flattens the server's metrics into "name{labels}" -> value
// (histograms as name_count).
func gather(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	mfs, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[name] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// TestCompactionDropsDeletedContent: text typed and deleted again is not
// in the snapshot (the log is folded through a document with garbage
// collection on), the snapshot is exactly what yjs itself encodes for the
// same state, and a client that syncs afterwards gets the right text.
func TestCompactionDropsDeletedContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "documents.db")
	db, log := openLog(t, path)
	ts := startServerWith(t, Config{CompactAfterUpdates: 1 << 20}, db, log)
	ctx := context.Background()
	secret := "this-sentence-is-deleted-later"
	for i := range 20 {
		if err := ts.srv.Edit(ctx, "gc", func(doc *yjs.Doc) error {
			tx := doc.GetText("text")
			if i%2 == 0 {
				return tx.Insert(tx.Len(), fmt.Sprintf("%s-%d ", secret, i))
			}
			// Delete what the previous edit typed, keep a word.
			s := tx.String()
			at := strings.LastIndex(strings.TrimSuffix(s, " "), " ") + 1
			if err := tx.Delete(at, len(s)-at); err != nil {
				return err
			}
			return tx.Insert(tx.Len(), fmt.Sprintf("kept%d ", i))
		}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := log.Load(ctx, "gc")
	if err != nil {
		t.Fatal(err)
	}
	var raw int
	for _, u := range st.Updates {
		raw += len(u.Update)
	}
	ts.srv.compact("gc")
	st, err = log.Load(ctx, "gc")
	if err != nil {
		t.Fatal(err)
	}
	if st.SnapshotPosition.Count() != 20 || len(st.Updates) != 0 {
		t.Fatalf("after compaction: snapshot at %v, %d updates", st.SnapshotPosition, len(st.Updates))
	}
	if bytes.Contains(st.Snapshot, []byte(secret)) {
		t.Fatalf("the snapshot keeps deleted text: %q", st.Snapshot)
	}
	want := "kept1 kept3 kept5 kept7 kept9 kept11 kept13 kept15 kept17 kept19 "
	cmd := exec.Command("node", "reencode.mjs")
	cmd.Dir = nodeDir(t)
	cmd.Stdin = strings.NewReader(base64.StdEncoding.EncodeToString(st.Snapshot))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reencode.mjs: %v", err)
	}
	var res struct{ Text, State string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != want {
		t.Fatalf("yjs reads the snapshot as %q, want %q", res.Text, want)
	}
	if res.State != base64.StdEncoding.EncodeToString(st.Snapshot) {
		t.Fatalf("yjs encodes the snapshot's state differently:\nours %x\nyjs  %s", st.Snapshot, res.State)
	}
	t.Logf("log of %d bytes folded into a %d-byte snapshot", raw, len(st.Snapshot))
	// A client syncing now (from the room) and after a restart (from the
	// snapshot) gets the same text.
	for _, srv := range []*testServer{ts, startServerWith(t, Config{}, db, log)} {
		arg, _ := json.Marshal(map[string]any{"url": srv.url, "doc": "gc", "token": "r:rw"})
		var got struct{ Text string }
		if err := json.Unmarshal([]byte(runNode(t, 30*time.Second, "check.mjs", string(arg))), &got); err != nil || got.Text != want {
			t.Fatalf("client got %q, %v", got.Text, err)
		}
	}
}
