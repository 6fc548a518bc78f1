package collab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/postgres/pgtest"
)

// The fleet tests run real instances (this test binary re-executed as a
// server, see TestMain) on one PostgreSQL database and one Redis, with the
// unmodified Node clients spread over them.

// privateRedis starts a redis-server of the test's own on a free port, so
// that a test can stop and restart it without touching the shared one.
type privateRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &privateRedis{t: t, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("private redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) stop() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		r.cmd.Process.Signal(syscall.SIGKILL)
		r.cmd.Wait()
	}
}

// startFleet starts n instances on one fresh PostgreSQL database and the
// given Redis.
func startFleet(t *testing.T, n int, redisURL string, env ...string) ([]*child, string) {
	t.Helper()
	dsn := pgtest.Database(t)
	// Migrate once before the instances race to.
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewDocumentLog(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	prefix := fmt.Sprintf("fleettest:%d:%s:", os.Getpid(), t.Name())
	var out []*child
	for range n {
		out = append(out, startChild(t, "", append([]string{"TANDEM_COLLAB_PG=" + dsn, "TANDEM_COLLAB_REDIS=" + redisURL,
			"TANDEM_COLLAB_REDIS_PREFIX=" + prefix}, env...)...))
	}
	return out, dsn
}

func fleetURLs(cs []*child) []string {
	var urls []string
	for _, c := range cs {
		urls = append(urls, c.url())
	}
	return urls
}

// TestFleetNodeClientsConverge: y-websocket and Hocuspocus clients spread
// over three instances edit the same documents (text and a Tiptap-shaped
// fragment), drop and restore their connections, and converge; late
// joiners on every instance get everything.
func TestFleetNodeClientsConverge(t *testing.T) {
	nodeDir(t)
	fleet, _ := startFleet(t, 3, "redis://127.0.0.1:6379/0")
	arg, _ := json.Marshal(map[string]any{"urls": fleetURLs(fleet), "docs": []string{"fleet-a", "fleet-b"},
		"clients": 6, "edits": 40, "seed": 11, "token": "alice:rw"})
	out := runNode(t, 120*time.Second, "converge.mjs", string(arg))
	var res map[string]map[string]int
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("converge.mjs output %q: %v", out, err)
	}
	for _, d := range []string{"fleet-a", "fleet-b"} {
		if res[d]["text"] == 0 || res[d]["xml"] == 0 {
			t.Fatalf("document %s ended empty: %v", d, res[d])
		}
	}
}

// TestFleetRedisRestartConverges: Redis dies while clients on three
// instances edit, and comes back; meanwhile the instances poll the log, and
// every client converges.
func TestFleetRedisRestartConverges(t *testing.T) {
	nodeDir(t)
	rd := startPrivateRedis(t)
	fleet, _ := startFleet(t, 3, rd.url())
	arg, _ := json.Marshal(map[string]any{"urls": fleetURLs(fleet), "docs": []string{"rr-a", "rr-b"},
		"clients": 6, "edits": 120, "pause": 40, "seed": 5, "token": "alice:rw", "reconnects": false, "convergeMs": 40000})
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	dir := nodeDir(t)
	go func() {
		out, err := runNodeErr(dir, 150*time.Second, "converge.mjs", string(arg))
		done <- result{out, err}
	}()
	time.Sleep(1500 * time.Millisecond)
	rd.stop()
	t.Log("redis stopped")
	time.Sleep(2 * time.Second)
	rd.start()
	t.Log("redis restarted")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	var res map[string]map[string]int
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("converge.mjs output %q: %v", r.out, err)
	}
}

// TestFleetKillOneInstanceLosesNothingAcknowledged: Hocuspocus clients on
// three instances type without pause; one instance is killed with SIGKILL;
// its clients move to the others with their unsynced edits. Every update
// any instance acknowledged is in the document exactly once.
func TestFleetKillOneInstanceLosesNothingAcknowledged(t *testing.T) {
	nodeDir(t)
	fleet, _ := startFleet(t, 3, "redis://127.0.0.1:6379/0")
	arg, _ := json.Marshal(map[string]any{"urls": fleetURLs(fleet), "doc": "failover", "clients": 6, "token": "alice:rw"})
	ed := exec.Command("node", "failover.mjs", string(arg))
	ed.Dir = nodeDir(t)
	ed.Stderr = os.Stderr
	stdin, _ := ed.StdinPipe()
	out, _ := ed.StdoutPipe()
	if err := ed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ed.Process.Kill(); ed.Wait() })
	var mu sync.Mutex
	acked := map[string]bool{}
	final := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			line := sc.Text()
			if tok, ok := strings.CutPrefix(line, "ACK "); ok {
				mu.Lock()
				acked[tok] = true
				mu.Unlock()
			} else if rest, ok := strings.CutPrefix(line, "DONE "); ok {
				final <- rest
			}
		}
		close(final)
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	deadline := time.Now().Add(30 * time.Second)
	for count() < 400 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	before := count()
	fleet[0].kill()
	t.Logf("killed instance 0 after %d acknowledgements", before)
	// Typing goes on against the survivors for a while.
	deadline = time.Now().Add(30 * time.Second)
	for count() < before+300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	io.WriteString(stdin, "STOP\n")
	var res struct{ Text string }
	select {
	case line, ok := <-final:
		if !ok || json.Unmarshal([]byte(line), &res) != nil {
			t.Fatalf("failover.mjs ended without a result")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("failover.mjs did not finish")
	}
	if count() < before+100 {
		t.Fatalf("only %d acknowledgements after the kill", count()-before)
	}
	// A fresh client on a surviving instance reads the document.
	cfg, _ := json.Marshal(map[string]any{"url": fleet[1].url(), "doc": "failover", "token": "alice:rw"})
	var check struct{ Text string }
	if err := json.Unmarshal([]byte(runNode(t, 60*time.Second, "check.mjs", string(cfg))), &check); err != nil {
		t.Fatal(err)
	}
	if check.Text != res.Text {
		t.Fatalf("a fresh client reads %d bytes, the editors converged on %d", len(check.Text), len(res.Text))
	}
	seen := map[string]int{}
	for _, tok := range strings.Split(check.Text, ";") {
		if tok != "" {
			seen[tok+";"]++
		}
	}
	mu.Lock()
	defer mu.Unlock()
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
	t.Logf("%d acknowledged updates, all present once; %d updates in the document", len(acked), len(seen))
}
