package http

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tandem-docs/tandem"
)

// FuzzDecodeBody feeds arbitrary bytes to the strict JSON decoding of every
// request body type: the answer is a value or an invalid / too_large
// error, never a panic or another kind of error.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"title":"x","folder_id":null}`, `{"folder_id":"a"}`, `{"title":1}`, `[`, `{"a":1}`,
		`{"name":"n","parent_id":null}`, `{"expires_at":"2026-01-01T00:00:00Z"}`, `{"expires_at":"soon"}`, "\x00", `{"title":"\ud800"}`} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return &signUpRequest{} }, func() any { return &documentRequest{} }, func() any { return &documentUpdateRequest{} },
		func() any { return &folderUpdateRequest{} }, func() any { return &tokenRequest{} }, func() any { return &linkRequest{} },
		func() any { return &organizationUpdateRequest{} },
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, target := range targets {
			req := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(b))
			rec := httptest.NewRecorder()
			req.Body = http.MaxBytesReader(rec, req.Body, 1<<10)
			c := &call{w: rec, r: req}
			err := c.decode(target())
			if err == nil {
				continue
			}
			var mbe *http.MaxBytesError
			if code := tandem.ErrorCode(err); code != tandem.CodeInvalid && !asMaxBytes(err, &mbe) {
				t.Fatalf("decode(%q) = %v (code %s)", b, err, code)
			}
		}
	})
}

func asMaxBytes(err error, target **http.MaxBytesError) bool {
	e, ok := err.(*http.MaxBytesError)
	if ok {
		*target = e
	}
	return ok
}
