package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

func TestInvitations(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		inv, err := e.app.Invite(ctx, o.p, "New.Person@Example.com", tandem.RoleGuest)
		must(t, err)
		if !strings.HasPrefix(inv.Token, "tdi_") || inv.Email != "new.person@example.com" {
			t.Fatalf("invitation = %+v", inv)
		}
		info, err := e.app.LookupInvitation(ctx, inv.Token)
		must(t, err)
		if info.Email != "new.person@example.com" || info.Role != tandem.RoleGuest || info.HasAccount {
			t.Fatalf("info = %+v", info)
		}
		_, err = e.app.LookupInvitation(ctx, "tdi_wrong")
		wantCode(t, err, tandem.CodeNotFound)
		res, err := e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: "New", Password: "a good password"})
		must(t, err)
		p := e.auth(res.Token)
		if p.Role != tandem.RoleGuest || p.OrganizationID != o.p.OrganizationID {
			t.Fatalf("joined principal = %+v", p)
		}
		// Used once.
		_, err = e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: "Again", Password: "a good password"})
		wantCode(t, err, tandem.CodeNotFound)
		// Inviting a member again is a conflict.
		_, err = e.app.Invite(ctx, o.p, "new.person@example.com", tandem.RoleMember)
		wantCode(t, err, tandem.CodeConflict)

		// An existing account joins a second organization by signing in.
		o2 := e.owner()
		inv2, err := e.app.Invite(ctx, o2.p, "new.person@example.com", tandem.RoleMember)
		must(t, err)
		info, _ = e.app.LookupInvitation(ctx, inv2.Token)
		if !info.HasAccount {
			t.Fatal("LookupInvitation does not see the existing account")
		}
		_, err = e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv2.Token, Name: "Dup", Password: "a good password"})
		wantCode(t, err, tandem.CodeConflict)
		_, err = e.app.JoinInvitation(ctx, o.p, inv2.Token) // someone else's invitation
		wantCode(t, err, tandem.CodeForbidden)
		m, err := e.app.JoinInvitation(ctx, p, inv2.Token)
		must(t, err)
		if m.Organization.ID != o2.p.OrganizationID || m.Role != tandem.RoleMember {
			t.Fatalf("membership = %+v", m)
		}
		me, err := e.app.CurrentUser(ctx, p)
		must(t, err)
		if len(me.Organizations) != 2 {
			t.Fatalf("organizations = %+v", me.Organizations)
		}
		// Switching the session's organization changes what it sees.
		p2, err := e.app.SwitchOrganization(ctx, p, o2.p.OrganizationID)
		must(t, err)
		if p2.OrganizationID != o2.p.OrganizationID || p2.Role != tandem.RoleMember {
			t.Fatalf("switched principal = %+v", p2)
		}
		if again := e.auth(res.Token); again.OrganizationID != o2.p.OrganizationID {
			t.Fatal("switch did not stick to the session")
		}
		_, err = e.app.SwitchOrganization(ctx, p, e.owner().p.OrganizationID)
		wantCode(t, err, tandem.CodeNotFound)

		// Expiry and revocation.
		inv3, err := e.app.Invite(ctx, o.p, "late@example.com", tandem.RoleMember)
		must(t, err)
		inv4, err := e.app.Invite(ctx, o.p, "revoked@example.com", tandem.RoleMember)
		must(t, err)
		list, err := e.app.ListInvitations(ctx, o.p)
		must(t, err)
		if len(list) != 2 {
			t.Fatalf("pending invitations = %d", len(list))
		}
		must(t, e.app.RevokeInvitation(ctx, o.p, inv4.ID))
		_, err = e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv4.Token, Name: "R", Password: "a good password"})
		wantCode(t, err, tandem.CodeNotFound)
		e.clock.Add(8 * 24 * time.Hour)
		_, err = e.app.AcceptInvitation(ctx, app.AcceptInput{Token: inv3.Token, Name: "L", Password: "a good password"})
		wantCode(t, err, tandem.CodeNotFound)
	})
}

func TestRoles(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		admin := e.join(o, tandem.RoleAdmin)
		m := e.join(o, tandem.RoleMember)
		wantCode(t, e.app.SetRole(ctx, admin.p, o.User.ID, tandem.RoleMember), tandem.CodeForbidden)
		wantCode(t, e.app.SetRole(ctx, admin.p, m.User.ID, tandem.RoleOwner), tandem.CodeForbidden)
		must(t, e.app.SetRole(ctx, admin.p, m.User.ID, tandem.RoleAdmin))
		wantCode(t, e.app.SetRole(ctx, admin.p, m.User.ID, "superuser"), tandem.CodeInvalid)
		wantCode(t, e.app.SetRole(ctx, o.p, o.User.ID, tandem.RoleAdmin), tandem.CodeConflict) // last owner
		wantCode(t, e.app.RemoveMember(ctx, o.p, o.User.ID), tandem.CodeConflict)
		// Leaving: anyone may remove themselves.
		must(t, e.app.RemoveMember(ctx, e.auth(m.Token), m.User.ID))
		_, err := e.app.ListMembers(ctx, e.auth(m.Token), "", 10)
		wantCode(t, err, tandem.CodeForbidden)
		// Pagination over members.
		for range 4 {
			e.join(o, tandem.RoleMember)
		}
		var all []string
		cursor := ""
		for {
			page, err := e.app.ListMembers(ctx, o.p, cursor, 2)
			must(t, err)
			for _, it := range page.Items {
				all = append(all, it.Email)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(all) != 6 {
			t.Fatalf("members = %v", all)
		}
		page, _ := e.app.ListAudit(ctx, o.p, tandem.AuditRoleChanged, "", 10)
		if len(page.Items) != 1 || page.Items[0].Details["to"] != "admin" || page.Items[0].ActorID != admin.User.ID {
			t.Fatalf("role change audit = %+v", page.Items)
		}
	})
}

func TestAPITokens(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		exp := e.clock.Now().Add(time.Hour)
		rw, err := e.app.CreateAPIToken(ctx, o.p, "ci", tandem.ScopeReadWrite, &exp)
		must(t, err)
		ro, err := e.app.CreateAPIToken(ctx, o.p, "dash", tandem.ScopeRead, nil)
		must(t, err)
		if !strings.HasPrefix(rw.Token, "tdt_") || !strings.HasPrefix(rw.Token, rw.Prefix) || rw.Hash == "" || strings.Contains(rw.Hash, rw.Token) {
			t.Fatalf("token = %+v", rw)
		}
		past := e.clock.Now().Add(-time.Minute)
		_, err = e.app.CreateAPIToken(ctx, o.p, "old", tandem.ScopeRead, &past)
		wantCode(t, err, tandem.CodeInvalid)
		_, err = e.app.CreateAPIToken(ctx, o.p, "x", "admin", nil)
		wantCode(t, err, tandem.CodeInvalid)

		prw, pro := e.auth(rw.Token), e.auth(ro.Token)
		d, err := e.app.CreateDocument(ctx, prw, "by token", "")
		must(t, err)
		_, err = e.app.CreateDocument(ctx, pro, "read only", "")
		wantCode(t, err, tandem.CodeForbidden)
		v, err := e.app.GetDocument(ctx, pro, d.ID)
		must(t, err)
		if v.Role != tandem.DocRoleViewer {
			t.Fatalf("read token sees role %s", v.Role)
		}
		list, err := e.app.ListAPITokens(ctx, o.p)
		must(t, err)
		if len(list) != 2 {
			t.Fatalf("tokens = %+v", list)
		}
		_, err = e.app.ListAPITokens(ctx, prw)
		wantCode(t, err, tandem.CodeForbidden)
		e.clock.Add(time.Hour)
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: rw.Token})
		wantCode(t, err, tandem.CodeUnauthorized)
		must(t, e.app.DeleteAPIToken(ctx, o.p, ro.ID))
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: ro.Token})
		wantCode(t, err, tandem.CodeUnauthorized)
		other := e.owner()
		wantCode(t, e.app.DeleteAPIToken(ctx, other.p, rw.ID), tandem.CodeNotFound)
	})
}

func TestDocumentListing(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		m := e.join(o, tandem.RoleMember)
		f, err := e.app.CreateFolder(ctx, o.p, "Projects", "")
		must(t, err)
		var ids []string
		for i := range 7 {
			e.clock.Add(time.Second)
			folder := ""
			if i%2 == 0 {
				folder = f.ID
			}
			d, err := e.app.CreateDocument(ctx, o.p, fmt.Sprintf("Doc %c", 'G'-i), folder)
			must(t, err)
			ids = append(ids, d.ID)
		}
		e.clock.Add(time.Second)
		since := e.clock.Now()
		mine, err := e.app.CreateDocument(ctx, m.p, "", "")
		must(t, err)
		if mine.Title != "Untitled" {
			t.Fatalf("empty title became %q", mine.Title)
		}
		collect := func(o2 app.ListOptions) []string {
			t.Helper()
			var out []string
			for range 20 {
				page, err := e.app.ListDocuments(ctx, m.p, o2)
				must(t, err)
				for _, it := range page.Items {
					out = append(out, it.Title)
				}
				if page.NextCursor == "" {
					return out
				}
				o2.Cursor = page.NextCursor
			}
			t.Fatal("no end")
			return nil
		}
		byUpdated := collect(app.ListOptions{Limit: 3})
		if want := []string{"Untitled", "Doc A", "Doc B", "Doc C", "Doc D", "Doc E", "Doc F", "Doc G"}; !slices.Equal(byUpdated, want) {
			t.Fatalf("by updated = %v, want %v", byUpdated, want)
		}
		byTitle := collect(app.ListOptions{Limit: 2, Sort: tandem.SortTitle})
		if want := []string{"Doc A", "Doc B", "Doc C", "Doc D", "Doc E", "Doc F", "Doc G", "Untitled"}; !slices.Equal(byTitle, want) {
			t.Fatalf("by title = %v", byTitle)
		}
		top := ""
		if got := collect(app.ListOptions{Folder: &f.ID, Sort: tandem.SortTitle}); !slices.Equal(got, []string{"Doc A", "Doc C", "Doc E", "Doc G"}) {
			t.Fatalf("in folder = %v", got)
		}
		if got := collect(app.ListOptions{Folder: &top, Sort: tandem.SortTitle}); !slices.Equal(got, []string{"Doc B", "Doc D", "Doc F", "Untitled"}) {
			t.Fatalf("at top = %v", got)
		}
		if got := collect(app.ListOptions{CreatedBy: m.User.ID}); !slices.Equal(got, []string{"Untitled"}) {
			t.Fatalf("by creator = %v", got)
		}
		if got := collect(app.ListOptions{UpdatedSince: since}); !slices.Equal(got, []string{"Untitled"}) {
			t.Fatalf("updated since = %v", got)
		}
		must(t, e.app.SetFavorite(ctx, m.p, ids[3], true))
		if got := collect(app.ListOptions{FavoritesOnly: true}); !slices.Equal(got, []string{"Doc D"}) {
			t.Fatalf("favorites = %v", got)
		}
		must(t, e.app.SetFavorite(ctx, m.p, ids[3], false))
		must(t, e.app.SetFavorite(ctx, m.p, ids[3], false)) // idempotent

		// Bad options are invalid, not ignored.
		bad := "not-an-id"
		for _, o2 := range []app.ListOptions{{Limit: 201}, {Limit: -1}, {Sort: "random"}, {Cursor: "!!!"}, {Folder: &bad}, {CreatedBy: "x"},
			{Cursor: collectCursor(t, e, m.p, tandem.SortUpdated), Sort: tandem.SortTitle}} {
			_, err := e.app.ListDocuments(ctx, m.p, o2)
			wantCode(t, err, tandem.CodeInvalid)
		}
	})
}

func collectCursor(t *testing.T, e *env, p app.Principal, sort tandem.DocumentSort) string {
	page, err := e.app.ListDocuments(ctx, p, app.ListOptions{Limit: 1, Sort: sort})
	must(t, err)
	if page.NextCursor == "" {
		t.Fatal("no cursor")
	}
	return page.NextCursor
}

// memContent is an in-memory document content store: the real one (the
// document log) is another package's; this one records what the App asks
// of it and can be told to fail.
type memContent struct {
	mu      sync.Mutex
	docs    map[string]string
	failing bool
}

func (c *memContent) CopyDocument(_ context.Context, org, from, to string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing {
		return errors.New("content store down")
	}
	c.docs[to] = c.docs[from]
	return nil
}

func (c *memContent) DeleteDocument(_ context.Context, org, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.docs, id)
	return nil
}

func TestDocumentLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			content := &memContent{docs: map[string]string{}}
			e := newEnv(t, b.open(t), func(c *app.Config) { c.Content = content })
			o := e.owner()
			a, err := e.app.CreateFolder(ctx, o.p, "A", "")
			must(t, err)
			bf, err := e.app.CreateFolder(ctx, o.p, "B", a.ID)
			must(t, err)
			if len(bf.Path) != 2 || bf.Path[0].ID != a.ID {
				t.Fatalf("path = %+v", bf.Path)
			}
			_, err = e.app.MoveFolder(ctx, o.p, a.ID, bf.ID)
			wantCode(t, err, tandem.CodeInvalid)
			d, err := e.app.CreateDocument(ctx, o.p, "  Plan \t", bf.ID)
			must(t, err)
			if d.Title != "Plan" {
				t.Fatalf("title = %q", d.Title)
			}
			_, err = e.app.RenameDocument(ctx, o.p, d.ID, "bad\x07title")
			wantCode(t, err, tandem.CodeInvalid)
			_, err = e.app.RenameDocument(ctx, o.p, d.ID, strings.Repeat("t", 301))
			wantCode(t, err, tandem.CodeInvalid)
			content.docs[d.ID] = "hello"

			dup, err := e.app.DuplicateDocument(ctx, o.p, d.ID, "", "")
			must(t, err)
			if dup.Title != "Plan (copy)" || dup.FolderID != "" || content.docs[dup.ID] != "hello" {
				t.Fatalf("duplicate = %+v, content %q", dup, content.docs[dup.ID])
			}
			content.failing = true
			_, err = e.app.DuplicateDocument(ctx, o.p, d.ID, "", "")
			if err == nil {
				t.Fatal("duplicate with a failing content store succeeded")
			}
			content.failing = false
			page, _ := e.app.ListDocuments(ctx, o.p, app.ListOptions{})
			if len(page.Items) != 2 {
				t.Fatalf("a failed duplicate left a document behind: %d documents", len(page.Items))
			}

			// Trash, restore, the trash list, retention.
			must(t, e.app.TrashDocument(ctx, o.p, d.ID))
			_, err = e.app.RenameDocument(ctx, o.p, d.ID, "x")
			wantCode(t, err, tandem.CodeConflict)
			trash, _ := e.app.ListDocuments(ctx, o.p, app.ListOptions{Trashed: true})
			if len(trash.Items) != 1 || trash.Items[0].ID != d.ID {
				t.Fatalf("trash = %+v", trash.Items)
			}
			// An empty folder goes; one with a document in its trash too.
			wantCode(t, e.app.DeleteFolder(ctx, o.p, a.ID), tandem.CodeConflict)
			must(t, e.app.DeleteFolder(ctx, o.p, bf.ID))
			v, err := e.app.RestoreDocument(ctx, o.p, d.ID)
			must(t, err)
			if v.TrashedAt != nil || v.FolderID != "" {
				t.Fatalf("restored = %+v", v)
			}
			must(t, e.app.TrashDocument(ctx, o.p, d.ID))
			e.clock.Add(31 * 24 * time.Hour)
			_, err = e.app.RestoreDocument(ctx, o.p, d.ID)
			wantCode(t, err, tandem.CodeNotFound)
			n, err := e.app.PurgeTrash(ctx, 100)
			must(t, err)
			if n != 1 {
				t.Fatalf("purged %d", n)
			}
			if _, ok := content.docs[d.ID]; ok {
				t.Fatal("purge left the content")
			}
			_, err = e.app.GetDocument(ctx, o.p, d.ID)
			wantCode(t, err, tandem.CodeNotFound)

			// Permanent delete takes content along and is audited.
			must(t, e.app.DeleteDocument(ctx, o.p, dup.ID))
			if _, ok := content.docs[dup.ID]; ok {
				t.Fatal("delete left the content")
			}
			audit, _ := e.app.ListAudit(ctx, o.p, "", "", 100)
			counts := map[tandem.AuditAction]int{}
			for _, ev := range audit.Items {
				counts[ev.Action]++
			}
			if counts[tandem.AuditDocumentTrashed] != 2 || counts[tandem.AuditDocumentRestored] != 1 || counts[tandem.AuditDocumentDeleted] != 2 ||
				counts[tandem.AuditFolderDeleted] != 1 || counts[tandem.AuditLinkCreated] != 0 {
				t.Fatalf("audit = %v", counts)
			}
		})
	}
}

func TestFolderSharingInherits(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		g := e.join(o, tandem.RoleGuest)
		top, _ := e.app.CreateFolder(ctx, o.p, "Top", "")
		mid, _ := e.app.CreateFolder(ctx, o.p, "Mid", top.ID)
		d, _ := e.app.CreateDocument(ctx, o.p, "Deep", mid.ID)
		_, err := e.app.GetDocument(ctx, g.p, d.ID)
		wantCode(t, err, tandem.CodeNotFound)
		_, err = e.app.Share(ctx, o.p, tandem.ResourceFolder, top.ID, g.User.ID, tandem.DocRoleEditor)
		must(t, err)
		v, err := e.app.GetDocument(ctx, g.p, d.ID)
		must(t, err)
		if v.Role != tandem.DocRoleEditor {
			t.Fatalf("inherited role = %s", v.Role)
		}
		// Guests with editor access to a folder may create in it.
		gd, err := e.app.CreateDocument(ctx, g.p, "guest doc", mid.ID)
		must(t, err)
		if gd.Role != tandem.DocRoleOwner {
			t.Fatalf("creator role = %s", gd.Role)
		}
		grants, err := e.app.ListGrants(ctx, g.p, tandem.ResourceFolder, top.ID)
		must(t, err)
		if len(grants) != 1 || grants[0].Email != g.email {
			t.Fatalf("grants = %+v", grants)
		}
		_, err = e.app.Share(ctx, o.p, tandem.ResourceFolder, top.ID, e.owner().User.ID, tandem.DocRoleViewer)
		wantCode(t, err, tandem.CodeNotFound) // not a member of this organization
		_, err = e.app.Share(ctx, o.p, tandem.ResourceFolder, top.ID, g.User.ID, "admin")
		wantCode(t, err, tandem.CodeInvalid)
		_, err = e.app.Share(ctx, o.p, "space", top.ID, g.User.ID, tandem.DocRoleViewer)
		wantCode(t, err, tandem.CodeInvalid)
		// Moving the document out of the shared tree takes the access away.
		_, err = e.app.MoveDocument(ctx, o.p, d.ID, "")
		must(t, err)
		_, err = e.app.GetDocument(ctx, g.p, d.ID)
		wantCode(t, err, tandem.CodeNotFound)
	})
}

func TestDefaultPasswordParams(t *testing.T) {
	e := newEnv(t, backends[0].open(t), func(c *app.Config) { c.Password = app.PasswordParams{} })
	o := e.owner()
	start := time.Now()
	_, err := e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
	must(t, err)
	t.Logf("login with the default argon2id parameters took %v", time.Since(start))
	hash := o.User.PasswordHash
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Fatalf("hash = %q", hash)
	}
}

func TestLimits(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		for i := range app.MaxAPITokens {
			if _, err := e.app.CreateAPIToken(ctx, o.p, fmt.Sprint("t", i), tandem.ScopeRead, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.app.CreateAPIToken(ctx, o.p, "one too many", tandem.ScopeRead, nil)
		wantCode(t, err, tandem.CodeConflict)
		d, _ := e.app.CreateDocument(ctx, o.p, "d", "")
		for range app.MaxPublicLinks {
			if _, err := e.app.CreatePublicLink(ctx, o.p, d.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.app.CreatePublicLink(ctx, o.p, d.ID, nil)
		wantCode(t, err, tandem.CodeConflict)
	})
}

// TestInvitationLimit checks the cap on pending invitations per
// organization: the invitation after the limit is refused until one is
// revoked, accepted or expired.
func TestInvitationLimit(t *testing.T) {
	const limit = 5
	forEach(t, func(t *testing.T, e *env) {
		e = newEnv(t, e.stores, func(c *app.Config) { c.MaxPendingInvitations = limit })
		o := e.owner()
		other := e.owner()
		var first app.NewInvitation
		for i := range limit {
			inv, err := e.app.Invite(ctx, o.p, fmt.Sprintf("pending%d@example.com", i), tandem.RoleGuest)
			must(t, err)
			if i == 0 {
				first = inv
			}
		}
		_, err := e.app.Invite(ctx, o.p, "one-too-many@example.com", tandem.RoleGuest)
		wantCode(t, err, tandem.CodeConflict)
		if !strings.Contains(err.Error(), "at most 5 pending invitations") {
			t.Fatalf("error = %v", err)
		}
		// Other organizations are not affected.
		_, err = e.app.Invite(ctx, other.p, "elsewhere@example.com", tandem.RoleGuest)
		must(t, err)
		// A revoked invitation frees a place, and so does an accepted one.
		must(t, e.app.RevokeInvitation(ctx, o.p, first.ID))
		accepted, err := e.app.Invite(ctx, o.p, "one-too-many@example.com", tandem.RoleGuest)
		must(t, err)
		_, err = e.app.Invite(ctx, o.p, "two-too-many@example.com", tandem.RoleGuest)
		wantCode(t, err, tandem.CodeConflict)
		_, err = e.app.AcceptInvitation(ctx, app.AcceptInput{Token: accepted.Token, Name: "A", Password: "a good password"})
		must(t, err)
		_, err = e.app.Invite(ctx, o.p, "two-too-many@example.com", tandem.RoleGuest)
		must(t, err)
		// Expired invitations no longer count.
		e.clock.Add(8 * 24 * time.Hour)
		_, err = e.app.Invite(ctx, o.p, "three-too-many@example.com", tandem.RoleGuest)
		must(t, err)
		list, err := e.app.ListInvitations(ctx, o.p)
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("%d pending invitations after the others expired", len(list))
		}
	})
}

// TestInvitationLimitDefault checks that the default limit is
// MaxPendingInvitations. It fills an organization with 1,000 invitations,
// so it runs on PostgreSQL only: SQLite syncs each of them to disk, which
// takes ten times as long, through the same SQL (package sqlstore).
func TestInvitationLimitDefault(t *testing.T) {
	var pg backend
	for _, b := range backends {
		if b.name == "postgres" {
			pg = b
		}
	}
	e := newEnv(t, pg.open(t))
	o := e.owner()
	for i := range app.MaxPendingInvitations {
		_, err := e.app.Invite(ctx, o.p, fmt.Sprintf("pending%d@example.com", i), tandem.RoleGuest)
		must(t, err)
	}
	_, err := e.app.Invite(ctx, o.p, "one-too-many@example.com", tandem.RoleGuest)
	wantCode(t, err, tandem.CodeConflict)
}
