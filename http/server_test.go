package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	s := NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	ts := httptest.NewServer(s.server.Handler)
	t.Cleanup(ts.Close)
	return s, ts
}

func TestReadyzNamesWhatIsDown(t *testing.T) {
	s, ts := newTestServer(t)
	s.AddReadinessCheck("database", func(context.Context) error { return nil })
	s.AddReadinessCheck("redis", func(context.Context) error { return errors.New("connection refused") })
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Down   map[string]string
		OK     map[string]string
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 503 || body.Down["redis"] != "connection refused" || body.OK["database"] != "ok" {
		t.Fatalf("%d %+v", resp.StatusCode, body)
	}
	s.Drain()
	resp, _ = http.Get(ts.URL + "/readyz")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("draining: %d", resp.StatusCode)
	}
	resp, _ = http.Get(ts.URL + "/healthz")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz while draining: %d", resp.StatusCode)
	}
}

func TestProblemAndRequestID(t *testing.T) {
	s, ts := newTestServer(t)
	s.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, http.StatusConflict, "conflict", "", "the name is taken")
	})
	s.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("bug") })

	req, _ := http.NewRequest("GET", ts.URL+"/boom", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p Problem
	json.NewDecoder(resp.Body).Decode(&p)
	if resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != 409 || p.Code != "conflict" || p.RequestID != "abc-123" || p.Title != "Conflict" {
		t.Fatalf("%v %+v", resp.Header, p)
	}

	// An id that could inject into logs is replaced.
	req.Header.Set("X-Request-Id", "evil id <x>")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if id := resp2.Header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, " <") {
		t.Fatalf("request id %q", id)
	}

	resp3, err := http.Get(ts.URL + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp3.Body.Close()
	if resp3.StatusCode != 500 || resp3.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic: %d %v", resp3.StatusCode, resp3.Header)
	}
}

func TestHijackThroughMiddleware(t *testing.T) {
	s, ts := newTestServer(t)
	s.HandleFunc("GET /upgrade", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
	})
	req, _ := http.NewRequest("GET", ts.URL+"/upgrade", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
