package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// APIOptions configures the REST API.
type APIOptions struct {
	// SecureCookies marks the session cookie Secure. Set it when Tandem is
	// reached over HTTPS, also behind a TLS-terminating proxy; requests that
	// arrive over TLS get Secure cookies regardless.
	SecureCookies bool
	// MaxBodyBytes bounds a request body (default 1 MiB): larger bodies are
	// answered 413 without being read.
	MaxBodyBytes int64
	// Idempotency stores Idempotency-Key outcomes; without it the header is
	// refused on creates.
	Idempotency tandem.IdempotencyKeys
	// Content reads and edits document content (the content endpoints and
	// creating a document from Markdown or HTML); without it they answer
	// 503.
	Content ContentEngine
	// MaxContentBytes bounds the body of a content upload (default
	// DefaultMaxContentBytes).
	MaxContentBytes int64
	Logger          *slog.Logger
}

// API is Tandem's REST API, /api/v1, over the App service.
type API struct {
	app    *app.App
	opts   APIOptions
	log    *slog.Logger
	routes []*route
}

// SessionCookie is the name of the session cookie; CSRFHeader carries the
// CSRF token that cookie-authenticated writes must present.
const (
	SessionCookie = "tandem_session"
	CSRFHeader    = "X-CSRF-Token"
	apiPrefix     = "/api/v1"
)

// MountAPI registers every /api/v1 route, and the OpenAPI document that
// describes them at /api/v1/openapi.json, on s.
func MountAPI(s *Server, a *app.App, o APIOptions) *API {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxContentBytes <= 0 {
		o.MaxContentBytes = DefaultMaxContentBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	api := &API{app: a, opts: o, log: o.Logger}
	api.routes = api.table()
	for _, rt := range api.routes {
		s.Handle(rt.method+" "+apiPrefix+rt.path, api.handler(rt))
	}
	spec := api.OpenAPI()
	// The document changes only with the binary: clients (code generators,
	// API explorers) may keep it and revalidate with If-None-Match.
	sum := sha256.Sum256(spec)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	s.HandleFunc("GET "+apiPrefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		// ServeContent answers If-None-Match with 304, sets Content-Length
		// (the 115 KB went out chunked before) and serves ranges.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(spec))
	})
	// Anything else under /api/v1 is a problem+json 404 or 405, not the
	// web app.
	s.HandleFunc(apiPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, rt := range api.routes {
			if pathMatches(rt.path, strings.TrimPrefix(r.URL.Path, apiPrefix)) {
				allow = append(allow, rt.method)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteProblem(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "", "this route does not take "+r.Method)
			return
		}
		WriteProblem(w, r, http.StatusNotFound, string(tandem.CodeNotFound), "", "no such API route")
	})
	return api
}

// pathMatches reports whether path fits a route pattern's segments.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// access says what a route needs from the caller.
type access int

const (
	public    access = iota // no credentials needed (sign-up, login, ...)
	principal               // a session, API token or public link
)

// call is one request to a route handler.
type call struct {
	w   http.ResponseWriter
	r   *http.Request
	p   app.Principal
	api *API
	// cookie is true when the principal came from the session cookie.
	cookie bool
	params url.Values // see queryValues
}

// result is what a handler answers: a status and a JSON body (nil for
// none), or raw bytes of contentType (document content).
type result struct {
	status      int
	body        any
	raw         []byte
	contentType string
}

func ok(v any) (result, error)      { return result{status: http.StatusOK, body: v}, nil }
func created(v any) (result, error) { return result{status: http.StatusCreated, body: v}, nil }
func noContent() (result, error)    { return result{status: http.StatusNoContent}, nil }

// route is one API operation; the OpenAPI document is made from the same
// table, so what is served and what is documented are one list.
type route struct {
	method, path string
	id, summary  string
	tag          string
	access       access
	// idempotent routes honour Idempotency-Key (creates).
	idempotent bool
	query      []param
	body       any // a value of the request body type, nil for none
	optBody    bool
	// media lists the request body types the route takes instead of JSON
	// alone (content uploads); large routes take bodies up to
	// MaxContentBytes instead of MaxBodyBytes.
	media []string
	large bool
	// respMedia lists the response body types, when it is not JSON alone.
	respMedia []string
	status    int // success status
	resp      any // a value of the response body type, nil for none
	errors    []int
	h         func(c *call) (result, error)
}

type param struct {
	name, typ, desc string
}

func (api *API) handler(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, api: api}
		if err := api.prepare(c, rt); err != nil {
			api.problem(w, r, err)
			return
		}
		if rt.idempotent && r.Header.Get("Idempotency-Key") != "" {
			api.idempotent(c, rt)
			return
		}
		res, err := rt.h(c)
		if err != nil {
			api.problem(w, r, err)
			return
		}
		writeResult(w, res)
	})
}

func writeResult(w http.ResponseWriter, res result) {
	if res.contentType != "" {
		writeRaw(w, res)
		return
	}
	if res.body == nil {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(res.status)
		return
	}
	writeJSON(w, res.status, res.body)
}

// prepare enforces what every route shares: body size and type, then
// authentication and CSRF.
func (api *API) prepare(c *call, rt *route) error {
	r := c.r
	limit := api.opts.MaxBodyBytes
	if rt.large {
		limit = api.opts.MaxContentBytes
	}
	if r.ContentLength > limit {
		return &tandem.Error{Code: tandem.CodeTooLarge, Message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
	}
	r.Body = http.MaxBytesReader(c.w, r.Body, limit)
	if hasBody(r) {
		// JSON only (or, for content, types no HTML form can send either):
		// an HTML form cannot send them across sites without a CORS
		// preflight, which closes login CSRF too.
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if rt.media != nil {
			if err != nil || !slices.Contains(rt.media, mt) {
				return &tandem.Error{Code: codeUnsupportedMedia, Message: "send the body as " + strings.Join(rt.media, ", ")}
			}
		} else if err != nil || mt != "application/json" {
			return &tandem.Error{Code: codeUnsupportedMedia, Message: "send the body as application/json"}
		}
	}
	if rt.access == public {
		return nil
	}
	creds := tandem.Credentials{}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return tandem.Errorf(tandem.CodeUnauthorized, "use Authorization: Bearer <token>")
		}
		creds.Token = strings.TrimSpace(token)
	} else if ck, err := r.Cookie(SessionCookie); err == nil {
		creds.SessionCookie = ck.Value
		c.cookie = true
	}
	p, err := api.app.Authenticate(r.Context(), creds)
	if err != nil {
		return err
	}
	p.IP = clientIP(r)
	c.p = p
	// The request's user marks its context: with a read replica, the
	// user's reads after their own writes go where those writes are.
	c.r = c.r.WithContext(tandem.WithUser(c.r.Context(), p.UserID))
	if c.cookie && !safeMethod(r.Method) {
		if err := checkCSRF(r, creds.SessionCookie); err != nil {
			return err
		}
	}
	return nil
}

// codeUnsupportedMedia is the HTTP layer's own code for a body that is not
// JSON (415).
const codeUnsupportedMedia tandem.Code = "unsupported_media_type"

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfToken is derived from the session token: the web app gets it when
// it signs in, a page on another site cannot read it, and it cannot be
// turned back into the session token.
func csrfToken(sessionToken string) string {
	h := sha256.Sum256([]byte("tandem-csrf\x00" + sessionToken))
	return hex.EncodeToString(h[:16])
}

// checkCSRF guards cookie-authenticated writes: the request must carry the
// session's CSRF token, and must not come from another site.
func checkCSRF(r *http.Request, sessionToken string) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return tandem.Errorf(tandem.CodeForbidden, "cross-site request refused")
	}
	got := r.Header.Get(CSRFHeader)
	want := csrfToken(sessionToken)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return &tandem.Error{Code: tandem.CodeForbidden, Message: "missing or wrong " + CSRFHeader + " header"}
	}
	return nil
}

// clientIP is the address the request came from (the proxy's, behind one:
// trusting forwarded headers is a deployment decision not made here).
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// statusOf maps domain error codes to HTTP statuses.
func statusOf(code tandem.Code) int {
	switch code {
	case tandem.CodeInvalid:
		return http.StatusBadRequest
	case tandem.CodeUnauthorized, tandem.CodeMFARequired:
		return http.StatusUnauthorized
	case tandem.CodeForbidden:
		return http.StatusForbidden
	case tandem.CodeNotFound:
		return http.StatusNotFound
	case tandem.CodeConflict:
		return http.StatusConflict
	case tandem.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case tandem.CodeRateLimited:
		return http.StatusTooManyRequests
	case tandem.CodeUnavailable:
		return http.StatusServiceUnavailable
	case codeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case codeNotAcceptable:
		return http.StatusNotAcceptable
	}
	return http.StatusInternalServerError
}

// problem writes err as RFC 9457 problem+json. Internal errors are logged
// with the request id and shown to the client only as that id.
func (api *API) problem(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = &tandem.Error{Code: tandem.CodeTooLarge, Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
		return
	}
	code := tandem.ErrorCode(err)
	status := statusOf(code)
	p := Problem{Status: status, Code: string(code)}
	var te *tandem.Error
	if status == http.StatusInternalServerError || !errors.As(err, &te) {
		api.log.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "route", r.Pattern, "error", err)
		p.Code = string(tandem.CodeInternal)
		p.Detail = "an internal error occurred; quote the request id when reporting it"
	} else {
		p.Detail = te.Message
		if te.Field != "" {
			p.Errors = []FieldError{{Field: te.Field, Message: te.Message}}
		}
		if te.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(te.RetryAfter.Seconds()))))
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tandem"`)
	}
	WriteProblemDetail(w, r, p)
}

// decode reads the JSON body into v strictly: one object, known fields
// only, within the size limit.
func (c *call) decode(v any) error {
	if !hasBody(c.r) {
		return tandem.Invalid("body", "a JSON body is required")
	}
	dec := json.NewDecoder(c.r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tandem.Invalid("body", "the body must hold exactly one JSON object")
	}
	return nil
}

// decodeOptional is decode for routes whose body may be left out.
func (c *call) decodeOptional(v any) error {
	if !hasBody(c.r) {
		return nil
	}
	return c.decode(v)
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return tandem.Invalid(field, "must be "+jsonKind(te.Type.Kind().String()))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return tandem.Invalid("body", "malformed JSON")
	case errors.Is(err, io.EOF):
		return tandem.Invalid("body", "a JSON body is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return tandem.Invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	var de *tandem.Error
	if errors.As(err, &de) {
		return err
	}
	return tandem.Invalid("body", "malformed JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "ptr":
		return "a value of the right type"
	}
	return "a number"
}

// The session cookie: HttpOnly (scripts cannot read it), SameSite=Lax
// (other sites' subrequests do not carry it), Secure over HTTPS.
func (api *API) setSession(c *call, token string, expires time.Time) {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: api.opts.SecureCookies || c.r.TLS != nil})
}

func (api *API) clearSession(c *call) {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: api.opts.SecureCookies || c.r.TLS != nil})
}

// idempotent runs a create once per Idempotency-Key: a retry with the same
// key and request gets the first answer again; the same key with another
// request is refused.
func (api *API) idempotent(c *call, rt *route) {
	r := c.r
	key := r.Header.Get("Idempotency-Key")
	if api.opts.Idempotency == nil {
		api.problem(c.w, r, tandem.Invalid("Idempotency-Key", "idempotency keys are not available on this server"))
		return
	}
	if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		api.problem(c.w, r, tandem.Invalid("Idempotency-Key", "use at most 255 printable ASCII characters"))
		return
	}
	if c.p.UserID == "" {
		api.problem(c.w, r, tandem.Errorf(tandem.CodeUnauthorized, "sign in first"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		api.problem(c.w, r, jsonError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", r.Method, r.URL.Path)
	h.Write(body)
	rec := tandem.IdempotencyRecord{OrganizationID: c.p.OrganizationID, UserID: c.p.UserID, Key: key,
		RequestHash: hex.EncodeToString(h.Sum(nil)), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	store := api.opts.Idempotency
	existing, claimed, err := store.ClaimIdempotencyKey(r.Context(), rec)
	if err != nil {
		api.problem(c.w, r, err)
		return
	}
	if !claimed {
		switch {
		case existing.RequestHash != rec.RequestHash:
			api.problem(c.w, r, &tandem.Error{Code: tandem.CodeConflict, Field: "Idempotency-Key", Message: "this key was used for another request"})
		case !existing.Done:
			api.problem(c.w, r, tandem.Errorf(tandem.CodeConflict, "the first request with this key is still running"))
		default:
			c.w.Header().Set("Idempotent-Replayed", "true")
			c.w.Header().Set("Content-Type", "application/json")
			c.w.Header().Set("Cache-Control", "no-store")
			c.w.WriteHeader(existing.Status)
			c.w.Write(existing.Body)
		}
		return
	}
	res, err := rt.h(c)
	// Background context: the outcome must be stored even if the client
	// has gone, or a retry would run the create again.
	bg := context.WithoutCancel(r.Context())
	if err != nil {
		if rerr := store.ReleaseIdempotencyKey(bg, rec.OrganizationID, rec.UserID, key); rerr != nil {
			api.log.ErrorContext(r.Context(), "release idempotency key", "error", rerr)
		}
		api.problem(c.w, r, err)
		return
	}
	var buf bytes.Buffer
	if res.body != nil {
		json.NewEncoder(&buf).Encode(res.body)
	}
	if err := store.CompleteIdempotencyKey(bg, rec.OrganizationID, rec.UserID, key, res.status, buf.Bytes()); err != nil {
		api.log.ErrorContext(r.Context(), "complete idempotency key", "error", err)
	}
	writeResult(c.w, res)
}
