package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-docs/tandem/app"
	tandemhttp "github.com/tandem-docs/tandem/http"
	"github.com/tandem-docs/tandem/sqlite"
)

// A request to the API gets an HTTP server span whose children are the
// statements it ran, with no argument among their attributes.
func TestAPIRequestSpanHasDatabaseChildren(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "tandem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sqlite.OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(app.Config{Stores: st.Stores(), Password: app.PasswordParams{Memory: 256, Time: 1, Threads: 1}, OpenSignUp: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	s := tandemhttp.NewServer(logger, prometheus.NewRegistry())
	tandemhttp.MountAPI(s, a, tandemhttp.APIOptions{Logger: logger})
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	defer func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()

	const email = "traced-owner@example.com"
	body := `{"email":"` + email + `","password":"correct horse battery","name":"Owner","organization_name":"Traced Org"}`
	resp, err := http.Post("http://"+s.Addr().String()+"/api/v1/auth/signup", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("signup: %s", resp.Status)
	}

	var server sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(10 * time.Second); server == nil; {
		// The server span ends after the response is written.
		for _, sp := range rec.Ended() {
			if sp.SpanKind() == trace.SpanKindServer {
				server = sp
			}
		}
		if server == nil {
			if time.Now().After(deadline) {
				t.Fatal("no HTTP server span")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if server.Name() != "POST /api/v1/auth/signup" {
		t.Errorf("server span %q", server.Name())
	}
	var children []string
	for _, sp := range rec.Ended() {
		if sp.Parent().SpanID() != server.SpanContext().SpanID() {
			continue
		}
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.Emit(), email) {
				t.Errorf("span %q carries the email: %s=%q", sp.Name(), kv.Key, kv.Value.Emit())
			}
			if kv.Key == "db.system.name" && kv.Value.AsString() == "sqlite" {
				children = append(children, sp.Name())
			}
		}
	}
	t.Logf("database spans of the request: %v", children)
	if !slices.Contains(children, "INSERT users") {
		t.Errorf("database children of the request %v, want INSERT users among them", children)
	}
}
