package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/config"
	"github.com/tandem-docs/tandem/postgres/pgtest"
)

// TestReplicaDownAtStart: a process configured with a read replica that
// does not answer starts, is ready (reads fall back to the primary), serves
// lists from the primary and says in its metrics that the replica is not
// used. Routing to a live replica is tested in package postgres against a
// real streaming replica.
func TestReplicaDownAtStart(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadReplica := "postgres://postgres:secret@" + l.Addr().String() + "/tandem?sslmode=disable&connect_timeout=2"
	l.Close()
	env := map[string]string{
		"TANDEM_DATABASE_URL":             pgtest.Database(t),
		"TANDEM_DATABASE_REPLICA_URL":     deadReplica,
		"TANDEM_DATABASE_REPLICA_MAX_LAG": "5s",
	}
	cfg, err := config.Load([]string{"--roles", "app", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0"},
		func(name string) string { return env[name] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("a replica that is down must not stop the process: %v", err)
	}
	t.Cleanup(func() { s.close() })

	res, err := s.App.SignUp(ctx, app.SignUpInput{Email: "a@example.com", Password: "a long enough password", Name: "A", OrganizationName: "Org"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.App.Authenticate(ctx, tandem.Credentials{SessionCookie: res.Token})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.App.CreateDocument(ctx, p, "Plan", "")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.App.ListDocuments(ctx, p, app.ListOptions{})
	if err != nil {
		t.Fatalf("list with the replica down: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != d.ID {
		t.Fatalf("list with the replica down = %+v", page.Items)
	}

	if err := s.HTTP.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go s.HTTP.Serve()
	defer s.HTTP.Shutdown(ctx)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + s.HTTP.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s with only the replica down, want 200", code, body)
	}
	code, metrics := get("/metrics")
	if code != http.StatusOK || !strings.Contains(metrics, "\ntandem_db_replica_up 0\n") || !strings.Contains(metrics, "tandem_db_replica_lag_seconds") {
		t.Fatalf("/metrics = %d, want tandem_db_replica_up 0 and the lag gauges:\n%s", code, metrics)
	}
	if strings.Contains(metrics, "secret") {
		t.Fatal("/metrics shows the replica's password")
	}
}
