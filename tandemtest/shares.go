package tandemtest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestShares is the contract of tandem.Shares.
func TestShares(t *testing.T, open OpenStores) {
	ctx := context.Background()

	t.Run("GrantsAndInheritance", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		S := s.Shares
		a := f.folder(t, "", "A")
		b := f.folder(t, a.ID, "B")
		c := f.folder(t, b.ID, "C")
		d := f.doc(t, c.ID, "deep", now)
		guest := f.member(t, tandem.RoleGuest)
		other := f.member(t, tandem.RoleMember)
		grant := func(rt tandem.ResourceType, id string, u tandem.User, role tandem.DocRole) error {
			return S.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: rt, ResourceID: id, UserID: u.ID,
				Role: role, CreatedBy: f.owner.ID, CreatedAt: now})
		}
		role := func(u tandem.User) tandem.DocRole {
			t.Helper()
			got, r, err := S.DocumentAccess(ctx, f.org.ID, d.ID, u.ID)
			must(t, err)
			if got.ID != d.ID || got.Title != "deep" {
				t.Fatalf("DocumentAccess document = %+v", got)
			}
			return r
		}
		equal(t, "no grant", role(guest), tandem.DocRoleNone)
		must(t, grant(tandem.ResourceFolder, a.ID, guest, tandem.DocRoleViewer))
		equal(t, "grant three folders up", role(guest), tandem.DocRoleViewer)
		must(t, grant(tandem.ResourceFolder, b.ID, guest, tandem.DocRoleEditor))
		equal(t, "highest grant wins", role(guest), tandem.DocRoleEditor)
		must(t, grant(tandem.ResourceDocument, d.ID, guest, tandem.DocRoleCommenter))
		equal(t, "document grant lower than folder grant", role(guest), tandem.DocRoleEditor)
		must(t, grant(tandem.ResourceDocument, d.ID, guest, tandem.DocRoleOwner)) // replaces
		equal(t, "replaced document grant", role(guest), tandem.DocRoleOwner)
		equal(t, "another user", role(other), tandem.DocRoleNone)
		equal(t, "no user (public link)", func() tandem.DocRole {
			_, r, err := S.DocumentAccess(ctx, f.org.ID, d.ID, "")
			must(t, err)
			return r
		}(), tandem.DocRoleNone)
		_, _, err := S.DocumentAccess(ctx, g.org.ID, d.ID, guest.ID)
		wantCode(t, err, tandem.CodeNotFound)

		fo, r, err := S.FolderAccess(ctx, f.org.ID, c.ID, guest.ID)
		must(t, err)
		if fo.ID != c.ID || r != tandem.DocRoleEditor {
			t.Fatalf("FolderAccess(C) = %v, %v", fo.ID, r)
		}
		_, r, _ = S.FolderAccess(ctx, f.org.ID, a.ID, guest.ID)
		equal(t, "FolderAccess(A)", r, tandem.DocRoleViewer)
		_, _, err = S.FolderAccess(ctx, g.org.ID, a.ID, guest.ID)
		wantCode(t, err, tandem.CodeNotFound)

		// Moving the document out of the tree takes the inherited grants away.
		must(t, s.Documents.MoveDocument(ctx, f.org.ID, d.ID, "", now))
		must(t, S.DeleteGrant(ctx, f.org.ID, tandem.ResourceDocument, d.ID, guest.ID))
		equal(t, "after move and revoke", role(guest), tandem.DocRoleNone)
		wantCode(t, S.DeleteGrant(ctx, f.org.ID, tandem.ResourceDocument, d.ID, guest.ID), tandem.CodeNotFound)

		list, err := S.Grants(ctx, f.org.ID, tandem.ResourceFolder, b.ID)
		must(t, err)
		if len(list) != 1 || list[0].UserID != guest.ID || list[0].Role != tandem.DocRoleEditor || list[0].Email != guest.Email || list[0].Name != guest.Name {
			t.Fatalf("Grants = %+v", list)
		}
		list, _ = S.Grants(ctx, g.org.ID, tandem.ResourceFolder, b.ID)
		equal(t, "grants seen from another organization", len(list), 0)

		// Only existing resources of the organization, only its members.
		wantCode(t, grant(tandem.ResourceDocument, tandem.NewID(), guest, tandem.DocRoleViewer), tandem.CodeNotFound)
		wantCode(t, grant(tandem.ResourceDocument, d.ID, g.owner, tandem.DocRoleViewer), tandem.CodeNotFound)
		gd := g.doc(t, "", "theirs", now)
		wantCode(t, grant(tandem.ResourceDocument, gd.ID, guest, tandem.DocRoleViewer), tandem.CodeNotFound)
		wantCode(t, grant("bogus", d.ID, guest, tandem.DocRoleViewer), tandem.CodeInvalid)
	})

	t.Run("PublicLinks", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		S := s.Shares
		d := f.doc(t, "", "public", now)
		exp := at(time.Hour)
		l := tandem.PublicLink{ID: tandem.NewID(), OrganizationID: f.org.ID, DocumentID: d.ID, TokenHash: "lh", Prefix: "tdl_ab",
			CreatedBy: f.owner.ID, CreatedAt: now, ExpiresAt: &exp}
		must(t, S.CreatePublicLink(ctx, l))
		bad := l
		bad.ID, bad.TokenHash, bad.OrganizationID = tandem.NewID(), "lh2", g.org.ID
		wantCode(t, S.CreatePublicLink(ctx, bad), tandem.CodeNotFound)
		got, err := S.PublicLinkByHash(ctx, "lh")
		must(t, err)
		if got.ID != l.ID || got.DocumentID != d.ID || got.OrganizationID != f.org.ID || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil {
			t.Fatalf("PublicLinkByHash = %+v", got)
		}
		list, _ := S.PublicLinks(ctx, f.org.ID, d.ID)
		equal(t, "links", len(list), 1)
		list, _ = S.PublicLinks(ctx, g.org.ID, d.ID)
		equal(t, "links from another organization", len(list), 0)
		wantCode(t, S.RevokePublicLink(ctx, g.org.ID, l.ID, now), tandem.CodeNotFound)
		must(t, S.RevokePublicLink(ctx, f.org.ID, l.ID, at(time.Minute)))
		wantCode(t, S.RevokePublicLink(ctx, f.org.ID, l.ID, now), tandem.CodeNotFound)
		got, _ = S.PublicLinkByHash(ctx, "lh")
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Minute)) {
			t.Fatalf("revoked link = %+v", got)
		}
	})
}
