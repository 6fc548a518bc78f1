package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	msqlite "modernc.org/sqlite"

	"github.com/tandem-docs/tandem/sqlstore"
	"github.com/tandem-docs/tandem/telemetry/dbtrace"
)

// traceScope is the instrumentation scope of the database spans.
const traceScope = "github.com/tandem-docs/tandem/sqlite"

// Spans follow package dbtrace's conventions, under a recording span
// only: the App stores' statements get one each (in poolQuerier and
// txQuerier, through which every statement of package sqlstore goes), the
// document log one per operation (Append, Load...), whose statements are
// few and fixed.

// traceAttrs are the attributes of every span of the database at path.
func traceAttrs(path string) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.DBSystemNameSQLite, semconv.DBNamespace(path)}
}

// errorCode is the SQLite result code of err, if it has one.
func errorCode(err error) string {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return strconv.Itoa(e.Code())
	}
	return ""
}

func endSpan(span trace.Span, err error) { dbtrace.End(span, err, errorCode(err)) }

// tracedRows are the rows of a traced query, whose span lasts until they
// are closed: SQLite runs a statement as its rows are read.
type tracedRows struct {
	sqlstore.Rows
	span trace.Span
}

func (r tracedRows) Close() {
	r.Rows.Close()
	endSpan(r.span, r.Rows.Err())
}

// tracedRow is the row of a traced QueryRow, whose span lasts until Scan.
// No row is an answer, not a failure of the statement.
type tracedRow struct {
	sqlstore.Row
	span trace.Span
}

func (r tracedRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		endSpan(r.span, nil)
	} else {
		endSpan(r.span, err)
	}
	return err
}

// opSpan is the span of a document log operation; the zero opSpan, with
// tracing off, does nothing.
type opSpan struct{ span trace.Span }

// operation starts the span of a document log operation on db, when ctx
// is traced. document is the document it is about, or "".
func (db *DB) operation(ctx context.Context, name, document string) (context.Context, opSpan) {
	if !dbtrace.Traced(ctx) {
		return ctx, opSpan{}
	}
	attrs := db.attrs
	if document != "" {
		attrs = append(attrs[:len(attrs):len(attrs)], attribute.String("tandem.document", document))
	}
	ctx, span := dbtrace.StartOperation(ctx, traceScope, name, attrs...)
	return ctx, opSpan{span}
}

// end ends the span with the operation's outcome *err.
func (s opSpan) end(err *error) {
	if s.span != nil {
		endSpan(s.span, *err)
	}
}
