package tandemtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestDocuments is the contract of tandem.Documents.
func TestDocuments(t *testing.T, open OpenStores) {
	ctx := context.Background()

	t.Run("CreateGetTenantIsolation", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		fo := f.folder(t, "", "Folder")
		d := f.doc(t, fo.ID, "Hello", now)
		got, err := s.Documents.Document(ctx, f.org.ID, d.ID)
		must(t, err)
		if got != d {
			t.Fatalf("Document = %+v, want %+v", got, d)
		}
		_, err = s.Documents.Document(ctx, g.org.ID, d.ID)
		wantCode(t, err, tandem.CodeNotFound)
		// A document cannot be put into another organization's folder.
		bad := tandem.Document{ID: tandem.NewID(), OrganizationID: g.org.ID, FolderID: fo.ID, Title: "x", CreatedBy: g.owner.ID, CreatedAt: now, UpdatedAt: now}
		wantCode(t, s.Documents.CreateDocument(ctx, bad), tandem.CodeNotFound)
		gd := g.doc(t, "", "Theirs", now)
		wantCode(t, s.Documents.MoveDocument(ctx, g.org.ID, gd.ID, fo.ID, now), tandem.CodeNotFound)
		wantCode(t, s.Documents.RenameDocument(ctx, f.org.ID, gd.ID, "pwned", now), tandem.CodeNotFound)
		wantCode(t, s.Documents.TrashDocument(ctx, f.org.ID, gd.ID, f.owner.ID, now), tandem.CodeNotFound)
		wantCode(t, s.Documents.DeleteDocument(ctx, f.org.ID, gd.ID), tandem.CodeNotFound)
		wantCode(t, s.Documents.AddFavorite(ctx, f.org.ID, f.owner.ID, gd.ID, now), tandem.CodeNotFound)
		_, err = s.Documents.Folder(ctx, g.org.ID, fo.ID)
		wantCode(t, err, tandem.CodeNotFound)
		dup := d
		wantCode(t, s.Documents.CreateDocument(ctx, dup), tandem.CodeConflict)
		got, _ = s.Documents.Document(ctx, g.org.ID, gd.ID)
		equal(t, "title of the other organization's document", got.Title, "Theirs")
	})

	t.Run("ListSortAndPaginate", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		titles := []string{"banana", "Apple", "cherry", "apple pie", " Date", "elder", "Fig", "grape"}
		var docs []tandem.Document
		for i, title := range titles {
			// Two documents share each updated_at, to test the tie-break.
			docs = append(docs, f.doc(t, "", title, at(time.Duration(i/2)*time.Minute)))
		}
		g.doc(t, "", "other tenant", at(time.Hour))

		collect := func(sort tandem.DocumentSort, limit int) []tandem.DocumentItem {
			var all []tandem.DocumentItem
			q := tandem.DocumentQuery{OrganizationID: f.org.ID, UserID: f.owner.ID, Sort: sort, Limit: limit}
			for range 20 {
				page, err := s.Documents.ListDocuments(ctx, q)
				must(t, err)
				all = append(all, page...)
				if len(page) < limit {
					return all
				}
				last := page[len(page)-1]
				q.After = &tandem.DocumentCursor{UpdatedAt: last.UpdatedAt, TitleKey: tandem.TitleKey(last.Title), ID: last.ID}
			}
			t.Fatal("pagination did not end")
			return nil
		}
		for _, limit := range []int{1, 3, 100} {
			byTitle := collect(tandem.SortTitle, limit)
			var gotTitles []string
			for _, it := range byTitle {
				gotTitles = append(gotTitles, it.Title)
			}
			want := []string{"Apple", "apple pie", "banana", "cherry", " Date", "elder", "Fig", "grape"}
			if !slices.Equal(gotTitles, want) {
				t.Fatalf("limit %d by title = %q, want %q", limit, gotTitles, want)
			}
			byUpdated := collect(tandem.SortUpdated, limit)
			equal(t, "documents by updated", len(byUpdated), len(docs))
			for i := 1; i < len(byUpdated); i++ {
				a, b := byUpdated[i-1], byUpdated[i]
				if a.UpdatedAt.Before(b.UpdatedAt) || a.UpdatedAt.Equal(b.UpdatedAt) && a.ID < b.ID {
					t.Fatalf("limit %d: not sorted by updated desc, id desc at %d", limit, i)
				}
			}
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		m := f.member(t, tandem.RoleMember)
		fo := f.folder(t, "", "F")
		sub := f.folder(t, fo.ID, "Sub")
		inRoot := f.doc(t, "", "root", at(0))
		inFolder := f.doc(t, fo.ID, "folder", at(time.Minute))
		inSub := f.doc(t, sub.ID, "sub", at(2*time.Minute))
		byMember := tandem.Document{ID: tandem.NewID(), OrganizationID: f.org.ID, Title: "mine", CreatedBy: m.ID, CreatedAt: at(3 * time.Minute), UpdatedAt: at(3 * time.Minute)}
		must(t, s.Documents.CreateDocument(ctx, byMember))
		trashed := f.doc(t, "", "trashed", at(4*time.Minute))
		must(t, s.Documents.TrashDocument(ctx, f.org.ID, trashed.ID, f.owner.ID, at(5*time.Minute)))
		must(t, s.Documents.AddFavorite(ctx, f.org.ID, m.ID, inSub.ID, now))
		must(t, s.Documents.AddFavorite(ctx, f.org.ID, m.ID, inSub.ID, now)) // twice is fine

		ids := func(q tandem.DocumentQuery) []string {
			t.Helper()
			q.OrganizationID = f.org.ID
			items, err := s.Documents.ListDocuments(ctx, q)
			must(t, err)
			var out []string
			for _, it := range items {
				out = append(out, it.ID)
			}
			slices.Sort(out)
			return out
		}
		sorted := func(ds ...tandem.Document) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.ID)
			}
			slices.Sort(out)
			return out
		}
		check := func(name string, got, want []string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Fatalf("%s = %v, want %v", name, got, want)
			}
		}
		check("all", ids(tandem.DocumentQuery{}), sorted(inRoot, inFolder, inSub, byMember))
		check("root", ids(tandem.DocumentQuery{InFolder: true}), sorted(inRoot, byMember))
		check("folder", ids(tandem.DocumentQuery{InFolder: true, FolderID: fo.ID}), sorted(inFolder))
		check("creator", ids(tandem.DocumentQuery{CreatedBy: m.ID}), sorted(byMember))
		check("updated since", ids(tandem.DocumentQuery{UpdatedSince: at(2 * time.Minute)}), sorted(inSub, byMember))
		check("trash", ids(tandem.DocumentQuery{Trashed: true}), sorted(trashed))
		check("favorites", ids(tandem.DocumentQuery{UserID: m.ID, FavoritesOnly: true}), sorted(inSub))
		check("favorites of another user", ids(tandem.DocumentQuery{UserID: f.owner.ID, FavoritesOnly: true}), nil)
		items, _ := s.Documents.ListDocuments(ctx, tandem.DocumentQuery{OrganizationID: f.org.ID, UserID: m.ID})
		for _, it := range items {
			if it.Favorite != (it.ID == inSub.ID) {
				t.Fatalf("favorite flag of %s = %v", it.Title, it.Favorite)
			}
		}

		// Visibility: own documents, direct grants and grants on folders above.
		check("visible to member without grants", ids(tandem.DocumentQuery{VisibleTo: m.ID}), sorted(byMember))
		must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: tandem.ResourceFolder, ResourceID: fo.ID,
			UserID: m.ID, Role: tandem.DocRoleViewer, CreatedBy: f.owner.ID, CreatedAt: now}))
		check("visible with folder grant", ids(tandem.DocumentQuery{VisibleTo: m.ID}), sorted(byMember, inFolder, inSub))
		must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: tandem.ResourceDocument, ResourceID: inRoot.ID,
			UserID: m.ID, Role: tandem.DocRoleViewer, CreatedBy: f.owner.ID, CreatedAt: now}))
		check("visible with document grant", ids(tandem.DocumentQuery{VisibleTo: m.ID}), sorted(byMember, inFolder, inSub, inRoot))
		check("visible in folder", ids(tandem.DocumentQuery{VisibleTo: m.ID, InFolder: true, FolderID: sub.ID}), sorted(inSub))
		check("visible to owner without grants", ids(tandem.DocumentQuery{VisibleTo: f.owner.ID, CreatedBy: m.ID}), nil)

		must(t, s.Documents.RemoveFavorite(ctx, f.org.ID, m.ID, inSub.ID))
		wantCode(t, s.Documents.RemoveFavorite(ctx, f.org.ID, m.ID, inSub.ID), tandem.CodeNotFound)
	})

	t.Run("Lifecycle", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		fo := f.folder(t, "", "F")
		d := f.doc(t, "", "Draft", now)
		D := s.Documents
		must(t, D.RenameDocument(ctx, f.org.ID, d.ID, "Final", at(time.Minute)))
		must(t, D.MoveDocument(ctx, f.org.ID, d.ID, fo.ID, at(2*time.Minute)))
		wantCode(t, D.MoveDocument(ctx, f.org.ID, d.ID, tandem.NewID(), now), tandem.CodeNotFound)
		must(t, D.TouchDocument(ctx, f.org.ID, d.ID, at(3*time.Minute)))
		must(t, D.TouchDocument(ctx, f.org.ID, d.ID, at(time.Second))) // never goes back
		wantCode(t, D.TouchDocument(ctx, f.org.ID, tandem.NewID(), now), tandem.CodeNotFound)
		got, _ := D.Document(ctx, f.org.ID, d.ID)
		if got.Title != "Final" || got.FolderID != fo.ID || !got.UpdatedAt.Equal(at(3*time.Minute)) {
			t.Fatalf("after rename, move, touch: %+v", got)
		}
		must(t, D.TrashDocument(ctx, f.org.ID, d.ID, f.owner.ID, at(4*time.Minute)))
		wantCode(t, D.TrashDocument(ctx, f.org.ID, d.ID, f.owner.ID, now), tandem.CodeConflict)
		got, _ = D.Document(ctx, f.org.ID, d.ID)
		if got.TrashedAt == nil || !got.TrashedAt.Equal(at(4*time.Minute)) || got.TrashedBy != f.owner.ID {
			t.Fatalf("trashed: %+v", got)
		}
		must(t, D.RestoreDocument(ctx, f.org.ID, d.ID, at(5*time.Minute)))
		wantCode(t, D.RestoreDocument(ctx, f.org.ID, d.ID, now), tandem.CodeConflict)
		got, _ = D.Document(ctx, f.org.ID, d.ID)
		if got.TrashedAt != nil || got.TrashedBy != "" || got.FolderID != fo.ID {
			t.Fatalf("restored: %+v", got)
		}

		// Deleting takes grants, links and favorites along.
		m := f.member(t, tandem.RoleGuest)
		must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: tandem.ResourceDocument, ResourceID: d.ID,
			UserID: m.ID, Role: tandem.DocRoleViewer, CreatedBy: f.owner.ID, CreatedAt: now}))
		must(t, s.Shares.CreatePublicLink(ctx, tandem.PublicLink{ID: tandem.NewID(), OrganizationID: f.org.ID, DocumentID: d.ID,
			TokenHash: "link", Prefix: "p", CreatedBy: f.owner.ID, CreatedAt: now}))
		must(t, D.AddFavorite(ctx, f.org.ID, m.ID, d.ID, now))
		must(t, D.DeleteDocument(ctx, f.org.ID, d.ID))
		_, err := D.Document(ctx, f.org.ID, d.ID)
		wantCode(t, err, tandem.CodeNotFound)
		_, err = s.Shares.PublicLinkByHash(ctx, "link")
		wantCode(t, err, tandem.CodeNotFound)
		grants, _ := s.Shares.Grants(ctx, f.org.ID, tandem.ResourceDocument, d.ID)
		equal(t, "grants after delete", len(grants), 0)
		// A new document with the same id does not inherit them.
		must(t, D.CreateDocument(ctx, d))
		_, role, _ := s.Shares.DocumentAccess(ctx, f.org.ID, d.ID, m.ID)
		equal(t, "role on re-created document", role, tandem.DocRoleNone)
	})

	t.Run("PurgeTrash", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		old1 := f.doc(t, "", "old1", now)
		old2 := g.doc(t, "", "old2", now)
		recent := f.doc(t, "", "recent", now)
		live := f.doc(t, "", "live", now)
		must(t, s.Documents.TrashDocument(ctx, f.org.ID, old1.ID, f.owner.ID, at(-40*24*time.Hour)))
		must(t, s.Documents.TrashDocument(ctx, g.org.ID, old2.ID, g.owner.ID, at(-31*24*time.Hour)))
		must(t, s.Documents.TrashDocument(ctx, f.org.ID, recent.ID, f.owner.ID, at(-time.Hour)))
		purged, err := s.Documents.PurgeTrash(ctx, at(-30*24*time.Hour), 1)
		must(t, err)
		if len(purged) != 1 || purged[0].ID != old1.ID {
			t.Fatalf("first purge = %+v, want old1 (oldest first, limit 1)", purged)
		}
		purged, err = s.Documents.PurgeTrash(ctx, at(-30*24*time.Hour), 10)
		must(t, err)
		if len(purged) != 1 || purged[0].ID != old2.ID || purged[0].OrganizationID != g.org.ID {
			t.Fatalf("second purge = %+v, want old2", purged)
		}
		for _, d := range []tandem.Document{recent, live} {
			_, err := s.Documents.Document(ctx, f.org.ID, d.ID)
			must(t, err)
		}
	})

	t.Run("Folders", func(t *testing.T) {
		s := open(t)
		f, g := newFixture(t, s), newFixture(t, s)
		D := s.Documents
		a := f.folder(t, "", "A")
		b := f.folder(t, a.ID, "B")
		c := f.folder(t, b.ID, "C")
		other := f.folder(t, "", "other")
		path, err := D.FolderPath(ctx, f.org.ID, c.ID)
		must(t, err)
		if len(path) != 3 || path[0].ID != a.ID || path[1].ID != b.ID || path[2].ID != c.ID {
			t.Fatalf("FolderPath = %+v", path)
		}
		_, err = D.FolderPath(ctx, g.org.ID, c.ID)
		wantCode(t, err, tandem.CodeNotFound)
		wantCode(t, D.CreateFolder(ctx, tandem.Folder{ID: tandem.NewID(), OrganizationID: g.org.ID, ParentID: a.ID, Name: "x", CreatedBy: g.owner.ID, CreatedAt: now, UpdatedAt: now}), tandem.CodeNotFound)

		wantCode(t, D.MoveFolder(ctx, f.org.ID, a.ID, c.ID, now), tandem.CodeInvalid)
		wantCode(t, D.MoveFolder(ctx, f.org.ID, a.ID, a.ID, now), tandem.CodeInvalid)
		wantCode(t, D.MoveFolder(ctx, g.org.ID, a.ID, "", now), tandem.CodeNotFound)
		must(t, D.MoveFolder(ctx, f.org.ID, c.ID, other.ID, at(time.Minute)))
		got, _ := D.Folder(ctx, f.org.ID, c.ID)
		if got.ParentID != other.ID || !got.UpdatedAt.Equal(at(time.Minute)) {
			t.Fatalf("moved folder = %+v", got)
		}
		must(t, D.MoveFolder(ctx, f.org.ID, c.ID, "", now))
		must(t, D.RenameFolder(ctx, f.org.ID, c.ID, "Top", now))
		got, _ = D.Folder(ctx, f.org.ID, c.ID)
		if got.ParentID != "" || got.Name != "Top" {
			t.Fatalf("folder = %+v", got)
		}
		wantCode(t, D.RenameFolder(ctx, g.org.ID, c.ID, "x", now), tandem.CodeNotFound)

		top, err := D.ListFolders(ctx, tandem.FolderQuery{OrganizationID: f.org.ID})
		must(t, err)
		var names []string
		for _, fo := range top {
			names = append(names, fo.Name)
		}
		if !slices.Equal(names, []string{"A", "other", "Top"}) {
			t.Fatalf("top folders = %v", names)
		}
		two, err := D.ListFolders(ctx, tandem.FolderQuery{OrganizationID: f.org.ID, Limit: 2})
		must(t, err)
		if len(two) != 2 || two[0].Name != "A" || two[1].Name != "other" {
			t.Fatalf("the first two top folders = %+v", two)
		}
		m := f.member(t, tandem.RoleGuest)
		vis, _ := D.ListFolders(ctx, tandem.FolderQuery{OrganizationID: f.org.ID, VisibleTo: m.ID})
		equal(t, "folders visible without grants", len(vis), 0)
		must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: tandem.ResourceFolder, ResourceID: a.ID,
			UserID: m.ID, Role: tandem.DocRoleViewer, CreatedBy: f.owner.ID, CreatedAt: now}))
		vis, _ = D.ListFolders(ctx, tandem.FolderQuery{OrganizationID: f.org.ID, ParentID: a.ID, VisibleTo: m.ID})
		if len(vis) != 1 || vis[0].ID != b.ID {
			t.Fatalf("subfolders visible through a grant = %+v", vis)
		}

		// Delete: not while it holds folders or live documents.
		wantCode(t, D.DeleteFolder(ctx, f.org.ID, a.ID), tandem.CodeConflict)
		d := f.doc(t, b.ID, "in B", now)
		wantCode(t, D.DeleteFolder(ctx, f.org.ID, b.ID), tandem.CodeConflict)
		must(t, D.TrashDocument(ctx, f.org.ID, d.ID, f.owner.ID, now))
		wantCode(t, D.DeleteFolder(ctx, g.org.ID, b.ID), tandem.CodeNotFound)
		must(t, D.DeleteFolder(ctx, f.org.ID, b.ID))
		got2, _ := D.Document(ctx, f.org.ID, d.ID)
		equal(t, "trashed document's folder after delete", got2.FolderID, "")
		must(t, D.DeleteFolder(ctx, f.org.ID, a.ID))
		grants, _ := s.Shares.Grants(ctx, f.org.ID, tandem.ResourceFolder, a.ID)
		equal(t, "grants on deleted folder", len(grants), 0)
		wantCode(t, D.DeleteFolder(ctx, f.org.ID, a.ID), tandem.CodeNotFound)
	})

	t.Run("FolderDepthLimit", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		parent := ""
		var chain []tandem.Folder
		var err error
		for i := range 40 {
			fo := tandem.Folder{ID: tandem.NewID(), OrganizationID: f.org.ID, ParentID: parent, Name: fmt.Sprint(i), CreatedBy: f.owner.ID, CreatedAt: now, UpdatedAt: now}
			if err = s.Documents.CreateFolder(ctx, fo); err != nil {
				break
			}
			chain = append(chain, fo)
			parent = fo.ID
		}
		wantCode(t, err, tandem.CodeInvalid)
		if len(chain) < 8 {
			t.Fatalf("only %d nested folders allowed", len(chain))
		}
		// Moving a deep chain under another deep chain is refused too.
		second := f.folder(t, "", "second")
		wantCode(t, s.Documents.MoveFolder(ctx, f.org.ID, chain[0].ID, second.ID, now), tandem.CodeInvalid)
	})
}
