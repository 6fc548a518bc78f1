package http

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestWriteJSONSendsLengthAndOneBody(t *testing.T) {
	items := make([]map[string]string, 300) // well past net/http's 4 KB buffer
	for i := range items {
		items[i] = map[string]string{"id": strconv.Itoa(i), "title": "A document with a title of some length"}
	}
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]any{"items": items})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) || rec.Body.Len() < 4096 {
		t.Fatalf("Content-Length %q for a body of %d bytes", got, rec.Body.Len())
	}
}

func TestWriteJSONUnencodableIsAProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]float64{"x": math.NaN()})
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, type %q, body %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
		t.Fatalf("Content-Length %q for a body of %d bytes", got, rec.Body.Len())
	}
}
