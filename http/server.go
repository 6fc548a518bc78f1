// Package http serves Tandem over HTTP: the REST API, the web app, the
// realtime endpoints (mounted from package collab), health checks and
// metrics. It owns the listener and the middleware every request passes
// through: request ids, tracing, metrics, access logs and panic recovery.
package http

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Server is Tandem's HTTP server. Register handlers with Handle before Open.
type Server struct {
	logger   *slog.Logger
	registry *prometheus.Registry
	mux      *http.ServeMux
	server   *http.Server
	ln       net.Listener

	draining atomic.Bool
	mu       sync.Mutex
	checks   []check
	onDrain  []func(ctx context.Context)

	// untraced skips otelhttp (see TraceRequests).
	untraced    bool
	traceFields []string // the propagator's header names, canonical

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

type check struct {
	name string
	fn   func(ctx context.Context) error
}

// NewServer returns a server that logs to logger and exposes registry at
// /metrics.
func NewServer(logger *slog.Logger, registry *prometheus.Registry) *Server {
	s := &Server{
		logger:   logger,
		registry: registry,
		mux:      http.NewServeMux(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tandem_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tandem_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
	}
	registry.MustRegister(s.requests, s.duration, s.inFlight)
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	s.server = &http.Server{
		Handler:           s.middleware(s.mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handle registers h for a ServeMux pattern such as "GET /api/v1/documents/{id}".
// The pattern becomes the route label of the request's metrics, log line and span.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc registers f for pattern, as Handle does.
func (s *Server) HandleFunc(pattern string, f http.HandlerFunc) { s.mux.HandleFunc(pattern, f) }

// AddReadinessCheck adds a dependency that /readyz checks. fn should answer
// within a second or two; /readyz gives every check at most 2 seconds.
func (s *Server) AddReadinessCheck(name string, fn func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, check{name, fn})
}

// OnShutdown registers f to run, concurrently with the draining of ordinary
// requests, when Shutdown starts. Long-lived connections the server does not
// track itself (hijacked WebSockets) are closed here.
func (s *Server) OnShutdown(f func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDrain = append(s.onDrain, f)
}

// Open starts listening on addr. It returns once the socket is bound, so a
// bad or busy address is reported before anything else starts.
func (s *Server) Open(addr string) error {
	ln, err := listenConfig.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// listenConfig turns TCP keep-alive off for accepted connections: Go's
// default costs four setsockopt calls per connection, and neither kind of
// connection needs it. HTTP connections have IdleTimeout; WebSockets have
// the realtime service's own pings and idle timeout, which also catch a
// peer that went away without a word.
var listenConfig = net.ListenConfig{KeepAlive: -1}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves connections until Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve() error {
	err := s.server.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Drain makes /readyz answer 503 so that load balancers stop sending new
// requests, while everything else keeps working.
func (s *Server) Drain() { s.draining.Store(true) }

// Shutdown stops accepting connections and waits, until ctx ends, for
// in-flight requests to finish and for the OnShutdown functions to return.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	s.mu.Lock()
	fns := s.onDrain
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Go(func() { f(ctx) })
	}
	err := s.server.Shutdown(ctx)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("shutdown hooks: %w", ctx.Err()))
	}
	if err != nil {
		s.server.Close()
	}
	return err
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	s.mu.Lock()
	checks := s.checks
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	for _, c := range checks {
		go func() { results <- result{c.name, c.fn(ctx)} }()
	}
	ok := map[string]string{}
	down := map[string]string{}
	for range checks {
		res := <-results
		if res.err != nil {
			down[res.name] = res.err.Error()
		} else {
			ok[res.name] = "ok"
		}
	}
	if len(down) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "down": down, "ok": ok})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "ok": ok})
}

// middleware wraps every request: recovery, request id, tracing (W3C trace
// context in and out), then metrics and the access log.
func (s *Server) middleware(next http.Handler) http.Handler {
	observed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.inFlight.Inc()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.Error("panic serving request", "request_id", RequestID(r.Context()), "route", r.Pattern, "panic", fmt.Sprint(p))
				if !rec.wroteHeader {
					WriteProblem(rec, r, http.StatusInternalServerError, "internal", "Internal server error", "")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.requests.WithLabelValues(route, r.Method, statusText(rec.status)).Inc()
			s.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			attrs := []slog.Attr{
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", r.URL.Path), // never the query: it can carry tokens
				slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int64("bytes", rec.bytes),
			}
			if id := traceID(r.Context()); id != "" {
				attrs = append(attrs, slog.String("trace_id", id))
			}
			s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
	traced := otelhttp.NewHandler(observed, "http.request",
		// Called again by otelhttp once the mux has matched: the span is
		// then named after the route pattern ("GET /api/v1/documents/{id}").
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Pattern
			}
			return r.Method
		}),
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		if s.untraced {
			observed.ServeHTTP(w, r.WithContext(s.propagated(ctx, r.Header)))
			return
		}
		traced.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TraceRequests says whether requests get OpenTelemetry spans: true unless
// told otherwise. Call it before Serve. With tracing off (no exporter) the
// spans were never recorded, and otelhttp still cost about 5% of the
// server's CPU under the API benchmark (attributes, wrapped writer and
// body, a context per span); without it, an incoming trace context is
// still extracted, so handlers and the access log see the caller's trace
// as before.
func (s *Server) TraceRequests(on bool) {
	s.untraced = !on
	s.traceFields = nil
	for _, f := range otel.GetTextMapPropagator().Fields() {
		s.traceFields = append(s.traceFields, textproto.CanonicalMIMEHeaderKey(f))
	}
}

// propagated is ctx with the trace context of header, as otelhttp
// extracts it with the global propagator (W3C traceparent and baggage),
// when the request carries any.
func (s *Server) propagated(ctx context.Context, header http.Header) context.Context {
	for _, f := range s.traceFields {
		if _, ok := header[f]; ok {
			return otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(header))
		}
	}
	return ctx
}

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts an id from a trusted proxy if it is short and plain,
// so that it cannot inject anything into logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// statusText is the status label of the request metrics. The labels are
// made once: formatting the code allocated on every request.
func statusText(code int) string {
	if code >= 100 && code < 600 {
		return statusLabels[code-100]
	}
	return "other"
}

var statusLabels = func() (l [500]string) {
	for i := range l {
		l[i] = strconv.Itoa(i + 100)
	}
	return l
}()

// recorder captures the status and size of a response. It keeps Hijack and
// Flush working, which WebSocket upgrades and streaming responses need.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("http: connection cannot be hijacked")
	}
	conn, rw, err := h.Hijack()
	if err == nil {
		r.status = http.StatusSwitchingProtocols
		r.wroteHeader = true
	}
	return conn, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
