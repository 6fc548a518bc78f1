package collab

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestNodeClientsConverge runs unmodified y-websocket and Hocuspocus
// clients against one server: several documents, both dialects on each,
// concurrent edits of a Y.Text and a Tiptap-shaped XmlFragment, random
// disconnects; everyone converges and late joiners get everything.
func TestNodeClientsConverge(t *testing.T) {
	ts := startServer(t, Config{})
	cfg := map[string]any{
		"url":     ts.url,
		"docs":    []string{"conv-a", "conv-b", "conv-c"},
		"clients": 4,
		"edits":   40,
		"seed":    7,
		"token":   "alice:rw",
	}
	arg, _ := json.Marshal(cfg)
	out := runNode(t, 120e9, "converge.mjs", string(arg))
	var res map[string]map[string]int
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("converge.mjs output %q: %v", out, err)
	}
	for _, d := range cfg["docs"].([]string) {
		if res[d]["text"] == 0 || res[d]["xml"] == 0 {
			t.Fatalf("document %s ended empty: %v", d, res[d])
		}
	}
	// Every edit reached the log: a fresh load has the same state the
	// clients converged on (checked through the late joiners, which the
	// server answered from its room) and the log is not empty.
	for _, d := range cfg["docs"].([]string) {
		st, err := ts.log.Load(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Updates) == 0 && st.Snapshot == nil {
			t.Fatalf("document %s has nothing in the log", d)
		}
	}
	fmt.Println(out)
}

// TestNodeReadOnlyAndDenied checks permissions with the real clients.
func TestNodeReadOnlyAndDenied(t *testing.T) {
	ts := startServer(t, Config{})
	arg, _ := json.Marshal(map[string]any{"url": ts.url, "doc": "ro-doc"})
	out := runNode(t, 60e9, "readonly.mjs", string(arg))
	var res struct {
		Scope  string
		Code   int
		Reason string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("readonly.mjs output %q: %v", out, err)
	}
	if res.Scope != "readonly" || res.Code != CloseForbidden || res.Reason == "" {
		t.Fatalf("result %+v", res)
	}
}

// TestNodeMalformedFrames sends malformed frames from raw sockets while
// real clients edit the same document.
func TestNodeMalformedFrames(t *testing.T) {
	ts := startServer(t, Config{})
	arg, _ := json.Marshal(map[string]any{"url": ts.url, "doc": "malformed"})
	out := runNode(t, 60e9, "malformed.mjs", string(arg))
	var res struct{ Edits int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Edits == 0 {
		t.Fatalf("malformed.mjs output %q: %v", out, err)
	}
}
