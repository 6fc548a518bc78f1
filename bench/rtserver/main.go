// Command rtserver runs Tandem's realtime service alone, for the
// benchmarks: on an embedded SQLite document log, or as one instance of a
// fleet on PostgreSQL (-pg) with Redis between instances (-redis). Every
// token is granted read-write access: it measures the service, not
// authorization.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/redis"
	"github.com/tandem-docs/tandem/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dbPath := flag.String("db", "", "document log database (default: a new file in a temporary directory)")
	debug := flag.String("debug", "", "if set, serve /debug/pprof and /metrics on this address")
	pg := flag.String("pg", "", "PostgreSQL DSN of the document log (default: SQLite)")
	redisURL := flag.String("redis", "", "Redis URL of the bus between instances (default: one instance, no bus)")
	prefix := flag.String("redis-prefix", "", "Redis key and channel prefix")
	flag.Parse()
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "rtserver")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "documents.db")
	}
	var dlog tandem.DocumentLog
	if *pg != "" {
		db, err := postgres.Open(context.Background(), *pg)
		if err != nil {
			log.Fatal(err)
		}
		if dlog, err = postgres.NewDocumentLog(context.Background(), db); err != nil {
			log.Fatal(err)
		}
	} else {
		db, err := sqlite.Open(*dbPath)
		if err != nil {
			log.Fatal(err)
		}
		defer db.Close()
		if dlog, err = sqlite.NewDocumentLog(context.Background(), db); err != nil {
			log.Fatal(err)
		}
	}
	var bus tandem.DocumentBus
	if *redisURL != "" {
		rc, err := redis.Open(*redisURL, redis.Options{Prefix: *prefix})
		if err != nil {
			log.Fatal(err)
		}
		bus = rc.Bus()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if *debug != "" {
		dm := http.NewServeMux()
		dm.HandleFunc("/debug/pprof/", pprof.Index)
		dm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dm.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		go http.ListenAndServe(*debug, dm)
	}
	allow := collab.AuthorizerFunc(func(ctx context.Context, cred tandem.Credentials, doc string) (collab.Grant, error) {
		return collab.Grant{UserID: "bench", Access: tandem.AccessReadWrite}, nil
	})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := collab.New(collab.Config{
		// The benchmark's clients type faster than people and join in crowds.
		UpdatesPerSecond:       1000,
		UpdateBurst:            5000,
		ConnectionsPerDocument: 10000,
		MaxDocumentBytes:       1 << 30,
		Bus:                    bus,
	}, dlog, allow, logger, reg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/collab", srv)
	mux.Handle("/collab/", srv)
	// As the server's HTTP listener (http.Server.Open): no TCP keep-alive.
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	fmt.Println("READY", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	hs.Shutdown(ctx)
}
