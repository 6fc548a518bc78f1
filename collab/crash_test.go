package collab

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// child is a server process running this test binary (see TestMain).
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, db string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TANDEM_COLLAB_CHILD=127.0.0.1:0", "TANDEM_COLLAB_DB="+db)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		cmd.Process.Kill()
		t.Fatalf("child server did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, out)
	c := &child{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(line, "READY "))}
	t.Cleanup(func() { c.kill() })
	return c
}

func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
	}
}

func (c *child) url() string { return "ws://" + c.addr + "/collab" }

// TestKillMidEditLosesNothingAcknowledged kills the server with SIGKILL
// while Hocuspocus clients type as fast as they can, restarts it on the
// same database, and checks with a fresh client that every update the
// server had acknowledged is there exactly once. Compaction runs often
// in the child so that kills also land during compactions.
func TestKillMidEditLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "documents.db")
	nodeDir(t)
	acked := map[string]bool{}
	const rounds = 3
	for round := range rounds {
		srv := startChild(t, db, "TANDEM_COLLAB_COMPACT_AFTER=40")
		cfg, _ := json.Marshal(map[string]any{"url": srv.url(), "doc": "crash", "clients": 3, "token": "alice:rw", "prefix": fmt.Sprintf("r%d", round)})
		ed := exec.Command("node", "editor.mjs", string(cfg))
		ed.Dir = nodeDir(t)
		ed.Stderr = os.Stderr
		out, _ := ed.StdoutPipe()
		if err := ed.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		n := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if tok, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
					mu.Lock()
					acked[tok] = true
					n++
					mu.Unlock()
				}
			}
		}()
		// Let acknowledgements flow, then kill both mid-edit.
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			got := n
			mu.Unlock()
			if got >= 300+round*97 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		srv.kill()
		time.Sleep(30 * time.Millisecond) // acks already in flight reach the client
		ed.Process.Signal(syscall.SIGKILL)
		ed.Wait()
		<-done
		mu.Lock()
		if n < 100 {
			t.Fatalf("round %d: only %d acknowledgements before the kill", round, n)
		}
		mu.Unlock()
	}
	srv := startChild(t, db)
	cfg, _ := json.Marshal(map[string]any{"url": srv.url(), "doc": "crash", "token": "alice:rw"})
	var res struct{ Text string }
	if err := json.Unmarshal([]byte(runNode(t, 60*time.Second, "check.mjs", string(cfg))), &res); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, tok := range strings.Split(res.Text, ";") {
		if tok != "" {
			seen[tok+";"]++
		}
	}
	lost := 0
	for tok := range acked {
		if seen[tok] == 0 {
			lost++
			if lost < 5 {
				t.Errorf("acknowledged update %q lost", tok)
			}
		}
	}
	for tok, k := range seen {
		if k > 1 {
			t.Errorf("update %q applied %d times", tok, k)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged updates lost", lost, len(acked))
	}
	t.Logf("%d acknowledged updates over %d kills, all present once; %d updates in the document", len(acked), rounds, len(seen))
}
