package http

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// lockedBuffer is a log destination the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// With tracing on or off, a caller's trace context reaches the handler and
// the access log, and a request without one logs no trace id.
func TestTraceContextWithTracingOnAndOff(t *testing.T) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, on := range []bool{true, false} {
		var logs lockedBuffer
		s := NewServer(slog.New(slog.NewJSONHandler(&logs, nil)), prometheus.NewRegistry())
		s.TraceRequests(on)
		var seen []string
		s.HandleFunc("GET /t", func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, trace.SpanContextFromContext(r.Context()).TraceID().String())
		})
		ts := httptest.NewServer(s.server.Handler)
		for _, parent := range []string{"00-" + traceID + "-00f067aa0ba902b7-01", ""} {
			req, _ := http.NewRequest("GET", ts.URL+"/t", nil)
			if parent != "" {
				req.Header.Set("Traceparent", parent)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		ts.Close()
		if len(seen) != 2 || seen[0] != traceID || seen[1] != "00000000000000000000000000000000" {
			t.Errorf("tracing %v: handlers saw traces %q", on, seen)
		}
		var got []any
		for _, l := range logs.lines(t) {
			if l["msg"] == "request" {
				got = append(got, l["trace_id"])
			}
		}
		if len(got) != 2 || got[0] != traceID || got[1] != nil {
			t.Errorf("tracing %v: access log trace ids %v, want [%s <nil>]", on, got, traceID)
		}
	}
}
