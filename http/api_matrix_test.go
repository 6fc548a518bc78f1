package http

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tandem-docs/tandem"
)

// apiWorld is organization A with a person in every role, organization B's
// owner, and per-case documents; the same cast as app's matrix, reached
// over HTTP with cookies (and CSRF tokens), bearer tokens, a public link,
// and nothing.
type apiWorld struct {
	e                                   *apiEnv
	owner, admin, member, guest         *client
	viewerG, editorG, outsider, readTok *client
	ownerID, memberID, guestID          string
	viewerGID, editorGID, orgA          string
	folder                              string // F: viewerG has viewer on it
}

func newAPIWorld(t *testing.T, e *apiEnv) *apiWorld {
	w := &apiWorld{e: e}
	w.owner, _ = e.signUp()
	w.ownerID = w.owner.id()
	w.admin, _ = e.invite(w.owner, tandem.RoleAdmin)
	w.member, w.memberID = e.invite(w.owner, tandem.RoleMember)
	w.guest, w.guestID = e.invite(w.owner, tandem.RoleGuest)
	w.viewerG, w.viewerGID = e.invite(w.owner, tandem.RoleGuest)
	w.editorG, w.editorGID = e.invite(w.owner, tandem.RoleGuest)
	w.outsider, _ = e.signUp()
	w.orgA = w.owner.principal().OrganizationID
	r := w.owner.do("POST", "/api/v1/folders", map[string]string{"name": "F"})
	wantStatus(t, r, 201)
	w.folder = r.json(t)["id"].(string)
	wantStatus(t, w.owner.do("PUT", "/api/v1/folders/"+w.folder+"/grants/"+w.viewerGID, map[string]string{"role": "viewer"}), 200)
	r = w.owner.do("POST", "/api/v1/tokens", map[string]string{"name": "read", "scope": "read"})
	wantStatus(t, r, 201)
	w.readTok = &client{e: e, bearer: r.json(t)["token"].(string)}
	return w
}

// vars are the per-case values a request path or body refers to.
type vars map[string]string

// prepare makes a fresh case for a request that mentions the {names} in
// uses: always a document in F shared with the editor guest and a public
// link to it; as needed a victim member with a viewer grant on F, an empty
// folder, an owner token, a pending invitation and a trashed document.
func (w *apiWorld) prepare(t *testing.T, uses string) (vars, *client) {
	o := w.owner
	r := o.do("POST", "/api/v1/documents", map[string]string{"title": "Case", "folder_id": w.folder})
	wantStatus(t, r, 201)
	doc := r.json(t)["id"].(string)
	wantStatus(t, o.do("PUT", "/api/v1/documents/"+doc+"/grants/"+w.editorGID, map[string]string{"role": "editor"}), 200)
	r = o.do("POST", "/api/v1/documents/"+doc+"/links", nil)
	wantStatus(t, r, 201)
	lj := r.json(t)
	link := &client{e: w.e, bearer: lj["token"].(string)}
	v := vars{"doc": doc, "link": lj["id"].(string), "folder": w.folder, "org": w.orgA, "guest": w.guestID,
		"editorG": w.editorGID, "viewerG": w.viewerGID, "email": fmt.Sprintf("new%d@example.com", seq.Add(1))}
	if strings.Contains(uses, "{victim}") {
		_, victim := w.e.invite(o, tandem.RoleMember)
		wantStatus(t, o.do("PUT", "/api/v1/folders/"+w.folder+"/grants/"+victim, map[string]string{"role": "viewer"}), 200)
		v["victim"] = victim
	}
	if strings.Contains(uses, "{empty}") {
		r = o.do("POST", "/api/v1/folders", map[string]string{"name": "Empty"})
		wantStatus(t, r, 201)
		v["empty"] = r.json(t)["id"].(string)
	}
	if strings.Contains(uses, "{token}") {
		r = o.do("POST", "/api/v1/tokens", map[string]string{"name": "victim", "scope": "read"})
		wantStatus(t, r, 201)
		v["token"] = r.json(t)["id"].(string)
	}
	if strings.Contains(uses, "{invitation") {
		r = o.do("POST", "/api/v1/invitations", map[string]string{"email": fmt.Sprintf("pending%d@example.com", seq.Add(1)), "role": "member"})
		wantStatus(t, r, 201)
		inv := r.json(t)
		v["invitation"], v["invitation_token"] = inv["id"].(string), inv["token"].(string)
	}
	if strings.Contains(uses, "{trashed}") {
		r = o.do("POST", "/api/v1/documents", map[string]string{"title": "Trashed", "folder_id": w.folder})
		wantStatus(t, r, 201)
		trashed := r.json(t)["id"].(string)
		wantStatus(t, o.do("PUT", "/api/v1/documents/"+trashed+"/grants/"+w.editorGID, map[string]string{"role": "editor"}), 200)
		wantStatus(t, o.do("POST", "/api/v1/documents/"+trashed+"/trash", nil), 204)
		v["trashed"] = trashed
	}
	return v, link
}

// expand replaces {name} in s with v[name].
func expand(s string, v vars) string {
	for k, x := range v {
		s = strings.ReplaceAll(s, "{"+k+"}", x)
	}
	return s
}

// matrixCase is one route with a request and the status each principal
// must get, in the order: owner admin member guest viewer-guest
// editor-guest other-org-owner public-link read-token anonymous.
type matrixCase struct {
	method, path, body string
	want               string
}

// matrixContent is a content upload the matrix sends (as JSON, the type
// its client sends).
const matrixContent = `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"Matrix"}]}]}`

var matrixPrincipals = []string{"owner", "admin", "member", "guest", "viewer-guest", "editor-guest", "other-org-owner", "public-link", "read-token", "anonymous"}

// The matrix: every route that takes credentials. Public routes (sign-up,
// login, invitation lookup and acceptance) are covered by their own tests.
var matrix = []matrixCase{
	{"GET", "/me", "", "200 200 200 200 200 200 200 401 200 401"},
	{"PATCH", "/me", `{"name":"Renamed"}`, "200 200 200 200 200 200 200 401 403 401"},
	{"POST", "/me/password", `{"current_password":"wrong password","new_password":"whatever password"}`, "400 400 400 400 400 400 400 401 403 401"},
	{"POST", "/me/organization", `{"organization_id":"{org}"}`, "200 200 200 200 200 200 404 401 403 401"},
	{"POST", "/me/totp", "", "200 200 200 200 200 200 200 401 403 401"},
	{"POST", "/me/totp/enable", `{"code":"000000"}`, "401 401 401 401 401 401 401 401 403 401"},
	{"POST", "/me/totp/disable", `{"password":"wrong password","code":"000000"}`, "400 400 400 400 400 400 400 401 403 401"},
	{"POST", "/me/totp/recovery-codes", `{"password":"wrong password"}`, "400 400 400 400 400 400 400 401 403 401"},
	{"GET", "/tokens", "", "200 200 200 200 200 200 200 401 403 401"},
	{"POST", "/tokens", `{"name":"t","scope":"read"}`, "201 201 201 201 201 201 201 401 403 401"},
	{"DELETE", "/tokens/{token}", "", "204 404 404 404 404 404 404 401 403 401"},
	{"POST", "/organizations", `{"name":"Another"}`, "201 201 201 201 201 201 201 401 403 401"},
	{"GET", "/organization", "", "200 200 200 200 200 200 200 401 200 401"},
	{"PATCH", "/organization", `{"name":"Org A"}`, "200 200 403 403 403 403 200 401 403 401"},
	{"GET", "/members", "", "200 200 200 403 403 403 200 401 200 401"},
	{"PATCH", "/members/{victim}", `{"role":"guest"}`, "200 200 403 403 403 403 404 401 403 401"},
	{"DELETE", "/members/{victim}", "", "204 204 403 403 403 403 404 401 403 401"},
	{"GET", "/invitations", "", "200 200 403 403 403 403 200 401 200 401"},
	{"POST", "/invitations", `{"email":"{email}","role":"member"}`, "201 201 403 403 403 403 201 401 403 401"},
	{"DELETE", "/invitations/{invitation}", "", "204 204 403 403 403 403 404 401 403 401"},
	{"POST", "/invitations/join", `{"token":"{invitation_token}"}`, "403 403 403 403 403 403 403 401 403 401"},
	{"GET", "/documents", "", "200 200 200 200 200 200 200 401 200 401"},
	{"POST", "/documents", `{"title":"New","folder_id":"{folder}"}`, "201 201 201 404 403 404 404 401 403 401"},
	{"GET", "/documents/{doc}", "", "200 200 200 404 200 200 404 200 200 401"},
	{"PATCH", "/documents/{doc}", `{"title":"Renamed"}`, "200 200 200 404 403 200 404 401 403 401"},
	{"DELETE", "/documents/{doc}", "", "204 204 403 404 403 403 404 401 403 401"},
	{"POST", "/documents/{doc}/duplicate", "", "201 201 201 404 403 404 404 401 403 401"},
	{"POST", "/documents/{doc}/trash", "", "204 204 204 404 403 204 404 401 403 401"},
	{"POST", "/documents/{trashed}/restore", "", "200 200 200 404 403 200 404 401 403 401"},
	{"GET", "/documents/{doc}/content", "", "200 200 200 404 200 200 404 200 200 401"},
	{"PUT", "/documents/{doc}/content", matrixContent, "204 204 204 404 403 204 404 401 403 401"},
	{"POST", "/documents/{doc}/content", matrixContent, "204 204 204 404 403 204 404 401 403 401"},
	{"PUT", "/documents/{doc}/favorite", "", "204 204 204 404 204 204 404 401 403 401"},
	{"DELETE", "/documents/{doc}/favorite", "", "204 204 204 404 204 204 404 401 403 401"},
	{"GET", "/folders", "", "200 200 200 200 200 200 200 401 200 401"},
	{"POST", "/folders", `{"name":"Sub","parent_id":"{folder}"}`, "201 201 201 404 403 404 404 401 403 401"},
	{"GET", "/folders/{folder}", "", "200 200 200 404 200 404 404 404 200 401"},
	{"PATCH", "/folders/{folder}", `{"name":"F"}`, "200 200 200 404 403 404 404 401 403 401"},
	{"DELETE", "/folders/{empty}", "", "204 204 403 404 404 404 404 401 403 401"},
	{"GET", "/documents/{doc}/grants", "", "200 200 200 404 403 200 404 401 200 401"},
	{"PUT", "/documents/{doc}/grants/{guest}", `{"role":"viewer"}`, "200 200 403 404 403 403 404 401 403 401"},
	{"DELETE", "/documents/{doc}/grants/{editorG}", "", "204 204 403 404 403 204 404 401 403 401"},
	{"GET", "/folders/{folder}/grants", "", "200 200 200 404 403 404 404 401 200 401"},
	{"PUT", "/folders/{folder}/grants/{viewerG}", `{"role":"viewer"}`, "200 200 403 404 403 404 404 401 403 401"},
	{"DELETE", "/folders/{folder}/grants/{victim}", "", "204 204 403 404 403 404 404 401 403 401"},
	{"GET", "/documents/{doc}/links", "", "200 200 403 404 403 403 404 401 200 401"},
	{"POST", "/documents/{doc}/links", "", "201 201 403 404 403 403 404 401 403 401"},
	{"DELETE", "/documents/{doc}/links/{link}", "", "204 204 403 404 403 403 404 401 403 401"},
	{"GET", "/audit", "", "200 200 403 403 403 403 200 401 200 401"},
	{"POST", "/auth/logout", "", "204 204 204 204 204 204 204 401 403 401"},
}

func (w *apiWorld) caller(name string, link *client) *client {
	switch name {
	case "owner":
		return w.owner
	case "admin":
		return w.admin
	case "member":
		return w.member
	case "guest":
		return w.guest
	case "viewer-guest":
		return w.viewerG
	case "editor-guest":
		return w.editorG
	case "other-org-owner":
		return w.outsider
	case "public-link":
		return link
	case "read-token":
		return w.readTok
	}
	return w.e.anon()
}

// TestAPIAuthorizationMatrix sends every credentialed route as every kind
// of caller and checks the exact status: no caller gets further than its
// row allows, across roles and organizations. It runs on SQLite and on
// PostgreSQL.
func TestAPIAuthorizationMatrix(t *testing.T) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			testAuthorizationMatrix(t, newAPIEnvOn(t, db))
		})
	}
}

func testAuthorizationMatrix(t *testing.T, e *apiEnv) {
	w := newAPIWorld(t, e)
	for _, mc := range matrix {
		wants := strings.Fields(mc.want)
		if len(wants) != len(matrixPrincipals) {
			t.Fatalf("%s %s: %d outcomes", mc.method, mc.path, len(wants))
		}
		for i, name := range matrixPrincipals {
			if mc.path == "/auth/logout" && i < 7 {
				// Logging out ends the session the rest of the matrix uses:
				// each user logs out a fresh session of theirs instead.
				continue
			}
			v, link := w.prepare(t, mc.path+mc.body)
			c := w.caller(name, link)
			var body any
			if mc.body != "" {
				body = expand(mc.body, v)
			}
			r := c.do(mc.method, "/api/v1"+expand(mc.path, v), body)
			want, _ := strconv.Atoi(wants[i])
			if r.status != want {
				t.Errorf("%s %s as %s: %d, want %d (%s)", mc.method, mc.path, name, r.status, want, r.body)
			}
			if r.status >= 400 && r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s as %s: error without problem+json", mc.method, mc.path, name)
			}
		}
	}
	// Every credentialed route is in the matrix.
	for _, rt := range e.api.routes {
		covered := false
		for _, mc := range matrix {
			covered = covered || mc.method == rt.method && pathMatches(rt.path, mc.path)
		}
		if rt.access == principal && !covered {
			t.Errorf("route %s %s is missing from the authorization matrix", rt.method, rt.path)
		}
	}
	// Logging out, per user, with a fresh session.
	for _, c := range []*client{w.owner, w.admin, w.member, w.guest, w.viewerG, w.editorG, w.outsider} {
		wantStatus(t, c.do("POST", "/api/v1/auth/logout", nil), 204)
		wantStatus(t, c.do("GET", "/api/v1/me", nil), 401)
	}
}

// TestAPIListsStayInTheirTenant checks lists seen over HTTP hold only the
// caller's organization's rows, on each database.
func TestAPIListsStayInTheirTenant(t *testing.T) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			testListsStayInTheirTenant(t, newAPIEnvOn(t, db))
		})
	}
}

func testListsStayInTheirTenant(t *testing.T, e *apiEnv) {
	w := newAPIWorld(t, e)
	v, _ := w.prepare(t, "{trashed}")
	for _, path := range []string{"/documents", "/documents?trashed=true", "/folders", "/members", "/audit", "/invitations"} {
		r := w.outsider.do("GET", "/api/v1"+path, nil)
		wantStatus(t, r, 200)
		for _, id := range []string{v["doc"], v["trashed"], v["folder"], w.ownerID, w.orgA} {
			if strings.Contains(string(r.body), id) {
				t.Errorf("%s as the other organization's owner shows %s", path, id)
			}
		}
	}
	r := w.guest.do("GET", "/api/v1/documents", nil)
	if strings.Contains(string(r.body), v["doc"]) {
		t.Error("a guest without grants lists the document")
	}
	r = w.viewerG.do("GET", "/api/v1/documents", nil)
	if !strings.Contains(string(r.body), v["doc"]) {
		t.Error("a guest with a folder grant does not list the document")
	}
}
