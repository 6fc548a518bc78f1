package tandemtest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestDocumentCache is the contract of tandem.DocumentCache. open returns
// two handles on one fresh, empty cache, as two instances sharing it would
// hold them (the same value for an in-process cache).
func TestDocumentCache(t *testing.T, open func(t *testing.T) (a, b tandem.DocumentCache)) {
	ctx := context.Background()
	trashed := at(time.Hour)
	newDoc := func() tandem.Document {
		return tandem.Document{ID: tandem.NewID(), OrganizationID: tandem.NewID(), FolderID: tandem.NewID(),
			Title: "Plan ünïcode", CreatedBy: tandem.NewID(), CreatedAt: now, UpdatedAt: at(time.Minute),
			TrashedAt: &trashed, TrashedBy: tandem.NewID()}
	}
	get := func(t *testing.T, c tandem.DocumentCache, org, id string) (tandem.Document, bool) {
		t.Helper()
		d, ok, err := c.Document(ctx, org, id)
		if err != nil {
			t.Fatalf("Document: %v", err)
		}
		return d, ok
	}
	same := func(a, b tandem.Document) bool {
		if (a.TrashedAt == nil) != (b.TrashedAt == nil) || a.TrashedAt != nil && !a.TrashedAt.Equal(*b.TrashedAt) {
			return false
		}
		a.TrashedAt, b.TrashedAt = nil, nil
		return a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
			a.ID == b.ID && a.OrganizationID == b.OrganizationID && a.FolderID == b.FolderID &&
			a.Title == b.Title && a.CreatedBy == b.CreatedBy && a.TrashedBy == b.TrashedBy
	}

	t.Run("MissThenHitEverywhere", func(t *testing.T) {
		a, b := open(t)
		d := newDoc()
		if _, ok := get(t, a, d.OrganizationID, d.ID); ok {
			t.Fatal("a hit in an empty cache")
		}
		if err := a.Fill(ctx, d); err != nil {
			t.Fatal(err)
		}
		for _, c := range []tandem.DocumentCache{a, b} {
			got, ok := get(t, c, d.OrganizationID, d.ID)
			if !ok || !same(got, d) {
				t.Fatalf("after Fill: %+v, %v; want %+v", got, ok, d)
			}
		}
		live := newDoc()
		live.TrashedAt, live.TrashedBy, live.FolderID = nil, "", ""
		if err := b.Fill(ctx, live); err != nil {
			t.Fatal(err)
		}
		if got, ok := get(t, a, live.OrganizationID, live.ID); !ok || !same(got, live) || got.TrashedAt != nil {
			t.Fatalf("a live document at the top level: %+v, %v", got, ok)
		}
	})

	t.Run("InvalidateIsSeenEverywhere", func(t *testing.T) {
		a, b := open(t)
		d, other := newDoc(), newDoc()
		must(t, a.Fill(ctx, d))
		must(t, a.Fill(ctx, other))
		must(t, b.Invalidate(ctx, d.OrganizationID, d.ID))
		for _, c := range []tandem.DocumentCache{a, b} {
			if got, ok := get(t, c, d.OrganizationID, d.ID); ok {
				t.Fatalf("after Invalidate: hit %+v", got)
			}
		}
		if _, ok := get(t, a, other.OrganizationID, other.ID); !ok {
			t.Fatal("Invalidate dropped another document")
		}
		must(t, a.Invalidate(ctx, tandem.NewID(), tandem.NewID())) // never cached: fine
	})

	t.Run("StaleFillAfterInvalidateIsRefused", func(t *testing.T) {
		// A read that began before a rename fills after the rename's
		// invalidation: its old title must not come back.
		a, b := open(t)
		d := newDoc()
		must(t, b.Invalidate(ctx, d.OrganizationID, d.ID))
		if err := a.Fill(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got, ok := get(t, b, d.OrganizationID, d.ID); ok {
			t.Fatalf("a fill right after an invalidation was kept: %+v", got)
		}
	})

	t.Run("OrganizationsAreIsolated", func(t *testing.T) {
		a, b := open(t)
		d := newDoc()
		must(t, a.Fill(ctx, d))
		if got, ok := get(t, b, tandem.NewID(), d.ID); ok {
			t.Fatalf("another organization's lookup of the id hit: %+v", got)
		}
		must(t, b.Invalidate(ctx, tandem.NewID(), d.ID))
		if _, ok := get(t, a, d.OrganizationID, d.ID); !ok {
			t.Fatal("an invalidation in another organization dropped the entry")
		}
	})

	t.Run("CachesAreIsolated", func(t *testing.T) {
		a, _ := open(t)
		c, _ := open(t)
		d := newDoc()
		must(t, a.Fill(ctx, d))
		if _, ok := get(t, c, d.OrganizationID, d.ID); ok {
			t.Fatal("a fresh cache holds another cache's entry")
		}
	})
}
