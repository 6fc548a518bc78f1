// Package dbtrace makes the OpenTelemetry spans of database work for the
// storage drivers (packages postgres and sqlite). It depends on the
// OpenTelemetry API only, not on the SDK and exporters package telemetry
// sets up, so the drivers stay light.
//
// Database spans follow the OpenTelemetry database semantic conventions:
// a client span per statement, named after the statement's summary
// ("SELECT documents"), with db.system.name, db.namespace, db.query.text
// and db.query.summary. The query text is the
// statement as the code wrote it, with placeholders: arguments are never
// recorded, since they hold password hashes, tokens and document content.
//
// A database span is made only as the child of a span that records (an
// HTTP request, collab's load or compaction). That keeps the cost with
// tracing off to one context lookup per statement (no attributes, no
// strings, no allocation), and it keeps background statements that belong
// to no operation (the replica's lag measurement every second) from
// flooding the trace backend with root spans.
package dbtrace

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Traced reports whether database work under ctx gets spans: whether the
// span of ctx records.
func Traced(ctx context.Context) bool {
	return trace.SpanFromContext(ctx).IsRecording()
}

// StartQuery starts the client span of one statement, a child of the span
// of ctx, with attrs (db.system.name, db.namespace, server.address...)
// plus the statement's text and summary. Call it only when Traced(ctx).
// The tracer comes from the parent span's provider, as otelhttp's client
// does, so the child always goes where its parent goes.
func StartQuery(ctx context.Context, scope, query string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	summary := QuerySummary(query)
	if summary == "" {
		// The conventions' last resort for the name: the database system.
		name := "query"
		for _, kv := range attrs {
			if kv.Key == semconv.DBSystemNameKey {
				name = kv.Value.AsString()
			}
		}
		return startDB(ctx, scope, name, attrs, semconv.DBQueryText(query))
	}
	return startDB(ctx, scope, summary, attrs, semconv.DBQueryText(query), semconv.DBQuerySummary(summary))
}

// StartOperation starts the client span of a database operation made of
// several statements (a document log's Append, Load...), named after the
// operation and with attrs. Call it only when Traced(ctx).
func StartOperation(ctx context.Context, scope, operation string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return startDB(ctx, scope, operation, attrs, semconv.DBOperationName(operation))
}

func startDB(ctx context.Context, scope, name string, attrs []attribute.KeyValue, more ...attribute.KeyValue) (context.Context, trace.Span) {
	tracer := trace.SpanFromContext(ctx).TracerProvider().Tracer(scope)
	return tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrs...),
		trace.WithAttributes(more...))
}

// End ends a database span. A failure is recorded on it: the error
// status, an exception event and error.type: code, the database's own
// error code such as a SQLSTATE, also set as db.response.status_code, or
// "_OTHER" when the error has none. The error's text is left out of the
// span: database messages quote values ("Key (email)=(...) already
// exists", "invalid input syntax ... \"...\""), and traces leave the
// process, so they carry only the code and the error's Go type.
func End(span trace.Span, err error, code string) {
	if err != nil {
		desc := "database error"
		if code != "" {
			span.SetAttributes(semconv.DBResponseStatusCode(code), semconv.ErrorTypeKey.String(code))
			desc += " " + code
		} else {
			span.SetAttributes(semconv.ErrorTypeOther)
		}
		span.AddEvent("exception", trace.WithAttributes(semconv.ExceptionType(fmt.Sprintf("%T", err))))
		span.SetStatus(codes.Error, desc)
	}
	span.End()
}

// maxSummary bounds a query summary: the conventions ask for a short,
// low-cardinality name.
const maxSummary = 255

// QuerySummary is the db.query.summary of a SQL statement: its operation
// keywords and the tables they act on, in order, as the conventions show
// them ("SELECT documents", "INSERT shipping_details SELECT orders",
// "SELECT songs artists" for a join). Literals and comments are skipped,
// so nothing a statement carries inline can reach the summary. It is a
// light scan, not a parser: an unusual statement gets a shorter summary,
// never a wrong kind of content.
func QuerySummary(query string) string {
	var b strings.Builder
	b.Grow(48)
	var prev string    // the previous keyword or identifier, upper case if a keyword
	wantTable := false // the next identifier names a table
	add := func(s string) bool {
		n := len(s)
		if b.Len() > 0 {
			n++
		}
		if b.Len()+n > maxSummary {
			return false
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		return true
	}
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			for i < len(query) && query[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 4
		case c == '\'':
			// A string literal, with '' inside; E'' escapes are taken as
			// ending early at \' at worst, which only drops words.
			i++
			for i < len(query) {
				if query[i] == '\'' {
					if i+1 < len(query) && query[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
			prev, wantTable = "", false
		case c == '"':
			end := strings.IndexByte(query[i+1:], '"')
			if end < 0 {
				return b.String()
			}
			ident := query[i : i+end+2]
			i += end + 2
			if wantTable && !add(ident) {
				return b.String()
			}
			prev, wantTable = ident, false
		case isWordByte(c):
			j := i
			for j < len(query) && (isWordByte(query[j]) || query[j] == '.') {
				j++
			}
			word := query[i:j]
			i = j
			if word[0] >= '0' && word[0] <= '9' || word[0] == '$' {
				prev, wantTable = "", false // a number or a placeholder
				continue
			}
			up := keyword(word)
			if wantTable {
				if beforeTable[up] {
					prev = up
					continue
				}
				wantTable = false
				if !sqlKeywords[up] {
					if !add(word) {
						return b.String()
					}
					prev = word
					continue
				}
			}
			switch up {
			case "SELECT", "INSERT", "DELETE", "MERGE":
				if !add(up) {
					return b.String()
				}
			case "UPDATE":
				// Not ON CONFLICT DO UPDATE, nor FOR UPDATE (a lock).
				if prev != "DO" && prev != "FOR" && prev != "KEY" {
					if !add(up) {
						return b.String()
					}
					wantTable = true
				}
			case "FROM", "JOIN", "INTO", "TABLE":
				// Not IS DISTINCT FROM, nor substring(x FROM n).
				wantTable = prev != "DISTINCT"
			default:
				if b.Len() == 0 {
					// The statement does not start with one of the above
					// (BEGIN, COMMIT, CREATE, WITH, PRAGMA...): its
					// first word says what it is.
					if !add(strings.ToUpper(word)) {
						return b.String()
					}
				}
			}
			prev = up
		default:
			i++
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				wantTable = false // "FROM (SELECT ...", "FROM unnest($1)"
			}
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// keywords are the words QuerySummary acts on.
var keywords = []string{
	"SELECT", "INSERT", "DELETE", "MERGE", "UPDATE", "FROM", "JOIN", "INTO", "TABLE",
	"DO", "FOR", "KEY", "DISTINCT", "IF", "NOT", "EXISTS", "ONLY",
	"LATERAL", "UNNEST", "ROWS", "VALUES", "SET", "WHERE", "OF", "NOWAIT", "SKIP",
}

// keyword is word in upper case if it is one of keywords, or "": a scan
// without an allocation per word.
func keyword(word string) string {
	if len(word) > len("DISTINCT") {
		return ""
	}
	for _, k := range keywords {
		if len(k) == len(word) && k[0] == word[0]&^0x20 && strings.EqualFold(k, word) {
			return k
		}
	}
	return ""
}

// beforeTable are words that may come between FROM, INTO, TABLE... and
// the table's name.
var beforeTable = map[string]bool{"IF": true, "NOT": true, "EXISTS": true, "ONLY": true}

// sqlKeywords are words that may follow FROM, JOIN, INTO or UPDATE and are
// not a table.
var sqlKeywords = map[string]bool{
	"SELECT": true, "LATERAL": true, "UNNEST": true, "ROWS": true, "VALUES": true,
	"SET": true, "WHERE": true, "OF": true, "NOWAIT": true, "SKIP": true,
}
