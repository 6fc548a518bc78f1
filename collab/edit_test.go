package collab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/yjs"
)

// TestServerEditReachesConnectedClientsLive: a y-websocket client and a
// Hocuspocus client are connected and synced; a server-side Edit appends to
// the log and both see the text without reconnecting.
func TestServerEditReachesConnectedClientsLive(t *testing.T) {
	ts := startServer(t, Config{})
	var watchers []*exec.Cmd
	var outs []*bufio.Reader
	for _, kind := range []string{"yws", "hp"} {
		arg, _ := json.Marshal(map[string]any{"url": ts.url, "doc": "rest-doc", "token": "w:rw", "kind": kind, "want": "from the server"})
		cmd := exec.Command("node", "watch.mjs", string(arg))
		cmd.Dir = nodeDir(t)
		cmd.Stderr = os.Stderr
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		rd := bufio.NewReader(out)
		if line, err := rd.ReadString('\n'); err != nil || strings.TrimSpace(line) != "SYNCED" {
			t.Fatalf("%s watcher: %q %v", kind, line, err)
		}
		watchers = append(watchers, cmd)
		outs = append(outs, rd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := ts.srv.Edit(ctx, "rest-doc", func(doc *yjs.Doc) error {
		return doc.GetText("text").Insert(0, "hello from the server")
	})
	if err != nil {
		t.Fatal(err)
	}
	// Edit returned after the commit: the log has it.
	st, err := ts.log.Load(ctx, "rest-doc")
	if err != nil || len(st.Updates) != 1 || !bytes.Contains(st.Updates[0].Update, []byte("hello from the server")) {
		t.Fatalf("log after Edit: %+v, %v", st, err)
	}
	for i, cmd := range watchers {
		rest, _ := io.ReadAll(outs[i])
		if err := cmd.Wait(); err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
		var res struct{ Text string }
		if err := json.Unmarshal(rest, &res); err != nil || res.Text != "hello from the server" {
			t.Fatalf("watcher %d saw %q (%v)", i, rest, err)
		}
	}
	// Read sees the edit, and a second edit merges after it.
	if err := ts.srv.Edit(ctx, "rest-doc", func(doc *yjs.Doc) error {
		tx := doc.GetText("text")
		return tx.Insert(tx.Len(), "!")
	}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := ts.srv.Read(ctx, "rest-doc", func(doc *yjs.Doc) error {
		got = doc.GetText("text").String()
		return doc.GetText("text").Insert(0, "discarded ")
	}); err != nil {
		t.Fatal(err)
	}
	if got != "hello from the server!" {
		t.Fatalf("Read = %q", got)
	}
	if err := ts.srv.Read(ctx, "rest-doc", func(doc *yjs.Doc) error { got = doc.GetText("text").String(); return nil }); err != nil || got != "hello from the server!" {
		t.Fatalf("changes made in Read were kept: %q %v", got, err)
	}
}

// TestServerEditErrorsAndLimits: fn's error applies nothing; a document
// past the size limit is refused with CodeTooLarge; an edit that changes
// nothing commits nothing; Read of a document that is not loaded reads the
// log; a document opened only by Edit unloads after the grace period.
func TestServerEditErrorsAndLimits(t *testing.T) {
	ts := startServer(t, Config{MaxDocumentBytes: 400, UnloadGrace: 50 * time.Millisecond})
	ctx := context.Background()
	boom := errors.New("boom")
	if err := ts.srv.Edit(ctx, "e", func(doc *yjs.Doc) error {
		doc.GetText("text").Insert(0, "never stored")
		return boom
	}); err != boom {
		t.Fatalf("Edit = %v, want fn's error", err)
	}
	if err := ts.srv.Edit(ctx, "e", func(doc *yjs.Doc) error { return doc.GetText("text").Insert(0, "ok") }); err != nil {
		t.Fatal(err)
	}
	err := ts.srv.Edit(ctx, "e", func(doc *yjs.Doc) error { return doc.GetText("text").Insert(0, strings.Repeat("x", 500)) })
	if !errors.Is(err, &tandem.Error{Code: tandem.CodeTooLarge}) {
		t.Fatalf("oversized Edit = %v, want too_large", err)
	}
	if err := ts.srv.Edit(ctx, "e", func(doc *yjs.Doc) error { return nil }); err != nil {
		t.Fatal(err)
	}
	st, _ := ts.log.Load(ctx, "e")
	if len(st.Updates) != 1 || bytes.Contains(st.Updates[0].Update, []byte("never")) {
		t.Fatalf("log: %+v", st)
	}
	if err := ts.srv.Edit(ctx, "", func(*yjs.Doc) error { return nil }); !errors.Is(err, tandem.ErrInvalid) {
		t.Fatalf("Edit of an empty name = %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.Stats().LoadedDocuments != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a document opened by Edit stayed loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got string
	if err := ts.srv.Read(ctx, "e", func(doc *yjs.Doc) error { got = doc.GetText("text").String(); return nil }); err != nil || got != "ok" {
		t.Fatalf("Read from the log = %q, %v", got, err)
	}
	if ts.srv.Stats().LoadedDocuments != 0 {
		t.Fatal("Read loaded the document")
	}
}
