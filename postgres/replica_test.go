package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	goredis "github.com/redis/go-redis/v9"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/tandemtest"
)

func testRedis(t *testing.T) *goredis.Client {
	t.Helper()
	url := "redis://127.0.0.1:6379/0"
	if u := os.Getenv("TANDEM_TEST_REDIS_URL"); u != "" {
		url = u
	}
	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis (TANDEM_TEST_REDIS_URL): %v", err)
	}
	return rdb
}

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "tandem-test:" + hex.EncodeToString(b) + ":"
}

func TestMemoryPositionsContract(t *testing.T) {
	tandemtest.TestWritePositions(t, func(t *testing.T) (a, b tandem.WritePositions) {
		p := NewMemoryPositions(time.Minute, nil)
		return p, p
	})
}

func TestRedisPositionsContract(t *testing.T) {
	tandemtest.TestWritePositions(t, func(t *testing.T) (a, b tandem.WritePositions) {
		prefix := randomPrefix()
		return NewRedisPositions(testRedis(t), prefix, time.Minute), NewRedisPositions(testRedis(t), prefix, time.Minute)
	})
}

// Positions are forgotten after their TTL, and the memory ones do not
// accumulate.
func TestPositionsExpire(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	m := NewMemoryPositions(10*time.Second, func() time.Time { return clock })
	must(t, m.Advance(ctx, "u1", 7))
	clock = clock.Add(9 * time.Second)
	must(t, m.Advance(ctx, "u2", 8))
	if p, _ := m.Position(ctx, "u1"); p != 7 {
		t.Fatalf("position before the TTL = %d", p)
	}
	clock = clock.Add(time.Second)
	if p, _ := m.Position(ctx, "u1"); p != 0 {
		t.Fatalf("position after the TTL = %d, want it forgotten", p)
	}
	// An expired position does not hold back a lower new one.
	must(t, m.Advance(ctx, "u1", 3))
	if p, _ := m.Position(ctx, "u1"); p != 3 {
		t.Fatalf("position after expiry and a new write = %d", p)
	}
	clock = clock.Add(10 * time.Second)
	must(t, m.Advance(ctx, "u3", 1))
	if n := m.size(); n != 1 {
		t.Fatalf("%d entries after everything else expired, want 1", n)
	}

	rdb := testRedis(t)
	prefix := randomPrefix()
	r := NewRedisPositions(rdb, prefix, 30*time.Second)
	must(t, r.Advance(ctx, "u1", 9))
	must(t, r.Advance(ctx, "u1", 5)) // an older report still extends the TTL
	ttl, err := rdb.PTTL(ctx, prefix+"u1").Result()
	must(t, err)
	if ttl <= 0 || ttl > 30*time.Second {
		t.Fatalf("Redis position TTL = %s, want (0, 30s]", ttl)
	}
}

func TestParseLSN(t *testing.T) {
	for text, want := range map[string]uint64{"0/0": 0, "16/B374D848": 0x16B374D848, "FFFFFFFF/FFFFFFFF": 1<<64 - 1} {
		got, err := parseLSN(text)
		if err != nil || got != want {
			t.Errorf("parseLSN(%q) = %x, %v; want %x", text, got, err, want)
		}
	}
	for _, bad := range []string{"", "16", "x/1", "1/100000000", "1/2/3"} {
		if _, err := parseLSN(bad); err == nil {
			t.Errorf("parseLSN(%q) accepted", bad)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestReplicaRouting runs against a real streaming replica of the test
// server with its replay paused: a user reads their own write at once (on
// this instance and on another one), a user who did not write reads from
// the replica and does not see it yet, the lag shows in the metrics, a lag
// above the bound sends every read to the primary, and once replay resumes
// everything converges. Then the replica dies and reads go on.
func TestReplicaRouting(t *testing.T) {
	ctx := context.Background()
	// The database first: the base backup copies it, so the replica has
	// it from the start.
	dsn := pgtest.Database(t)
	rep := pgtest.StartReplica(t)
	db, err := Open(ctx, dsn)
	must(t, err)
	defer db.Close()
	must(t, MigrateAppStore(ctx, db))
	standby, err := pgx.Connect(ctx, rep.DSN(pgtest.DatabaseName(dsn)))
	must(t, err)
	defer standby.Close(ctx)

	// Two App instances over the same primary and replica, sharing write
	// positions through Redis. The background loop is idle (an hour): the
	// test measures when it needs to.
	shared := randomPrefix()
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	var replicas []*Replica
	var stores []*AppStore
	for i := range 2 {
		r, err := OpenReplica(ctx, db, rep.DSN(pgtest.DatabaseName(dsn)), ReplicaOptions{
			MaxLag: time.Hour, Interval: time.Hour, Registerer: regs[i],
			Shared: NewRedisPositions(testRedis(t), shared, time.Minute),
		})
		must(t, err)
		defer r.Close()
		replicas = append(replicas, r)
		stores = append(stores, NewReplicatedAppStore(db, r))
	}
	s1, s2 := stores[0].Stores(), stores[1].Stores()

	// An organization with two members, A (the owner) and B.
	now := time.Now().UTC().Truncate(time.Microsecond)
	user := func(name string) tandem.User {
		return tandem.User{ID: tandem.NewID(), Email: name + "." + tandem.NewID() + "@example.com", Name: name,
			PasswordHash: "x", PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	}
	a, b := user("a"), user("b")
	org := tandem.Organization{ID: tandem.NewID(), Name: "Replicated", CreatedAt: now}
	must(t, s1.Organizations.SignUp(ctx, a, org, false))
	inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: org.ID, Email: b.Email, Role: tandem.RoleMember,
		TokenHash: tandem.NewID(), InvitedBy: a.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s1.Organizations.CreateInvitation(ctx, inv, 10))
	must(t, s1.Organizations.AcceptInvitation(ctx, inv.ID, b, true, now))

	waitReplayed(t, db, standby)
	for _, r := range replicas {
		r.measure(ctx)
		if st := r.state(); !st.usable {
			t.Fatalf("a caught-up replica is not used: %s", st.problem)
		}
	}

	if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replay paused", func() bool {
		var state string
		must(t, standby.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state))
		return state == "paused"
	})

	ctxA, ctxB := tandem.WithUser(ctx, a.ID), tandem.WithUser(ctx, b.ID)
	doc := tandem.Document{OrganizationID: org.ID, ID: tandem.NewID(), Title: "Written while the replica is paused",
		CreatedBy: a.ID, CreatedAt: now, UpdatedAt: now}
	must(t, s1.Documents.CreateDocument(ctxA, doc))

	list := func(s tandem.Stores, ctx context.Context, userID string) bool {
		t.Helper()
		items, err := s.Documents.ListDocuments(ctx, tandem.DocumentQuery{OrganizationID: org.ID, UserID: userID})
		must(t, err)
		for _, it := range items {
			if it.ID == doc.ID {
				return true
			}
		}
		return false
	}
	// Read-your-writes, on the instance that wrote, on another instance
	// (the position travelled through Redis), and for a caller that does
	// not mark the context (the user the list is for counts).
	if !list(s1, ctxA, a.ID) {
		t.Fatal("A does not see the document A just created")
	}
	if !list(s2, ctxA, a.ID) {
		t.Fatal("A does not see the document A just created, on another instance")
	}
	if !list(s2, ctx, a.ID) {
		t.Fatal("A does not see the document A just created when the context is not marked")
	}
	// B did not write: B's list comes from the paused replica, which
	// proves the routing is real.
	if list(s1, ctxB, b.ID) || list(s2, ctxB, b.ID) {
		t.Fatal("B's list shows the new document: it was not read from the paused replica")
	}
	// Authentication and authorization reads stay on the primary.
	if _, _, err := s1.Shares.DocumentAccess(ctxB, org.ID, doc.ID, b.ID); err != nil {
		t.Fatalf("B's access check does not find the new document: %v", err)
	}

	replicas[0].measure(ctx)
	if lag := gauge(t, regs[0], "tandem_db_replica_lag_seconds"); !(lag > 0) {
		t.Fatalf("lag seconds = %v with replay paused behind a commit, want > 0", lag)
	}
	if lag := gauge(t, regs[0], "tandem_db_replica_lag_bytes"); !(lag > 0) {
		t.Fatalf("lag bytes = %v with replay paused behind a commit, want > 0", lag)
	}
	if up := gauge(t, regs[0], "tandem_db_replica_up"); up != 1 {
		t.Fatalf("replica up = %v within the lag bound", up)
	}

	// The lag goes above the bound: every read goes to the primary.
	replicas[0].maxLag.Store(int64(time.Millisecond))
	waitFor(t, "a lag above 1ms", func() bool { replicas[0].measure(ctx); return !replicas[0].state().usable })
	if !list(s1, ctxB, b.ID) {
		t.Fatal("B does not see the document with the replica beyond the lag bound")
	}
	if up := gauge(t, regs[0], "tandem_db_replica_up"); up != 0 {
		t.Fatalf("replica up = %v beyond the lag bound", up)
	}

	// Replay resumes: the replica catches up and serves B, who now sees
	// the document there.
	if _, err := standby.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	waitReplayed(t, db, standby)
	replicas[0].maxLag.Store(int64(time.Hour))
	for _, r := range replicas {
		r.measure(ctx)
		if !r.useReplica(ctxB) {
			t.Fatalf("B's reads do not go to the caught-up replica: %s", r.state().problem)
		}
	}
	if !list(s1, ctxB, b.ID) || !list(s2, ctxB, b.ID) {
		t.Fatal("B does not see the document on the caught-up replica")
	}

	// The replica dies. Until the next measurement notices, a read that
	// was sent to it is retried on the primary; after, reads go to the
	// primary directly.
	rep.Stop(t)
	if !list(s1, ctxB, b.ID) {
		t.Fatal("B's list fails or misses the document right after the replica died")
	}
	replicas[0].measure(ctx)
	if st := replicas[0].state(); st.usable || st.up {
		t.Fatalf("a dead replica is still used: %+v", st)
	}
	if up := gauge(t, regs[0], "tandem_db_replica_up"); up != 0 {
		t.Fatalf("replica up = %v with the replica down", up)
	}
	if !list(s1, ctxB, b.ID) {
		t.Fatal("B's list fails with the replica down")
	}
}

// waitReplayed waits until the standby has replayed everything the
// primary had written out when it was called.
func waitReplayed(t *testing.T, db *DB, standby *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	var text string
	must(t, db.pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&text))
	target, err := parseLSN(text)
	must(t, err)
	waitFor(t, "the replica to catch up", func() bool {
		must(t, standby.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&text))
		replayed, err := parseLSN(text)
		must(t, err)
		return replayed >= target
	})
}

// waitFor polls cond until it holds, failing the test after 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gauge reads a gauge from a registry, as /metrics would show it.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	must(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			var m *dto.Metric = mf.GetMetric()[0]
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not exported", name)
	return 0
}
