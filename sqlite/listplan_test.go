package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/sqlstore"
)

// TestListPlan checks how SQLite runs the document lists the API serves
// most (newest first, for an owner, a member with grants and a guest):
// through the covering index documents_listed, in its order, so that a
// page reads 50 index entries and neither the table nor a sort. Reading
// the table row of every entry cost about a tenth of a list
// (BenchmarkDocumentReads).
func TestListPlan(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	as, err := OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s := as.Stores()
	now := time.Now().UTC().Truncate(time.Microsecond)
	user := func(name string) string {
		u := tandem.User{ID: tandem.NewID(), Email: name + "@example.com", Name: name, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		if err := s.Accounts.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	owner, member := user("owner"), user("member")
	org := tandem.Organization{ID: tandem.NewID(), Name: "Org", DefaultAccess: tandem.DocRoleEditor, CreatedAt: now}
	if err := s.Organizations.CreateOrganization(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: org.ID, Email: "member@example.com", Role: tandem.RoleMember,
		TokenHash: "h", InvitedBy: owner, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Organizations.CreateInvitation(ctx, inv, 10); err != nil {
		t.Fatal(err)
	}
	mu, err := s.Accounts.User(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Organizations.AcceptInvitation(ctx, inv.ID, mu, false, now); err != nil {
		t.Fatal(err)
	}
	folder := tandem.Folder{ID: tandem.NewID(), OrganizationID: org.ID, Name: "F", CreatedBy: owner, CreatedAt: now, UpdatedAt: now}
	if err := s.Documents.CreateFolder(ctx, folder); err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		at := now.Add(time.Duration(i) * time.Second)
		d := tandem.Document{ID: tandem.NewID(), OrganizationID: org.ID, Title: fmt.Sprintf("Doc %d", i), CreatedBy: owner, CreatedAt: at, UpdatedAt: at}
		if i%4 == 0 {
			d.FolderID = folder.ID
		}
		if err := s.Documents.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
		if i%40 == 0 {
			if err := s.Documents.TrashDocument(ctx, org.ID, d.ID, owner, at); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 1 {
			g := tandem.Grant{OrganizationID: org.ID, ResourceType: tandem.ResourceDocument, ResourceID: d.ID, UserID: member, Role: tandem.DocRoleOwner, CreatedBy: owner, CreatedAt: at}
			if err := s.Shares.PutGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	g := tandem.Grant{OrganizationID: org.ID, ResourceType: tandem.ResourceFolder, ResourceID: folder.ID, UserID: member, Role: tandem.DocRoleViewer, CreatedBy: owner, CreatedAt: now}
	if err := s.Shares.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().Exec("ANALYZE"); err != nil {
		t.Fatal(err)
	}

	// A store whose reads also explain every document list they run.
	pq := &planQuerier{db: db}
	ps := sqlstore.New(planDB{newAppDB(db), pq}, dialect{})
	for _, c := range []struct {
		name string
		q    tandem.DocumentQuery
	}{
		{"owner", tandem.DocumentQuery{OrganizationID: org.ID, UserID: owner, Limit: 51}},
		{"member", tandem.DocumentQuery{OrganizationID: org.ID, UserID: member, GrantsFor: member, Limit: 51}},
		{"guest", tandem.DocumentQuery{OrganizationID: org.ID, UserID: member, VisibleTo: member, GrantsFor: member, Limit: 51}},
	} {
		pq.plan = nil
		items, err := ps.ListDocuments(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			t.Fatalf("%s: empty list", c.name)
		}
		plan := strings.Join(pq.plan, "\n")
		if !strings.Contains(plan, "SCAN d USING COVERING INDEX documents_listed") &&
			!strings.Contains(plan, "SEARCH d USING COVERING INDEX documents_listed") {
			t.Errorf("%s: the list does not read documents through the covering index documents_listed:\n%s", c.name, plan)
		}
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: the list sorts:\n%s", c.name, plan)
		}
	}
}

// planDB is an appDB whose reader is a planQuerier.
type planDB struct {
	*appDB
	r *planQuerier
}

func (p planDB) Reader() sqlstore.Querier {
	p.r.Querier = p.appDB.Reader()
	return p.r
}

// planQuerier records the query plan of every document list it runs.
type planQuerier struct {
	sqlstore.Querier
	db   *DB
	plan []string
}

func (p *planQuerier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if strings.Contains(query, "FROM documents d") {
		rows, err := p.db.Reader().QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				rows.Close()
				return nil, err
			}
			p.plan = append(p.plan, detail)
		}
		rows.Close()
	}
	return p.Querier.Query(ctx, query, args...)
}
