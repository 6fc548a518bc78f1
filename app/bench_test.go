package app_test

import (
	"fmt"
	"testing"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// BenchmarkDocumentReads measures the two reads the App service must serve
// fastest, on each backend: one document's metadata (authentication
// included) and a page of 50 documents, in an organization of 1,000
// documents, for the owner (no visibility filter, no grants to read), a
// member (no filter; grants raise some items' roles) and a guest (filtered
// through grants).
//
//	go test -run XXX -bench DocumentReads -benchtime 2000x ./app/
func BenchmarkDocumentReads(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			e := newEnv(b, be.open(b))
			o := e.owner()
			g := e.join(o, tandem.RoleGuest)
			m := e.join(o, tandem.RoleMember)
			folder, err := e.app.CreateFolder(ctx, o.p, "Shared", "")
			if err != nil {
				b.Fatal(err)
			}
			var ids []string
			for i := range 1000 {
				f := ""
				if i%4 == 0 {
					f = folder.ID
				}
				d, err := e.app.CreateDocument(ctx, o.p, fmt.Sprintf("Document %04d", i), f)
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, d.ID)
			}
			if _, err := e.app.Share(ctx, o.p, tandem.ResourceFolder, folder.ID, g.User.ID, tandem.DocRoleViewer); err != nil {
				b.Fatal(err)
			}
			// The member holds a few grants, as people do.
			if _, err := e.app.Share(ctx, o.p, tandem.ResourceFolder, folder.ID, m.User.ID, tandem.DocRoleOwner); err != nil {
				b.Fatal(err)
			}
			for _, id := range ids[len(ids)-20 : len(ids)-12] {
				if _, err := e.app.Share(ctx, o.p, tandem.ResourceDocument, id, m.User.ID, tandem.DocRoleOwner); err != nil {
					b.Fatal(err)
				}
			}
			analyze(b, e.stores)
			creds := tandem.Credentials{SessionCookie: o.Token}
			b.Run("get", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					p, err := e.app.Authenticate(ctx, creds)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := e.app.GetDocument(ctx, p, ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, who := range []struct {
				name  string
				token string
			}{{"list50-owner", o.Token}, {"list50-member", m.Token}, {"list50-guest", g.Token}} {
				b.Run(who.name, func(b *testing.B) {
					c := tandem.Credentials{SessionCookie: who.token}
					for b.Loop() {
						p, err := e.app.Authenticate(ctx, c)
						if err != nil {
							b.Fatal(err)
						}
						page, err := e.app.ListDocuments(ctx, p, app.ListOptions{Limit: 50})
						if err != nil || len(page.Items) != 50 {
							b.Fatal(err, len(page.Items))
						}
					}
				})
			}
		})
	}
}
