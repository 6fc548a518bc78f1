package app_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/sqlite"
)

// world is two organizations with people in every role, built once per
// backend; each matrix case adds a fresh document to it.
type world struct {
	e        *env
	owner    person // owner of A
	admin    person
	member   person
	guest    person // no grants
	viewerG  person // viewer grant on folder F (so on everything in it)
	editorG  person // editor grant on each case's document
	outsider person // owner of organization B
	readTok  app.Principal
	folder   tandem.Folder // F, where case documents live
	folder2  tandem.Folder // a move destination
}

func newWorld(t *testing.T, e *env) *world {
	w := &world{e: e}
	w.owner = e.owner()
	w.admin = e.join(w.owner, tandem.RoleAdmin)
	w.member = e.join(w.owner, tandem.RoleMember)
	w.guest = e.join(w.owner, tandem.RoleGuest)
	w.viewerG = e.join(w.owner, tandem.RoleGuest)
	w.editorG = e.join(w.owner, tandem.RoleGuest)
	w.outsider = e.owner()
	f, err := e.app.CreateFolder(ctx, w.owner.p, "F", "")
	must(t, err)
	w.folder = f.Folder
	f2, err := e.app.CreateFolder(ctx, w.owner.p, "F2", "")
	must(t, err)
	w.folder2 = f2.Folder
	_, err = e.app.Share(ctx, w.owner.p, tandem.ResourceFolder, w.folder.ID, w.viewerG.User.ID, tandem.DocRoleViewer)
	must(t, err)
	tok, err := e.app.CreateAPIToken(ctx, w.owner.p, "read", tandem.ScopeRead, nil)
	must(t, err)
	w.readTok = e.auth(tok.Token)
	return w
}

// target is one case's document, with a public link to it.
type target struct {
	doc  tandem.Document
	link app.Principal
	// victim is a fresh member to change roles of or remove.
	victim person
}

func (w *world) target(t *testing.T) target {
	e := w.e
	d, err := e.app.CreateDocument(ctx, w.owner.p, "Case doc", w.folder.ID)
	must(t, err)
	_, err = e.app.Share(ctx, w.owner.p, tandem.ResourceDocument, d.ID, w.editorG.User.ID, tandem.DocRoleEditor)
	must(t, err)
	l, err := e.app.CreatePublicLink(ctx, w.owner.p, d.ID, nil)
	must(t, err)
	return target{doc: d.Document, link: e.auth(l.Token)}
}

// Outcomes: ok, or the error code the operation must fail with.
const (
	ok     tandem.Code = "ok"
	nf                 = tandem.CodeNotFound
	forb               = tandem.CodeForbidden
	unauth             = tandem.CodeUnauthorized
)

// The principals of the matrix, in column order.
var principals = []string{"owner", "admin", "member", "guest", "viewer-guest", "editor-guest", "other-org-owner", "public-link", "read-token"}

func (w *world) principal(name string, tg target) app.Principal {
	switch name {
	case "owner":
		return w.owner.p
	case "admin":
		return w.admin.p
	case "member":
		return w.member.p
	case "guest":
		return w.guest.p
	case "viewer-guest":
		return w.viewerG.p
	case "editor-guest":
		return w.editorG.p
	case "other-org-owner":
		return w.outsider.p
	case "public-link":
		return tg.link
	case "read-token":
		return w.readTok
	}
	panic(name)
}

type op struct {
	name string
	// prepare adjusts the target before the operation (optional).
	prepare func(t *testing.T, w *world, tg *target)
	run     func(w *world, p app.Principal, tg target) error
	// want lists the outcome for each principal, in principals order.
	want [9]tandem.Code
}

func docOps() []op {
	return []op{
		{name: "GetDocument",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.GetDocument(ctx, p, tg.doc.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, ok, ok, nf, ok, ok}},
		{name: "RenameDocument",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.RenameDocument(ctx, p, tg.doc.ID, "renamed")
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, ok, nf, unauth, forb}},
		{name: "MoveDocument",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.MoveDocument(ctx, p, tg.doc.ID, w.folder2.ID)
				return err
			},
			// The editor guest may edit the document but has no access to
			// the destination folder.
			want: [9]tandem.Code{ok, ok, ok, nf, forb, nf, nf, unauth, forb}},
		{name: "DuplicateDocument",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.DuplicateDocument(ctx, p, tg.doc.ID, "", w.folder.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, nf, nf, unauth, forb}},
		{name: "TrashDocument",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.TrashDocument(ctx, p, tg.doc.ID)
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, ok, nf, unauth, forb}},
		{name: "RestoreDocument",
			prepare: func(t *testing.T, w *world, tg *target) {
				must(t, w.e.app.TrashDocument(ctx, w.owner.p, tg.doc.ID))
			},
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.RestoreDocument(ctx, p, tg.doc.ID)
				return err
			},
			// A public link stops working while its document is in the trash.
			want: [9]tandem.Code{ok, ok, ok, nf, forb, ok, nf, unauth, forb}},
		{name: "DeleteDocument",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.DeleteDocument(ctx, p, tg.doc.ID)
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, forb, nf, unauth, forb}},
		{name: "SetFavorite",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.SetFavorite(ctx, p, tg.doc.ID, true)
			},
			want: [9]tandem.Code{ok, ok, ok, nf, ok, ok, nf, unauth, forb}},
		{name: "ShareDocument",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.Share(ctx, p, tandem.ResourceDocument, tg.doc.ID, w.guest.User.ID, tandem.DocRoleViewer)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, forb, nf, unauth, forb}},
		{name: "UnshareDocument",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.Unshare(ctx, p, tandem.ResourceDocument, tg.doc.ID, w.editorG.User.ID)
			},
			// The editor guest may drop their own grant.
			want: [9]tandem.Code{ok, ok, forb, nf, forb, ok, nf, unauth, forb}},
		{name: "ListGrants",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.ListGrants(ctx, p, tandem.ResourceDocument, tg.doc.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, ok, nf, unauth, ok}},
		{name: "CreatePublicLink",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.CreatePublicLink(ctx, p, tg.doc.ID, nil)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, forb, nf, unauth, forb}},
		{name: "ListPublicLinks",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.ListPublicLinks(ctx, p, tg.doc.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, forb, nf, unauth, ok}},
		{name: "RevokePublicLink",
			run: func(w *world, p app.Principal, tg target) error {
				links, err := w.e.app.ListPublicLinks(ctx, w.owner.p, tg.doc.ID)
				if err != nil || len(links) != 1 {
					return fmt.Errorf("setup: %v %d links", err, len(links))
				}
				return w.e.app.RevokePublicLink(ctx, p, tg.doc.ID, links[0].ID)
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, forb, nf, unauth, forb}},
		{name: "CreateDocumentInFolder",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.CreateDocument(ctx, p, "new", w.folder.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, nf, nf, unauth, forb}},
		{name: "CreateDocumentAtTop",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.CreateDocument(ctx, p, "new", "")
				return err
			},
			// The other organization's owner creates in their own organization.
			want: [9]tandem.Code{ok, ok, ok, forb, forb, forb, ok, unauth, forb}},
		{name: "GetFolder",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.GetFolder(ctx, p, w.folder.ID)
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, ok, nf, nf, nf, ok}},
		{name: "RenameFolder",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.RenameFolder(ctx, p, w.folder.ID, "F")
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, nf, forb, nf, nf, unauth, forb}},
		{name: "ShareFolder",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.Share(ctx, p, tandem.ResourceFolder, w.folder.ID, w.viewerG.User.ID, tandem.DocRoleViewer)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, nf, forb, nf, nf, unauth, forb}},
		{name: "Authorize",
			run: func(w *world, p app.Principal, tg target) error {
				return nil // checked in TestAuthorizeMatrix
			},
			want: [9]tandem.Code{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
	}
}

func orgOps() []op {
	victim := func(t *testing.T, w *world, tg *target) { tg.victim = w.e.join(w.owner, tandem.RoleMember) }
	return []op{
		{name: "ListMembers",
			run: func(w *world, p app.Principal, tg target) error {
				page, err := w.e.app.ListMembers(ctx, p, "", 200)
				if err == nil {
					for _, m := range page.Items {
						if m.OrganizationID != p.OrganizationID {
							return fmt.Errorf("member of another organization listed")
						}
					}
				}
				return err
			},
			want: [9]tandem.Code{ok, ok, ok, forb, forb, forb, ok, unauth, ok}},
		{name: "Invite",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.Invite(ctx, p, fmt.Sprintf("inv%d@example.com", userSeq.Add(1)), tandem.RoleMember)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, ok, unauth, forb}},
		{name: "InviteOwner",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.Invite(ctx, p, fmt.Sprintf("inv%d@example.com", userSeq.Add(1)), tandem.RoleOwner)
				return err
			},
			want: [9]tandem.Code{ok, forb, forb, forb, forb, forb, ok, unauth, forb}},
		{name: "SetRole", prepare: victim,
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.SetRole(ctx, p, tg.victim.User.ID, tandem.RoleGuest)
			},
			// Someone of another organization: as if there were no such member.
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, nf, unauth, forb}},
		{name: "PromoteToOwner", prepare: victim,
			run: func(w *world, p app.Principal, tg target) error {
				err := w.e.app.SetRole(ctx, p, tg.victim.User.ID, tandem.RoleOwner)
				if err == nil { // leave A with its one owner for DemoteOwner
					if err := w.e.app.RemoveMember(ctx, w.owner.p, tg.victim.User.ID); err != nil {
						return fmt.Errorf("cleanup: %w", err)
					}
				}
				return err
			},
			want: [9]tandem.Code{ok, forb, forb, forb, forb, forb, nf, unauth, forb}},
		{name: "DemoteOwner",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.SetRole(ctx, p, w.owner.User.ID, tandem.RoleMember)
			},
			// The owner is the last owner: conflict, not success.
			want: [9]tandem.Code{tandem.CodeConflict, forb, forb, forb, forb, forb, nf, unauth, forb}},
		{name: "RemoveMember", prepare: victim,
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.RemoveMember(ctx, p, tg.victim.User.ID)
			},
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, nf, unauth, forb}},
		{name: "ListInvitations",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.ListInvitations(ctx, p)
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, ok, unauth, ok}},
		{name: "ListAudit",
			run: func(w *world, p app.Principal, tg target) error {
				page, err := w.e.app.ListAudit(ctx, p, "", "", 200)
				if err == nil {
					for _, ev := range page.Items {
						if ev.OrganizationID != p.OrganizationID {
							return fmt.Errorf("audit event of another organization listed")
						}
					}
				}
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, ok, unauth, ok}},
		{name: "UpdateOrganization",
			run: func(w *world, p app.Principal, tg target) error {
				name := "Renamed"
				_, err := w.e.app.UpdateOrganization(ctx, p, app.OrganizationUpdate{Name: &name})
				return err
			},
			want: [9]tandem.Code{ok, ok, forb, forb, forb, forb, ok, unauth, forb}},
		{name: "CreateAPIToken",
			run: func(w *world, p app.Principal, tg target) error {
				_, err := w.e.app.CreateAPIToken(ctx, p, "t", tandem.ScopeReadWrite, nil)
				return err
			},
			// Tokens never mint tokens.
			want: [9]tandem.Code{ok, ok, ok, ok, ok, ok, ok, unauth, forb}},
		{name: "ChangePassword",
			run: func(w *world, p app.Principal, tg target) error {
				return w.e.app.ChangePassword(ctx, p, "wrong password!", "whatever password")
			},
			// Sessions get past the principal check to the password check.
			want: [9]tandem.Code{tandem.CodeInvalid, tandem.CodeInvalid, tandem.CodeInvalid, tandem.CodeInvalid, tandem.CodeInvalid,
				tandem.CodeInvalid, tandem.CodeInvalid, unauth, forb}},
	}
}

// TestAuthorizationMatrix runs every operation as every kind of principal
// against a fresh document of organization A and checks the exact outcome:
// no principal may do more than its row allows, across roles and across
// organizations.
func TestAuthorizationMatrix(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		for _, o := range append(docOps(), orgOps()...) {
			for i, name := range principals {
				tg := w.target(t)
				if o.prepare != nil {
					o.prepare(t, w, &tg)
				}
				err := o.run(w, w.principal(name, tg), tg)
				got := ok
				if err != nil {
					got = tandem.ErrorCode(err)
				}
				if got != o.want[i] {
					t.Errorf("%s as %s: got %s (%v), want %s", o.name, name, got, err, o.want[i])
				}
			}
		}
	})
}

// TestListVisibility checks who sees a document in lists: the list
// operations must agree with GetDocument.
func TestListVisibility(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		tg := w.target(t)
		sees := map[string]bool{"owner": true, "admin": true, "member": true, "guest": false, "viewer-guest": true,
			"editor-guest": true, "other-org-owner": false, "read-token": true}
		for name, want := range sees {
			p := w.principal(name, tg)
			page, err := e.app.ListDocuments(ctx, p, app.ListOptions{Limit: 200})
			must(t, err)
			found := slices.ContainsFunc(page.Items, func(it app.DocumentListItem) bool { return it.ID == tg.doc.ID })
			if found != want {
				t.Errorf("%s sees the document in lists: %v, want %v", name, found, want)
			}
			for _, it := range page.Items {
				if it.OrganizationID != p.OrganizationID {
					t.Errorf("%s sees a document of another organization", name)
				}
				v, err := e.app.GetDocument(ctx, p, it.ID)
				if err != nil {
					t.Errorf("%s lists %s but may not get it: %v", name, it.ID, err)
				} else if it.Role != v.Role {
					// A list says what opening the document says.
					t.Errorf("%s lists %s with role %q, GetDocument says %q", name, it.ID, it.Role, v.Role)
				}
			}
			folders, err := e.app.ListFolders(ctx, p, "")
			must(t, err)
			for _, f := range folders {
				if _, err := e.app.GetFolder(ctx, p, f.ID); err != nil {
					t.Errorf("%s lists folder %s but may not get it: %v", name, f.Name, err)
				}
			}
		}
		_, err := e.app.ListDocuments(ctx, tg.link, app.ListOptions{})
		wantCode(t, err, tandem.CodeUnauthorized)

		// With default access none, members see only what is theirs or shared.
		none := tandem.DocRoleNone
		_, err = e.app.UpdateOrganization(ctx, w.owner.p, app.OrganizationUpdate{DefaultAccess: &none})
		must(t, err)
		member := e.auth(w.member.Token)
		_, err = e.app.GetDocument(ctx, member, tg.doc.ID)
		wantCode(t, err, tandem.CodeNotFound)
		page, err := e.app.ListDocuments(ctx, member, app.ListOptions{})
		must(t, err)
		if len(page.Items) != 0 {
			t.Fatalf("member with no default access lists %d documents", len(page.Items))
		}
		mine, err := e.app.CreateDocument(ctx, member, "mine", "")
		must(t, err)
		page, _ = e.app.ListDocuments(ctx, member, app.ListOptions{})
		if len(page.Items) != 1 || page.Items[0].ID != mine.ID {
			t.Fatalf("member lists %+v, want only their own document", page.Items)
		}
	})
}

// TestAuthorizeMatrix checks the realtime service's answer per principal,
// and that it follows changes at once.
func TestAuthorizeMatrix(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		w := newWorld(t, e)
		tg := w.target(t)
		creds := map[string]string{"owner": w.owner.Token, "admin": w.admin.Token, "member": w.member.Token, "guest": w.guest.Token,
			"viewer-guest": w.viewerG.Token, "editor-guest": w.editorG.Token, "other-org-owner": w.outsider.Token}
		want := map[string]tandem.Access{"owner": tandem.AccessReadWrite, "admin": tandem.AccessReadWrite, "member": tandem.AccessReadWrite,
			"guest": tandem.AccessNone, "viewer-guest": tandem.AccessReadOnly, "editor-guest": tandem.AccessReadWrite, "other-org-owner": tandem.AccessNone}
		for name, token := range creds {
			az, err := e.app.Authorize(ctx, tandem.Credentials{SessionCookie: token}, tg.doc.ID)
			if az.Access != want[name] {
				t.Errorf("Authorize as %s = %v (%v), want %v", name, az.Access, err, want[name])
			}
			if az.Access == tandem.AccessNone && tandem.ErrorCode(err) != tandem.CodeNotFound {
				t.Errorf("Authorize as %s: denial error %v, want not_found", name, err)
			}
		}
		links, _ := e.app.ListPublicLinks(ctx, w.owner.p, tg.doc.ID)
		ro, err := e.app.CreateAPIToken(ctx, w.member.p, "ro", tandem.ScopeRead, nil)
		must(t, err)
		az, err := e.app.Authorize(ctx, tandem.Credentials{Token: ro.Token}, tg.doc.ID)
		must(t, err)
		if az.Access != tandem.AccessReadOnly {
			t.Fatalf("read-only token: %v", az.Access)
		}
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: "tds_bogus"}, tg.doc.ID)
		wantCode(t, err, tandem.CodeUnauthorized)
		// The realtime convention: denials are Access none without an error.
		for _, c := range []tandem.Credentials{{Token: "tds_bogus"}, {SessionCookie: w.guest.Token}, {SessionCookie: w.outsider.Token}} {
			az, err := e.app.AuthorizeRealtime(ctx, c, tg.doc.ID)
			if err != nil || az.Access != tandem.AccessNone {
				t.Fatalf("AuthorizeRealtime(%+v) = %+v, %v", c, az, err)
			}
		}
		if az, err := e.app.AuthorizeRealtime(ctx, tandem.Credentials{SessionCookie: w.editorG.Token}, tg.doc.ID); err != nil || az.Access != tandem.AccessReadWrite || az.Name == "" {
			t.Fatalf("AuthorizeRealtime for the editor guest = %+v, %v", az, err)
		}
		_, err = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.owner.Token}, "../../etc/passwd")
		wantCode(t, err, tandem.CodeNotFound)

		// A link: read-only on its document, nothing elsewhere; revoked, nothing.
		lt, err := e.app.CreatePublicLink(ctx, w.owner.p, tg.doc.ID, nil)
		must(t, err)
		az, err = e.app.Authorize(ctx, tandem.Credentials{Token: lt.Token}, tg.doc.ID)
		must(t, err)
		if az.Access != tandem.AccessReadOnly || az.UserID != "" {
			t.Fatalf("public link: %+v", az)
		}
		other := w.target(t)
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: lt.Token}, other.doc.ID)
		wantCode(t, err, tandem.CodeNotFound)
		e.takeChanges()
		must(t, e.app.RevokePublicLink(ctx, w.owner.p, tg.doc.ID, lt.ID))
		if ch := e.takeChanges(); len(ch) != 1 || ch[0].DocumentID != tg.doc.ID {
			t.Fatalf("changes after revoking a link: %+v", ch)
		}
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: lt.Token}, tg.doc.ID)
		wantCode(t, err, tandem.CodeUnauthorized)
		_ = links

		// An expiring link stops at its expiry.
		exp := e.clock.Now().Add(time.Hour)
		el, err := e.app.CreatePublicLink(ctx, w.owner.p, tg.doc.ID, &exp)
		must(t, err)
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: el.Token}, tg.doc.ID)
		must(t, err)
		e.clock.Add(time.Hour)
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: el.Token}, tg.doc.ID)
		wantCode(t, err, tandem.CodeUnauthorized)

		// Lowering a role takes effect at once, and listeners hear of it.
		e.takeChanges()
		must(t, e.app.SetRole(ctx, w.owner.p, w.member.User.ID, tandem.RoleGuest))
		if ch := e.takeChanges(); len(ch) != 1 || ch[0].UserID != w.member.User.ID || ch[0].OrganizationID != w.owner.p.OrganizationID {
			t.Fatalf("changes after demotion: %+v", ch)
		}
		az, err = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.member.Token}, tg.doc.ID)
		if az.Access != tandem.AccessNone {
			t.Fatalf("demoted member still has %v (%v)", az.Access, err)
		}
		// Revoking a share, likewise.
		must(t, e.app.Unshare(ctx, w.owner.p, tandem.ResourceDocument, tg.doc.ID, w.editorG.User.ID))
		if ch := e.takeChanges(); len(ch) != 1 || ch[0].UserID != w.editorG.User.ID || ch[0].DocumentID != tg.doc.ID {
			t.Fatalf("changes after unshare: %+v", ch)
		}
		az, _ = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.editorG.Token}, tg.doc.ID)
		if az.Access != tandem.AccessNone {
			t.Fatalf("unshared guest still has %v", az.Access)
		}
		// Removing a member: their token stops working too.
		must(t, e.app.RemoveMember(ctx, w.owner.p, w.member.User.ID))
		if ch := e.takeChanges(); len(ch) != 1 || ch[0].UserID != w.member.User.ID {
			t.Fatalf("changes after removal: %+v", ch)
		}
		_, err = e.app.Authorize(ctx, tandem.Credentials{Token: ro.Token}, tg.doc.ID)
		wantCode(t, err, tandem.CodeUnauthorized)
		_, err = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.member.Token}, tg.doc.ID)
		wantCode(t, err, tandem.CodeNotFound)
		// A trashed document is read-only for everyone.
		must(t, e.app.TrashDocument(ctx, w.owner.p, tg.doc.ID))
		az, err = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.owner.Token}, tg.doc.ID)
		must(t, err)
		if az.Access != tandem.AccessReadOnly {
			t.Fatalf("trashed document: %v", az.Access)
		}
		// Logout closes: the session no longer authorizes anything.
		must(t, e.app.Logout(ctx, e.auth(w.admin.Token)))
		_, err = e.app.Authorize(ctx, tandem.Credentials{SessionCookie: w.admin.Token}, tg.doc.ID)
		wantCode(t, err, tandem.CodeUnauthorized)
	})
}

// TestAuthorizeWhenStoreIsDown: a failure to decide is an error, never a
// silent "no access" nor a grant.
func TestAuthorizeWhenStoreIsDown(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "down.db"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, st.Stores())
	o := e.owner()
	d, err := e.app.CreateDocument(ctx, o.p, "d", "")
	must(t, err)
	db.Close()
	az, err := e.app.AuthorizeRealtime(ctx, tandem.Credentials{SessionCookie: o.Token}, d.ID)
	if err == nil || az.Access != tandem.AccessNone {
		t.Fatalf("with the store down: %+v, %v", az, err)
	}
	if code := tandem.ErrorCode(err); code != tandem.CodeInternal {
		t.Fatalf("error code %s, want internal", code)
	}
}
