package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// An openLoop sends requests at a fixed rate whatever the server does: the
// i-th request is due at start + i/rate, and its latency runs from when it
// was due, not from when it was sent. A server that stalls therefore pays
// for the whole queue that builds up behind the stall, as it would with
// real users, instead of the load generator quietly slowing down with it
// (coordinated omission).
type openLoop struct {
	client *http.Client
	rate   int // requests per second
	// workers bounds the requests in flight (and the connections). A
	// request due while all are busy waits in the queue, and the wait
	// counts in its latency.
	workers int
	// request builds the i-th request; check validates its response.
	request func(i int) *http.Request
	check   func(i int, status int, body []byte) error
}

// runStats is what one run measured.
type runStats struct {
	Requests  int           // due in the run
	OK        int           // answered and valid
	Errors    int           // failed, answered with another status, or invalid
	Elapsed   time.Duration // from the first due time to the last answer
	Latencies []time.Duration
	// Lag is how late requests were sent (sorted): the dispatcher's timer,
	// and the wait for a free worker while all are busy. It is part of the
	// latencies.
	Lag       []time.Duration
	ErrorKind map[string]int
}

// Throughput is answered requests per second.
func (s runStats) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK+s.Errors) / s.Elapsed.Seconds()
}

// quantile returns the q-quantile (0..1) of sorted durations, by the
// nearest-rank method; 0 for none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted)) + 0.999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

type job struct {
	i   int
	due time.Time
}

// run sends rate x d requests and waits for their answers (or ctx).
func (l *openLoop) run(ctx context.Context, d time.Duration) runStats {
	n := int(d.Seconds() * float64(l.rate))
	interval := time.Second / time.Duration(l.rate)
	st := runStats{Requests: n, Latencies: make([]time.Duration, n), Lag: make([]time.Duration, n), ErrorKind: map[string]int{}}
	ok := make([]bool, n)
	// Deep enough that the dispatcher never blocks: a backlog is the
	// server's to pay for.
	jobs := make(chan job, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			// One body buffer per worker: a 20 KB list read with
			// io.ReadAll allocated about three times its size, and this
			// process's garbage collection ran on the core that
			// -postgres-cpu gives the database.
			var body bytes.Buffer
			for j := range jobs {
				sent := time.Now()
				err := l.do(ctx, j.i, &body)
				done := time.Now()
				st.Latencies[j.i] = done.Sub(j.due)
				st.Lag[j.i] = sent.Sub(j.due)
				if err == nil {
					ok[j.i] = true
					continue
				}
				mu.Lock()
				if len(st.ErrorKind) < 20 || st.ErrorKind[err.Error()] > 0 {
					st.ErrorKind[err.Error()]++
				} else {
					st.ErrorKind["other errors"]++
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now().Add(5 * time.Millisecond)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			n = i
			break
		}
		jobs <- job{i, due}
	}
	close(jobs)
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.Requests = n
	st.Latencies, st.Lag = st.Latencies[:n], st.Lag[:n]
	for _, good := range ok[:n] {
		if good {
			st.OK++
		} else {
			st.Errors++
		}
	}
	slices.Sort(st.Latencies)
	slices.Sort(st.Lag)
	return st
}

func (l *openLoop) do(ctx context.Context, i int, body *bytes.Buffer) error {
	req := l.request(i).WithContext(ctx)
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("transport: %w", unwrapURLError(err))
	}
	body.Reset()
	_, err = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	return l.check(i, resp.StatusCode, body.Bytes())
}

// unwrapURLError drops the URL from a client error, so that errors of the
// same kind count together.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
