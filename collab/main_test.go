package collab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab/ws"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/redis"
	"github.com/tandem-docs/tandem/sqlite"
	"github.com/tandem-docs/tandem/tandemtest"
)

// TestMain doubles as the server process of the crash tests: with
// TANDEM_COLLAB_CHILD set, the test binary runs a server instead of the
// tests, so that a test can kill it with SIGKILL.
func TestMain(m *testing.M) {
	if addr := os.Getenv("TANDEM_COLLAB_CHILD"); addr != "" {
		runChild(addr, os.Getenv("TANDEM_COLLAB_DB"))
		return
	}
	os.Exit(m.Run())
}

func runChild(addr, dbPath string) {
	var log tandem.DocumentLog
	var cfg Config
	if dsn := os.Getenv("TANDEM_COLLAB_PG"); dsn != "" {
		// An instance of a fleet: PostgreSQL and Redis.
		pg, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if log, err = postgres.NewDocumentLog(context.Background(), pg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		rc, err := redis.Open(os.Getenv("TANDEM_COLLAB_REDIS"), redis.Options{Prefix: os.Getenv("TANDEM_COLLAB_REDIS_PREFIX")})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cfg.Bus = rc.Bus()
		cfg.DownPollInterval = 100 * time.Millisecond
		cfg.PollInterval = time.Second
	} else {
		db, err := sqlite.Open(dbPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		l, err := sqlite.NewDocumentLog(context.Background(), db)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Folds every few milliseconds, so that kills land in them too.
		l.SetFoldInterval(5 * time.Millisecond)
		log = l
	}
	if v := os.Getenv("TANDEM_COLLAB_COMPACT_AFTER"); v != "" {
		fmt.Sscan(v, &cfg.CompactAfterUpdates)
	}
	srv, err := New(cfg, log, newTestAuth(), nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("READY", ln.Addr().String())
	http.Serve(ln, mux(srv))
}

func mux(srv *Server) http.Handler {
	m := http.NewServeMux()
	m.Handle("/collab", srv)
	m.Handle("/collab/", srv)
	return m
}

// testAuth grants by token: "user:rw", "user:ro" or "user:none"; tests can
// override one user's permission on one document.
type testAuth struct {
	mu        sync.Mutex
	overrides map[string]tandem.Access
	fail      bool
	calls     int
}

func newTestAuth() *testAuth { return &testAuth{overrides: map[string]tandem.Access{}} }

func (a *testAuth) Authorize(ctx context.Context, cred tandem.Credentials, doc string) (Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if a.fail {
		return Grant{}, fmt.Errorf("authorizer store unavailable")
	}
	tok := cred.Token
	if tok == "" {
		tok = cred.SessionCookie
	}
	user, perm, _ := strings.Cut(tok, ":")
	acc := Grant{UserID: user, UserName: user}
	switch perm {
	case "rw":
		acc.Access = tandem.AccessReadWrite
	case "ro":
		acc.Access = tandem.AccessReadOnly
	}
	if p, ok := a.overrides[user+"/"+doc]; ok {
		acc.Access = p
	}
	return acc, nil
}

func (a *testAuth) set(user, doc string, p tandem.Access) {
	a.mu.Lock()
	a.overrides[user+"/"+doc] = p
	a.mu.Unlock()
}

type testServer struct {
	srv  *Server
	http *httptest.Server
	log  tandem.DocumentLog
	db   *sqlite.DB
	auth *testAuth
	reg  *prometheus.Registry
	addr string // host:port
	url  string // ws://host:port/collab
}

func openLog(t testing.TB, path string) (*sqlite.DB, tandem.DocumentLog) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log, err := sqlite.NewDocumentLog(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	return db, log
}

func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	db, log := openLog(t, filepath.Join(t.TempDir(), "documents.db"))
	return startServerWith(t, cfg, db, log)
}

func startServerWith(t testing.TB, cfg Config, db *sqlite.DB, log tandem.DocumentLog) *testServer {
	t.Helper()
	ts := &testServer{log: log, db: db, auth: newTestAuth(), reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.Default()
	}
	srv, err := New(cfg, log, ts.auth, logger, ts.reg)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	ts.http = httptest.NewServer(mux(srv))
	ts.addr = strings.TrimPrefix(ts.http.URL, "http://")
	ts.url = "ws://" + ts.addr + "/collab"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.http.Close()
	})
	return ts
}

// ---- Node clients ----

// nodeDir is the directory of the Node test clients, with their packages
// installed from the committed lock file.
func nodeDir(t testing.TB) string {
	t.Helper()
	return tandemtest.NodeClients(t)
}

func runNode(t testing.TB, timeout time.Duration, script string, args ...string) string {
	t.Helper()
	out, err := runNodeErr(nodeDir(t), timeout, script, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runNodeErr is runNode for a goroutine other than the test's, which must
// not call t.Fatal (the test would wait forever for its result): the
// failure, with the script's output, is the error.
func runNodeErr(dir string, timeout time.Duration, script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// ---- a raw protocol client in Go, for what real clients never send ----

var clientLoop = sync.OnceValues(func() (*ws.Loop, error) { return ws.NewLoop(ws.Config{}) })

type rawClient struct {
	t      testing.TB
	c      *ws.Conn
	hp     bool
	doc    string
	mu     sync.Mutex
	msgs   [][]byte
	closed chan *ws.CloseError
}

func (k *rawClient) Message(c *ws.Conn, msg []byte, b *ws.Batch) {
	k.mu.Lock()
	k.msgs = append(k.msgs, append([]byte(nil), msg...))
	k.mu.Unlock()
}

func (k *rawClient) Closed(c *ws.Conn, err *ws.CloseError) { k.closed <- err }

func dialRaw(t testing.TB, ts *testServer, path string, hp bool, doc string) *rawClient {
	t.Helper()
	l, err := clientLoop()
	if err != nil {
		t.Fatal(err)
	}
	k := &rawClient{t: t, hp: hp, doc: doc, closed: make(chan *ws.CloseError, 1)}
	c, err := l.Dial(ts.addr, path, nil, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	k.c = c
	t.Cleanup(func() { c.Close(ws.CloseNormal, "") })
	return k
}

// dialYWS opens a y-websocket connection to doc.
func dialYWS(t testing.TB, ts *testServer, doc, token string) *rawClient {
	return dialRaw(t, ts, "/collab/"+doc+"?token="+token, false, doc)
}

// dialHP opens a Hocuspocus connection and authenticates doc.
func dialHP(t testing.TB, ts *testServer, doc, token string) *rawClient {
	k := dialRaw(t, ts, "/collab", true, doc)
	m := []byte{msgAuth, authToken}
	m = appendVarString(m, token)
	m = appendVarString(m, "4.7.0")
	k.send(m)
	return k
}

// send sends a message body, with the document prefix for Hocuspocus.
func (k *rawClient) send(body []byte) {
	if k.hp {
		body = append(appendVarString(nil, k.doc), body...)
	}
	k.c.Send(body)
}

// bodies returns the received message bodies (document prefix removed).
func (k *rawClient) bodies() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([][]byte, 0, len(k.msgs))
	for _, m := range k.msgs {
		if k.hp {
			if len(m) == 1 {
				continue // connection-level ping
			}
			_, rest, err := readVarString(m)
			if err != nil {
				k.t.Errorf("server sent a malformed Hocuspocus message %x", m)
				continue
			}
			m = rest
		}
		out = append(out, m)
	}
	return out
}

// wait waits for a message body matching pred and returns it.
func (k *rawClient) wait(what string, pred func([]byte) bool) []byte {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, b := range k.bodies() {
			if pred(b) {
				return b
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	k.t.Fatalf("timed out waiting for %s; got %x", what, k.bodies())
	return nil
}

func (k *rawClient) count(pred func([]byte) bool) int {
	n := 0
	for _, b := range k.bodies() {
		if pred(b) {
			n++
		}
	}
	return n
}

func (k *rawClient) waitClose() *ws.CloseError {
	k.t.Helper()
	select {
	case err := <-k.closed:
		return err
	case <-time.After(10 * time.Second):
		k.t.Fatal("timed out waiting for the server to close the connection")
		return nil
	}
}

func isSync(typ byte) func([]byte) bool {
	return func(b []byte) bool { return len(b) >= 2 && b[0] == msgSync && b[1] == typ }
}

func isSyncStatus(b []byte) bool { return len(b) == 2 && b[0] == msgSyncStatus && b[1] == 1 }

// ---- hand-made Yjs updates, for tests that need no CRDT ----

// textInsert encodes a v1 update that inserts s into the root Y.Text
// "text" as client's item at clock, after its previous item (clock-1) if
// clock > 0. It is a fixture encoder for tests, not CRDT logic.
func textInsert(client, clock uint64, s string) []byte {
	u := []byte{1, 1}
	u = appendVarUint(u, client)
	u = appendVarUint(u, clock)
	if clock == 0 {
		u = append(u, 0x04) // ContentString, no origins: the parent follows
		u = append(u, 1)    // parent is a root type, named
		u = appendVarString(u, "text")
	} else {
		u = append(u, 0x84) // ContentString with origin
		u = appendVarUint(u, client)
		u = appendVarUint(u, clock-1)
	}
	u = appendVarString(u, s)
	return append(u, 0) // empty delete set
}

func updateMsg(u []byte) []byte { return appendSync(nil, syncUpdate, u) }
func step1Msg(sv []byte) []byte { return appendSync(nil, syncStep1, sv) }
