package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// build is a Vite build as the handler sees it.
var build = fstest.MapFS{
	"index.html":              {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`)},
	"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
	"assets/index-abc123.js":  {Data: bytes.Repeat([]byte("console.log('tandem');\n"), 200)},
	"assets/index-def456.css": {Data: []byte("body{margin:0}")},
	".build-hash":             {Data: []byte("secret-ish build metadata")},
	".hidden/x.js":            {Data: []byte("no")},
}

func get(t *testing.T, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHashedAssetsAreImmutable(t *testing.T) {
	h := New(build)
	rec := get(t, h, "GET", "/assets/index-abc123.js")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/javascript") {
		t.Errorf("Content-Type = %q", got)
	}
	if !bytes.Equal(rec.Body.Bytes(), build["assets/index-abc123.js"].Data) {
		t.Error("body differs from the file")
	}
}

func TestIndexIsRevalidatedAndCarriesTheCSP(t *testing.T) {
	h := New(build)
	for _, path := range []string{"/", "/index.html", "/d/01m8e1bk53pg87nxf8dpz709nw", "/settings/security", "/folders/x/y"} {
		rec := get(t, h, "GET", path)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), `<div id="root">`) {
			t.Errorf("%s: not index.html: %q", path, rec.Body.String())
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control = %q", path, got)
		}
		if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", path, got)
		}
		checkSecurityHeaders(t, path, rec.Header())
	}
}

func checkSecurityHeaders(t *testing.T, path string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", path, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP allows inline code: %q", path, csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", path, k, got, v)
		}
	}
}

func TestReservedPathsAreNeverTheApp(t *testing.T) {
	h := New(build)
	for _, path := range []string{"/api", "/api/v1/nope", "/collab", "/collab/doc", "/healthz", "/readyz", "/metrics", "/metrics/x", "/d/../api/v1/x", "//api/v1"} {
		rec := get(t, h, "GET", path)
		if rec.Code != 404 {
			t.Errorf("%s: status %d, want 404", path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "root") {
			t.Errorf("%s: served the app", path)
		}
	}
	// Prefixes only match whole segments.
	if rec := get(t, h, "GET", "/collaborators"); rec.Code != 200 {
		t.Errorf("/collaborators: status %d, want the app", rec.Code)
	}
}

func TestMissingFilesAre404(t *testing.T) {
	h := New(build)
	for _, path := range []string{"/assets/index-gone.js", "/assets/new", "/favicon.ico", "/robots.txt", "/.build-hash", "/.hidden/x.js"} {
		if rec := get(t, h, "GET", path); rec.Code != 404 {
			t.Errorf("%s: status %d, want 404", path, rec.Code)
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := New(build)
	rec := get(t, h, "POST", "/")
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	rec = get(t, h, "HEAD", "/assets/index-abc123.js")
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d body bytes", rec.Code, rec.Body.Len())
	}
}

func TestGzipAndConditionalRequests(t *testing.T) {
	h := New(build)
	plain := get(t, h, "GET", "/assets/index-abc123.js")
	zipped := get(t, h, "GET", "/assets/index-abc123.js", "Accept-Encoding", "br, gzip;q=0.8")
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", zipped.Header())
	}
	if zipped.Header().Get("Vary") != "Accept-Encoding" || plain.Header().Get("Vary") != "Accept-Encoding" {
		t.Error("Vary: Accept-Encoding missing")
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, plain.Body.Bytes()) {
		t.Error("gzip body differs")
	}
	if plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
		t.Error("the gzip variant shares the plain ETag")
	}
	if rec := get(t, h, "GET", "/assets/index-abc123.js", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}
	// Revalidation of index.html answers 304 without a body.
	first := get(t, h, "GET", "/")
	again := get(t, h, "GET", "/d/abc", "If-None-Match", first.Header().Get("ETag"))
	if again.Code != 304 || again.Body.Len() != 0 {
		t.Errorf("revalidation: status %d, %d bytes", again.Code, again.Body.Len())
	}
	// Tiny files are not worth compressing.
	if rec := get(t, h, "GET", "/assets/index-def456.css", "Accept-Encoding", "gzip"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("a 14-byte file was gzipped")
	}
}

func TestNotBuiltExplainsHowToBuild(t *testing.T) {
	h := New(fstest.MapFS{})
	rec := get(t, h, "GET", "/")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"not built", "web/build.sh", "make run"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not mention %q:\n%s", want, body)
		}
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
	checkSecurityHeaders(t, "/ (not built)", rec.Header())
	if rec := get(t, h, "GET", "/api/v1/x"); rec.Code != 404 {
		t.Errorf("reserved path while not built: %d", rec.Code)
	}
	if h.String() != "web app (not built: run web/build.sh)" {
		t.Errorf("String() = %q", h.String())
	}
}

// The embedded build (or its absence on a fresh clone) yields a working
// handler either way.
func TestEmbedded(t *testing.T) {
	rec := get(t, Handler(), "GET", "/")
	switch {
	case Built() && rec.Code == 200 && strings.Contains(rec.Body.String(), `<div id="root">`):
	case !Built() && rec.Code == 503 && strings.Contains(rec.Body.String(), "web/build.sh"):
	default:
		t.Fatalf("Built() = %v, GET / = %d %q", Built(), rec.Code, rec.Body.String())
	}
}
