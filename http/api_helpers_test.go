package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/sqlite"
)

// apiEnv is the API on a real database behind a real HTTP server, with
// the realtime service (collab) over a real document log as its content
// engine, mounted at /collab as in a server with both roles.
type apiEnv struct {
	t      *testing.T
	app    *app.App
	api    *API
	stores tandem.Stores
	docs   tandem.DocumentLog
	rt     *collab.Server
	url    string
}

// databases are the storage backends the API tests can run on.
var databases = []string{"sqlite", "postgres"}

// newAPIEnv is the API on SQLite in a temporary file.
func newAPIEnv(t *testing.T, opts ...func(*app.Config, *APIOptions)) *apiEnv {
	return newAPIEnvOn(t, "sqlite", opts...)
}

// newAPIEnvOn is the API on the named database: "sqlite", or "postgres"
// for a fresh PostgreSQL database (postgres/pgtest) dropped at the end.
func newAPIEnvOn(t *testing.T, database string, opts ...func(*app.Config, *APIOptions)) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, database, collab.Config{}, opts...)
}

// newAPIEnvWith is newAPIEnvOn with the realtime service configured by rtCfg.
func newAPIEnvWith(t *testing.T, database string, rtCfg collab.Config, opts ...func(*app.Config, *APIOptions)) *apiEnv {
	t.Helper()
	stores, docs := openStores(t, database)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &apiEnv{t: t, stores: stores, docs: docs}
	cfg := app.Config{Stores: stores, Password: app.PasswordParams{Memory: 256, Time: 1, Threads: 1}, OpenSignUp: true, Logger: logger}
	o := APIOptions{Idempotency: stores.Idempotency, Logger: logger}
	auth := collab.AuthorizerFunc(func(ctx context.Context, c tandem.Credentials, document string) (collab.Grant, error) {
		az, err := e.app.AuthorizeRealtime(ctx, c, document)
		return collab.Grant{UserID: az.UserID, UserName: az.Name, Access: az.Access}, err
	})
	rt, err := collab.New(rtCfg, docs, auth, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Content = rt
	for _, f := range opts {
		f(&cfg, &o)
	}
	if e.app, err = app.New(cfg); err != nil {
		t.Fatal(err)
	}
	s := NewServer(logger, prometheus.NewRegistry())
	e.api = MountAPI(s, e.app, o)
	s.Handle("/collab/", rt)
	ts := httptest.NewServer(s.server.Handler)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Shutdown(ctx)
		ts.Close()
	})
	e.rt, e.url = rt, ts.URL
	return e
}

// openStores opens the App stores and the document log on one database.
func openStores(t *testing.T, database string) (tandem.Stores, tandem.DocumentLog) {
	ctx := context.Background()
	switch database {
	case "sqlite":
		dir := t.TempDir()
		db, err := sqlite.Open(filepath.Join(dir, "api.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st, err := sqlite.OpenAppStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		ddb, err := sqlite.Open(filepath.Join(dir, "documents.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ddb.Close() })
		docs, err := sqlite.NewDocumentLog(ctx, ddb)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { docs.Close() })
		return st.Stores(), docs
	case "postgres":
		db, err := postgres.Open(ctx, pgtest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		st, err := postgres.OpenAppStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := postgres.NewDocumentLog(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return st.Stores(), docs
	}
	t.Fatalf("unknown database %q", database)
	return tandem.Stores{}, nil
}

// client is one caller: a browser with a session cookie and its CSRF
// token, a bearer token, or nobody.
type client struct {
	e      *apiEnv
	cookie string // session cookie value
	csrf   string
	bearer string
	// noCSRF leaves the CSRF header out.
	noCSRF bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends a request; body is JSON-encoded unless it is a string or nil.
func (c *client) do(method, path string, body any, hdr ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.url+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.cookie})
		if !c.noCSRF {
			req.Header.Set(CSRFHeader, c.csrf)
		}
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *apiEnv) anon() *client { return &client{e: e} }

// browser makes a client from a sign-up or login response.
func (e *apiEnv) browser(r response) *client {
	e.t.Helper()
	var cookie string
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == SessionCookie {
			cookie = ck.Value
		}
	}
	var body struct {
		CSRFToken string `json:"csrf_token"`
		Session   *struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"session"`
	}
	json.Unmarshal(r.body, &body)
	csrf := body.CSRFToken
	if body.Session != nil {
		csrf = body.Session.CSRFToken
	}
	if cookie == "" || csrf == "" {
		e.t.Fatalf("no session in %v", r)
	}
	return &client{e: e, cookie: cookie, csrf: csrf}
}

var seq atomic.Int64

// signUp creates an organization and its owner through the API.
func (e *apiEnv) signUp() (*client, string) {
	e.t.Helper()
	email := fmt.Sprintf("owner%d@example.com", seq.Add(1))
	r := e.anon().do("POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": "correct horse battery",
		"name": "Owner", "organization_name": "Org " + email})
	if r.status != 201 {
		e.t.Fatalf("signup: %v", r)
	}
	return e.browser(r), email
}

// invite adds a user with role to by's organization through the API.
func (e *apiEnv) invite(by *client, role tandem.Role) (*client, string) {
	e.t.Helper()
	email := fmt.Sprintf("user%d@example.com", seq.Add(1))
	r := by.do("POST", "/api/v1/invitations", map[string]string{"email": email, "role": string(role)})
	if r.status != 201 {
		e.t.Fatalf("invite: %v", r)
	}
	token := r.json(e.t)["token"].(string)
	r = e.anon().do("POST", "/api/v1/invitations/accept", map[string]string{"token": token, "name": "User", "password": "another good password"})
	if r.status != 201 {
		e.t.Fatalf("accept: %v", r)
	}
	c := e.browser(r)
	return c, c.id()
}

// id is the user id of a browser client.
func (c *client) id() string {
	c.e.t.Helper()
	r := c.do("GET", "/api/v1/me", nil)
	if r.status != 200 {
		c.e.t.Fatalf("me: %v", r)
	}
	return r.json(c.e.t)["user"].(map[string]any)["id"].(string)
}

// principal authenticates a browser client for direct App calls.
func (c *client) principal() app.Principal {
	c.e.t.Helper()
	p, err := c.e.app.Authenticate(context.Background(), tandem.Credentials{SessionCookie: c.cookie, Token: c.bearer})
	if err != nil {
		c.e.t.Fatal(err)
	}
	return p
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// wantProblem checks an RFC 9457 answer with a stable code and request id.
func wantProblem(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	m := r.json(t)
	if m["code"] != code || m["request_id"] == "" || m["request_id"] != r.header.Get("X-Request-Id") || m["status"] != float64(status) {
		t.Fatalf("problem = %v (X-Request-Id %q), want code %q", m, r.header.Get("X-Request-Id"), code)
	}
	return m
}

var _ = time.Second

func newRecorderWithID() *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-Id", "rid-1")
	return rec
}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}
