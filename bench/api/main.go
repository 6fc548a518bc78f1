// Command api is the REST API's read benchmark (issue 6): fetching one
// document's metadata and listing 50 documents at a fixed request rate,
// against a real `tandem serve` process on SQLite and on PostgreSQL.
//
// From the repository root:
//
//	go run ./bench/api                    # both databases, 3 runs, 2,000 requests/s, 20 s each
//	go run ./bench/api -db postgres -runs 5 -out pg.json
//
// It builds ./cmd/tandem, seeds a fresh database (SQLite in a temporary
// data directory, or a new PostgreSQL database on the server of
// TANDEM_TEST_POSTGRES_DSN, dropped at the end) with an organization of
// realistic size through the App service itself, then starts the server
// pinned to one core (taskset -c 0) while this load generator pins itself
// to the other (taskset -c 1). PostgreSQL runs where the system puts it,
// or, with -postgres-cpu 1, beside the load generator: as if it had a
// machine of its own, as in the deployment the seed describes, rather than
// queueing behind the server on its core.
//
// The load is open-loop: request i is due at start + i/rate whatever the
// server does, and its latency counts from that due time (see openLoop), so
// stalls show in full. Each run warms up first (-warmup) and then measures
// -duration; scenarios alternate within a run, and the summary gives the
// median of each figure over the runs. Members authenticate with their
// session cookies (or API tokens with -auth token; -auth guest-session
// measures a guest, whose lists are filtered by grants).
//
// Two figures separate the server from the rig. "handler p99" is the
// server's own view, read from its access log (duration_ms): the time from
// its middleware's start to the response's last write, without the waits
// before the handler runs (the kernel, Go's network poller and run queue),
// which the generator's latencies include. And -scenarios floor measures
// the rig itself: a plain net/http server (bench/api/floor) on the
// server's core answers every request with the bytes of a real list50
// response, with no authentication, database or encoding; what the
// generator measures against it is what the machine, net/http and the
// generator cost at that rate and size, the floor under Tandem's figures.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/sqlite"
)

var (
	databases = flag.String("db", "sqlite,postgres", "databases to measure, comma-separated: sqlite, postgres")
	scenarios = flag.String("scenarios", "get,list50", "scenarios, comma-separated: get (one document's metadata), list50 (the first 50 documents), floor (calibration: the same list's bytes from a plain net/http server, bench/api/floor, on the server's core)")
	rate      = flag.Int("rate", 2000, "requests per second")
	duration  = flag.Duration("duration", 20*time.Second, "measured time of each run")
	warmup    = flag.Duration("warmup", 5*time.Second, "unmeasured load before each run")
	runs      = flag.Int("runs", 3, "runs per database and scenario")
	workers   = flag.Int("workers", 256, "most requests in flight (and connections)")
	authMode  = flag.String("auth", "session", "how callers authenticate: session (member session cookies), token (member read-only API tokens), guest-session")
	docs      = flag.Int("docs", 5000, "live documents in the organization")
	folders   = flag.Int("folders", 100, "folders")
	members   = flag.Int("members", 30, "members (also the callers, in turn)")
	guests    = flag.Int("guests", 10, "guests")
	serverCPU = flag.String("server-cpu", "0", "CPU list for the server (taskset -c); empty: not pinned")
	clientCPU = flag.String("client-cpu", "1", "CPU list for this load generator; empty: not pinned")
	pgCPU     = flag.String("postgres-cpu", "", "CPU list to run the PostgreSQL server on during its runs (all its processes; put back afterwards), as if it had a machine of its own; e.g. 1 (with the load generator). Empty: where the system puts it. A run killed with SIGKILL leaves it pinned: taskset -pc 0,1 on the postmaster and its children")
	roles     = flag.String("roles", "app,rt,worker", "TANDEM_ROLES of the server (the default runs everything, as out of the box)")
	tandemBin = flag.String("tandem", "", "tandem binary to run (default: go build ./cmd/tandem)")
	adminDSN  = flag.String("postgres", defaultAdminDSN(), "PostgreSQL server to create the database on")
	out       = flag.String("out", "", "also write every run as JSON to this file")
	serverEnv = flag.String("server-env", "", "extra environment of the server, comma-separated KEY=VALUE (e.g. GOGC=200)")
	profile   = flag.String("profile", "", "profile the server's CPU and allocations into this directory (DB.cpu.pprof, DB.allocs.pprof), running bench/api/tandemprof instead of cmd/tandem")
	disturbed = flag.Float64("disturbed", 0.15, "a run during which other processes used more than this many cores is disturbed: measured again and left out of the medians")
	retries   = flag.Int("retries", 3, "how many times to measure a disturbed run again")
	quiet     = flag.Float64("quiet", 0, "before each run, wait (up to 15 minutes) until no core was busier than this share (0..1) for 3 s; 0: do not wait. On a shared machine, 0.15 keeps other people's work out of the figures")
	selfProf  = flag.String("cpuprofile", "", "write this load generator's own CPU profile to this file (it shares a core with PostgreSQL under -postgres-cpu, so its cost is part of the measurement)")
	keep      = flag.Bool("keep", false, "keep the seeded databases (and print where they are) for a look afterwards")
)

func defaultAdminDSN() string {
	if dsn := os.Getenv("TANDEM_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// result is one measured run.
type result struct {
	Database   string  `json:"database"`
	Scenario   string  `json:"scenario"`
	Auth       string  `json:"auth"`
	Run        int     `json:"run"`
	Rate       int     `json:"rate"`
	Seconds    float64 `json:"seconds"`
	Requests   int     `json:"requests"`
	OK         int     `json:"ok"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p999_ms"`
	Max        float64 `json:"max_ms"`
	// LagP99 is how late requests were sent (p99): the timer's lateness,
	// and the wait for a free connection while all are busy. It is part of
	// the latencies above.
	LagP99 float64 `json:"lag_p99_ms"`
	// HandlerP50 and HandlerP99 are the server's own view (its access
	// log's duration_ms): the handler's time, without the waits before it
	// runs. Absent for a server without an access log (floor).
	HandlerP50 float64 `json:"handler_p50_ms,omitempty"`
	HandlerP99 float64 `json:"handler_p99_ms,omitempty"`
	// ServerCPU and DatabaseCPU are the cores the tandem process and the
	// PostgreSQL backends used; CoreBusy is each core's busy share, all
	// processes of the machine included.
	ServerCPU   float64 `json:"server_cpu"`
	DatabaseCPU float64 `json:"database_cpu"`
	LoadCPU     float64 `json:"load_generator_cpu"`
	// OtherCPU is what else the cores did meanwhile, in cores; a run with
	// more than -disturbed is Disturbed, measured again (-retries) and
	// left out of the medians.
	OtherCPU    float64        `json:"other_cpu"`
	Disturbed   bool           `json:"disturbed"`
	CoreBusy    []float64      `json:"core_busy"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	LoadAverage string         `json:"load_average"`
}

func main() {
	log.SetFlags(log.Ltime)
	flag.Parse()
	pinSelf(*clientCPU)
	if *selfProf != "" {
		f, err := os.Create(*selfProf)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

// pinSelf re-runs the program under taskset, unless it runs so already.
func pinSelf(cpu string) {
	if cpu == "" || os.Getenv("TANDEM_APIBENCH_PINNED") != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command("taskset", append([]string{"-c", cpu, exe}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), "TANDEM_APIBENCH_PINNED=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt, syscall.SIGTERM) // the child gets them too, and cleans up
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		log.Fatalf("taskset: %v", err)
	}
	os.Exit(0)
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "tandem-apibench-")
	if err != nil {
		return err
	}
	if *keep {
		log.Printf("keeping the data directory %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := *tandemBin
	if bin == "" {
		pkg := "./cmd/tandem"
		if *profile != "" {
			pkg = "./bench/api/tandemprof"
		}
		if bin, err = buildCommand(dir, pkg, "tandem"); err != nil {
			return err
		}
	}
	fmt.Println(describeMachine(ctx))
	fmt.Printf("load: %d requests/s open-loop, %d runs x %v after %v warm-up, %d workers, auth %s; server on CPU %q, load generator on CPU %q (GOMAXPROCS %d), PostgreSQL on CPU %q\n\n",
		*rate, *runs, *duration, *warmup, *workers, *authMode, *serverCPU, *clientCPU, runtime.GOMAXPROCS(0), *pgCPU)
	var all []result
	for _, db := range strings.Split(*databases, ",") {
		rs, err := benchDatabase(ctx, strings.TrimSpace(db), bin, dir)
		all = append(all, rs...)
		if err != nil {
			return err
		}
	}
	summarize(all)
	if *out != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func benchDatabase(ctx context.Context, db, bin, dir string) ([]result, error) {
	dataDir := filepath.Join(dir, db)
	settings := map[string]string{
		"TANDEM_HTTP_ADDR":  "127.0.0.1:0",
		"TANDEM_LOG_FORMAT": "json",
		"TANDEM_DATA_DIR":   dataDir,
		"TANDEM_ROLES":      *roles,
	}
	for _, kv := range strings.Split(*serverEnv, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			settings[strings.TrimSpace(k)] = v
		}
	}
	if *profile != "" {
		p, err := filepath.Abs(filepath.Join(*profile, db+".cpu.pprof"))
		if err != nil {
			return nil, err
		}
		settings["TANDEM_CPUPROFILE"] = p
		settings["TANDEM_MEMPROFILE"] = strings.TrimSuffix(p, ".cpu.pprof") + ".allocs.pprof"
	}
	var stores tandem.Stores
	var closeStores func()
	var pgName string
	var analyze func() error
	switch db {
	case "sqlite":
		sdb, err := sqlite.Open(filepath.Join(dataDir, "tandem.db"))
		if err != nil {
			return nil, err
		}
		st, err := sqlite.OpenAppStore(ctx, sdb)
		if err != nil {
			sdb.Close()
			return nil, err
		}
		stores, closeStores = st.Stores(), func() { sdb.Close() }
	case "postgres":
		dsn, name, drop, err := createDatabase(ctx, *adminDSN)
		if err != nil {
			return nil, err
		}
		if *keep {
			log.Printf("keeping the database %s", dsn)
		} else {
			defer drop()
		}
		pdb, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		st, err := postgres.OpenAppStore(ctx, pdb)
		if err != nil {
			pdb.Close()
			return nil, err
		}
		stores, closeStores, pgName = st.Stores(), pdb.Close, name
		// Statistics as autovacuum would have gathered them on a database
		// that has been running (it analyzes a table after 10% of it
		// changes, at most a minute later).
		analyze = func() error { _, err := pdb.Pool().Exec(ctx, "ANALYZE"); return err }
		settings["TANDEM_DATABASE_URL"] = dsn
		if *pgCPU != "" {
			restore, err := pinPostgres(ctx, *adminDSN, *pgCPU)
			if err != nil {
				return nil, err
			}
			defer func() {
				if err := restore(); err != nil {
					log.Print(err)
				}
			}()
		}
	default:
		return nil, fmt.Errorf("unknown database %q", db)
	}
	start := time.Now()
	w, err := seed(ctx, stores, shape{Documents: *docs, Folders: *folders, Members: *members, Guests: *guests},
		func(f string, a ...any) { log.Printf(db+": "+f, a...) })
	if err == nil && analyze != nil {
		err = analyze()
	}
	closeStores()
	if err != nil {
		return nil, fmt.Errorf("%s: seed: %w", db, err)
	}
	log.Printf("%s: seeded in %v", db, time.Since(start).Round(time.Second))

	srv, err := startServer(ctx, *serverCPU, settings, bin, "serve")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	defer func() {
		if err := srv.stop(); err != nil {
			log.Printf("%s: server: %v", db, err)
		}
	}()
	log.Printf("%s: tandem (pid %d) serving at %s", db, srv.pid, srv.url)

	tr := &http.Transport{MaxIdleConns: *workers, MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers,
		DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var results []result
	var floor *server // the calibration server of -scenarios floor, started on first use
	defer func() {
		if floor != nil {
			floor.stop()
		}
	}()
	for runNo := 1; runNo <= *runs; runNo++ {
		for _, sc := range strings.Split(*scenarios, ",") {
			sc = strings.TrimSpace(sc)
			target := srv
			if sc == "floor" {
				if floor == nil {
					if floor, err = startFloor(ctx, dir, srv.url, w, client); err != nil {
						return results, fmt.Errorf("%s: floor: %w", db, err)
					}
					log.Printf("%s: floor server (pid %d) serving at %s", db, floor.pid, floor.url)
				}
				target = floor
			}
			l, err := newScenario(sc, target.url, w, client)
			if err != nil {
				return results, err
			}
			for attempt := 0; ; attempt++ {
				r, err := measure(ctx, l, target, pgName, db, sc, runNo)
				if err != nil {
					return results, err
				}
				results = append(results, r)
				if r.OtherCPU <= *disturbed || attempt >= *retries {
					break
				}
				log.Printf("%s %s run %d: other processes used %.2f cores meanwhile; measuring again", db, sc, runNo, r.OtherCPU)
			}
		}
	}
	return results, nil
}

// measure warms up and then measures one run.
func measure(ctx context.Context, l *openLoop, srv *server, pgName, db, sc string, runNo int) (result, error) {
	if *quiet > 0 {
		waitQuiet(ctx, *quiet)
	}
	l.run(ctx, *warmup)
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	cpu0, db0, self0, cores0 := processCPU(srv.pid), backendsCPU(pgName), processCPU(os.Getpid()), readCPUTimes()
	srv.record(true)
	st := l.run(ctx, *duration)
	handler := srv.record(false)
	slices.Sort(handler)
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	secs := st.Elapsed.Seconds()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r := result{Database: db, Scenario: sc, Auth: *authMode, Run: runNo, Rate: *rate, Seconds: secs,
		Requests: st.Requests, OK: st.OK, Errors: st.Errors, Throughput: st.Throughput(),
		P50: ms(quantile(st.Latencies, 0.5)), P90: ms(quantile(st.Latencies, 0.9)), P99: ms(quantile(st.Latencies, 0.99)),
		P999: ms(quantile(st.Latencies, 0.999)), Max: ms(quantile(st.Latencies, 1)), LagP99: ms(quantile(st.Lag, 0.99)),
		HandlerP50: ms(quantile(handler, 0.5)), HandlerP99: ms(quantile(handler, 0.99)),
		ServerCPU: (processCPU(srv.pid) - cpu0) / secs, DatabaseCPU: (backendsCPU(pgName) - db0) / secs,
		LoadCPU:  (processCPU(os.Getpid()) - self0) / secs,
		CoreBusy: busySince(cores0), LoadAverage: loadAverage()}
	// Everything else the cores did meanwhile: other people's work on a
	// shared machine (and some kernel time of ours, a few percent).
	r.OtherCPU = max(0, sum(r.CoreBusy)-r.ServerCPU-r.DatabaseCPU-r.LoadCPU)
	r.Disturbed = r.OtherCPU > *disturbed
	if st.Errors > 0 {
		r.ErrorKinds = st.ErrorKind
	}
	fmt.Printf("%-8s %-7s run %d: %6.0f req/s, p50 %6.2f ms, p90 %6.2f, p99 %6.2f, p99.9 %6.2f, max %7.2f, errors %d; lag p99 %.2f ms; handler %s; CPU: tandem %.0f%%, postgres %.0f%%, load generator %.0f%%, others %.0f%%, cores busy %s; load %s\n",
		db, sc, runNo, r.Throughput, r.P50, r.P90, r.P99, r.P999, r.Max, r.Errors, r.LagP99, handlerText(r), 100*r.ServerCPU, 100*r.DatabaseCPU, 100*r.LoadCPU, 100*r.OtherCPU, percents(r.CoreBusy), r.LoadAverage)
	if st.Errors > 0 {
		fmt.Printf("  errors: %v\n  server's last warnings: %v\n", st.ErrorKind, srv.lastProblems())
	}
	return r, nil
}

// handlerText is a run's handler latencies as printed, or "-" for a server
// without an access log.
func handlerText(r result) string {
	if r.HandlerP99 == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %.2f, p99 %.2f ms", r.HandlerP50, r.HandlerP99)
}

// cpuPerRequest is the server's CPU time per answered request, in
// microseconds.
func cpuPerRequest(r result) float64 {
	if r.Throughput <= 0 {
		return 0
	}
	return 1e6 * r.ServerCPU / r.Throughput
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

// newScenario is the load of one scenario.
func newScenario(name, base string, w world, client *http.Client) (*openLoop, error) {
	var creds []string
	var header string
	ids := w.Documents
	visible := len(w.Documents)
	switch *authMode {
	case "session":
		creds, header = w.MemberTokens, "Cookie"
	case "token":
		creds, header = w.MemberAPIKeys, "Authorization"
	case "guest-session":
		if len(w.GuestTokens) == 0 {
			return nil, fmt.Errorf("-auth guest-session needs -guests > 0")
		}
		creds, header, ids, visible = w.GuestTokens[:1], "Cookie", w.GuestDocuments, len(w.GuestDocuments)
		if visible == 0 {
			return nil, fmt.Errorf("the guest sees no document")
		}
	default:
		return nil, fmt.Errorf("unknown -auth %q", *authMode)
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("no callers: -members must be > 0")
	}
	authorize := func(req *http.Request, i int) {
		c := creds[i%len(creds)]
		if header == "Cookie" {
			req.Header.Set("Cookie", "tandem_session="+c)
		} else {
			req.Header.Set("Authorization", "Bearer "+c)
		}
	}
	l := &openLoop{client: client, rate: *rate, workers: *workers}
	switch name {
	case "get":
		pick := func(i int) string { return ids[mix(uint64(i))%uint64(len(ids))] }
		l.request = func(i int) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/documents/"+pick(i), nil)
			authorize(req, i)
			return req
		}
		l.check = func(i, status int, body []byte) error {
			if status != http.StatusOK {
				return fmt.Errorf("status %d", status)
			}
			if !bytes.Contains(body, []byte(`"id":"`+pick(i)+`"`)) {
				return fmt.Errorf("the answer is not the document asked for")
			}
			return nil
		}
	case "list50", "floor":
		path := "/api/v1/documents?limit=50"
		if name == "floor" {
			path = "/floor?limit=50" // the same request line's length
		}
		want := min(50, visible)
		orgKey := []byte(`"organization_id":`)
		l.request = func(i int) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			authorize(req, i)
			return req
		}
		l.check = func(i, status int, body []byte) error {
			if status != http.StatusOK {
				return fmt.Errorf("status %d", status)
			}
			if n := bytes.Count(body, orgKey); n != want {
				return fmt.Errorf("%d documents listed, want %d", n, want)
			}
			return nil
		}
	default:
		return nil, fmt.Errorf("unknown scenario %q", name)
	}
	return l, nil
}

// startFloor captures a list50 response from Tandem (at base) and starts
// bench/api/floor serving it, pinned where Tandem is.
func startFloor(ctx context.Context, dir, base string, w world, client *http.Client) (*server, error) {
	l, err := newScenario("list50", base, w, client)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(l.request(0).WithContext(ctx))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if err := l.check(0, resp.StatusCode, body); err != nil {
		return nil, fmt.Errorf("the list to serve: %w", err)
	}
	path := filepath.Join(dir, "floor-body.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return nil, err
	}
	bin, err := buildCommand(dir, "./bench/api/floor", "floor")
	if err != nil {
		return nil, err
	}
	log.Printf("floor: serving a list of %d bytes", len(body))
	return startServer(ctx, *serverCPU, nil, bin, path)
}

// mix spreads request numbers over the documents (splitmix64).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// summarize prints the median of each figure over the runs, per database
// and scenario, as a Markdown table.
func summarize(all []result) {
	type key struct{ db, sc string }
	var keys []key
	groups := map[key][]result{}
	disturbedRuns := 0
	for _, r := range all {
		if r.Disturbed {
			disturbedRuns++
			continue
		}
		k := key{r.Database, r.Scenario}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	fmt.Printf("\nMedians over undisturbed runs (auth %s, %d requests/s offered, %v per run; %d disturbed runs left out):\n\n", *authMode, *rate, *duration, disturbedRuns)
	// CPU per request (the server's core time over the requests it
	// answered) is the figure least moved by other people's work on a
	// shared machine: it shows what a change cost or saved when the
	// latencies show only the contention.
	fmt.Println("| database | scenario | runs | throughput (req/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | errors | p99 of each run (ms) | handler p99 (ms) | tandem CPU | tandem CPU per request (µs) | postgres CPU |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		rs := groups[k]
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			slices.Sort(v)
			if len(v)%2 == 1 {
				return v[len(v)/2]
			}
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		var p99s []string
		errs := 0
		for _, r := range rs {
			p99s = append(p99s, fmt.Sprintf("%.2f", r.P99))
			errs += r.Errors
		}
		handler := "-"
		if h := med(func(r result) float64 { return r.HandlerP99 }); h > 0 {
			handler = fmt.Sprintf("%.2f", h)
		}
		fmt.Printf("| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %s | %s | %.0f%% | %.0f | %.0f%% |\n", k.db, k.sc, len(rs),
			med(func(r result) float64 { return r.Throughput }), med(func(r result) float64 { return r.P50 }),
			med(func(r result) float64 { return r.P99 }), med(func(r result) float64 { return r.P999 }),
			med(func(r result) float64 { return r.Max }), errs, strings.Join(p99s, ", "), handler,
			100*med(func(r result) float64 { return r.ServerCPU }), med(cpuPerRequest),
			100*med(func(r result) float64 { return r.DatabaseCPU }))
	}
}

// waitQuiet waits until every core was at most busy busy for three
// seconds in a row, or 15 minutes have passed.
func waitQuiet(ctx context.Context, busy float64) {
	deadline := time.Now().Add(15 * time.Minute)
	calm := 0
	for calm < 3 && time.Now().Before(deadline) && ctx.Err() == nil {
		t0 := readCPUTimes()
		time.Sleep(time.Second)
		if slices.Max(append(busySince(t0), 0)) <= busy {
			calm++
		} else {
			calm = 0
		}
	}
	if calm < 3 && ctx.Err() == nil {
		log.Printf("the machine did not calm down (cores busy over %.0f%%); measuring anyway", 100*busy)
	}
}

func percents(v []float64) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf("%.0f%%", 100*x))
	}
	return strings.Join(s, "/")
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeMachine names what the figures were measured on.
func describeMachine(ctx context.Context) string {
	model, cpus := "?", 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				switch strings.TrimSpace(k) {
				case "model name":
					model = strings.TrimSpace(v)
				case "processor":
					cpus++
				}
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				mem = strings.Join(strings.Fields(line)[1:], " ")
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	pg := "?"
	if conn, err := pgx.Connect(ctx, *adminDSN); err == nil {
		conn.QueryRow(ctx, "SHOW server_version").Scan(&pg)
		conn.Close(ctx)
	}
	return fmt.Sprintf("machine: %d x %s, %s RAM, Linux %s, %s, PostgreSQL %s; load average at start %s",
		cpus, model, mem, strings.TrimSpace(string(kernel)), runtime.Version(), pg, loadAverage())
}
