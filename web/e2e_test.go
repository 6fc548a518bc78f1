package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBrowser drives the web app in Debian's Chromium (playwright-core,
// web/testdata/e2e/e2e.mjs) against a real Tandem: the binary built from
// ./cmd/tandem with the front end embedded, on a random port with a
// temporary data directory. The script covers sign-up, sign-in with 2FA,
// sign-out, invitations, document management, two people editing one
// document, reloads, viewers and public links, and the server stopping
// and restarting under the editors. The test asks this process to stop
// and start the server (kill -9, then the same port and data) through a
// line protocol on the script's stdout and stdin.
//
// It needs Node.js and Chromium (web/test-deps.sh installs Chromium); it
// fails, not skips, without them. -short skips it.
//
// Screenshots and timings go to $TANDEM_ARTIFACTS/web-e2e, or to
// web/testdata/artifacts. TANDEM_E2E_BINARY names a prebuilt tandem binary
// to test instead of building one.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser end-to-end test: not in -short mode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the browser tests need Node.js 20 or later")
	}
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("Chromium is not installed at %s: run web/test-deps.sh (apt-get install chromium)", browser)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	artifacts := filepath.Join(root, "web", "testdata", "artifacts")
	if d := os.Getenv("TANDEM_ARTIFACTS"); d != "" {
		artifacts = filepath.Join(d, "web-e2e")
	}
	os.RemoveAll(artifacts)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots and timings: %s", artifacts)

	bin := os.Getenv("TANDEM_E2E_BINARY")
	if bin == "" {
		run(t, ctx, root, nil, "bash", "web/build.sh")
		bin = filepath.Join(t.TempDir(), "tandem")
		run(t, ctx, root, nil, "go", "build", "-o", bin, "./cmd/tandem")
	}
	e2e := filepath.Join(root, "web", "testdata", "e2e")
	if stale(filepath.Join(e2e, "node_modules", ".package-lock.json"), filepath.Join(e2e, "package-lock.json")) {
		run(t, ctx, e2e, []string{"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1"}, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	}

	srv := &tandemProcess{t: t, bin: bin, addr: freeAddr(t), data: t.TempDir(), logPath: filepath.Join(artifacts, "tandem.log")}
	srv.start(ctx)
	defer srv.stop()
	srv.checkMounted()

	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "TANDEM_URL=http://"+srv.addr, "TANDEM_ARTIFACTS="+artifacts, "CHROMIUM="+browser)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		cmdName, isCmd := strings.CutPrefix(line, "@@tandem ")
		if !isCmd {
			t.Log(line)
			continue
		}
		reply := "ok"
		switch cmdName {
		case "stop":
			srv.kill()
		case "start":
			srv.start(ctx)
		default:
			reply = "unknown command " + cmdName
		}
		io.WriteString(stdin, reply+"\n")
	}
	err = cmd.Wait()
	if stderr.Len() > 0 {
		t.Logf("e2e.mjs stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("browser test failed (%v); screenshots in %s, server log in %s", err, artifacts, srv.logPath)
	}
}

// tandemProcess is the server under test. kill stops it the hard way (a
// crash); start brings it back on the same address and data directory.
type tandemProcess struct {
	t       *testing.T
	bin     string
	addr    string
	data    string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p *tandemProcess) start(ctx context.Context) {
	p.t.Helper()
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, p.bin, "serve")
	cmd.Env = append(os.Environ(),
		"TANDEM_HTTP_ADDR="+p.addr,
		"TANDEM_DATA_DIR="+p.data,
		"TANDEM_LOG_FORMAT=json",
		"TANDEM_SHUTDOWN_TIMEOUT=5s",
	)
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	go func() {
		cmd.Wait()
		log.Close()
		close(exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("tandem did not become ready at %s within 30 s; log: %s", p.addr, p.logPath)
		}
		select {
		case <-exited:
			p.t.Fatalf("tandem exited at start (%v); log: %s", cmd.ProcessState, p.logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill ends the server with SIGKILL, as a crash would, and waits for it
// to be gone.
func (p *tandemProcess) kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func (p *tandemProcess) stop() { p.kill() }

// checkMounted fails at once, with the fix, when the binary does not serve
// the web app or the realtime service (the server package mounts both).
func (p *tandemProcess) checkMounted() {
	p.t.Helper()
	res, err := http.Get("http://" + p.addr + "/")
	if err != nil {
		p.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `<div id="root">`) {
		p.t.Fatalf("GET / answered %d without the web app: the server must mount web.Handler() at \"/\" and be built after web/build.sh", res.StatusCode)
	}
	res, err = http.Get("http://" + p.addr + "/collab")
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		p.t.Fatal("GET /collab answered 404: the server does not mount the realtime service (package collab)")
	}
}

func run(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// stale reports whether installed is missing or older than lock.
func stale(installed, lock string) bool {
	a, err := os.Stat(installed)
	if err != nil {
		return true
	}
	b, err := os.Stat(lock)
	return err != nil || b.ModTime().After(a.ModTime())
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
