package yjs

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// jsPeer is the Node process running testdata/js/peer.mjs with the pinned
// yjs. One process serves the whole test binary.
type jsPeer struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	next int
}

var (
	peerOnce sync.Once
	peer     *jsPeer
	peerErr  error
	noNode   bool
)

// yjsPeer returns the Node peer, starting it on first use. Without node
// on PATH the calling test is skipped; any other failure fails it.
func yjsPeer(t testing.TB) *jsPeer {
	t.Helper()
	peerOnce.Do(func() { peer, peerErr = startPeer() })
	if noNode {
		t.Skip("node is not installed; the differential tests against yjs need it")
	}
	if peerErr != nil {
		t.Fatalf("starting the yjs peer: %v", peerErr)
	}
	return peer
}

func startPeer() (*jsPeer, error) {
	if _, err := exec.LookPath("node"); err != nil {
		noNode = true
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "js"))
	if err != nil {
		return nil, err
	}
	if err := ensureNodeModules(dir); err != nil {
		return nil, err
	}
	cmd := exec.Command("node", "peer.mjs")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &jsPeer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	var pong string
	if err := p.call("ping", nil, &pong); err != nil || pong != "pong" {
		return nil, fmt.Errorf("yjs peer does not answer: %v", err)
	}
	return p, nil
}

// ensureNodeModules runs npm ci when node_modules is missing, under a file
// lock so that concurrent test processes do not install at once.
func ensureNodeModules(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yjs", "package.json")); err == nil {
		return nil
	}
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "tandem-yjs-npm-ci.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yjs", "package.json")); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	return nil
}

// call sends a request and decodes the result into res.
func (p *jsPeer) call(cmd string, args map[string]any, res any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	req := map[string]any{"id": p.next, "cmd": cmd}
	for k, v := range args {
		req[k] = v
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := p.in.Write(b); err != nil {
		return err
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("reading from the yjs peer: %w", err)
	}
	var resp struct {
		ID     int             `json:"id"`
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return fmt.Errorf("decoding the peer's answer: %w", err)
	}
	if resp.ID != p.next {
		return fmt.Errorf("peer answered request %d, expected %d", resp.ID, p.next)
	}
	if !resp.OK {
		return fmt.Errorf("yjs peer: %s", resp.Error)
	}
	if res == nil {
		return nil
	}
	return json.Unmarshal(resp.Result, res)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
