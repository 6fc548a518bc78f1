package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestOpenLoopCountsStalls checks that a server stall shows in full: each
// request due while the server stands still counts its wait, also those
// that waited in the load generator's queue because every worker was busy
// (latency runs from the due time, not from the send).
func TestOpenLoopCountsStalls(t *testing.T) {
	var mu sync.Mutex // the server serves one request at a time
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n == 300 {
			time.Sleep(200 * time.Millisecond)
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	l := &openLoop{client: srv.Client(), rate: 1000, workers: 4,
		request: func(int) *http.Request { req, _ := http.NewRequest("GET", srv.URL, nil); return req },
		check: func(_ int, status int, body []byte) error {
			if status != 200 || string(body) != "ok" {
				return fmt.Errorf("status %d %q", status, body)
			}
			return nil
		}}
	st := l.run(context.Background(), time.Second)
	if st.Requests != 1000 || st.OK != 1000 || st.Errors != 0 {
		t.Fatalf("requests %d, ok %d, errors %d", st.Requests, st.OK, st.Errors)
	}
	slow := 0
	for _, d := range st.Latencies {
		if d > 50*time.Millisecond {
			slow++
		}
	}
	// About 200 requests were due during the stall; a load generator that
	// waited for answers before sending would have counted one.
	if slow < 100 {
		t.Errorf("%d requests took over 50 ms, want the ~150 due during the first 150 ms of the stall; p50 %v, p99 %v, max %v",
			slow, quantile(st.Latencies, 0.5), quantile(st.Latencies, 0.99), quantile(st.Latencies, 1))
	}
	if p99 := quantile(st.Latencies, 0.99); p99 < 100*time.Millisecond {
		t.Errorf("p99 %v hides the 200 ms stall", p99)
	}
	// Behind the stall, the workers catch up: the run takes about as long
	// as it was meant to.
	if st.Elapsed > 2*time.Second {
		t.Errorf("the run took %v", st.Elapsed)
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}} {
		if got := quantile(d, c.q); got != c.want {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}
