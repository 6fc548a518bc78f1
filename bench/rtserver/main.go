// Command rtserver runs Tandem's realtime service alone on an embedded
// SQLite document log, for the benchmarks (until cmd/tandem serves the
// same role with its full configuration). Every token is granted
// read-write access: it measures the service, not authorization.
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
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dbPath := flag.String("db", "", "document log database (default: a new file in a temporary directory)")
	debug := flag.String("debug", "", "if set, serve /debug/pprof and /metrics on this address")
	flag.Parse()
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "rtserver")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "documents.db")
	}
	db, err := sqlite.Open(*dbPath)
	if err != nil {
		log.Fatal(err)
	}
	dlog, err := sqlite.NewDocumentLog(context.Background(), db)
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if *debug != "" {
		dm := http.NewServeMux()
		dm.HandleFunc("/debug/pprof/", pprof.Index)
		dm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dm.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		go http.ListenAndServe(*debug, dm)
	}
	allow := collab.AuthorizerFunc(func(ctx context.Context, cred collab.Credentials, doc string) (collab.Access, error) {
		return collab.Access{UserID: "bench", Permission: collab.PermissionReadWrite}, nil
	})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := collab.New(collab.Config{
		// The benchmark's clients type faster than people and join in crowds.
		UpdatesPerSecond:       1000,
		UpdateBurst:            5000,
		ConnectionsPerDocument: 10000,
		MaxDocumentBytes:       1 << 30,
	}, dlog, allow, logger, reg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/collab", srv)
	mux.Handle("/collab/", srv)
	ln, err := net.Listen("tcp", *addr)
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
	db.Close()
}
