package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/sqlstore"
)

// ReplicaOptions configure a Replica.
type ReplicaOptions struct {
	// MaxLag bounds how stale a lag-tolerant read may be: while the
	// replica is further behind, every read goes to the primary. Default
	// 10 seconds.
	MaxLag time.Duration
	// Interval is how often the lag is measured. Default 1 second.
	Interval time.Duration
	// Shared holds users' write positions for every instance (Redis).
	// Nil: positions stay in this process, which is enough for one App
	// instance.
	Shared tandem.WritePositions
	// Registerer gets the lag gauges; nil exports nothing.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Replica routes lag-tolerant reads to a streaming read replica of a
// primary DB, and keeps them correct:
//
//   - Read-your-writes: after a write made under a user (tandem.WithUser)
//     commits, the primary's WAL insert position is recorded for the user,
//     in this process and in Shared. A lag-tolerant read for a user whose
//     position the replica has not replayed yet goes to the primary. It
//     goes there rather than waiting for the replica: the wait would be up
//     to the lag, on the request's latency, while the primary answers such
//     a read at once, and the reads a user makes in the second after their
//     own write are few.
//   - Lag: a loop measures how far the replica is behind (seconds since the
//     last transaction it replayed, while the primary has newer WAL, and
//     bytes of WAL) and exports it. While the lag is above MaxLag, or the
//     replica does not answer or is not a standby, every read goes to the
//     primary; the change is logged once each way.
//
// Reads that decide who may do what (sessions, tokens, memberships, grants)
// and every read inside a write never come here: package sqlstore asks for
// the replica only in the list queries that tolerate lag.
type Replica struct {
	primary *pgxpool.Pool
	pool    *pgxpool.Pool
	local   *MemoryPositions
	shared  tandem.WritePositions
	opts    ReplicaOptions
	log     *slog.Logger
	maxLag  atomic.Int64 // nanoseconds; tests lower it

	mu sync.Mutex
	st replicaState

	lagSeconds, lagBytes, up prometheus.Gauge
	collectors               []prometheus.Collector

	stop context.CancelFunc
	done chan struct{}
}

// replicaState is the outcome of the latest measurement.
type replicaState struct {
	measured bool
	up       bool   // answered and is a standby
	replay   uint64 // WAL position it has replayed
	seconds  float64
	usable   bool // up and no more than MaxLag behind
	problem  string
}

// OpenReplica connects to the replica named by dsn, measures it once and
// starts measuring it every Interval. A replica that does not answer does
// not stop the process: reads go to the primary until it does.
func OpenReplica(ctx context.Context, primary *DB, dsn string, opts ReplicaOptions) (*Replica, error) {
	if opts.MaxLag <= 0 {
		opts.MaxLag = 10 * time.Second
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres replica: parse DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, traced(cfg))
	if err != nil {
		return nil, fmt.Errorf("postgres replica: %w", err)
	}
	r := &Replica{
		primary: primary.pool,
		pool:    pool,
		// A position is needed until the replica has replayed it, which
		// takes at most MaxLag (beyond it every read goes to the primary)
		// plus one measurement to notice.
		local:  NewMemoryPositions(opts.MaxLag+2*opts.Interval+time.Second, nil),
		shared: opts.Shared,
		opts:   opts,
		log:    opts.Logger.With("component", "postgres replica", "replica", cfg.ConnConfig.Host+":"+strconv.Itoa(int(cfg.ConnConfig.Port))),
		lagSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_db_replica_lag_seconds",
			Help: "Seconds since the last transaction the read replica replayed, while the primary has newer WAL (0 when caught up; +Inf when it has replayed none yet)."}),
		lagBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_db_replica_lag_bytes",
			Help: "Bytes of WAL the read replica has not replayed yet."}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_db_replica_up",
			Help: "1 while the read replica answers as a standby and serves reads within the lag bound, 0 while reads go to the primary."}),
		done: make(chan struct{}),
	}
	r.maxLag.Store(int64(opts.MaxLag))
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{r.lagSeconds, r.lagBytes, r.up} {
			if err := opts.Registerer.Register(c); err != nil {
				r.unregister()
				pool.Close()
				return nil, fmt.Errorf("postgres replica: metrics: %w", err)
			}
			r.collectors = append(r.collectors, c)
		}
	}
	first, cancel := context.WithTimeout(ctx, 5*time.Second)
	r.measure(first)
	cancel()
	loop, stop := context.WithCancel(context.Background())
	r.stop = stop
	go r.run(loop)
	return r, nil
}

// Close stops the measurements and closes the replica's connections.
func (r *Replica) Close() {
	r.stop()
	<-r.done
	r.pool.Close()
	r.unregister()
}

func (r *Replica) unregister() {
	for _, c := range r.collectors {
		r.opts.Registerer.Unregister(c)
	}
	r.collectors = nil
}

// Ping checks that the replica answers. It is not a readiness check of the
// process: reads fall back to the primary while the replica is down.
func (r *Replica) Ping(ctx context.Context) error { return r.pool.Ping(ctx) }

func (r *Replica) run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, cancel := context.WithTimeout(ctx, max(r.opts.Interval, 2*time.Second))
		r.measure(m)
		cancel()
	}
}

// measure reads the primary's WAL position, then the replica's replay
// position and replay time, and updates the state and the gauges. The
// primary is read first: a replica that is caught up has then replayed at
// least that position, even if the primary writes some WAL of its own
// (checkpoints, snapshots of running transactions) in between, so an idle
// system does not look as far behind as its last commit is old.
func (r *Replica) measure(ctx context.Context) {
	var primaryText string
	if err := r.primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&primaryText); err != nil {
		// Without the primary there is nothing to compare with, and no
		// write to read back either: keep the last state.
		r.log.Debug("measuring replica lag: the primary does not answer", "error", err)
		return
	}
	primaryLSN, err := parseLSN(primaryText)
	if err != nil {
		r.log.Error("measuring replica lag", "error", err)
		return
	}
	var replayText *string
	var seconds *float64
	err = r.pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text,
		extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8`).Scan(&replayText, &seconds)
	st := replicaState{measured: true}
	switch {
	case err != nil:
		st.problem = "it does not answer: " + err.Error()
	case replayText == nil:
		st.problem = "it is not a standby (pg_last_wal_replay_lsn() is NULL)"
	default:
		if st.replay, err = parseLSN(*replayText); err != nil {
			st.problem = err.Error()
			break
		}
		st.up = true
		var bytes uint64
		if primaryLSN > st.replay {
			bytes = primaryLSN - st.replay
			if seconds == nil {
				// Behind, and it has replayed no transaction since it
				// started: how far is unknown.
				st.seconds = math.Inf(1)
			} else {
				st.seconds = max(*seconds, 0)
			}
		}
		r.lagBytes.Set(float64(bytes))
		r.lagSeconds.Set(st.seconds)
		if maxLag := time.Duration(r.maxLag.Load()); st.seconds > maxLag.Seconds() {
			st.problem = fmt.Sprintf("it is %.1fs behind, more than the %s allowed (TANDEM_DATABASE_REPLICA_MAX_LAG)", st.seconds, maxLag)
		} else {
			st.usable = true
		}
	}
	if st.usable {
		r.up.Set(1)
	} else {
		r.up.Set(0)
	}
	r.mu.Lock()
	prev := r.st
	r.st = st
	r.mu.Unlock()
	switch {
	case !st.usable && (prev.usable || !prev.measured):
		r.log.Warn("read replica not used, reads go to the primary: "+st.problem, "lag_seconds", st.seconds)
	case st.usable && !prev.usable && prev.measured:
		r.log.Info("read replica in use again", "lag_seconds", st.seconds)
	}
}

func (r *Replica) state() replicaState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// parseLSN parses PostgreSQL's text form of a WAL position, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("postgres: bad WAL position %q", s)
	}
	return h<<32 | l, nil
}

// useReplica decides where a lag-tolerant read under ctx goes.
func (r *Replica) useReplica(ctx context.Context) bool {
	st := r.state()
	if !st.usable {
		return false
	}
	user := tandem.ContextUser(ctx)
	if user == "" {
		return true
	}
	pos, _ := r.local.Position(ctx, user)
	if pos > st.replay {
		return false
	}
	if r.shared != nil {
		// Another instance may have taken the user's latest write. When
		// the shared positions cannot be read, the primary is the only
		// copy sure to hold it.
		shared, err := r.shared.Position(ctx, user)
		if err != nil {
			r.log.Debug("write positions unavailable, reading from the primary", "error", err)
			return false
		}
		if shared > st.replay {
			return false
		}
	}
	return true
}

// wrote records the primary's WAL position for the user of ctx after a
// write committed. It runs after the commit, so the position it reads is
// at or beyond the commit record. If the position cannot be read, the user
// is pinned to the primary until the record expires: a read from the
// replica could miss the write.
func (r *Replica) wrote(ctx context.Context) {
	user := tandem.ContextUser(ctx)
	if user == "" {
		return
	}
	// The write is committed; recording it must not fail because the
	// request was cancelled meanwhile.
	ctx = context.WithoutCancel(ctx)
	pos := uint64(math.MaxUint64)
	var text string
	if err := r.primary.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&text); err != nil {
		r.log.Warn("reading the WAL position after a write; the user reads from the primary for a while", "error", err)
	} else if p, err := parseLSN(text); err == nil {
		pos = p
	}
	r.local.Advance(ctx, user, pos)
	if r.shared != nil {
		if err := r.shared.Advance(ctx, user, pos); err != nil {
			r.log.Warn("recording a write position for other instances", "error", err)
		}
	}
}

// lagTolerant returns where a lag-tolerant read under ctx runs: the
// replica, with the primary as its fallback if the replica fails to
// answer, or the primary.
func (r *Replica) lagTolerant(ctx context.Context) sqlstore.Querier {
	if r.useReplica(ctx) {
		return fallbackQuerier{replica: querier{r.pool}, primary: querier{r.primary}, r: r}
	}
	return querier{r.primary}
}

// fallbackQuerier runs a read on the replica, and on the primary if the
// replica failed to answer (not for an error of the query itself), so
// that a replica dying between two measurements costs no failed request.
type fallbackQuerier struct {
	replica, primary querier
	r                *Replica
}

// unreachable reports whether err means the replica did not answer, as
// opposed to answering with an error or no rows.
func unreachable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// A standby cancels a query that conflicts with replay (40001,
		// "canceling statement due to conflict with recovery") or is
		// shutting down (57P01...): the primary can answer it.
		return pe.Code == "40001" || strings.HasPrefix(pe.Code, "57P")
	}
	return true
}

func (q fallbackQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	// Never used for writes; kept for the interface.
	return q.primary.Exec(ctx, query, args...)
}

func (q fallbackQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.replica.Query(ctx, query, args...)
	if err == nil {
		// A connection that died shows only when the first row is read:
		// read it here, while the primary can still take over.
		has := rows.Next()
		if has {
			return &peekedRows{Rows: rows, peeked: true}, nil
		}
		if err = rows.Err(); err == nil {
			return &peekedRows{Rows: rows, peeked: true, done: true}, nil
		}
		rows.Close()
	}
	if unreachable(ctx, err) {
		q.r.log.Debug("replica read failed, reading from the primary", "error", err)
		return q.primary.Query(ctx, query, args...)
	}
	return nil, err
}

// peekedRows are rows whose first Next has been called already.
type peekedRows struct {
	sqlstore.Rows
	peeked bool // the next Next returns the row read already (or done)
	done   bool // there was no row
}

func (r *peekedRows) Next() bool {
	if r.peeked {
		r.peeked = false
		return !r.done
	}
	if r.done {
		return false
	}
	return r.Rows.Next()
}

func (q fallbackQuerier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return fallbackRow{ctx: ctx, q: q, query: query, args: args}
}

// fallbackRow runs its query when scanned, so that it can run it again on
// the primary.
type fallbackRow struct {
	ctx   context.Context
	q     fallbackQuerier
	query string
	args  []any
}

func (row fallbackRow) Scan(dest ...any) error {
	err := row.q.replica.QueryRow(row.ctx, row.query, row.args...).Scan(dest...)
	if unreachable(row.ctx, err) {
		row.q.r.log.Debug("replica read failed, reading from the primary", "error", err)
		return row.q.primary.QueryRow(row.ctx, row.query, row.args...).Scan(dest...)
	}
	return err
}
