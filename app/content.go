package app

import (
	"context"

	"github.com/tandem-docs/tandem"
)

// EditableDocument checks that p may change the content of document id
// (editor or above, with read-write credentials, not in the trash) and
// returns it. The REST content endpoints ask it before they write; the
// realtime service asks Authorize, which applies the same rules.
func (a *App) EditableDocument(ctx context.Context, p Principal, id string) (DocumentView, error) {
	d, role, err := a.editable(ctx, p, id, tandem.DocRoleEditor)
	if err != nil {
		return DocumentView{}, err
	}
	if f := a.cfg.EditAuthorized; f != nil {
		f(p.OrganizationID, d.ID)
	}
	return DocumentView{Document: d, Role: role}, nil
}

// CreateDocumentWithContent creates a document as CreateDocument does, with
// content that write stores under the new document's id.
//
// write runs after the permission checks and before the metadata row is
// stored, so a document is never visible without its content: if write
// fails nothing is created, and if storing the row fails the content is
// deleted again (through Config.Content), leaving at worst an unreachable
// orphan, never a half-created document.
func (a *App) CreateDocumentWithContent(ctx context.Context, p Principal, title, folderID string,
	write func(ctx context.Context, id string) error) (DocumentView, error) {
	d, err := a.newDocument(ctx, p, title, folderID)
	if err != nil {
		return DocumentView{}, err
	}
	if err := write(ctx, d.ID); err != nil {
		// The write may have been committed after all (ctx ended while it
		// was under way): remove what may be there.
		a.deleteContent(context.WithoutCancel(ctx), p.OrganizationID, d.ID)
		return DocumentView{}, err
	}
	if err := a.s.Documents.CreateDocument(ctx, d); err != nil {
		a.deleteContent(context.WithoutCancel(ctx), p.OrganizationID, d.ID)
		return DocumentView{}, err
	}
	return DocumentView{Document: d, Role: tandem.DocRoleOwner}, nil
}
