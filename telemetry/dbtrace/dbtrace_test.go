package dbtrace

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestQuerySummary(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{`SELECT * FROM wuser_table WHERE username = ?`, "SELECT wuser_table"},
		{`INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = ?`, "INSERT shipping_details SELECT orders"},
		{`SELECT * FROM songs s JOIN artists a ON s.artist_id = a.id`, "SELECT songs artists"},
		{"  select id\n\tfrom Documents d\n\twhere d.org = $1", "SELECT Documents"},
		{`UPDATE users SET name = $2 WHERE id = $1`, "UPDATE users"},
		{`DELETE FROM sessions WHERE expires_at < $1`, "DELETE sessions"},
		{`INSERT INTO heads (d, w, seq) VALUES ($1, $2, $3) ON CONFLICT (d, w) DO UPDATE SET seq = excluded.seq`, "INSERT heads"},
		{`SELECT id FROM documents WHERE id = $1 FOR UPDATE`, "SELECT documents"},
		{`SELECT id FROM documents WHERE id = $1 FOR NO KEY UPDATE`, "SELECT documents"},
		{`SELECT a IS DISTINCT FROM b FROM t`, "SELECT t"},
		{`SELECT x FROM (SELECT y FROM inner_t) AS s`, "SELECT SELECT inner_t"},
		{`SELECT n FROM unnest($1::text[]) AS n`, "SELECT"},
		{`SELECT pg_current_wal_lsn()::text`, "SELECT"},
		{`SELECT * FROM public.documents`, "SELECT public.documents"},
		{`SELECT * FROM "Odd Table"`, `SELECT "Odd Table"`},
		{`CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT)`, "CREATE schema_migrations"},
		{`begin`, "BEGIN"},
		{`PRAGMA journal_mode`, "PRAGMA"},
		{`WITH RECURSIVE up AS (SELECT id FROM folders) SELECT * FROM up`, "WITH SELECT folders SELECT up"},
		// Literals and comments never reach the summary.
		{`SELECT 'secret FROM x' FROM t -- FROM secret_comment`, "SELECT t"},
		{`/* FROM secret */ SELECT 'it''s FROM y' FROM t`, "SELECT t"},
		{`SELECT 'unterminated FROM z`, "SELECT"},
		{`SELECT 1 /* unterminated FROM z`, "SELECT"},
		{``, ""},
	} {
		if got := QuerySummary(c.query); got != c.want {
			t.Errorf("QuerySummary(%q) = %q, want %q", c.query, got, c.want)
		}
	}
	long := "SELECT * FROM t"
	for range 100 {
		long += " JOIN a_rather_long_table_name ON true"
	}
	if got := QuerySummary(long); len(got) > maxSummary || len(got) < maxSummary-30 {
		t.Errorf("summary of a long statement has %d bytes, want at most %d", len(got), maxSummary)
	}
}

func TestTracedAndEnd(t *testing.T) {
	if Traced(context.Background()) {
		t.Fatal("a context without a span is traced")
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	if !Traced(ctx) {
		t.Fatal("a context with a recording span is not traced")
	}
	qctx, span := StartQuery(ctx, "scope", `SELECT v FROM t WHERE k = ?`, attribute.String("db.system.name", "sqlite"))
	if trace.SpanFromContext(qctx) != span {
		t.Fatal("the query's context does not hold its span")
	}
	End(span, errors.New("boom"), "")
	_, op := StartOperation(ctx, "scope", "DocumentLog.Load")
	End(op, errors.New("busy"), "5")
	_, bare := StartQuery(ctx, "scope", ";", attribute.String("db.system.name", "sqlite"))
	End(bare, nil, "")
	parent.End()
	if Traced(ctx) {
		t.Fatal("an ended span still traces")
	}
	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans", len(spans))
	}
	q, o := spans[0], spans[1]
	if q.Name() != "SELECT t" || q.Parent().SpanID() != parent.SpanContext().SpanID() || q.SpanKind() != trace.SpanKindClient {
		t.Errorf("query span %q, parent %v, kind %v", q.Name(), q.Parent().SpanID(), q.SpanKind())
	}
	if q.Status().Code != codes.Error || q.Status().Description != "database error" || strings.Contains(fmt.Sprint(q.Events()), "boom") || len(q.Events()) != 1 {
		t.Errorf("query span status %v, events %v", q.Status(), q.Events())
	}
	attrs := map[attribute.Key]string{}
	for _, kv := range append(q.Attributes(), o.Attributes()...) {
		attrs[kv.Key] += kv.Value.Emit() + ";"
	}
	for k, v := range map[attribute.Key]string{
		"db.system.name":          "sqlite;",
		"db.query.text":           "SELECT v FROM t WHERE k = ?;",
		"db.query.summary":        "SELECT t;",
		"db.operation.name":       "DocumentLog.Load;",
		"error.type":              "_OTHER;5;",
		"db.response.status_code": "5;",
	} {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
	if o.Name() != "DocumentLog.Load" {
		t.Errorf("operation span %q", o.Name())
	}
	// A statement without a summary is named after the database system.
	b := spans[2]
	if b.Name() != "sqlite" || b.Status().Code != codes.Unset || len(b.Attributes()) != 2 {
		t.Errorf("unsummarized statement's span %q, status %v, attributes %v", b.Name(), b.Status(), b.Attributes())
	}
}

// BenchmarkTracedOff is the check every statement pays with tracing off,
// under a context like a request's: a few values and a span context that
// does not record (tracing off, or a caller's trace not sampled).
func BenchmarkTracedOff(b *testing.B) {
	type key int
	ctx := context.WithValue(context.Background(), key(1), "request id")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}}))
	ctx = context.WithValue(ctx, key(2), "user")
	b.ReportAllocs()
	for b.Loop() {
		if Traced(ctx) {
			b.Fatal("traced")
		}
	}
}

func BenchmarkQuerySummary(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		QuerySummary(`SELECT d.id, d.title FROM documents d JOIN grants g ON g.document_id = d.id WHERE d.organization_id = $1 ORDER BY d.updated_at DESC LIMIT $2`)
	}
}
