// Command tandemprof is `tandem serve` with a CPU profile, for the API
// benchmark's -profile flag: it serves exactly as cmd/tandem does, and
// writes the profile of its whole run to $TANDEM_CPUPROFILE when it stops,
// and, if $TANDEM_MEMPROFILE is set, the allocations of the whole run
// there (`go tool pprof -sample_index=alloc_space`): allocations per
// request are the GC's work, which a CPU profile shows only spread thin.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/tandem-docs/tandem/config"
	"github.com/tandem-docs/tandem/server"
	"github.com/tandem-docs/tandem/telemetry"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: tandemprof serve [settings]")
		os.Exit(2)
	}
	cfg, err := config.Load(os.Args[2:], os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tandemprof:", err)
		os.Exit(2)
	}
	f, err := os.Create(os.Getenv("TANDEM_CPUPROFILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "tandemprof: TANDEM_CPUPROFILE:", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "tandemprof:", err)
		os.Exit(1)
	}
	// The same buffered logger as cmd/tandem: an unbuffered one would put
	// a write system call per access-log line into the profile.
	logger, logw := telemetry.NewBufferedLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, logger)
	if err == nil {
		err = srv.Run(ctx, nil)
	}
	logw.Close()
	pprof.StopCPUProfile()
	f.Close()
	if p := os.Getenv("TANDEM_MEMPROFILE"); p != "" {
		if err := writeAllocs(p); err != nil {
			fmt.Fprintln(os.Stderr, "tandemprof: TANDEM_MEMPROFILE:", err)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tandemprof:", err)
		os.Exit(1)
	}
}

// writeAllocs writes the allocation profile (every allocation since the
// start, sampled) to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
