package prosemirror

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The reference peer is Node running testdata/js/peer.mjs with the pinned
// Tiptap, ProseMirror, y-prosemirror and yjs. Tests that need it fail (not
// skip) when Node is missing: the differential tests are the point.

var npmOnce sync.Once
var npmErr error

func peerDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("testdata/js")
	if err != nil {
		t.Fatal(err)
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "y-prosemirror")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			npmErr = err
			t.Logf("npm ci: %s", out)
		}
	})
	if npmErr != nil {
		t.Fatalf("npm ci in %s: %v", dir, npmErr)
	}
	return dir
}

type peerRequest map[string]any

type peerResult struct {
	OK    json.RawMessage `json:"ok"`
	Error string          `json:"error"`
}

// runPeer sends requests to one Node process and returns one result each.
func runPeer(t testing.TB, reqs []peerRequest) []peerResult {
	t.Helper()
	dir := peerDir(t)
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "peer.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node peer.mjs: %v\n%s", err, stderr.String())
	}
	var res []peerResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("peer output: %v\n%s", err, out)
	}
	if len(res) != len(reqs) {
		t.Fatalf("peer answered %d of %d requests", len(res), len(reqs))
	}
	return res
}
