// Command tandem runs Tandem, a collaborative document platform.
//
//	tandem serve     run the configured roles (default: everything, embedded)
//	tandem migrate   apply database schema migrations
//	tandem config    print the effective configuration, secrets redacted
//	tandem version   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tandem-docs/tandem/config"
	"github.com/tandem-docs/tandem/server"
	"github.com/tandem-docs/tandem/telemetry"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the process ran and failed
	exitUsage   = 2 // bad command line or configuration; nothing started
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

const usage = `Usage: tandem <command> [settings]

Commands:
  serve     run Tandem (default: every role on embedded storage, data in ./tandem-data)
  migrate   apply pending database schema migrations
  config    print the effective configuration (secrets redacted)
  version   print the version

Run 'tandem <command> -h' to list the settings. Every setting is a flag, a
TANDEM_* environment variable or a line in a config file (--config).
`

// run is main with its environment passed in. setup, if set, sees the
// assembled server before it starts (tests add handlers there).
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, setup func(*server.Server)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "tandem", telemetry.Version())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "serve", "migrate", "config":
	default:
		fmt.Fprintf(stderr, "tandem: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}

	cfg, err := config.Load(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tandem:", err)
		return exitUsage
	}
	if cmd == "config" {
		cfg.Print(stdout)
		return exitOK
	}

	logger, logw := telemetry.NewBufferedLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	defer logw.Close()
	fail := func(err error) int {
		logw.Flush() // the log lines before the failure come first
		return fail(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd == "migrate" {
		if err := server.Migrate(ctx, cfg, logger); err != nil {
			return fail(err)
		}
		return exitOK
	}

	logger.Info("configuration", cfg.Attrs()...)
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		return fail(err)
	}
	if setup != nil {
		setup(srv)
	}
	go func() {
		// A second signal stops waiting for a graceful shutdown.
		<-ctx.Done()
		stop()
	}()
	err = srv.Run(ctx, func(url string) {
		logw.Flush()
		fmt.Fprintf(stderr, "\n  Tandem is running. Open %s in your browser.\n\n", url)
	})
	if err != nil {
		return fail(err)
	}
	return exitOK
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "tandem:", err)
	var ce *config.Error
	if errors.As(err, &ce) {
		return exitUsage
	}
	return exitFailure
}
