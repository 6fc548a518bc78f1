package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/sqlite"
)

// The app tests run on the real databases: SQLite in a temporary file and
// the PostgreSQL named by TANDEM_TEST_POSTGRES_DSN, in a database created
// for the run and dropped after it.
var (
	adminDSN string
	pgDB     string
)

func TestMain(m *testing.M) {
	adminDSN = os.Getenv("TANDEM_TEST_POSTGRES_DSN")
	if adminDSN == "" {
		adminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		fmt.Fprintf(os.Stderr, "app tests need a PostgreSQL server (TANDEM_TEST_POSTGRES_DSN): %v\n", err)
		return 1
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	pgDB = "tandem_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgDB); err != nil {
		fmt.Fprintf(os.Stderr, "create test database: %v\n", err)
		return 1
	}
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgDB+" WITH (FORCE)")
	return m.Run()
}

var schemaSeq atomic.Int64

type backend struct {
	name string
	open func(t testing.TB) tandem.Stores
}

// pgDBs are the PostgreSQL databases under the stores opened, for analyze.
var pgDBs sync.Map // tandem.Accounts -> *postgres.DB

// analyze refreshes the planner statistics of PostgreSQL stores, as
// autovacuum does on a running database shortly after a bulk load;
// benchmarks call it after filling a database. SQLite keeps none.
func analyze(t testing.TB, s tandem.Stores) {
	if db, ok := pgDBs.Load(s.Accounts); ok {
		if _, err := db.(*postgres.DB).Pool().Exec(context.Background(), "ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}
}

var backends = []backend{
	{"sqlite", func(t testing.TB) tandem.Stores {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "app.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := sqlite.OpenAppStore(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		return s.Stores()
	}},
	{"postgres", func(t testing.TB) tandem.Stores {
		ctx := context.Background()
		cfg, err := pgxpool.ParseConfig(adminDSN)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Database = pgDB
		schema := fmt.Sprintf("app%d", schemaSeq.Add(1))
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		cfg.MaxConns = 8
		db, err := postgres.OpenConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		if _, err := db.Pool().Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		s, err := postgres.OpenAppStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		st := s.Stores()
		pgDBs.Store(st.Accounts, db)
		t.Cleanup(func() { pgDBs.Delete(st.Accounts) })
		return st
	}},
}

// forEach runs test once per storage backend.
func forEach(t *testing.T, test func(t *testing.T, env *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			test(t, newEnv(t, b.open(t)))
		})
	}
}

// clock is a settable time for the App.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an App on real stores with a test clock and recorded permission
// changes.
type env struct {
	t       testing.TB
	app     *app.App
	stores  tandem.Stores
	clock   *clock
	mu      sync.Mutex
	changes []tandem.PermissionChange
}

// cheap argon2id parameters keep the tests fast; the production defaults
// are exercised by TestDefaultPasswordParams.
var cheap = app.PasswordParams{Memory: 256, Time: 1, Threads: 1}

func newEnv(t testing.TB, s tandem.Stores, opts ...func(*app.Config)) *env {
	e := &env{t: t, stores: s, clock: &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
	cfg := app.Config{Stores: s, Password: cheap, Now: e.clock.Now, OpenSignUp: true}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cancel, err := a.Changes().Subscribe(func(c tandem.PermissionChange) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.changes = append(e.changes, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	e.app = a
	return e
}

func (e *env) takeChanges() []tandem.PermissionChange {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.changes
	e.changes = nil
	return c
}

var ctx = context.Background()

var userSeq atomic.Int64

// person is a signed-in user.
type person struct {
	app.LoginResult
	p        app.Principal
	email    string
	password string
}

func (e *env) auth(token string) app.Principal {
	e.t.Helper()
	p, err := e.app.Authenticate(ctx, tandem.Credentials{Token: token})
	if err != nil {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return p
}

// owner signs up a new user with a new organization.
func (e *env) owner() person {
	e.t.Helper()
	n := userSeq.Add(1)
	email := fmt.Sprintf("owner%d@example.com", n)
	res, err := e.app.SignUp(ctx, app.SignUpInput{Email: email, Password: "correct horse battery", Name: fmt.Sprint("Owner ", n),
		OrganizationName: fmt.Sprint("Org ", n), IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatalf("SignUp: %v", err)
	}
	return person{LoginResult: res, p: e.auth(res.Token), email: email, password: "correct horse battery"}
}

// join invites a new user into by's organization with role and signs them in.
func (e *env) join(by person, role tandem.Role) person {
	e.t.Helper()
	n := userSeq.Add(1)
	email := fmt.Sprintf("user%d@example.com", n)
	inv, err := e.app.Invite(ctx, by.p, email, role)
	if err != nil {
		e.t.Fatalf("Invite: %v", err)
	}
	res, err := e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: fmt.Sprint("User ", n), Password: "another good password"})
	if err != nil {
		e.t.Fatalf("AcceptInvitation: %v", err)
	}
	return person{LoginResult: res, p: e.auth(res.Token), email: email, password: "another good password"}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code tandem.Code) {
	t.Helper()
	if got := tandem.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}
