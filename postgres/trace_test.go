package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// spanAttrs is a span's attributes by key.
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// assertNoSecret fails if secret shows anywhere in the spans: attributes,
// names, events and status.
func assertNoSecret(t *testing.T, spans []sdktrace.ReadOnlySpan, secret string) {
	t.Helper()
	for _, s := range spans {
		texts := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			texts = append(texts, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				texts = append(texts, kv.Value.Emit())
			}
		}
		for _, x := range texts {
			if strings.Contains(x, secret) {
				t.Fatalf("span %q carries an argument value: %q", s.Name(), x)
			}
		}
	}
}

// Every statement run under a recording span gets a client span, its
// child, named after the statement and with the conventions' attributes
// and never an argument; a failing statement records its error; without a
// recording parent nothing is made.
func TestQuerySpans(t *testing.T) {
	ctx := context.Background()
	db := openSchema(t)
	if _, err := db.Pool().Exec(ctx, `CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(ctx, "request")

	const secret = "hunter2-do-not-log"
	if _, err := db.Pool().Exec(ctx, `INSERT INTO secrets (id, value) VALUES ($1, $2)`, 1, secret); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.Pool().QueryRow(ctx, `SELECT value FROM secrets WHERE value = $1`, secret).Scan(&got); err != nil || got != secret {
		t.Fatalf("select: %q, %v", got, err)
	}
	_, err := db.Pool().Exec(ctx, `INSERT INTO secrets (id, value) VALUES ($1, $2)`, 1, secret)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("duplicate insert: %v, want a unique violation", err)
	}
	parent.End()
	// Without a recording parent: no span.
	if _, err := db.Pool().Exec(context.Background(), `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(trace.ContextWithSpan(context.Background(), parent), `SELECT 2`); err != nil {
		t.Fatal(err) // the parent has ended: it records no more
	}

	spans := rec.Ended()
	if len(spans) != 4 {
		for _, s := range spans {
			t.Log(s.Name())
		}
		t.Fatalf("%d spans, want 3 statements and the request", len(spans))
	}
	assertNoSecret(t, spans, secret)
	want := []struct {
		name, query string
		failed      bool
	}{
		{"INSERT secrets", `INSERT INTO secrets (id, value) VALUES ($1, $2)`, false},
		{"SELECT secrets", `SELECT value FROM secrets WHERE value = $1`, false},
		{"INSERT secrets", `INSERT INTO secrets (id, value) VALUES ($1, $2)`, true},
	}
	cfg := db.Pool().Config().ConnConfig
	for i, w := range want {
		s := spans[i]
		a := spanAttrs(s)
		if s.Name() != w.name || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %d: %q kind %v, want %q client", i, s.Name(), s.SpanKind(), w.name)
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("span %d: parent %v, want the request's span", i, s.Parent().SpanID())
		}
		for k, v := range map[string]string{
			"db.system.name":   "postgresql",
			"db.query.text":    w.query,
			"db.query.summary": w.name,
			"db.namespace":     cfg.Database,
			"server.address":   cfg.Host,
		} {
			if got := a[attribute.Key(k)].Emit(); got != v {
				t.Errorf("span %d: %s = %q, want %q", i, k, got, v)
			}
		}
		if a["server.port"].AsInt64() != int64(cfg.Port) {
			t.Errorf("span %d: server.port = %v, want %d", i, a["server.port"], cfg.Port)
		}
		failed := s.Status().Code == codes.Error
		if failed != w.failed {
			t.Errorf("span %d: status %v, want failed %v", i, s.Status(), w.failed)
		}
		if w.failed {
			if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
				t.Errorf("span %d: events %v, want the error", i, s.Events())
			}
			if a["db.response.status_code"].Emit() != "23505" || a["error.type"].Emit() != "23505" {
				t.Errorf("span %d: status code %v, error type %v", i, a["db.response.status_code"], a["error.type"])
			}
		}
	}
	if spans[3].Name() != "request" {
		t.Errorf("last span %q, want the request", spans[3].Name())
	}
}

// Rows read with Query end their span when closed; a transaction's BEGIN
// and COMMIT are statements too.
func TestQuerySpansOfRowsAndTransactions(t *testing.T) {
	db := openSchema(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	defer parent.End()
	err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT n FROM generate_series(1, $1::int) AS n`, 3)
		if err != nil {
			return err
		}
		if n := len(rec.Ended()); n != 1 {
			t.Errorf("%d spans ended before the rows were read, want BEGIN only", n)
		}
		_, err = pgx.CollectRows(rows, pgx.RowTo[int32])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	if got := strings.Join(names, ", "); got != "BEGIN, SELECT generate_series, COMMIT" {
		t.Fatalf("spans %s", got)
	}
}

// The replica's pool traces its statements too.
func TestReplicaPoolIsTraced(t *testing.T) {
	db := openSchema(t)
	cfg := db.Pool().Config()
	// Any server will do: a replica that is no standby is opened all the
	// same (reads go to the primary).
	r, err := OpenReplica(context.Background(), db, cfg.ConnString(), ReplicaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for name, c := range map[string]*pgx.ConnConfig{"primary": cfg.ConnConfig, "replica": r.pool.Config().ConnConfig} {
		if _, ok := c.Tracer.(*queryTracer); !ok {
			t.Errorf("%s pool: tracer %T, want *queryTracer", name, c.Tracer)
		}
	}
}

// BenchmarkQueryTracerOff is what the tracer adds to every statement with
// tracing off (the global no-op provider, or a request that is not
// sampled): TraceQueryStart and TraceQueryEnd under a context that holds
// a few values and a non-recording span, as a request's does.
func BenchmarkQueryTracerOff(b *testing.B) {
	tr := newQueryTracer(&pgx.ConnConfig{Config: pgconn.Config{Database: "tandem", Host: "db", Port: 5432}})
	type key int
	ctx := context.WithValue(context.Background(), key(1), "request id")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}}))
	ctx = context.WithValue(ctx, key(2), "user")
	args := []any{1, "x"}
	b.ReportAllocs()
	for b.Loop() {
		c := tr.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{SQL: `SELECT value FROM secrets WHERE id = $1`, Args: args})
		tr.TraceQueryEnd(c, nil, pgx.TraceQueryEndData{})
	}
}

// BenchmarkQuery runs a statement on a pool without the tracer, and on
// pools with it, with tracing off and on: allocations and CPU per
// statement are what to compare (the round trip dominates the time).
func BenchmarkQuery(b *testing.B) {
	db := openSchema(b)
	cfg := db.Pool().Config()
	cfg.ConnConfig.Tracer = nil
	plain, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	on, parent := tp.Tracer("bench").Start(context.Background(), "request")
	defer parent.End()
	for _, c := range []struct {
		name string
		pool *pgxpool.Pool
		ctx  context.Context
	}{
		{"no-tracer", plain, context.Background()},
		{"tracing-off", db.Pool(), context.Background()},
		{"tracing-on", db.Pool(), on},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				if err := c.pool.QueryRow(c.ctx, `SELECT $1::int`, 1).Scan(&n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
