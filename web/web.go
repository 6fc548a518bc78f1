// Package web serves Tandem's web app: the single-page front end in this
// directory (TypeScript, React, Tiptap), built by build.sh with Vite into
// dist/ and embedded in the binary, so that one file runs everything.
//
// Mount Handler at "/" after every other route: it answers what nothing
// more specific claimed. Client-side routes (/d/{id}, /settings/...) get
// index.html; the reserved prefixes of the API, the realtime service and
// operations (/api/, /collab, /healthz, /readyz, /metrics) never do, so a
// mistyped API path is a 404, not a page of HTML.
//
// Built assets under /assets/ carry a content hash in their names and are
// cached for a year; everything else, index.html first, is revalidated on
// every load (ETag), so a new release reaches browsers at once. Every
// response carries a strict Content-Security-Policy (scripts, styles and
// connections from this origin only) and the other usual security headers.
//
// A binary built before the front end (go build on a fresh clone) still
// compiles and serves: every page then explains how to build the front end.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The pattern matches dist/ (Vite's output, present once built) and
// dist-missing.html (committed, shown until then). A pattern must match
// something for the package to compile; the committed page makes sure it
// does on a fresh clone.
//
//go:embed all:dist*
var embedded embed.FS

// CSP is the Content-Security-Policy of every response: scripts, styles,
// fonts and connections (the API and the realtime WebSocket) from this
// origin only, images also from data: and blob: URLs, no plugins, no
// framing, no <base> tricks. Nothing inline: the build emits none, and the
// editor is configured not to inject styles.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; media-src 'self'; " +
	"object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reserved are the path prefixes that belong to other handlers. A request
// for one of them that reached this handler (a wrong method, an unknown
// route, or a role this process does not run) is a 404, never the app.
var reserved = []string{"/api", "/collab", "/healthz", "/readyz", "/metrics"}

// Handler returns the handler of the embedded front end. It is built on the
// first call and shared.
func Handler() http.Handler {
	defaultOnce.Do(func() {
		dist, err := fs.Sub(embedded, "dist")
		if err != nil {
			panic(err) // fs.Sub fails only on an invalid name, a constant here
		}
		defaultHandler = New(dist)
	})
	return defaultHandler
}

var (
	defaultOnce    sync.Once
	defaultHandler *Site
)

// Built reports whether the binary embeds a built front end. The server
// logs a warning at start when it does not.
func Built() bool {
	_, err := fs.Stat(embedded, "dist/index.html")
	return err == nil
}

// Site serves one build of the front end from memory.
type Site struct {
	files map[string]*file // by path without the leading slash
	index *file
	built bool
}

type file struct {
	body        []byte
	gz          []byte // gzip-compressed body, nil when not worth it
	contentType string
	etag        string // of body; the gzip variant appends "-gz"
	immutable   bool   // content-hashed name: cache for good
}

// New returns a Site serving the files of fsys, which holds a Vite build
// (index.html and assets/). Files and directories whose names start with a
// dot are not served. Without index.html every page is the "not built"
// page.
func New(fsys fs.FS) *Site {
	s := &Site{files: map[string]*file{}}
	fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable entry is skipped, not fatal
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		s.files[name] = newFile(name, body, strings.HasPrefix(name, "assets/"))
		return nil
	})
	if f, ok := s.files["index.html"]; ok {
		s.index = f
		s.built = true
	} else {
		page, _ := embedded.ReadFile("dist-missing.html")
		s.index = newFile("index.html", page, false)
	}
	return s
}

func newFile(name string, body []byte, immutable bool) *file {
	sum := sha256.Sum256(body)
	f := &file{body: body, immutable: immutable, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	f.contentType = mime.TypeByExtension(path.Ext(name))
	if f.contentType == "" {
		f.contentType = http.DetectContentType(body)
	}
	if compressible(f.contentType) && len(body) > 1024 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body)*9/10 {
			f.gz = b.Bytes()
		}
	}
	return f
}

func compressible(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasPrefix(mt, "text/") || mt == "application/javascript" || mt == "application/json" ||
		mt == "image/svg+xml" || mt == "application/manifest+json" || mt == "application/wasm"
}

// ServeHTTP serves a file of the build, index.html for client-side routes,
// or 404.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setSecurityHeaders(h)
	p := path.Clean("/" + r.URL.Path)
	for _, prefix := range reserved {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			notFound(w)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(p, "/")
	f, ok := s.files[name]
	switch {
	case ok && name != "index.html":
	case name == "" || name == "index.html" || isClientRoute(name):
		f = s.index
		if !s.built {
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Retry-After", "60")
			w.WriteHeader(http.StatusServiceUnavailable)
			if r.Method == http.MethodGet {
				w.Write(f.body)
			}
			return
		}
	default:
		notFound(w)
		return
	}
	s.serveFile(w, r, f)
}

// isClientRoute reports whether a path that matched no file is one of the
// app's own routes: not under assets/, and with no file extension in its
// last segment (a missing /favicon.ico is a 404, not a page).
func isClientRoute(name string) bool {
	if strings.HasPrefix(name, "assets/") {
		return false
	}
	return !strings.Contains(path.Base(name), ".")
}

func (s *Site) serveFile(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, HEAD without a body,
	// and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	return false
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// Links followed out of a document reveal nothing about it.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// String describes the site for logs.
func (s *Site) String() string {
	if !s.built {
		return "web app (not built: run web/build.sh)"
	}
	return fmt.Sprintf("web app (%d files)", len(s.files))
}
