package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tandem-docs/tandem/config"
)

// TestSecondServerOnOneDataDirectory starts two embedded servers on one
// data directory: the second must fail with an error that says why (the
// document log is one process's), not start or panic, and the first must
// keep its lock until it closes.
func TestSecondServerOnOneDataDirectory(t *testing.T) {
	dir := t.TempDir()
	open := func() (*Server, error) {
		cfg, err := config.Load([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	first, err := open()
	if err != nil {
		t.Fatal(err)
	}
	second, err := open()
	if err == nil {
		second.close()
		first.close()
		t.Fatal("a second server opened the same data directory")
	}
	if !strings.Contains(err.Error(), "held by another process") {
		t.Fatalf("second server: %v, want an error naming the held lock", err)
	}
	if err := first.close(); err != nil {
		t.Fatal(err)
	}
	again, err := open()
	if err != nil {
		t.Fatalf("reopen after the first closed: %v", err)
	}
	again.close()
}
