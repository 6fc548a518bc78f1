package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/sqlstore"
)

// traced is a context with a recording span of a fresh recorder.
func traced(t *testing.T) (context.Context, trace.Span, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	return ctx, parent, rec
}

func attrsOf(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// noSecret fails if secret shows anywhere in the spans.
func noSecret(t *testing.T, spans []sdktrace.ReadOnlySpan, secret string) {
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

// The App stores' statements, on the pools and in transactions, get a
// client span each under a recording span: the right parent, name and
// attributes, no argument, the error of a failing one; none without a
// recording parent.
func TestStoreQuerySpans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tandem.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := MigrateAppStore(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	a := newAppDB(db)
	st := sqlstore.New(a, dialect{})
	const secret = "$argon2id$v=19$secret-hash"
	now := time.Now()
	u := tandem.User{ID: "u1", Email: "who@example.com", Name: "Who", PasswordHash: secret, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	ctx, parent, rec := traced(t)
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserByEmail(ctx, u.Email); err != nil || got.PasswordHash != secret {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if _, err := st.User(ctx, "nobody"); !(tandem.ErrorCode(err) == tandem.CodeNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := st.CreateUser(ctx, u); !(tandem.ErrorCode(err) == tandem.CodeConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	rows, err := a.Reader().Query(ctx, `SELECT id FROM users WHERE name = $1`, "Who")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	if n := len(rec.Ended()); n != 4 {
		t.Errorf("%d spans ended before the rows were closed, want 4", n)
	}
	rows.Close()
	err = a.Tx(ctx, func(q sqlstore.Querier) error {
		_, err := q.Exec(ctx, `UPDATE users SET name = $2 WHERE id = $1`, u.ID, "Renamed")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	parent.End()
	// Without a recording parent: nothing.
	if _, err := st.User(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}

	spans := rec.Ended()
	noSecret(t, spans, secret)
	noSecret(t, spans, u.Email)
	want := []struct {
		name, prefix string
		failed       bool
	}{
		{"INSERT users", "INSERT INTO users (", false},
		{"SELECT users", "SELECT ", false},
		{"SELECT users", "SELECT ", false}, // no row is no failure
		{"INSERT users", "INSERT INTO users (", true},
		{"SELECT users", "SELECT id FROM users WHERE name = $1", false},
		{"UPDATE users", "UPDATE users SET name = $2 WHERE id = $1", false},
		{"request", "", false},
	}
	if len(spans) != len(want) {
		for _, s := range spans {
			t.Log(s.Name())
		}
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	for i, w := range want[:len(want)-1] {
		s := spans[i]
		a := attrsOf(s)
		if s.Name() != w.name || s.SpanKind() != trace.SpanKindClient || s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %d: %q kind %v parent %v, want %q client under the request", i, s.Name(), s.SpanKind(), s.Parent().SpanID(), w.name)
		}
		if a["db.system.name"] != "sqlite" || a["db.namespace"] != path || a["db.query.summary"] != w.name || !strings.HasPrefix(a["db.query.text"], w.prefix) {
			t.Errorf("span %d: attributes %v", i, a)
		}
		if failed := s.Status().Code == codes.Error; failed != w.failed {
			t.Errorf("span %d: status %v, want failed %v", i, s.Status(), w.failed)
		}
		if w.failed && (len(s.Events()) != 1 || a["db.response.status_code"] != "2067" || a["error.type"] != "2067") {
			t.Errorf("span %d: events %v, attributes %v", i, s.Events(), a)
		}
	}
}

// The document log's operations get a span each, with the document.
func TestDocumentLogSpans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "documents.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := NewDocumentLog(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, parent, rec := traced(t)
	secret := []byte("document content, never in a span")
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "d1", Writer: "w", Seq: 1, Update: secret}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Load(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	err = l.Append(ctx, []tandem.LogEntry{{Document: "d1", Writer: "w", Seq: 1, Update: secret}})
	var conflict *tandem.SeqConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("appending seq 1 again: %v", err)
	}
	parent.End()
	spans := rec.Ended()
	noSecret(t, spans, string(secret))
	want := []struct{ name, document string }{
		{"DocumentLog.Append", ""}, {"DocumentLog.Load", "d1"}, {"DocumentLog.Append", ""}, {"request", ""},
	}
	if len(spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	for i, w := range want[:3] {
		s, a := spans[i], attrsOf(spans[i])
		if s.Name() != w.name || s.Parent().SpanID() != parent.SpanContext().SpanID() || a["tandem.document"] != w.document ||
			a["db.system.name"] != "sqlite" || a["db.namespace"] != path || a["db.operation.name"] != w.name {
			t.Errorf("span %d: %q parent %v attributes %v", i, s.Name(), s.Parent().SpanID(), a)
		}
	}
	if spans[0].Status().Code == codes.Error || spans[2].Status().Code != codes.Error {
		t.Errorf("append statuses %v, %v; want the second failed", spans[0].Status(), spans[2].Status())
	}
}

// BenchmarkQuerierTracingOff compares a statement run through the
// querier (with its tracing check) with the same statement run directly,
// under a context like a request's with tracing off.
func BenchmarkQuerierTracingOff(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "t.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Writer().Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one')`); err != nil {
		b.Fatal(err)
	}
	q := tracedQuerier[poolQuerier]{poolQuerier{newStmts(db.Reader())}, nil}
	type key int
	ctx := context.WithValue(context.Background(), key(1), "request id")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}}))
	ctx = context.WithValue(ctx, key(2), "user")
	const query = `SELECT v FROM t WHERE k = ?`
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"direct", func() error { var v string; return q.q.queryRow(ctx, query, []any{1}).Scan(&v) }},
		{"querier", func() error { var v string; return q.QueryRow(ctx, query, 1).Scan(&v) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
