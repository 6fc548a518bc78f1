package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/config"
)

// TestLoginThrottleSharedThroughRedis: two App instances configured with
// one Redis share the login throttle, so failures spread over them add up:
// three on each of two instances exceed the five free failures an account
// has.
func TestLoginThrottleSharedThroughRedis(t *testing.T) {
	redisURL := os.Getenv("TANDEM_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	open := func() *Server {
		cfg, err := config.Load([]string{"--roles", "app", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0"},
			func(name string) string {
				if name == "TANDEM_REDIS_URL" {
					return redisURL
				}
				return ""
			}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.close() })
		return s
	}
	a, b := open(), open()
	if err := a.redis.Ping(context.Background()); err != nil {
		t.Fatalf("Redis (TANDEM_TEST_REDIS_URL): %v", err)
	}
	// A fresh address, so that no earlier run's failures count.
	email := "nobody-" + tandem.NewID() + "@example.com"
	login := func(s *Server) error {
		_, err := s.App.Login(context.Background(), app.LoginInput{Email: email, Password: "wrong password"})
		return err
	}
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		var te *tandem.Error
		if err := login(s); !errors.As(err, &te) || te.Code == tandem.CodeRateLimited {
			t.Fatalf("failure %d: %v, want the generic login error", i+1, err)
		}
	}
	for _, s := range []*Server{a, b} {
		var te *tandem.Error
		if err := login(s); !errors.As(err, &te) || te.Code != tandem.CodeRateLimited {
			t.Fatalf("after 6 failures over two instances: %v, want rate_limited", err)
		}
	}
}
