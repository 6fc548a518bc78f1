package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/redis"
)

// cacheForTest is a Redis document cache under a key prefix of its own.
func cacheForTest(t *testing.T) tandem.DocumentCache {
	t.Helper()
	url := os.Getenv("TANDEM_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	b := make([]byte, 6)
	rand.Read(b)
	c, err := redis.Open(url, redis.Options{Prefix: "tandemtest:" + hex.EncodeToString(b) + ":"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Redis (TANDEM_TEST_REDIS_URL): %v", err)
	}
	return c.DocumentCache(redis.DocumentCacheOptions{})
}

// TestContentChanged: the documents' updated_at moves to the edit's time
// (never back), the shared metadata cache shows it at once (the entry
// read before is dropped), and a document deleted before its edit was
// dated neither fails the call nor keeps the others of its batch from
// being dated.
func TestContentChanged(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), func(c *app.Config) { c.DocumentCache = cacheForTest(t) })
			o := e.owner()
			org := o.p.OrganizationID
			create := func(title string) tandem.Document {
				t.Helper()
				d, err := e.app.CreateDocument(ctx, o.p, title, "")
				must(t, err)
				return d.Document
			}
			a, gone, c := create("A"), create("Gone"), create("C")
			created := a.UpdatedAt
			// Reading fills the cache with the old row.
			if d, err := e.app.GetDocument(ctx, o.p, a.ID); err != nil || !d.UpdatedAt.Equal(created) {
				t.Fatalf("before: %+v %v", d, err)
			}
			must(t, e.app.DeleteDocument(ctx, o.p, gone.ID))

			e.clock.Add(time.Minute)
			edited := e.clock.Now()
			must(t, e.app.ContentChanged(ctx, org, []string{a.ID, gone.ID, c.ID}, edited))
			for _, id := range []string{a.ID, c.ID} {
				d, err := e.app.GetDocument(ctx, o.p, id)
				must(t, err)
				if !d.UpdatedAt.Equal(edited) {
					t.Fatalf("%s: updated_at %v, want the edit's %v", d.Title, d.UpdatedAt, edited)
				}
			}

			// A late report of an older edit does not move it back.
			must(t, e.app.ContentChanged(ctx, org, []string{a.ID}, created.Add(time.Second)))
			if d, _ := e.app.GetDocument(ctx, o.p, a.ID); !d.UpdatedAt.Equal(edited) {
				t.Fatalf("an older edit moved updated_at back to %v", d.UpdatedAt)
			}

			// The list sorted by "updated" follows.
			e.clock.Add(time.Minute)
			must(t, e.app.ContentChanged(ctx, org, []string{c.ID}, e.clock.Now()))
			page, err := e.app.ListDocuments(ctx, o.p, app.ListOptions{Sort: tandem.SortUpdated})
			must(t, err)
			var order []string
			for _, it := range page.Items {
				order = append(order, it.Title)
			}
			if len(order) != 2 || order[0] != "C" || order[1] != "A" {
				t.Fatalf("sorted by updated: %v, want [C A]", order)
			}

			// Another organization's id names nothing there.
			other := e.owner()
			must(t, e.app.ContentChanged(ctx, other.p.OrganizationID, []string{a.ID}, e.clock.Now()))
			if d, _ := e.app.GetDocument(ctx, o.p, a.ID); !d.UpdatedAt.Equal(edited) {
				t.Fatalf("a report under another organization dated the document: %v", d.UpdatedAt)
			}
		})
	}
}

// TestEditAuthorizedNamesTheOrganization: EditableDocument (what the REST
// content endpoints ask before an edit) tells Config.EditAuthorized the
// document's organization, and says nothing when it refuses.
func TestEditAuthorizedNamesTheOrganization(t *testing.T) {
	forEachWith(t, func(t *testing.T, e *env, told func() [][2]string) {
		o := e.owner()
		d, err := e.app.CreateDocument(ctx, o.p, "Doc", "")
		must(t, err)
		if _, err := e.app.EditableDocument(ctx, o.p, d.ID); err != nil {
			t.Fatal(err)
		}
		if got := told(); len(got) != 1 || got[0] != [2]string{o.p.OrganizationID, d.ID} {
			t.Fatalf("told %v, want [[%s %s]]", got, o.p.OrganizationID, d.ID)
		}
		must(t, e.app.TrashDocument(ctx, o.p, d.ID))
		if _, err := e.app.EditableDocument(ctx, o.p, d.ID); err == nil {
			t.Fatal("a trashed document is editable")
		}
		if got := told(); len(got) != 0 {
			t.Fatalf("a refusal told %v", got)
		}
	})
}

// forEachWith runs test per backend with an App whose EditAuthorized
// records what it is told; told returns and forgets it.
func forEachWith(t *testing.T, test func(t *testing.T, e *env, told func() [][2]string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			var mu sync.Mutex
			var got [][2]string
			e := newEnv(t, b.open(t), func(c *app.Config) {
				c.EditAuthorized = func(org, doc string) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, [2]string{org, doc})
				}
			})
			test(t, e, func() [][2]string {
				mu.Lock()
				defer mu.Unlock()
				g := got
				got = nil
				return g
			})
		})
	}
}
