package http

import (
	"context"
	"go.opentelemetry.io/otel/trace"
)

func traceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
