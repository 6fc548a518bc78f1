package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
)

// BenchmarkDocumentLogAppend measures the realtime service's group commit
// on PostgreSQL: batches of updates spread over 2,000 documents (at 2,000
// updates/s over three instances a batch holds about 9), one batch at a
// time as one instance's committer issues them. Besides the time per
// batch it reports the PostgreSQL server's CPU per batch (all of its
// processes, read from /proc: the server must be on this machine), since
// on a small machine that CPU is what limits the fleet.
//
//	go test -run XXX -bench DocumentLogAppend ./postgres/
func BenchmarkDocumentLogAppend(b *testing.B) {
	for _, size := range []int{1, 9, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			l := openDocumentLog(b)
			update := make([]byte, 30)
			seqs := map[string]uint64{}
			docs := make([]string, 2000)
			for i := range docs {
				docs[i] = fmt.Sprintf("doc-%d", i)
			}
			batch := make([]tandem.LogEntry, size)
			k := 0
			next := func() {
				for j := range batch {
					d := docs[k%len(docs)]
					k++
					seqs[d]++
					batch[j] = tandem.LogEntry{Document: d, Writer: "w1", Seq: seqs[d], Update: update}
				}
			}
			// Every document has its head row already, as in a running
			// fleet (the first append of a document creates it).
			for range len(docs)/size + 1 {
				next()
				if err := l.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			cpu0 := postgresCPU(b, l)
			b.ResetTimer()
			for b.Loop() {
				next()
				if err := l.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := postgresCPU(b, l) - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "pg-cpu-µs/op")
			}
		})
	}
}

// postgresCPU is the CPU time the PostgreSQL server's processes have used,
// or 0 where /proc cannot tell (another machine, another OS).
func postgresCPU(b *testing.B, l *DocumentLog) time.Duration {
	var dir string
	if err := l.db.pool.QueryRow(context.Background(), `SHOW data_directory`).Scan(&dir); err != nil {
		b.Logf("data_directory: %v", err)
		return 0
	}
	pid, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0 // not readable here: another user's server
	}
	pm := strings.SplitN(string(pid), "\n", 2)[0]
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	var total time.Duration
	for _, e := range ents {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state ppid pgrp ... utime(12) stime(13)
		if len(f) < 13 || (e.Name() != pm && f[1] != pm) {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+st) * tick
	}
	return total
}

// BenchmarkDocumentLogLoad measures loading a small document (a few
// updates), which every first join of a document does, and every room of
// an instance after a Redis outage; it reports PostgreSQL's CPU per load
// as BenchmarkDocumentLogAppend does.
func BenchmarkDocumentLogLoad(b *testing.B) {
	ctx := context.Background()
	l := openDocumentLog(b)
	update := make([]byte, 30)
	docs := make([]string, 100)
	for i := range docs {
		docs[i] = fmt.Sprintf("doc-%d", i)
		for s := uint64(1); s <= 5; s++ {
			if err := l.Append(ctx, []tandem.LogEntry{{Document: docs[i], Writer: "w1", Seq: s, Update: update}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu0 := postgresCPU(b, l)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st, err := l.Load(ctx, docs[i%len(docs)])
		if err != nil || len(st.Updates) != 5 {
			b.Fatal(err, len(st.Updates))
		}
	}
	if cpu := postgresCPU(b, l) - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "pg-cpu-µs/op")
	}
}
