package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem/config"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/tandemtest"
)

// contentServer runs a configured Tandem process for the content tests
// and returns it with its URL. env holds TANDEM_* settings.
func contentServer(t *testing.T, env map[string]string) (*Server, string) {
	t.Helper()
	s, url, _ := startServer(t, env, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return s, url
}

// startServer runs a configured Tandem process (env holds TANDEM_*
// settings); setup, if set, adjusts the Server between New and Run. It
// returns the Server, its URL, and stop, which shuts it down and returns
// Run's error (it runs at cleanup too if the test did not call it).
func startServer(t *testing.T, env map[string]string, setup func(*Server), logger *slog.Logger) (*Server, string, func() error) {
	t.Helper()
	if env["TANDEM_DATA_DIR"] == "" {
		env["TANDEM_DATA_DIR"] = t.TempDir()
	}
	env["TANDEM_HTTP_ADDR"] = "127.0.0.1:0"
	cfg, err := config.Load(nil, func(name string) string { return env[name] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(u string) { urls <- u }) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	select {
	case u := <-urls:
		return s, u, stop
	case err := <-done:
		once.Do(func() { cancel(); runErr = err })
		t.Fatalf("server stopped: %v", err)
	}
	return nil, "", nil
}

// apiCaller calls a Tandem's REST API with a bearer token.
type apiCaller struct {
	t     *testing.T
	url   string
	token string
}

func (c *apiCaller) call(method, path, ctype, body string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must calls and checks the status, returning the body.
func (c *apiCaller) must(status int, method, path, ctype, body string) []byte {
	c.t.Helper()
	st, b := c.call(method, path, ctype, body)
	if st != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, st, status, b)
	}
	return b
}

func (c *apiCaller) id(b []byte) string {
	c.t.Helper()
	var v struct{ ID string }
	if err := json.Unmarshal(b, &v); err != nil || v.ID == "" {
		c.t.Fatalf("no id in %s", b)
	}
	return v.ID
}

func (c *apiCaller) markdown(doc string) string {
	c.t.Helper()
	return string(c.must(200, "GET", "/documents/"+doc+"/content?format=markdown", "", ""))
}

// contentOwner signs up the first user on the Tandem at url and returns a
// caller with a read-write API token of theirs.
func contentOwner(t *testing.T, url string) *apiCaller {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": "owner@example.com", "password": "correct horse battery", "name": "Owner", "organization_name": "Org"})
	resp, err := http.Post(url+"/api/v1/auth/signup", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var signed struct {
		CSRFToken string `json:"csrf_token"`
		Session   *struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &signed)
	if resp.StatusCode != 201 {
		t.Fatalf("signup: %d %s", resp.StatusCode, b)
	}
	csrf := signed.CSRFToken
	if signed.Session != nil {
		csrf = signed.Session.CSRFToken
	}
	req, _ := http.NewRequest("POST", url+"/api/v1/tokens", strings.NewReader(`{"name":"test","scope":"read_write"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	tr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Body.Close()
	var tok struct{ Token string }
	b, _ = io.ReadAll(tr.Body)
	if err := json.Unmarshal(b, &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %d %s", tr.StatusCode, b)
	}
	return &apiCaller{t: t, url: url, token: tok.Token}
}

// checkDuplicateAndDelete: duplicating copies the content (and the copy
// is independent of the original); deleting for good drops the log.
func checkDuplicateAndDelete(t *testing.T, s *Server, c *apiCaller) {
	t.Helper()
	ctx := context.Background()
	src := c.id(c.must(201, "POST", "/documents", "application/json", `{"title":"Source","content":"# Source\n\nwith **content**"}`))
	dup := c.id(c.must(201, "POST", "/documents/"+src+"/duplicate", "", ""))
	if got := c.markdown(dup); got != "# Source\n\nwith **content**\n" {
		t.Fatalf("the duplicate holds %q", got)
	}
	c.must(204, "POST", "/documents/"+src+"/content", "text/markdown", "Only in the original")
	if got := c.markdown(dup); strings.Contains(got, "Only in the original") {
		t.Fatalf("the duplicate follows the original: %q", got)
	}
	if st, err := s.content.log.Load(ctx, src); err != nil || st.Position().Count() == 0 {
		t.Fatalf("log of the original before delete: %+v %v", st, err)
	}
	c.must(204, "DELETE", "/documents/"+src, "", "")
	st, err := s.content.log.Load(ctx, src)
	if err != nil || st.Position().Count() != 0 || st.Snapshot != nil || len(st.Updates) != 0 {
		t.Fatalf("log of the deleted document: %+v %v", st, err)
	}
	c.must(404, "GET", "/documents/"+src+"/content", "", "")
	if got := c.markdown(dup); !strings.HasPrefix(got, "# Source") {
		t.Fatalf("deleting the original changed the duplicate: %q", got)
	}
}

// TestContentOneProcess: with every role in one process (the embedded
// default) the REST content API edits the realtime service's documents,
// and duplicate and permanent delete carry the content.
func TestContentOneProcess(t *testing.T) {
	s, url := contentServer(t, map[string]string{})
	if s.content.engine != s.Realtime || s.Realtime == nil {
		t.Fatal("the content engine is not the realtime service")
	}
	c := contentOwner(t, url)
	checkDuplicateAndDelete(t, s, c)
	doc := c.id(c.must(201, "POST", "/documents", "application/json", `{"title":"Live"}`))
	testLiveEdit(t, c, doc, "ws"+strings.TrimPrefix(url, "http")+"/collab")
}

// TestContentAppInstanceReachesRealtimeInstance: an instance without the
// rt role (roles=app) serves content through its own headless engine over
// the shared PostgreSQL document log, and its edits reach the clients of a
// separate realtime instance live through Redis.
func TestContentAppInstanceReachesRealtimeInstance(t *testing.T) {
	redisURL := os.Getenv("TANDEM_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	dsn := pgtest.Database(t)
	rt, rtURL := contentServer(t, map[string]string{"TANDEM_ROLES": "rt", "TANDEM_DATABASE_URL": dsn, "TANDEM_REDIS_URL": redisURL})
	api, apiURL := contentServer(t, map[string]string{"TANDEM_ROLES": "app", "TANDEM_DATABASE_URL": dsn, "TANDEM_REDIS_URL": redisURL})
	if api.Realtime != nil || api.content.engine == nil || rt.Realtime == nil {
		t.Fatal("roles: the app instance must have a headless engine and no realtime service")
	}
	if resp, err := http.Get(apiURL + "/collab/x"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusSwitchingProtocols {
			t.Fatal("the app instance accepts WebSocket clients")
		}
	}
	c := contentOwner(t, apiURL)
	checkDuplicateAndDelete(t, api, c)
	doc := c.id(c.must(201, "POST", "/documents", "application/json", `{"title":"Live"}`))
	testLiveEdit(t, c, doc, "ws"+strings.TrimPrefix(rtURL, "http")+"/collab")
}

// testLiveEdit connects a real y-websocket client (Node, the pinned
// clients of collab/testdata/js) to doc at wsURL; it types a paragraph; a
// REST append and a REST replace through c reach its Yjs document within
// seconds (http/testdata/js/content_live.mjs).
func testLiveEdit(t *testing.T, c *apiCaller, doc, wsURL string) {
	t.Helper()
	clients := tandemtest.NodeClients(t)
	script, _ := filepath.Abs("../http/testdata/js/content_live.mjs")
	arg, _ := json.Marshal(map[string]any{"clients": clients, "url": wsURL, "doc": doc, "token": c.token,
		"own": "Typed in the browser", "want1": []string{"Typed in the browser", "Appended via REST"}, "want2": "Replaced\nall of it"})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, string(arg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(prefix string, within time.Duration) string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || !strings.HasPrefix(l, prefix) {
				cancel()
				cmd.Wait()
				t.Fatalf("node client: got %q, want %s\nstderr:\n%s", l, prefix, stderr.String())
			}
			return l
		case <-time.After(within):
			t.Fatalf("node client: no %s within %v", prefix, within)
		}
		return ""
	}
	expect("SYNCED", 30*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(c.must(200, "GET", "/documents/"+doc+"/content?format=text", "", "")), "Typed in the browser") {
		if time.Now().After(deadline) {
			t.Fatal("the client's paragraph never reached the content API")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.must(204, "POST", "/documents/"+doc+"/content", "text/markdown", "Appended **via REST**")
	if l := expect("STEP1", 10*time.Second); !strings.Contains(l, `Typed in the browser\nAppended via REST`) {
		t.Errorf("after the append the client has %s", l)
	}
	c.must(204, "PUT", "/documents/"+doc+"/content", "text/html", "<h1>Replaced</h1><p>all <em>of</em> it</p>")
	expect("DONE", 10*time.Second)
	if got := c.markdown(doc); got != "# Replaced\n\nall *of* it\n" {
		t.Errorf("content after the replace: %q", got)
	}
}
