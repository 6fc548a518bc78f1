package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher goroutine and the test.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestBufferedLoggerBatchesInfoAndFlushesWarnings(t *testing.T) {
	out := &syncBuffer{}
	logger, lw := NewBufferedLogger(out, "info", "json")
	defer lw.Close()
	for i := range 50 {
		logger.Info("request", "i", i)
	}
	if s, _ := out.snapshot(); strings.Count(s, "\n") == 50 {
		// Possible only if a periodic flush happened in between; then the
		// next batch must still be one write.
		t.Log("a periodic flush ran during the burst")
	}
	logger.With("component", "x").Warn("something is wrong")
	s, writes := out.snapshot()
	if n := strings.Count(s, "\n"); n != 51 {
		t.Fatalf("after a warning, %d lines written, want all 51", n)
	}
	if writes > 3 {
		t.Fatalf("51 lines took %d writes", writes)
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[50]), &last); err != nil || last["msg"] != "something is wrong" || last["component"] != "x" {
		t.Fatalf("last line %q (%v)", lines[50], err)
	}
}

func TestLogWriterFlushesPeriodicallyAndOnClose(t *testing.T) {
	out := &syncBuffer{}
	logger, lw := NewBufferedLogger(out, "info", "json")
	logger.Info("one")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out.snapshot(); strings.Contains(s, `"one"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a buffered line was never flushed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lw.Close()
	logger.Info("two") // after Close: buffered until the next Flush
	lw.Flush()
	if s, _ := out.snapshot(); !strings.Contains(s, `"two"`) {
		t.Fatal("Flush after Close lost a line")
	}
	lw.Close() // twice is fine
}

func TestLogWriterKeepsRecordsWholeUnderConcurrency(t *testing.T) {
	out := &syncBuffer{}
	logger, lw := NewBufferedLogger(out, "info", "json")
	var wg sync.WaitGroup
	big := strings.Repeat("x", 3000) // forces flushes at the 64 KiB bound
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				logger.Info("line", "g", g, "i", i, "pad", big)
			}
		}()
	}
	wg.Wait()
	lw.Close()
	s, _ := out.snapshot()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a record was split or interleaved: %v", err)
		}
	}
}
