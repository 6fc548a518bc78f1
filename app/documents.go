package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/tandem-docs/tandem"
)

// DocumentView is a document's metadata with what the caller may do on it.
type DocumentView struct {
	tandem.Document
	Role tandem.DocRole
}

// canCreateIn checks that p may create (or move) things into folderID: the
// top level needs a member; a folder needs editor access to it.
func (a *App) canCreateIn(ctx context.Context, p Principal, folderID string) error {
	if folderID == "" {
		return p.role(tandem.RoleMember)
	}
	_, role, err := a.FolderRole(ctx, p, folderID)
	if err != nil {
		return err
	}
	return needRole(role, tandem.DocRoleEditor)
}

func cleanTitle(title string) (string, error) {
	t, err := cleanText("title", title, maxTitleLen, false)
	if err != nil {
		return "", err
	}
	if t == "" {
		t = "Untitled"
	}
	return t, nil
}

// CreateDocument creates an empty document in folderID ("" for the top
// level); the creator owns it.
func (a *App) CreateDocument(ctx context.Context, p Principal, title, folderID string) (DocumentView, error) {
	d, err := a.newDocument(ctx, p, title, folderID)
	if err != nil {
		return DocumentView{}, err
	}
	if err := a.s.Documents.CreateDocument(ctx, d); err != nil {
		return DocumentView{}, err
	}
	return DocumentView{Document: d, Role: tandem.DocRoleOwner}, nil
}

// newDocument checks that p may create a document titled title in folderID
// and returns it, not yet stored.
func (a *App) newDocument(ctx context.Context, p Principal, title, folderID string) (tandem.Document, error) {
	if err := p.write(); err != nil {
		return tandem.Document{}, err
	}
	if err := checkOptionalID("folder_id", folderID); err != nil {
		return tandem.Document{}, err
	}
	title, err := cleanTitle(title)
	if err != nil {
		return tandem.Document{}, err
	}
	if err := a.canCreateIn(ctx, p, folderID); err != nil {
		return tandem.Document{}, err
	}
	now := a.now()
	return tandem.Document{ID: tandem.NewID(), OrganizationID: p.OrganizationID, FolderID: folderID, Title: title,
		CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}, nil
}

// GetDocument returns a document's metadata to anyone who may view it.
func (a *App) GetDocument(ctx context.Context, p Principal, id string) (DocumentView, error) {
	d, role, err := a.DocumentRole(ctx, p, id)
	if err != nil {
		return DocumentView{}, err
	}
	if p.Kind == KindToken && p.Scope == tandem.ScopeRead && role.AtLeast(tandem.DocRoleCommenter) {
		role = tandem.DocRoleViewer
	}
	return DocumentView{Document: d, Role: role}, nil
}

// editable finds a live document p may change with at least role min.
func (a *App) editable(ctx context.Context, p Principal, id string, min tandem.DocRole) (tandem.Document, tandem.DocRole, error) {
	if err := p.write(); err != nil {
		return tandem.Document{}, "", err
	}
	d, role, err := a.DocumentRole(ctx, p, id)
	if err != nil {
		return tandem.Document{}, "", err
	}
	if err := needRole(role, min); err != nil {
		return tandem.Document{}, "", err
	}
	if d.TrashedAt != nil {
		return tandem.Document{}, "", tandem.Errorf(tandem.CodeConflict, "the document is in the trash; restore it first")
	}
	return d, role, nil
}

// RenameDocument changes a document's title; editors may.
func (a *App) RenameDocument(ctx context.Context, p Principal, id, title string) (DocumentView, error) {
	d, role, err := a.editable(ctx, p, id, tandem.DocRoleEditor)
	if err != nil {
		return DocumentView{}, err
	}
	if d.Title, err = cleanTitle(title); err != nil {
		return DocumentView{}, err
	}
	d.UpdatedAt = a.now()
	if err := a.s.Documents.RenameDocument(ctx, p.OrganizationID, id, d.Title, d.UpdatedAt); err != nil {
		return DocumentView{}, err
	}
	a.invalidate(ctx, p.OrganizationID, id)
	return DocumentView{Document: d, Role: role}, nil
}

// MoveDocument puts a document into another folder ("" for the top level).
// It needs editor access to the document and to the destination. Access
// inherited from the old folders goes, so listeners are told.
func (a *App) MoveDocument(ctx context.Context, p Principal, id, folderID string) (DocumentView, error) {
	if err := checkOptionalID("folder_id", folderID); err != nil {
		return DocumentView{}, err
	}
	d, _, err := a.editable(ctx, p, id, tandem.DocRoleEditor)
	if err != nil {
		return DocumentView{}, err
	}
	if err := a.canCreateIn(ctx, p, folderID); err != nil {
		return DocumentView{}, err
	}
	if err := a.s.Documents.MoveDocument(ctx, p.OrganizationID, id, folderID, a.now()); err != nil {
		return DocumentView{}, err
	}
	a.invalidate(ctx, p.OrganizationID, id)
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, DocumentID: d.ID})
	return a.GetDocument(ctx, p, id)
}

// DuplicateDocument copies a document (metadata, and content through
// Config.Content) into folderID; the copy belongs to the caller. Grants
// and links are not copied.
func (a *App) DuplicateDocument(ctx context.Context, p Principal, id, title, folderID string) (DocumentView, error) {
	if err := p.write(); err != nil {
		return DocumentView{}, err
	}
	if err := checkOptionalID("folder_id", folderID); err != nil {
		return DocumentView{}, err
	}
	src, _, err := a.DocumentRole(ctx, p, id)
	if err != nil {
		return DocumentView{}, err
	}
	if src.TrashedAt != nil {
		return DocumentView{}, tandem.Errorf(tandem.CodeConflict, "the document is in the trash; restore it first")
	}
	if title == "" {
		title = src.Title + " (copy)"
		if len([]rune(title)) > maxTitleLen {
			title = src.Title
		}
	}
	d, err := a.CreateDocument(ctx, p, title, folderID)
	if err != nil {
		return DocumentView{}, err
	}
	if a.cfg.Content != nil {
		if err := a.cfg.Content.CopyDocument(ctx, p.OrganizationID, src.ID, d.ID); err != nil {
			// No half copies: the new, empty document goes again.
			if derr := a.s.Documents.DeleteDocument(ctx, p.OrganizationID, d.ID); derr != nil {
				a.log.ErrorContext(ctx, "remove failed duplicate", "document", d.ID, "error", derr)
			}
			a.invalidate(ctx, p.OrganizationID, d.ID)
			return DocumentView{}, err
		}
	}
	return d, nil
}

// TrashDocument moves a document to the trash, where it stays restorable
// for the retention period (30 days). Editors may.
func (a *App) TrashDocument(ctx context.Context, p Principal, id string) error {
	d, _, err := a.editable(ctx, p, id, tandem.DocRoleEditor)
	if err != nil {
		return err
	}
	if err := a.s.Documents.TrashDocument(ctx, p.OrganizationID, id, p.UserID, a.now()); err != nil {
		return err
	}
	a.invalidate(ctx, p.OrganizationID, id)
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditDocumentTrashed, "document", id, map[string]string{"title": d.Title})
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, DocumentID: id})
	return nil
}

// RestoreDocument takes a document out of the trash within the retention
// period.
func (a *App) RestoreDocument(ctx context.Context, p Principal, id string) (DocumentView, error) {
	if err := p.write(); err != nil {
		return DocumentView{}, err
	}
	d, role, err := a.DocumentRole(ctx, p, id)
	if err != nil {
		return DocumentView{}, err
	}
	if err := needRole(role, tandem.DocRoleEditor); err != nil {
		return DocumentView{}, err
	}
	if d.TrashedAt == nil {
		return DocumentView{}, tandem.Errorf(tandem.CodeConflict, "the document is not in the trash")
	}
	if !a.now().Before(d.TrashedAt.Add(a.cfg.TrashRetention)) {
		return DocumentView{}, tandem.Errorf(tandem.CodeNotFound, "document not found")
	}
	if err := a.s.Documents.RestoreDocument(ctx, p.OrganizationID, id, a.now()); err != nil {
		return DocumentView{}, err
	}
	a.invalidate(ctx, p.OrganizationID, id)
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditDocumentRestored, "document", id, nil)
	return a.GetDocument(ctx, p, id)
}

// DeleteDocument deletes a document for good, with its content; owners may.
func (a *App) DeleteDocument(ctx context.Context, p Principal, id string) error {
	if err := p.write(); err != nil {
		return err
	}
	d, role, err := a.DocumentRole(ctx, p, id)
	if err != nil {
		return err
	}
	if err := needRole(role, tandem.DocRoleOwner); err != nil {
		return err
	}
	if err := a.s.Documents.DeleteDocument(ctx, p.OrganizationID, id); err != nil {
		return err
	}
	a.invalidate(ctx, p.OrganizationID, id)
	a.deleteContent(ctx, p.OrganizationID, id)
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditDocumentDeleted, "document", id, map[string]string{"title": d.Title})
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, DocumentID: id})
	return nil
}

func (a *App) deleteContent(ctx context.Context, orgID, id string) {
	if a.cfg.Content == nil {
		return
	}
	// The metadata is gone, so the content is unreachable; a failure
	// leaves an orphan to collect, not a visible document.
	if err := a.cfg.Content.DeleteDocument(ctx, orgID, id); err != nil {
		a.log.ErrorContext(ctx, "delete document content", "document", id, "error", err)
	}
}

// PurgeTrash deletes documents that have been in the trash longer than the
// retention period, in every organization, up to limit of them; a worker
// calls it periodically. It returns how many it deleted.
func (a *App) PurgeTrash(ctx context.Context, limit int) (int, error) {
	docs, err := a.s.Documents.PurgeTrash(ctx, a.now().Add(-a.cfg.TrashRetention), limit)
	if err != nil {
		return 0, err
	}
	for _, d := range docs {
		a.invalidate(ctx, d.OrganizationID, d.ID)
		a.deleteContent(ctx, d.OrganizationID, d.ID)
		a.audit(ctx, d.OrganizationID, "", "", tandem.AuditDocumentDeleted, "document", d.ID, map[string]string{"title": d.Title, "reason": "trash_retention"})
	}
	return len(docs), nil
}

// SetFavorite marks or unmarks a document as one of the caller's favorites.
func (a *App) SetFavorite(ctx context.Context, p Principal, id string, favorite bool) error {
	if err := p.write(); err != nil {
		return err
	}
	if _, _, err := a.DocumentRole(ctx, p, id); err != nil {
		return err
	}
	if favorite {
		return a.s.Documents.AddFavorite(ctx, p.OrganizationID, p.UserID, id, a.now())
	}
	err := a.s.Documents.RemoveFavorite(ctx, p.OrganizationID, p.UserID, id)
	if errors.Is(err, tandem.ErrNotFound) {
		return nil
	}
	return err
}

// ListOptions selects a page of documents.
type ListOptions struct {
	// Folder restricts the list to one folder: nil for everywhere, a
	// pointer to "" for the top level.
	Folder        *string
	CreatedBy     string
	UpdatedSince  time.Time
	Trashed       bool
	FavoritesOnly bool
	Sort          tandem.DocumentSort
	Cursor        string
	Limit         int
}

// DocumentPage is a page of documents.
type DocumentPage struct {
	Items      []DocumentListItem
	NextCursor string
}

// DocumentListItem is a document of a list with the caller's role on it,
// by the rules of DocumentRole.
type DocumentListItem struct {
	tandem.DocumentItem
	Role tandem.DocRole
}

// cursor is the opaque position of a page, for one sort order.
type cursor struct {
	Sort  tandem.DocumentSort `json:"s"`
	Micro int64               `json:"u,omitempty"`
	Title string              `json:"t,omitempty"`
	ID    string              `json:"i"`
}

func encodeCursor(sort tandem.DocumentSort, d tandem.Document) string {
	c := cursor{Sort: sort, ID: d.ID}
	if sort == tandem.SortTitle {
		c.Title = tandem.TitleKey(d.Title)
	} else {
		c.Micro = d.UpdatedAt.UnixMicro()
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, sort tandem.DocumentSort) (*tandem.DocumentCursor, error) {
	bad := tandem.Invalid("cursor", "invalid cursor")
	if len(s) > 2048 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sort || !tandem.ValidID(c.ID) {
		return nil, bad
	}
	return &tandem.DocumentCursor{UpdatedAt: time.UnixMicro(c.Micro).UTC(), TitleKey: c.Title, ID: c.ID}, nil
}

// ListDocuments lists the documents the caller may view, a page at a time.
func (a *App) ListDocuments(ctx context.Context, p Principal, o ListOptions) (DocumentPage, error) {
	if err := p.role(tandem.RoleGuest); err != nil {
		return DocumentPage{}, err
	}
	limit, err := pageLimit(o.Limit)
	if err != nil {
		return DocumentPage{}, err
	}
	switch o.Sort {
	case "":
		o.Sort = tandem.SortUpdated
	case tandem.SortUpdated, tandem.SortTitle:
	default:
		return DocumentPage{}, tandem.Invalid("sort", `sort is "updated" or "title"`)
	}
	q := tandem.DocumentQuery{OrganizationID: p.OrganizationID, UserID: p.UserID, CreatedBy: o.CreatedBy,
		UpdatedSince: o.UpdatedSince.UTC(), Trashed: o.Trashed, FavoritesOnly: o.FavoritesOnly, Sort: o.Sort, Limit: limit + 1}
	if o.Folder != nil {
		if err := checkOptionalID("folder_id", *o.Folder); err != nil {
			return DocumentPage{}, err
		}
		q.InFolder, q.FolderID = true, *o.Folder
	}
	if err := checkOptionalID("created_by", o.CreatedBy); err != nil {
		return DocumentPage{}, err
	}
	if o.Cursor != "" {
		if q.After, err = decodeCursor(o.Cursor, o.Sort); err != nil {
			return DocumentPage{}, err
		}
	}
	if !seesEverything(p) {
		q.VisibleTo = p.UserID
	}
	// Every item's role, by DocumentRole's rules in one query: the
	// organization role is the floor, grants (read with the list) raise
	// it, creators own. Owners and admins own everything: no grants to read.
	base := baseRole(p)
	if base != tandem.DocRoleOwner {
		q.GrantsFor = p.UserID
	}
	items, err := a.s.Documents.ListDocuments(ctx, q)
	if err != nil {
		return DocumentPage{}, err
	}
	var page DocumentPage
	if len(items) > limit {
		page.NextCursor = encodeCursor(o.Sort, items[limit-1].Document)
		items = items[:limit]
	}
	page.Items = make([]DocumentListItem, len(items))
	for i, it := range items {
		role := tandem.MaxDocRole(base, it.Granted)
		if it.CreatedBy == p.UserID {
			role = tandem.DocRoleOwner
		}
		if p.Kind == KindToken && p.Scope == tandem.ScopeRead && role.AtLeast(tandem.DocRoleCommenter) {
			role = tandem.DocRoleViewer // as GetDocument says
		}
		page.Items[i] = DocumentListItem{DocumentItem: it, Role: role}
	}
	return page, nil
}

// FolderView is a folder with its path from the top level and the caller's
// role on it.
type FolderView struct {
	tandem.Folder
	Path []tandem.Folder
	Role tandem.DocRole
}

// CreateFolder creates a folder in parentID ("" for the top level).
func (a *App) CreateFolder(ctx context.Context, p Principal, name, parentID string) (FolderView, error) {
	if err := p.write(); err != nil {
		return FolderView{}, err
	}
	if err := checkOptionalID("parent_id", parentID); err != nil {
		return FolderView{}, err
	}
	name, err := cleanText("name", name, maxNameLen, true)
	if err != nil {
		return FolderView{}, err
	}
	if err := a.canCreateIn(ctx, p, parentID); err != nil {
		return FolderView{}, err
	}
	now := a.now()
	f := tandem.Folder{ID: tandem.NewID(), OrganizationID: p.OrganizationID, ParentID: parentID, Name: name,
		CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	if err := a.s.Documents.CreateFolder(ctx, f); err != nil {
		return FolderView{}, err
	}
	return a.GetFolder(ctx, p, f.ID)
}

// GetFolder returns a folder to anyone who may view it.
func (a *App) GetFolder(ctx context.Context, p Principal, id string) (FolderView, error) {
	f, role, err := a.FolderRole(ctx, p, id)
	if err != nil {
		return FolderView{}, err
	}
	path, err := a.s.Documents.FolderPath(ctx, p.OrganizationID, id)
	if err != nil {
		return FolderView{}, err
	}
	return FolderView{Folder: f, Path: path, Role: role}, nil
}

// ListFolders lists the folders directly in parentID that the caller may view.
func (a *App) ListFolders(ctx context.Context, p Principal, parentID string) ([]tandem.Folder, error) {
	if err := p.role(tandem.RoleGuest); err != nil {
		return nil, err
	}
	if err := checkOptionalID("parent_id", parentID); err != nil {
		return nil, err
	}
	if parentID != "" {
		if _, _, err := a.FolderRole(ctx, p, parentID); err != nil {
			return nil, err
		}
	}
	q := tandem.FolderQuery{OrganizationID: p.OrganizationID, ParentID: parentID, Limit: 1000}
	if !seesEverything(p) {
		q.VisibleTo = p.UserID
	}
	return a.s.Documents.ListFolders(ctx, q)
}

// RenameFolder renames a folder; editors may.
func (a *App) RenameFolder(ctx context.Context, p Principal, id, name string) (FolderView, error) {
	if err := p.write(); err != nil {
		return FolderView{}, err
	}
	_, role, err := a.FolderRole(ctx, p, id)
	if err != nil {
		return FolderView{}, err
	}
	if err := needRole(role, tandem.DocRoleEditor); err != nil {
		return FolderView{}, err
	}
	name, err = cleanText("name", name, maxNameLen, true)
	if err != nil {
		return FolderView{}, err
	}
	if err := a.s.Documents.RenameFolder(ctx, p.OrganizationID, id, name, a.now()); err != nil {
		return FolderView{}, err
	}
	return a.GetFolder(ctx, p, id)
}

// MoveFolder moves a folder, with everything in it, under parentID.
func (a *App) MoveFolder(ctx context.Context, p Principal, id, parentID string) (FolderView, error) {
	if err := p.write(); err != nil {
		return FolderView{}, err
	}
	if err := checkOptionalID("parent_id", parentID); err != nil {
		return FolderView{}, err
	}
	_, role, err := a.FolderRole(ctx, p, id)
	if err != nil {
		return FolderView{}, err
	}
	if err := needRole(role, tandem.DocRoleEditor); err != nil {
		return FolderView{}, err
	}
	if err := a.canCreateIn(ctx, p, parentID); err != nil {
		return FolderView{}, err
	}
	if err := a.s.Documents.MoveFolder(ctx, p.OrganizationID, id, parentID, a.now()); err != nil {
		return FolderView{}, err
	}
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID})
	return a.GetFolder(ctx, p, id)
}

// DeleteFolder deletes an empty folder; owners of the folder may.
func (a *App) DeleteFolder(ctx context.Context, p Principal, id string) error {
	if err := p.write(); err != nil {
		return err
	}
	f, role, err := a.FolderRole(ctx, p, id)
	if err != nil {
		return err
	}
	if err := needRole(role, tandem.DocRoleOwner); err != nil {
		return err
	}
	// The documents in the folder's trash move to the top level.
	moved := a.trashedIn(ctx, p.OrganizationID, id)
	if err := a.s.Documents.DeleteFolder(ctx, p.OrganizationID, id); err != nil {
		return err
	}
	a.invalidate(ctx, p.OrganizationID, moved...)
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditFolderDeleted, "folder", id, map[string]string{"name": f.Name})
	return nil
}
