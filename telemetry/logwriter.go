package telemetry

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogWriter batches log lines into few writes. Writing every access-log
// line to stderr on its own costs a system call per request, which
// profiles of the REST API at 2,000 requests/s put at a tenth of the
// server's CPU; a LogWriter collects lines and writes them together every
// FlushInterval, when it holds 64 KiB, at once for records of level Warn
// and above (see NewBufferedLogger), and on Flush and Close. What a crash
// (kill -9) loses is the last interval of lines at most, never a warning
// or an error.
type LogWriter struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	done chan struct{}
	wg   sync.WaitGroup
}

// FlushInterval is how long a log line may wait in a LogWriter.
const FlushInterval = 100 * time.Millisecond

const logBufferSize = 64 << 10

// NewLogWriter returns a LogWriter over w that flushes every FlushInterval
// until Close.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{w: w, buf: make([]byte, 0, logBufferSize), done: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.Flush()
			case <-l.done:
				return
			}
		}
	}()
	return l
}

// Write buffers p (one log record: slog handlers write a record in one
// call, so records are never split between flushes).
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf)+len(p) > logBufferSize {
		l.flushLocked()
	}
	if len(p) > logBufferSize {
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered.
func (l *LogWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *LogWriter) flushLocked() {
	if len(l.buf) == 0 {
		return
	}
	l.w.Write(l.buf) // nowhere to report a failure to write the log
	l.buf = l.buf[:0]
}

// Close stops the periodic flush and flushes. Lines written afterwards
// are buffered until the next Flush.
func (l *LogWriter) Close() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
	l.Flush()
}

// NewBufferedLogger is NewLogger writing through a LogWriter over w: lines
// are batched, and a record of level Warn or above flushes at once (with
// the lines before it), so problems reach the operator without delay. The
// caller closes the LogWriter before the process exits.
func NewBufferedLogger(w io.Writer, level, format string) (*slog.Logger, *LogWriter) {
	lw := NewLogWriter(w)
	format = resolveFormat(w, format)
	inner := NewLogger(lw, level, format).Handler()
	return slog.New(flushingHandler{inner, lw}), lw
}

// flushingHandler flushes its LogWriter after records of level Warn and
// above.
type flushingHandler struct {
	slog.Handler
	w *LogWriter
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.w.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.w}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.w}
}
