// Command tandemprof is `tandem serve` with a CPU profile, for the API
// benchmark's -profile flag: it serves exactly as cmd/tandem does, and
// writes the profile of its whole run to $TANDEM_CPUPROFILE when it stops,
// and, if $TANDEM_MEMPROFILE is set, the allocations of the whole run
// there (`go tool pprof -sample_index=alloc_space`): allocations per
// request are the GC's work, which a CPU profile shows only spread thin.
// With $TANDEM_TRACE set it also writes an execution trace of the whole
// run there (bench/api -server-env TANDEM_TRACE=/tmp/trace.out; keep the
// run short: a second of load is megabytes).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
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
	// An execution trace (go tool trace) shows what a CPU profile cannot:
	// where requests wait (run queue, network poller, GC) rather than run.
	var tf *os.File
	if p := os.Getenv("TANDEM_TRACE"); p != "" {
		if tf, err = os.Create(p); err != nil {
			fmt.Fprintln(os.Stderr, "tandemprof: TANDEM_TRACE:", err)
			os.Exit(2)
		}
		if err := trace.Start(tf); err != nil {
			fmt.Fprintln(os.Stderr, "tandemprof:", err)
			os.Exit(1)
		}
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
	if tf != nil {
		trace.Stop()
		tf.Close()
	}
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
