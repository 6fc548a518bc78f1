package http

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

func TestAPISessionCookieAndCSRF(t *testing.T) {
	e := newAPIEnv(t)
	r := e.anon().do("POST", "/api/v1/auth/signup", map[string]string{"email": "a@example.com", "password": "correct horse battery",
		"name": "A", "organization_name": "Acme"})
	wantStatus(t, r, 201)
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == SessionCookie {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || ck.Expires.IsZero() {
		t.Fatalf("session cookie = %+v", ck)
	}
	if !strings.HasPrefix(ck.Value, "tds_") || strings.Contains(string(r.body), ck.Value) {
		t.Fatal("the session token is not in the cookie only")
	}
	b := e.browser(r)

	// Reads need no CSRF token; cookie writes do.
	wantStatus(t, b.do("GET", "/api/v1/me", nil), 200)
	b.noCSRF = true
	wantProblem(t, b.do("POST", "/api/v1/documents", map[string]string{"title": "x"}), 403, "forbidden")
	b.noCSRF = false
	wrong := *b
	wrong.csrf = strings.Repeat("0", 32)
	wantProblem(t, wrong.do("POST", "/api/v1/documents", map[string]string{"title": "x"}), 403, "forbidden")
	wantProblem(t, b.do("POST", "/api/v1/documents", map[string]string{"title": "x"}, "Sec-Fetch-Site", "cross-site"), 403, "forbidden")
	wantStatus(t, b.do("POST", "/api/v1/documents", map[string]string{"title": "x"}, "Sec-Fetch-Site", "same-origin"), 201)
	// A CSRF token of another session does not fit.
	other, _ := e.signUp()
	mixed := *b
	mixed.csrf = other.csrf
	wantProblem(t, mixed.do("DELETE", "/api/v1/tokens/"+tandem.NewID(), nil), 403, "forbidden")
	// GET /me gives the web app its CSRF token back after a reload.
	if me := b.do("GET", "/api/v1/me", nil).json(t); me["csrf_token"] != b.csrf {
		t.Fatalf("me csrf_token = %v", me["csrf_token"])
	}

	// Logout revokes the session on the server and clears the cookie.
	r = b.do("POST", "/api/v1/auth/logout", nil)
	wantStatus(t, r, 204)
	if !strings.Contains(r.header.Get("Set-Cookie"), SessionCookie+"=;") || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout Set-Cookie = %q", r.header.Get("Set-Cookie"))
	}
	p := wantProblem(t, b.do("GET", "/api/v1/me", nil), 401, "unauthorized")
	_ = p
	wantProblem(t, e.anon().do("GET", "/api/v1/me", nil), 401, "unauthorized")
	bad := &client{e: e, bearer: "nonsense"}
	wantProblem(t, bad.do("GET", "/api/v1/me", nil), 401, "unauthorized")
	r = e.anon().do("GET", "/api/v1/me", nil, "Authorization", "Basic YTpi")
	wantProblem(t, r, 401, "unauthorized")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}

func TestAPISecureCookieBehindTLS(t *testing.T) {
	e := newAPIEnv(t, func(_ *app.Config, o *APIOptions) { o.SecureCookies = true })
	r := e.anon().do("POST", "/api/v1/auth/signup", map[string]string{"email": "a@example.com", "password": "correct horse battery",
		"name": "A", "organization_name": "Acme"})
	wantStatus(t, r, 201)
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Fatalf("Set-Cookie = %q", sc)
	}
}

func TestAPILoginPasswordChangeAndRateLimit(t *testing.T) {
	e := newAPIEnv(t)
	b, email := e.signUp()
	r := e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password"})
	m := wantProblem(t, r, 401, "unauthorized")
	r2 := e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password"})
	if m["detail"] != wantProblem(t, r2, 401, "unauthorized")["detail"] {
		t.Fatal("login failures differ for unknown accounts")
	}
	r = e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	wantStatus(t, r, 200)
	if r.json(t)["mfa_required"] != false {
		t.Fatalf("login = %s", r.body)
	}
	second := e.browser(r)

	// Changing the password ends the other session, keeps this one.
	wantProblem(t, second.do("POST", "/api/v1/me/password", map[string]string{"current_password": "nope nope nope", "new_password": "brand new password"}), 400, "invalid")
	wantStatus(t, second.do("POST", "/api/v1/me/password", map[string]string{"current_password": "correct horse battery", "new_password": "brand new password"}), 204)
	wantProblem(t, b.do("GET", "/api/v1/me", nil), 401, "unauthorized")
	wantStatus(t, second.do("GET", "/api/v1/me", nil), 200)

	// Repeated failures: 429 with Retry-After, even for the right password.
	for range 6 {
		e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password"})
	}
	r = e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "brand new password"})
	wantProblem(t, r, 429, "rate_limited")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
}

func TestAPITwoFactor(t *testing.T) {
	e := newAPIEnv(t)
	b, email := e.signUp()
	r := b.do("POST", "/api/v1/me/totp", nil)
	wantStatus(t, r, 200)
	secret := r.json(t)["secret"].(string)
	code := func() string {
		c, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wantProblem(t, b.do("POST", "/api/v1/me/totp/enable", map[string]string{"code": "12345x"}), 401, "unauthorized")
	r = b.do("POST", "/api/v1/me/totp/enable", map[string]string{"code": code()})
	wantStatus(t, r, 200)
	codes := r.json(t)["recovery_codes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %v", codes)
	}
	if me := b.do("GET", "/api/v1/me", nil).json(t); me["user"].(map[string]any)["totp_enabled"] != true {
		t.Fatal("totp_enabled not shown")
	}
	r = e.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	wantStatus(t, r, 200)
	lj := r.json(t)
	if lj["mfa_required"] != true || lj["session"] != nil || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("login with 2FA = %s (Set-Cookie %q)", r.body, r.header.Get("Set-Cookie"))
	}
	mfa := lj["mfa_token"].(string)
	wantProblem(t, e.anon().do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": mfa, "code": "000000"}), 401, "unauthorized")
	r = e.anon().do("POST", "/api/v1/auth/login/mfa", map[string]string{"mfa_token": mfa, "code": codes[0].(string)})
	wantStatus(t, r, 200)
	wantStatus(t, e.browser(r).do("GET", "/api/v1/me", nil), 200)
	// The MFA token is not a session.
	wantProblem(t, (&client{e: e, bearer: mfa}).do("GET", "/api/v1/me", nil), 401, "unauthorized")
}

func TestAPITokens(t *testing.T) {
	e := newAPIEnv(t)
	b, _ := e.signUp()
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	r := b.do("POST", "/api/v1/tokens", map[string]any{"name": "ci", "scope": "read_write", "expires_at": exp})
	wantStatus(t, r, 201)
	rw := r.json(t)
	secret := rw["token"].(string)
	r = b.do("POST", "/api/v1/tokens", map[string]any{"name": "dash", "scope": "read"})
	wantStatus(t, r, 201)
	ro := &client{e: e, bearer: r.json(t)["token"].(string)}
	tok := &client{e: e, bearer: secret}

	wantStatus(t, tok.do("POST", "/api/v1/documents", map[string]string{"title": "by token"}), 201) // no CSRF for bearer
	wantStatus(t, ro.do("GET", "/api/v1/documents", nil), 200)
	wantProblem(t, ro.do("POST", "/api/v1/documents", map[string]string{"title": "no"}), 403, "forbidden")
	wantProblem(t, tok.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "scope": "read"}), 403, "forbidden")
	list := b.do("GET", "/api/v1/tokens", nil)
	wantStatus(t, list, 200)
	if strings.Contains(string(list.body), secret) {
		t.Fatal("token list shows a secret")
	}
	if items := list.json(t)["items"].([]any); len(items) != 2 || items[0].(map[string]any)["token"] != nil {
		t.Fatalf("tokens = %s", list.body)
	}
	wantStatus(t, b.do("DELETE", "/api/v1/tokens/"+rw["id"].(string), nil), 204)
	wantProblem(t, tok.do("GET", "/api/v1/documents", nil), 401, "unauthorized")
	wantProblem(t, b.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "scope": "admin"}), 400, "invalid")
}

func TestAPIValidation(t *testing.T) {
	e := newAPIEnv(t, func(_ *app.Config, o *APIOptions) { o.MaxBodyBytes = 4096 })
	b, _ := e.signUp()
	for _, c := range []struct {
		name, body, field string
	}{
		{"malformed", `{"title": `, "body"},
		{"not an object", `[1,2]`, "body"},
		{"two objects", `{"title":"a"}{"title":"b"}`, "body"},
		{"unknown field", `{"title":"a","colour":"red"}`, "colour"},
		{"wrong type", `{"title": 42}`, "title"},
		{"bad folder id", `{"title":"a","folder_id":"../x"}`, "folder_id"},
		{"control characters", `{"title":"a\u0000b"}`, "title"},
	} {
		m := wantProblem(t, b.do("POST", "/api/v1/documents", c.body), 400, "invalid")
		errs, _ := m["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: errors = %v, want field %q", c.name, m["errors"], c.field)
		}
	}
	// (Creating a document takes bodies up to MaxContentBytes, for its
	// content; a folder does not.)
	wantProblem(t, b.do("POST", "/api/v1/folders", `{"name":"`+strings.Repeat("x", 5000)+`"}`), 413, "too_large")
	r := b.do("POST", "/api/v1/documents", "title=x", "Content-Type", "application/x-www-form-urlencoded")
	wantProblem(t, r, 415, "unsupported_media_type")
	wantProblem(t, b.do("POST", "/api/v1/me/password", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents?limit=lots", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents?limit=1000", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents?updated_since=yesterday", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents?sort=random", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents?cursor=!!!", nil), 400, "invalid")
	wantProblem(t, b.do("GET", "/api/v1/documents/not-an-id", nil), 404, "not_found")
	wantProblem(t, b.do("GET", "/api/v1/nothing/here", nil), 404, "not_found")
	r = b.do("PUT", "/api/v1/documents", nil)
	wantProblem(t, r, 405, "method_not_allowed")
	if r.header.Get("Allow") != "GET, POST" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	wantProblem(t, b.do("PATCH", "/api/v1/documents/"+tandem.NewID(), `{}`), 400, "invalid")
}

func TestAPIIdempotencyKey(t *testing.T) {
	e := newAPIEnv(t)
	b, _ := e.signUp()
	body := map[string]string{"title": "once"}
	r1 := b.do("POST", "/api/v1/documents", body, "Idempotency-Key", "k-1")
	wantStatus(t, r1, 201)
	r2 := b.do("POST", "/api/v1/documents", body, "Idempotency-Key", "k-1")
	wantStatus(t, r2, 201)
	if r1.json(t)["id"] != r2.json(t)["id"] || r2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry created again: %s vs %s", r1.body, r2.body)
	}
	wantProblem(t, b.do("POST", "/api/v1/documents", map[string]string{"title": "other"}, "Idempotency-Key", "k-1"), 409, "conflict")
	list := b.do("GET", "/api/v1/documents", nil).json(t)["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d documents after retries", len(list))
	}
	// Another user's key space is separate.
	c, _ := e.signUp()
	r3 := c.do("POST", "/api/v1/documents", body, "Idempotency-Key", "k-1")
	wantStatus(t, r3, 201)
	if r3.json(t)["id"] == r1.json(t)["id"] {
		t.Fatal("idempotency keys leak between users")
	}
	// A failed create is not remembered: fixing the request works.
	wantProblem(t, b.do("POST", "/api/v1/folders", map[string]string{"name": ""}, "Idempotency-Key", "k-2"), 400, "invalid")
	wantStatus(t, b.do("POST", "/api/v1/folders", map[string]string{"name": "ok"}, "Idempotency-Key", "k-2"), 201)
	wantProblem(t, b.do("POST", "/api/v1/documents", body, "Idempotency-Key", strings.Repeat("k", 300)), 400, "invalid")
	wantProblem(t, b.do("POST", "/api/v1/documents", body, "Idempotency-Key", "has space"), 400, "invalid")
}

func TestAPIInternalErrorsHideDetails(t *testing.T) {
	e := newAPIEnv(t)
	r := httptestProblem(e, fmt.Errorf("disk on fire at /var/lib/secret"))
	m := wantProblem(t, r, 500, "internal")
	if strings.Contains(string(r.body), "disk on fire") {
		t.Fatalf("internal detail leaked: %v", m)
	}
}

// httptestProblem renders err through the API's problem writer.
func httptestProblem(e *apiEnv, err error) response {
	req, _ := http.NewRequest("GET", "/api/v1/x", nil)
	rec := newRecorderWithID()
	e.api.problem(rec, req.WithContext(withRequestID(req.Context(), "rid-1")), err)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}
