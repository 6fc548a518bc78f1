package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/server"
)

// The tests run Tandem as a real child process: the test binary re-executes
// itself with TANDEM_TEST_CHILD set, and TestMain then runs the command line
// exactly as main does, plus a slow handler the shutdown test needs.
func TestMain(m *testing.M) {
	if os.Getenv("TANDEM_TEST_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, func(s *server.Server) {
			s.HTTP.HandleFunc("GET /test/slow", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				time.Sleep(3 * time.Second)
				io.WriteString(w, "finished")
			})
		}))
	}
	os.Exit(m.Run())
}

type child struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	addr   string
	done   chan struct{}
	exit   int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs `tandem <args>` with env and, for serve, waits for the listener.
func start(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TANDEM_TEST_CHILD=1", "TANDEM_DATA_DIR="+t.TempDir(), "TANDEM_HTTP_ADDR=127.0.0.1:0", "TANDEM_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, env...)
	c := &child{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(c.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		c.exit = cmd.ProcessState.ExitCode()
		pw.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "tandem started" {
				listening <- line.Listen
			}
		}
		io.Copy(io.Discard, pr)
	}()
	if len(args) > 0 && args[0] == "serve" && !slices.Contains(env, "TANDEM_TEST_NO_WAIT=1") {
		select {
		case c.addr = <-listening:
		case <-c.done:
			t.Fatalf("tandem exited with %d before listening:\n%s", c.exit, c.stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("tandem did not start:\n%s", c.stderr.String())
		}
	}
	return c
}

func (c *child) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
		return c.exit
	case <-time.After(timeout):
		t.Fatalf("tandem still running after %s:\n%s", timeout, c.stderr.String())
		return -1
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestInvalidConfigurationExitsTwo(t *testing.T) {
	for _, tc := range []struct{ env, setting string }{
		{"TANDEM_HTTP_ADDR=nonsense", "TANDEM_HTTP_ADDR"},
		{"TANDEM_ROLES=app,nope", "TANDEM_ROLES"},
		{"TANDEM_SHUTDOWN_TIMEOUT=-1s", "TANDEM_SHUTDOWN_TIMEOUT"},
	} {
		c := start(t, []string{tc.env, "TANDEM_TEST_NO_WAIT=1"}, "serve")
		if code := c.wait(t, 10*time.Second); code != 2 {
			t.Errorf("%s: exit %d, want 2", tc.env, code)
		}
		if !strings.Contains(c.stderr.String(), tc.setting) {
			t.Errorf("%s: message does not name the setting:\n%s", tc.env, c.stderr.String())
		}
	}
	// A port that is taken is also a configuration problem, reported before serving.
	c := start(t, nil, "serve")
	taken := start(t, []string{"TANDEM_HTTP_ADDR=" + c.addr, "TANDEM_TEST_NO_WAIT=1"}, "serve")
	if code := taken.wait(t, 10*time.Second); code != 2 || !strings.Contains(taken.stderr.String(), "TANDEM_HTTP_ADDR") {
		t.Errorf("busy port: exit %d:\n%s", code, taken.stderr.String())
	}
}

func TestServeHealthReadyMetrics(t *testing.T) {
	c := start(t, nil, "serve")
	base := "http://" + c.addr
	if code, body := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz %d %s", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	want := `tandem_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`
	if !strings.Contains(metrics, want) {
		t.Fatalf("metrics lack %q:\n%s", want, metrics)
	}
	for _, name := range []string{"tandem_http_request_duration_seconds_bucket", "tandem_http_requests_in_flight", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("metrics lack %s", name)
		}
	}
	if code, _ := get(t, base+"/api/v1/no/such/thing?token=secret-value"); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	logs := c.stderr.String()
	if strings.Contains(logs, "secret-value") {
		t.Error("the access log contains a query string value")
	}
	for _, field := range []string{`"request_id":`, `"route":"GET /healthz"`, `"status":200`, `"duration_ms":`} {
		if !strings.Contains(logs, field) {
			t.Errorf("access log lacks %s", field)
		}
	}
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	c := start(t, []string{"TANDEM_DRAIN_DELAY=1s", "TANDEM_SHUTDOWN_TIMEOUT=10s"}, "serve")
	base := "http://" + c.addr

	resp, err := http.Get(base + "/test/slow") // headers arrive at once, the body after 3 s
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sent := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// While draining, /readyz says so and /healthz still says the process lives.
	deadline := time.Now().Add(900 * time.Millisecond)
	var ready int
	for time.Now().Before(deadline) {
		r, err := http.Get(base + "/readyz")
		if err == nil {
			ready = r.StatusCode
			r.Body.Close()
			if ready == 503 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ready != 503 {
		t.Fatalf("readyz during drain = %d, want 503", ready)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || string(body) != "finished" {
		t.Fatalf("in-flight request: %q, %v", body, err)
	}
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, c.stderr.String())
	}
	if took := time.Since(sent); took > 10*time.Second {
		t.Fatalf("shutdown took %s", took)
	}
}

func TestShutdownDeadlineIsEnforced(t *testing.T) {
	c := start(t, []string{"TANDEM_SHUTDOWN_TIMEOUT=1s"}, "serve")
	resp, err := http.Get("http://" + c.addr + "/test/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sent := time.Now()
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(t, 10*time.Second); code != 1 {
		t.Fatalf("exit %d, want 1 when the deadline passes", code)
	}
	if took := time.Since(sent); took > 2500*time.Millisecond {
		t.Fatalf("exit took %s, deadline was 1s", took)
	}
}

func TestHTTPRequestSpanReachesOTLPReceiver(t *testing.T) {
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(b, req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ = proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer receiver.Close()

	c := start(t, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.URL}, "serve")
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	parent := "00f067aa0ba902b7"
	req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+c.addr+"/healthz", nil)
	req.Header.Set("traceparent", fmt.Sprintf("00-%s-%s-01", traceID, parent))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.cmd.Process.Signal(syscall.SIGTERM) // shutdown flushes the batch
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, span := range ss.Spans {
					if fmt.Sprintf("%x", span.TraceId) == traceID && span.Name == "GET /healthz" {
						if fmt.Sprintf("%x", span.ParentSpanId) != parent {
							t.Errorf("span parent %x, want %s", span.ParentSpanId, parent)
						}
						return
					}
				}
			}
		}
	}
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, span := range ss.Spans {
					t.Logf("span %q trace %x", span.Name, span.TraceId)
				}
			}
		}
	}
	t.Fatalf("no span for GET /healthz with trace %s among %d exports:\n%s", traceID, len(got), c.stderr.String())
}

func TestConfigCommandRedactsSecrets(t *testing.T) {
	cmd := exec.Command(os.Args[0], "config")
	cmd.Env = append(os.Environ(), "TANDEM_TEST_CHILD=1", "TANDEM_REDIS_URL=redis://:pa55word@cache:6379")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "pa55word") || !strings.Contains(string(out), "TANDEM_REDIS_URL=redis://") {
		t.Fatalf("config output:\n%s", out)
	}
}

func TestServeOnPostgreSQL(t *testing.T) {
	dsn := pgtest.Database(t)
	// Migrations first, as a blue-green deploy does, then a server that
	// does not migrate on its own.
	migrate := exec.Command(os.Args[0], "migrate")
	migrate.Env = append(os.Environ(), "TANDEM_TEST_CHILD=1", "TANDEM_DATABASE_URL="+dsn)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	c := start(t, []string{"TANDEM_DATABASE_URL=" + dsn, "TANDEM_MIGRATE_ON_START=false"}, "serve")
	base := "http://" + c.addr
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz %d %s", code, body)
	}
	resp, err := http.Post(base+"/api/v1/auth/signup", "application/json", strings.NewReader(
		`{"email":"ann@example.com","password":"correct horse battery","name":"Ann","organization_name":"Acme"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("signup on PostgreSQL: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(c.stderr.String(), "correct horse battery") {
		t.Fatal("a password reached the log")
	}
}
