package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/postgres"
)

// TestAPILoad measures the performance goal: one document's
// metadata and a 50-document list at a fixed request rate, with the
// latency of each request counted from when it was due (so a stalled
// server cannot hide its queue). It runs only when asked:
//
//	TANDEM_API_LOAD=sqlite   go test -run TestAPILoad -v ./http/
//	TANDEM_API_LOAD=postgres go test -run TestAPILoad -v ./http/
//
// TANDEM_API_LOAD_RATE (default 2000 requests/s) and
// TANDEM_API_LOAD_SECONDS (default 10) set the load. The load generator
// runs in the same process, so it shares the machine's two cores.
func TestAPILoad(t *testing.T) {
	backend := os.Getenv("TANDEM_API_LOAD")
	if backend == "" {
		t.Skip("set TANDEM_API_LOAD=sqlite or postgres to run the load test")
	}
	rate := envInt("TANDEM_API_LOAD_RATE", 2000)
	secs := envInt("TANDEM_API_LOAD_SECONDS", 10)
	e := newAPIEnv(t)
	if backend == "postgres" {
		e = newPostgresAPIEnv(t)
	}
	o, _ := e.signUp()
	var ids []string
	for i := range 1000 {
		r := o.do("POST", "/api/v1/documents", map[string]string{"title": fmt.Sprintf("Document %04d", i)})
		if r.status != 201 {
			t.Fatal(r)
		}
		ids = append(ids, r.json(t)["id"].(string))
	}
	if backend == "postgres" {
		analyze(t)
	}
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(path string) (time.Duration, error) {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: o.cookie})
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return 0, nil
	}
	for _, kind := range []string{"get", "list50"} {
		path := func(i int) string {
			if kind == "get" {
				return "/api/v1/documents/" + ids[i%len(ids)]
			}
			return "/api/v1/documents?limit=50"
		}
		for i := range 200 { // warm up connections and caches
			get(path(i))
		}
		n := rate * secs
		lat := make([]time.Duration, n)
		errs := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 512)
		start := time.Now()
		interval := time.Second / time.Duration(rate)
		for i := range n {
			due := start.Add(time.Duration(i) * interval)
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				_, err := get(path(i))
				lat[i] = time.Since(due)
				if err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(n-1))] }
		t.Logf("%s %s: %d requests in %.2fs (%.0f/s), errors %d, p50 %v, p90 %v, p99 %v, max %v",
			backend, kind, n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), errs, q(0.5).Round(time.Microsecond),
			q(0.9).Round(time.Microsecond), q(0.99).Round(time.Microsecond), lat[n-1].Round(time.Microsecond))
		if errs > 0 {
			t.Errorf("%d requests failed", errs)
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var loadDB *postgres.DB

// newPostgresAPIEnv is newAPIEnv on a fresh PostgreSQL database (dropped
// at the end), at TANDEM_TEST_POSTGRES_DSN.
func newPostgresAPIEnv(t *testing.T) *apiEnv {
	ctx := context.Background()
	dsn := os.Getenv("TANDEM_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "tandem_load_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(ctx)
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Database = name
	cfg.MaxConns = 16
	db, err := postgres.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	loadDB = db
	st, err := postgres.OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	stores := st.Stores()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(app.Config{Stores: stores, Password: app.PasswordParams{Memory: 256, Time: 1, Threads: 1}, OpenSignUp: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(logger, prometheus.NewRegistry())
	api := MountAPI(s, a, APIOptions{Idempotency: stores.Idempotency, Logger: logger})
	ts := httptest.NewServer(s.server.Handler)
	t.Cleanup(ts.Close)
	return &apiEnv{t: t, app: a, api: api, stores: stores, url: ts.URL}
}

// analyze refreshes the planner's statistics, as autovacuum would have
// done on a database that has been running.
func analyze(t *testing.T) {
	if _, err := loadDB.Pool().Exec(context.Background(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

var _ = tandem.NewID
