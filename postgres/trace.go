package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tandem-docs/tandem/telemetry/dbtrace"
)

// traceScope is the instrumentation scope of the database spans.
const traceScope = "github.com/tandem-docs/tandem/postgres"

// queryTracer is the pgx tracer of every pool this package opens: each
// statement (Exec, Query, QueryRow, and so the BEGIN and COMMIT of a
// transaction) run under a recording span gets a client span, following
// package dbtrace's conventions. The package sends no batches and no
// COPY, so only pgx.QueryTracer is implemented.
type queryTracer struct {
	// attrs are the pool's: the system, database and server. A pool with
	// fallback hosts reports the first one.
	attrs []attribute.KeyValue
}

func newQueryTracer(cfg *pgx.ConnConfig) *queryTracer {
	return &queryTracer{attrs: []attribute.KeyValue{
		semconv.DBSystemNamePostgreSQL,
		semconv.DBNamespace(cfg.Database),
		semconv.ServerAddress(cfg.Host),
		semconv.ServerPort(int(cfg.Port)),
	}}
}

// traced returns cfg with the query tracer added (a copy: the caller's
// configuration may open another pool).
func traced(cfg *pgxpool.Config) *pgxpool.Config {
	cfg = cfg.Copy()
	t := newQueryTracer(cfg.ConnConfig)
	if cfg.ConnConfig.Tracer != nil {
		cfg.ConnConfig.Tracer = multitracer.New(cfg.ConnConfig.Tracer, t)
	} else {
		cfg.ConnConfig.Tracer = t
	}
	return cfg
}

// TraceQueryStart implements pgx.QueryTracer. With tracing off it costs a
// context lookup: the statement's text and arguments are not looked at.
func (t *queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !dbtrace.Traced(ctx) {
		return ctx
	}
	ctx, _ = dbtrace.StartQuery(ctx, traceScope, data.SQL, t.attrs...)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer. The span of ctx is the one
// TraceQueryStart started if it records: a statement under a parent that
// does not record got none, and its ctx holds that parent.
func (t *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if !dbtrace.Traced(ctx) {
		return
	}
	var code string
	var pgErr *pgconn.PgError
	if errors.As(data.Err, &pgErr) {
		code = pgErr.Code // the SQLSTATE
	}
	dbtrace.End(trace.SpanFromContext(ctx), data.Err, code)
}
