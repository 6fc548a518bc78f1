package app

import (
	"context"
	"errors"
	"time"

	"github.com/tandem-docs/tandem"
)

// ContentChanged records that the content of documents ids of
// organizationID changed at at, so that their updated_at (what the
// document list sorts "updated" by) follows their content and not only
// renames, moves and the trash. updated_at never moves backwards
// (TouchDocument's contract), so callers may report edits late, twice or
// out of order.
//
// The content itself is written by the realtime service, which knows
// nothing of document metadata; the server batches the edits it stored
// and reports them here every few seconds, so a burst of keystrokes costs
// one UPDATE per document, not one per keystroke.
//
// A document deleted meanwhile is skipped: its edit raced its deletion and
// there is nothing left to date. The cached metadata of the documents
// touched is dropped, so every instance sharing the cache lists them by the
// new time. Other failures are returned, joined, after every document was
// tried, so that one bad row does not leave the others stale.
func (a *App) ContentChanged(ctx context.Context, organizationID string, ids []string, at time.Time) error {
	var errs []error
	touched := make([]string, 0, len(ids))
	for _, id := range ids {
		err := a.s.Documents.TouchDocument(ctx, organizationID, id, at)
		switch {
		case err == nil:
			touched = append(touched, id)
		case errors.Is(err, tandem.ErrNotFound):
		default:
			errs = append(errs, err)
		}
	}
	a.invalidate(ctx, organizationID, touched...)
	return errors.Join(errs...)
}
