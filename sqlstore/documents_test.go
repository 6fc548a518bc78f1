package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/postgres/pgtest"
	"github.com/tandem-docs/tandem/sqlite"
)

// TestListedDocumentsAreWhole checks that ListDocuments, which reads only
// the columns a page needs and fills the rest from the query, gives every
// listed document exactly as Document gives it: organization, folder,
// times, and the trash fields in the trash; and that the favorite mark is
// right in every kind of list, on both databases.
func TestListedDocumentsAreWhole(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(t *testing.T) tandem.Stores
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(db.name, func(t *testing.T) { testListedDocumentsAreWhole(t, db.open(t)) })
	}
}

func testListedDocumentsAreWhole(t *testing.T, s tandem.Stores) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 123456000, time.UTC)
	owner := tandem.User{ID: tandem.NewID(), Email: "owner@example.com", Name: "Owner", PasswordHash: "x",
		PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	org := tandem.Organization{ID: tandem.NewID(), Name: "Org", DefaultAccess: tandem.DocRoleEditor, CreatedAt: now}
	must(t, s.Organizations.SignUp(ctx, owner, org, false))
	guest := tandem.User{ID: tandem.NewID(), Email: "guest@example.com", Name: "Guest", PasswordHash: "x",
		PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: org.ID, Email: guest.Email, Role: tandem.RoleGuest,
		TokenHash: tandem.NewID(), InvitedBy: owner.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.Organizations.CreateInvitation(ctx, inv, 10))
	must(t, s.Organizations.AcceptInvitation(ctx, inv.ID, guest, true, now))
	folder := tandem.Folder{ID: tandem.NewID(), OrganizationID: org.ID, Name: "F", CreatedBy: owner.ID, CreatedAt: now, UpdatedAt: now}
	must(t, s.Documents.CreateFolder(ctx, folder))

	var docs []tandem.Document
	for i, f := range []string{"", folder.ID, "", folder.ID, ""} {
		at := now.Add(time.Duration(i) * time.Minute)
		d := tandem.Document{ID: tandem.NewID(), OrganizationID: org.ID, FolderID: f, Title: "Doc " + string(rune('A'+i)),
			CreatedBy: owner.ID, CreatedAt: at.Add(-time.Second), UpdatedAt: at}
		must(t, s.Documents.CreateDocument(ctx, d))
		docs = append(docs, d)
	}
	must(t, s.Documents.TrashDocument(ctx, org.ID, docs[3].ID, owner.ID, now.Add(time.Hour)))
	// Trashed and restored: a live document again, with no trace of the trash.
	must(t, s.Documents.TrashDocument(ctx, org.ID, docs[4].ID, owner.ID, now.Add(time.Hour)))
	must(t, s.Documents.RestoreDocument(ctx, org.ID, docs[4].ID, now.Add(2*time.Hour)))
	for _, d := range []tandem.Document{docs[1], docs[3]} {
		must(t, s.Documents.AddFavorite(ctx, org.ID, owner.ID, d.ID, now))
	}
	must(t, s.Documents.AddFavorite(ctx, org.ID, guest.ID, docs[0].ID, now))
	must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: org.ID, ResourceType: tandem.ResourceDocument, ResourceID: docs[0].ID,
		UserID: guest.ID, Role: tandem.DocRoleViewer, CreatedBy: owner.ID, CreatedAt: now}))
	must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: org.ID, ResourceType: tandem.ResourceFolder, ResourceID: folder.ID,
		UserID: guest.ID, Role: tandem.DocRoleViewer, CreatedBy: owner.ID, CreatedAt: now}))

	favorites := map[string]map[string]bool{owner.ID: {docs[1].ID: true, docs[3].ID: true}, guest.ID: {docs[0].ID: true}}
	for _, c := range []struct {
		name string
		q    tandem.DocumentQuery
		want int
	}{
		{"live", tandem.DocumentQuery{UserID: owner.ID}, 4},
		{"trash", tandem.DocumentQuery{UserID: owner.ID, Trashed: true}, 1},
		{"favorites", tandem.DocumentQuery{UserID: owner.ID, FavoritesOnly: true}, 1},
		{"trashed favorites", tandem.DocumentQuery{UserID: owner.ID, FavoritesOnly: true, Trashed: true}, 1},
		{"by title", tandem.DocumentQuery{UserID: owner.ID, Sort: tandem.SortTitle}, 4},
		{"in a folder", tandem.DocumentQuery{UserID: owner.ID, InFolder: true, FolderID: folder.ID}, 1},
		{"guest", tandem.DocumentQuery{UserID: guest.ID, VisibleTo: guest.ID}, 2},
		{"guest's trash", tandem.DocumentQuery{UserID: guest.ID, VisibleTo: guest.ID, Trashed: true}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.q.OrganizationID = org.ID
			items, err := s.Documents.ListDocuments(ctx, c.q)
			must(t, err)
			if len(items) != c.want {
				t.Fatalf("%d documents listed, want %d", len(items), c.want)
			}
			for _, it := range items {
				want, err := s.Documents.Document(ctx, org.ID, it.ID)
				must(t, err)
				if !sameDocument(it.Document, want) {
					t.Errorf("listed %+v, Document gives %+v", it.Document, want)
				}
				if fav := favorites[c.q.UserID][it.ID]; it.Favorite != fav {
					t.Errorf("%s: favorite %v, want %v", it.Title, it.Favorite, fav)
				}
			}
		})
	}
}

func sameDocument(a, b tandem.Document) bool {
	if (a.TrashedAt == nil) != (b.TrashedAt == nil) || a.TrashedAt != nil && !a.TrashedAt.Equal(*b.TrashedAt) {
		return false
	}
	a.TrashedAt, b.TrashedAt = nil, nil
	return a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.OrganizationID == b.OrganizationID && a.ID == b.ID && a.FolderID == b.FolderID && a.Title == b.Title &&
		a.CreatedBy == b.CreatedBy && a.TrashedBy == b.TrashedBy && a.OrganizationID != "" &&
		a.CreatedAt.Location() == time.UTC && a.UpdatedAt.Location() == time.UTC
}

func openSQLite(t *testing.T) tandem.Stores {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqlite.OpenAppStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s.Stores()
}

func openPostgres(t *testing.T) tandem.Stores {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	s, err := postgres.OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return s.Stores()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
