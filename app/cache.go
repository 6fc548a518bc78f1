package app

import (
	"context"

	"github.com/tandem-docs/tandem"
)

// document reads a document's metadata through Config.DocumentCache when
// there is one. The cache is an optimisation only: any failure of it (Redis
// down) falls through to the store, and the store's answer fills it. Only
// metadata goes through here; grants are always read from the store.
func (a *App) document(ctx context.Context, organizationID, id string) (tandem.Document, error) {
	c := a.cfg.DocumentCache
	if c == nil {
		return a.s.Documents.Document(ctx, organizationID, id)
	}
	if d, ok, err := c.Document(ctx, organizationID, id); err == nil && ok {
		return d, nil
	}
	d, err := a.s.Documents.Document(ctx, organizationID, id)
	if err == nil {
		// A failed fill costs only a later miss; the cache reports its
		// outages itself.
		_ = c.Fill(ctx, d)
	}
	return d, err
}

// invalidate drops the cached metadata of documents whose metadata a write
// just changed, so that every instance sharing the cache reads the change.
// It runs after the write succeeded, even if the request was cancelled
// meanwhile. A failure leaves the entry to its short TTL and is logged.
func (a *App) invalidate(ctx context.Context, organizationID string, ids ...string) {
	c := a.cfg.DocumentCache
	if c == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, id := range ids {
		if err := c.Invalidate(ctx, organizationID, id); err != nil {
			a.log.WarnContext(ctx, "invalidate cached document", "document", id, "error", err)
		}
	}
}

// trashedIn lists the trashed documents directly in a folder, whose folder
// changes when the folder is deleted; only when there is a cache to tell.
// A failure to list leaves their entries to the TTL.
func (a *App) trashedIn(ctx context.Context, organizationID, folderID string) []string {
	if a.cfg.DocumentCache == nil {
		return nil
	}
	var ids []string
	q := tandem.DocumentQuery{OrganizationID: organizationID, InFolder: true, FolderID: folderID, Trashed: true, Limit: 500}
	for {
		page, err := a.s.Documents.ListDocuments(ctx, q)
		if err != nil {
			a.log.WarnContext(ctx, "list a deleted folder's trash for the cache", "folder", folderID, "error", err)
			return ids
		}
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if len(page) < q.Limit {
			return ids
		}
		last := page[len(page)-1]
		q.After = &tandem.DocumentCursor{UpdatedAt: last.UpdatedAt, ID: last.ID}
	}
}
