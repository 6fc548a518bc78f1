package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// report reads result lines (JSON, as printed by the other modes) from
// files and writes Markdown tables with the median of each figure over the
// runs of the same server and scenario.
func report(w io.Writer, files []string) error {
	// Docs and clients are part of the key: a fleet run's hot document and
	// many documents can share a rate.
	type key struct {
		mode, server  string
		docs, clients int
		rate          float64
	}
	runs := map[key][]Result{}
	var order []key
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var r Result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				continue
			}
			k := key{r.Mode, r.Server, r.Docs, r.Clients, r.Rate}
			if _, ok := runs[k]; !ok {
				order = append(order, k)
			}
			runs[k] = append(runs[k], r)
		}
		fh.Close()
	}
	med := func(rs []Result, f func(Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 0 {
			// Two runs: their mean, not the larger of the two.
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		return v[len(v)/2]
	}
	rank := map[string]int{"load": 0, "idle": 1, "join": 2}
	slices.SortStableFunc(order, func(a, b key) int {
		if a.mode != b.mode {
			return rank[a.mode] - rank[b.mode]
		}
		if a.docs != b.docs {
			return a.docs - b.docs
		}
		if a.rate != b.rate {
			if a.rate < b.rate {
				return -1
			}
			return 1
		}
		return 0
	})
	printed := map[string]bool{}
	for _, k := range order {
		rs := runs[k]
		switch k.mode {
		case "load":
			if rs[0].Instances > 1 {
				if !printed["fleet"] {
					printed["fleet"] = true
					fmt.Fprintln(w, "\n| server | load | updates in/s | deliveries/s (expected) | p50 | p99 | p99 same / cross instance | CPU (all instances) | RSS (all) | run-queue wait server / generator | load average | runs |")
					fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
				}
				fmt.Fprintf(w, "| %s | %d docs x %d, %g/s each | %.0f | %.0f (%.0f) | %.2f ms | %.1f ms | %.1f / %.1f ms | %.0f%% | %.0f MB | %.0f%% / %.0f%% | %.1f | %d |\n",
					k.server, rs[0].Docs, rs[0].Clients, k.rate,
					med(rs, func(r Result) float64 { return r.UpdatesIn }),
					med(rs, func(r Result) float64 { return r.Deliveries }),
					med(rs, func(r Result) float64 { return r.Expected }),
					med(rs, func(r Result) float64 { return r.P50ms }),
					med(rs, func(r Result) float64 { return r.P99ms }),
					med(rs, func(r Result) float64 { return r.P99SameMs }),
					med(rs, func(r Result) float64 { return r.P99CrossMs }),
					100*med(rs, func(r Result) float64 { return r.ServerCPU }),
					med(rs, func(r Result) float64 { return r.RSSMB }),
					100*med(rs, func(r Result) float64 { return r.ServerRunqWait }),
					100*med(rs, func(r Result) float64 { return r.GeneratorRunqWait }),
					med(rs, func(r Result) float64 { return r.LoadAvg }), len(rs))
				continue
			}
			if !printed["load"] {
				printed["load"] = true
				fmt.Fprintln(w, "\n| server | load | updates in/s | deliveries/s (expected) | p50 | p99 | max | server CPU | RSS | runs |")
				fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
			}
			fmt.Fprintf(w, "| %s | %d docs x %d, %g/s each | %.0f | %.0f (%.0f) | %.2f ms | %.1f ms | %.0f ms | %.0f%% | %.0f MB | %d |\n",
				k.server, rs[0].Docs, rs[0].Clients, k.rate,
				med(rs, func(r Result) float64 { return r.UpdatesIn }),
				med(rs, func(r Result) float64 { return r.Deliveries }),
				med(rs, func(r Result) float64 { return r.Expected }),
				med(rs, func(r Result) float64 { return r.P50ms }),
				med(rs, func(r Result) float64 { return r.P99ms }),
				med(rs, func(r Result) float64 { return r.Maxms }),
				100*med(rs, func(r Result) float64 { return r.ServerCPU }),
				med(rs, func(r Result) float64 { return r.RSSMB }), len(rs))
		case "idle":
			if !printed["idle"] {
				printed["idle"] = true
				fmt.Fprintln(w, "\n| server | idle connections | RSS | per connection | connections with initial sync per second | server CPU while connecting | runs |")
				fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
			}
			fmt.Fprintf(w, "| %s | %d over %d docs | %.0f MB | %.1f KB | %.0f | %.0f%% | %d |\n",
				k.server, rs[0].Conns, rs[0].Docs,
				med(rs, func(r Result) float64 { return r.RSSMB }),
				med(rs, func(r Result) float64 { return r.RSSPerConnKB }),
				med(rs, func(r Result) float64 { return r.ConnPerS }),
				100*med(rs, func(r Result) float64 { return r.ServerCPU }), len(rs))
		case "join":
			if !printed["join"] {
				printed["join"] = true
				fmt.Fprintln(w, "\n| server | clients joining at once | document | all synced after | server RSS | runs |")
				fmt.Fprintln(w, "|---|---|---|---|---|---|")
			}
			fmt.Fprintf(w, "| %s | %d | %.0f MiB | %.2f s | %.0f MB | %d |\n",
				k.server, rs[0].Conns, float64(rs[0].JoinBytes)/(1<<20),
				med(rs, func(r Result) float64 { return r.JoinSeconds }),
				med(rs, func(r Result) float64 { return r.RSSMB }), len(rs))
		}
	}
	return nil
}
