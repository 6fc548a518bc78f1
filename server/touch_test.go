package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/sqlite"
	"github.com/tandem-docs/tandem/tandemtest"
	"github.com/tandem-docs/tandem/yjs"
)

// The tests of documents' updated_at following their content run every
// role in one process, on SQLite (the embedded default) and on
// PostgreSQL, through the REST API and a real y-websocket client.

type touchBackend struct {
	name string
	env  func(t *testing.T) map[string]string
}

var touchBackends = []touchBackend{
	{"sqlite", func(t *testing.T) map[string]string { return map[string]string{"TANDEM_DATA_DIR": t.TempDir()} }},
	{"postgres", func(t *testing.T) map[string]string {
		return map[string]string{"TANDEM_DATA_DIR": t.TempDir(), "TANDEM_DATABASE_URL": pgtest.Database(t)}
	}},
}

// every sets the flush interval of the content edits' dating.
func every(d time.Duration) func(*Server) {
	return func(s *Server) {
		if s.touch == nil {
			panic("server: no touch")
		}
		s.touch.interval = d
	}
}

// syncBuffer is a log destination the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type listedDoc struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	UpdatedAt time.Time `json:"updated_at"`
}

// updatedList is GET /documents?sort=updated.
func (c *apiCaller) updatedList() []listedDoc {
	c.t.Helper()
	var page struct{ Items []listedDoc }
	if err := json.Unmarshal(c.must(200, "GET", "/documents?sort=updated", "", ""), &page); err != nil {
		c.t.Fatal(err)
	}
	return page.Items
}

func (c *apiCaller) doc(id string) listedDoc {
	c.t.Helper()
	var d listedDoc
	if err := json.Unmarshal(c.must(200, "GET", "/documents/"+id, "", ""), &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

func (c *apiCaller) create(title string) listedDoc {
	c.t.Helper()
	var d listedDoc
	body, _ := json.Marshal(map[string]string{"title": title})
	if err := json.Unmarshal(c.must(201, "POST", "/documents", "application/json", string(body)), &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

func titles(docs []listedDoc) []string {
	var ts []string
	for _, d := range docs {
		ts = append(ts, d.Title)
	}
	return ts
}

// typeInto connects a real y-websocket client (Node, the pinned clients of
// collab/testdata/js) to docs at wsURL, types text into each, and returns
// once the content API shows text in every one (the edits are stored).
// The returned function disconnects the client.
func typeInto(t *testing.T, c *apiCaller, wsURL, text string, docs ...string) (disconnect func()) {
	t.Helper()
	clients := tandemtest.NodeClients(t)
	script, _ := filepath.Abs("testdata/type.mjs")
	arg, _ := json.Marshal(map[string]any{"clients": clients, "url": wsURL, "docs": docs, "token": c.token, "text": text})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, "node", script, string(arg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	disconnect = func() {
		once.Do(func() {
			stdin.Close()
			cmd.Wait()
			cancel()
		})
	}
	t.Cleanup(disconnect)
	typed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		typed <- sc.Scan() && sc.Text() == "TYPED"
		io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-typed:
		if !ok {
			cancel()
			disconnect()
			t.Fatalf("node client did not type\nstderr:\n%s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node client: not TYPED within 30s")
	}
	for _, doc := range docs {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(string(c.must(200, "GET", "/documents/"+doc+"/content?format=text", "", "")), text) {
			if time.Now().After(deadline) {
				t.Fatalf("the client's paragraph never reached document %s", doc)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return disconnect
}

func wsURL(url string) string { return "ws" + strings.TrimPrefix(url, "http") + "/collab" }

// TestRealtimeEditDatesDocument: a document a realtime client types into
// moves to the top of the list sorted by "updated", with an updated_at
// after its creation, within a flush of the edits' dating.
func TestRealtimeEditDatesDocument(t *testing.T) {
	for _, b := range touchBackends {
		t.Run(b.name, func(t *testing.T) {
			_, url, _ := startServer(t, b.env(t), every(100*time.Millisecond), quiet())
			c := contentOwner(t, url)
			a := c.create("A")
			c.create("B")
			if got := titles(c.updatedList()); strings.Join(got, ",") != "B,A" {
				t.Fatalf("before the edit: %v", got)
			}
			typeInto(t, c, wsURL(url), "typed in the browser", a.ID)
			deadline := time.Now().Add(10 * time.Second)
			for {
				list := c.updatedList()
				if list[0].ID == a.ID && list[0].UpdatedAt.After(a.UpdatedAt) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("10 s after a realtime edit of A the list sorted by updated is %+v", list)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// The document's own metadata (cached or not) agrees.
			if d := c.doc(a.ID); !d.UpdatedAt.After(a.UpdatedAt) {
				t.Fatalf("GET /documents/A: updated_at %v, created %v", d.UpdatedAt, a.UpdatedAt)
			}
		})
	}
}

// TestRESTEditDatesDocument: a REST content edit (PUT replace, POST
// append) dates the document before its 204, so the caller's next list
// already shows it first, on a process with every role and on an App
// instance with the headless engine. The periodic flush is an hour away
// here: only the dating of the REST edit itself can pass. A rename still
// dates the document itself, and a PUT that changes nothing stores
// nothing and dates nothing.
func TestRESTEditDatesDocument(t *testing.T) {
	backends := append(touchBackends, touchBackend{"app-only postgres", func(t *testing.T) map[string]string {
		return map[string]string{"TANDEM_ROLES": "app", "TANDEM_DATABASE_URL": pgtest.Database(t)}
	}})
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			_, url, _ := startServer(t, b.env(t), every(time.Hour), quiet())
			c := contentOwner(t, url)
			a := c.create("A")
			bdoc := c.create("B")

			c.must(204, "PUT", "/documents/"+a.ID+"/content", "text/markdown", "# Written over REST")
			list := c.updatedList()
			if got := titles(list); strings.Join(got, ",") != "A,B" || !list[0].UpdatedAt.After(bdoc.UpdatedAt) {
				t.Fatalf("after a PUT of A: %+v", list)
			}
			afterPut := list[0].UpdatedAt

			c.must(204, "POST", "/documents/"+bdoc.ID+"/content", "text/markdown", "Appended")
			list = c.updatedList()
			if got := titles(list); strings.Join(got, ",") != "B,A" || !list[0].UpdatedAt.After(afterPut) {
				t.Fatalf("after a POST to B: %+v", list)
			}

			var renamed listedDoc
			if err := json.Unmarshal(c.must(200, "PATCH", "/documents/"+a.ID, "application/json", `{"title":"A renamed"}`), &renamed); err != nil {
				t.Fatal(err)
			}
			list = c.updatedList()
			if got := titles(list); strings.Join(got, ",") != "A renamed,B" || !list[0].UpdatedAt.Equal(renamed.UpdatedAt) {
				t.Fatalf("after renaming A (updated_at %v): %+v", renamed.UpdatedAt, list)
			}

			c.must(204, "PUT", "/documents/"+bdoc.ID+"/content", "text/markdown", "Appended")
			before := c.doc(bdoc.ID).UpdatedAt
			c.must(204, "PUT", "/documents/"+bdoc.ID+"/content", "text/markdown", "Appended")
			if got := c.doc(bdoc.ID).UpdatedAt; !got.Equal(before) {
				t.Fatalf("a PUT of the same content moved updated_at from %v to %v", before, got)
			}
		})
	}
}

// TestPendingEditsDatedAtShutdown: realtime edits not flushed yet are
// dated when the process stops (after its last commit, before its stores
// close): after a restart the edited document is dated; one renamed after
// its edit keeps the rename's later time; one deleted after its edit is
// skipped without failing the shutdown or the others.
func TestPendingEditsDatedAtShutdown(t *testing.T) {
	for _, b := range touchBackends {
		t.Run(b.name, func(t *testing.T) {
			env := b.env(t)
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv, url, stop := startServer(t, env, every(time.Hour), logger)
			c := contentOwner(t, url)
			a, r, d := c.create("A"), c.create("R"), c.create("D")
			start := time.Now()
			disconnect := typeInto(t, c, wsURL(url), "typed before shutdown", a.ID, r.ID, d.ID)
			disconnect()
			// The client sees its text before the server has committed it;
			// the rename below must come after the commits, or R's edit is
			// rightly dated after the rename.
			waitDirty(t, srv.touch, a.ID, r.ID, d.ID)
			if got := c.doc(a.ID).UpdatedAt; !got.Equal(a.UpdatedAt) {
				t.Fatalf("A was dated %v before the flush", got)
			}
			var renamed listedDoc
			if err := json.Unmarshal(c.must(200, "PATCH", "/documents/"+r.ID, "application/json", `{"title":"R renamed"}`), &renamed); err != nil {
				t.Fatal(err)
			}
			c.must(204, "DELETE", "/documents/"+d.ID, "", "")

			if err := stop(); err != nil {
				t.Fatalf("shutdown: %v\n%s", err, logs.String())
			}
			if l := logs.String(); strings.Contains(l, "dating content edits failed") || strings.Contains(l, "organization unknown") {
				t.Fatalf("the shutdown's dating complained:\n%s", l)
			}

			env["TANDEM_HTTP_ADDR"] = ""
			_, url2, _ := startServer(t, env, nil, quiet())
			c.url = url2
			list := c.updatedList()
			if got := titles(list); strings.Join(got, ",") != "R renamed,A" {
				t.Fatalf("after the restart: %+v", list)
			}
			if !list[0].UpdatedAt.Equal(renamed.UpdatedAt) {
				t.Fatalf("R: updated_at %v, want the rename's %v", list[0].UpdatedAt, renamed.UpdatedAt)
			}
			if got := list[1].UpdatedAt; !got.After(a.UpdatedAt) || got.Before(start.Truncate(time.Millisecond)) {
				t.Fatalf("A: updated_at %v, created %v, typed after %v", got, a.UpdatedAt, start)
			}
		})
	}
}

// TestTouchedLogMarksWhatWasStored: on a real document log, an append
// marks its documents dirty; an append that collides for one document
// (another instance stored that seq first) marks only the others, which
// the log stored; a refused append marks nothing.
func TestTouchedLogMarksWhatWasStored(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "documents.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sqlite.NewDocumentLog(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	tc := newTouches(quiet())
	l := tc.log(raw)
	update := func() []byte {
		d := yjs.NewDoc()
		u, err := d.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dirty := func() []string {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		var ds []string
		for d := range tc.dirty {
			ds = append(ds, d)
		}
		slices.Sort(ds)
		clear(tc.dirty)
		return ds
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "a", Seq: 1, Update: update()}, {Document: "b", Seq: 1, Update: update()}}); err != nil {
		t.Fatal(err)
	}
	if got := dirty(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after an append: dirty %v", got)
	}
	err = l.Append(ctx, []tandem.LogEntry{{Document: "a", Seq: 1, Update: update()}, {Document: "c", Seq: 1, Update: update()}})
	var ce *tandem.SeqConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("a colliding append: %v", err)
	}
	if got := dirty(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after an append that collided on a: dirty %v, want [c]", got)
	}
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "d", Seq: 2, Update: update()}, {Document: "d", Seq: 1, Update: update()}}); err == nil {
		t.Fatal("seqs out of order were accepted")
	}
	if got := dirty(); len(got) != 0 {
		t.Fatalf("after a refused append: dirty %v", got)
	}
}

// TestDocOrgsBounded: the memory of documents' organizations never holds
// more than two generations, and a document in use survives however many
// others pass through.
func TestDocOrgsBounded(t *testing.T) {
	m := docOrgs{max: 100}
	m.put("kept", "org")
	for i := range 10_000 {
		m.put(fmt.Sprint("doc", i), "org")
		if i%50 == 0 {
			if org, ok := m.get("kept"); !ok || org != "org" {
				t.Fatalf("a document in use was forgotten after %d others", i)
			}
		}
		if m.len() > 2*m.max {
			t.Fatalf("%d entries, bound %d", m.len(), 2*m.max)
		}
	}
	if _, ok := m.get("doc0"); ok {
		t.Fatal("a document unused for 10000 others is still remembered")
	}
	if _, ok := m.get("doc9999"); !ok {
		t.Fatal("the latest document was forgotten")
	}
}

// waitDirty waits until the edits of every document in ids are stored
// (marked dirty by the log wrapper), without flushing them.
func waitDirty(t *testing.T, tc *touches, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tc.mu.Lock()
		n := 0
		for _, id := range ids {
			if _, ok := tc.dirty[id]; ok {
				n++
			}
		}
		tc.mu.Unlock()
		if n == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d documents' edits stored after 10 s", n, len(ids))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
