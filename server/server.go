// Package server assembles one Tandem process from its configuration: it
// opens the storage and engines the configuration names (or the embedded
// defaults), mounts the roles the process runs on one HTTP server, and shuts
// everything down in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/config"
	thttp "github.com/tandem-docs/tandem/http"
	"github.com/tandem-docs/tandem/redis"
	"github.com/tandem-docs/tandem/telemetry"
	"github.com/tandem-docs/tandem/web"
)

// Server is a configured Tandem process.
type Server struct {
	cfg      *config.Config
	logger   *slog.Logger
	registry *prometheus.Registry
	HTTP     *thttp.Server
	App      *app.App       // nil unless the app or rt role runs
	Realtime *collab.Server // nil unless the rt role runs
	redis    *redis.Client  // nil unless TANDEM_REDIS_URL is set
	// content is document content for the App service and the REST API;
	// its engine is Realtime, or a headless one without the rt role.
	content *documentContent
	// touch dates content edits (documents' updated_at); nil unless the
	// App runs.
	touch *touches

	// closers run in reverse order at the end of shutdown, after the last
	// request has finished and pending writes are flushed.
	closers []func() error
	tracing func(context.Context) error
}

// New opens everything the configuration asks for. Any failure here happens
// before the listener opens, so a misconfigured process never half-starts.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *Server, err error) {
	if err := supported(cfg); err != nil {
		return nil, err
	}
	// s is not the result: an error return sets that to nil before the
	// deferred close and the closers (which use s) run.
	s := &Server{cfg: cfg, logger: logger, registry: telemetry.NewRegistry(), content: &documentContent{}}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.tracing, err = telemetry.StartTracing(ctx, cfg.OTLPEndpoint, "tandem"); err != nil {
		return nil, err
	}
	s.HTTP = thttp.NewServer(logger, s.registry)
	// Without an exporter no span is ever recorded: requests skip the
	// span machinery (incoming trace context still reaches the logs).
	s.HTTP.TraceRequests(cfg.OTLPEndpoint != "")

	st, err := openStorage(ctx, cfg, storageOptions{Migrate: cfg.MigrateOnStart, Serve: true, Registry: s.registry, Logger: logger})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, st.close)
	s.HTTP.AddReadinessCheck("database", st.ping)

	// Redis, when configured, links the instances: permission changes
	// published by any App instance reach every realtime instance, and
	// realtime instances exchange updates and awareness through it.
	var changes tandem.PermissionChanges
	var accountThrottle, ipThrottle tandem.Throttle
	var docCache tandem.DocumentCache
	if cfg.RedisURL != "" {
		if s.redis, err = redis.Open(cfg.RedisURL, redis.Options{}); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, s.redis.Close)
		pc := s.redis.PermissionChanges()
		s.closers = append(s.closers, pc.Close)
		changes = pc
		s.HTTP.AddReadinessCheck("redis", s.redis.Ping)
		// The login throttles are shared, so that a password-guessing run
		// spread over the App instances gets one budget, not one per
		// instance; each falls back to its own count while Redis is down.
		accountThrottle = s.redis.Throttle("account", app.AccountThrottlePolicy,
			redis.ThrottleOptions{Fallback: app.NewMemoryThrottle(app.AccountThrottlePolicy), Logger: logger})
		ipThrottle = s.redis.Throttle("ip", app.IPThrottlePolicy,
			redis.ThrottleOptions{Fallback: app.NewMemoryThrottle(app.IPThrottlePolicy), Logger: logger})
		// Document metadata read on every request and connection is
		// cached for every instance; writes invalidate it everywhere.
		docCache = s.redis.DocumentCache(redis.DocumentCacheOptions{Logger: logger})
	}

	// The App service's logic backs the REST API and answers the realtime
	// service's permission questions, so either role needs it.
	if cfg.Has(config.RoleApp) || cfg.Has(config.RoleRT) {
		s.touch = newTouches(logger)
		if s.App, err = app.New(app.Config{Stores: st.stores, Changes: changes, Content: s.content, Logger: logger,
			AccountThrottle: accountThrottle, IPThrottle: ipThrottle, DocumentCache: docCache,
			EditAuthorized: s.touch.record}); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() error { s.App.Close(); return nil })
		s.touch.changed = s.App.ContentChanged
	}
	if cfg.Has(config.RoleRT) {
		if err := s.startRealtime(ctx); err != nil {
			return nil, err
		}
	} else if cfg.Has(config.RoleApp) || cfg.Has(config.RoleWorker) {
		// Content (REST, duplicate, delete, trash purge) without the
		// realtime service.
		if err := s.startContent(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.Has(config.RoleApp) {
		thttp.MountAPI(s.HTTP, s.App, thttp.APIOptions{
			Idempotency:   st.stores.Idempotency,
			SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"),
			Content:       s.apiContent(),
			Logger:        logger,
		})
	}
	if cfg.Has(config.RoleApp) {
		// The web app answers every path no other route claims, so it is
		// mounted last.
		s.HTTP.Handle("/", web.Handler())
		if !web.Built() {
			logger.Warn("this binary has no web app: build it with web/build.sh (make run does) before go build")
		}
	}
	if cfg.Has(config.RoleWorker) {
		a := s.App
		if a == nil {
			// The trash purge invalidates the cached documents it deletes.
			// It authenticates no one: no credential cache.
			if a, err = app.New(app.Config{Stores: st.stores, Content: s.content, Logger: logger, DocumentCache: docCache,
				CredentialTTL: -1}); err != nil {
				return nil, err
			}
		}
		workers, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			maintain(workers, a, st.stores, logger, 10*time.Minute)
		}()
		// Stop the workers before the stores they use close.
		s.closers = append(s.closers, func() error { stop(); <-done; return nil })
	}
	return s, nil
}

// supported rejects settings for engines this build cannot use yet, rather
// than silently falling back to the embedded default.
func supported(cfg *config.Config) error {
	for _, s := range []struct{ name, value string }{
		{"TANDEM_AMQP_URL", cfg.AMQPURL},
		{"TANDEM_S3_ENDPOINT", cfg.S3Endpoint},
		{"TANDEM_ELASTICSEARCH_URL", cfg.ElasticsearchURL},
	} {
		if s.value != "" {
			return &config.Error{Setting: s.name, Problem: "this build of Tandem does not support this engine yet; leave it unset to use the embedded default"}
		}
	}
	return nil
}

// Run serves until ctx is cancelled (a signal), then shuts down gracefully:
// /readyz turns 503, after the drain delay the listener stops accepting,
// in-flight requests and realtime connections are finished, pending writes
// are flushed and stores closed, all within the shutdown timeout.
func (s *Server) Run(ctx context.Context, ready func(url string)) error {
	if err := s.HTTP.Open(s.cfg.HTTPAddr); err != nil {
		s.close()
		return &config.Error{Setting: "TANDEM_HTTP_ADDR", Value: s.cfg.HTTPAddr, Problem: err.Error()}
	}
	if u, found := strings.CutSuffix(s.cfg.PublicURL, ":0"); found {
		// Listening on port 0 (tests): show the port the kernel chose.
		_, port, _ := net.SplitHostPort(s.HTTP.Addr().String())
		s.cfg.PublicURL = u + ":" + port
	}
	s.logger.Info("tandem started", "version", telemetry.Version(), "url", s.cfg.PublicURL, "listen", s.HTTP.Addr().String())
	if ready != nil {
		ready(s.cfg.PublicURL)
	}
	if s.touch != nil {
		s.touch.start()
	}
	served := make(chan error, 1)
	go func() { served <- s.HTTP.Serve() }()

	select {
	case err := <-served:
		s.close()
		return fmt.Errorf("http server stopped: %w", err)
	case <-ctx.Done():
	}

	start := time.Now()
	deadline, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String(), "drain_delay", s.cfg.DrainDelay.String())
	s.HTTP.Drain()
	if s.cfg.DrainDelay > 0 {
		select {
		case <-time.After(s.cfg.DrainDelay):
		case <-deadline.Done():
		}
	}
	err := s.HTTP.Shutdown(deadline)
	if serr := <-served; serr != nil {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, s.flushTracing(deadline), s.close())
	if err != nil {
		s.logger.Error("shutdown incomplete", "error", err, "elapsed_ms", time.Since(start).Milliseconds())
		return err
	}
	s.logger.Info("shutdown complete", "elapsed_ms", time.Since(start).Milliseconds())
	return nil
}

func (s *Server) flushTracing(ctx context.Context) error {
	if s.tracing == nil {
		return nil
	}
	return s.tracing(ctx)
}

func (s *Server) close() error {
	var err error
	for i := len(s.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, s.closers[i]())
	}
	s.closers = nil
	return err
}

// Migrate applies every pending schema migration of the configured stores.
func Migrate(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	if err := supported(cfg); err != nil {
		return err
	}
	st, err := openStorage(ctx, cfg, storageOptions{Migrate: true, Logger: logger})
	if err != nil {
		return err
	}
	defer st.close()
	logger.Info("migrations applied", "database", st.name)
	return nil
}
