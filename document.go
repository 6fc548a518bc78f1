package tandem

import (
	"context"
	"time"
)

// Document is a document's metadata. Its content is a Yjs document kept by
// the document log under the same ID; the ID is also the document name the
// realtime service is asked for.
type Document struct {
	ID             string
	OrganizationID string
	FolderID       string // "" for the organization's top level
	Title          string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// TrashedAt is set while the document is in the trash; it is deleted
	// for good after the retention period.
	TrashedAt *time.Time
	TrashedBy string
}

// Folder groups documents and other folders.
type Folder struct {
	ID             string
	OrganizationID string
	ParentID       string // "" for the top level
	Name           string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DocumentSort is the order of a document list.
type DocumentSort string

const (
	SortUpdated DocumentSort = "updated" // most recently updated first
	SortTitle   DocumentSort = "title"   // by title, case-insensitively
)

// DocumentCursor is the position after which a list continues: the sort key
// and id of the last item of the previous page.
type DocumentCursor struct {
	UpdatedAt time.Time
	TitleKey  string
	ID        string
}

// DocumentQuery selects a page of an organization's documents.
type DocumentQuery struct {
	OrganizationID string
	// UserID is whose favorites mark the items (and FavoritesOnly keeps).
	UserID string
	// VisibleTo, when set, keeps only documents that user created or holds
	// a grant on, directly or through a folder. Empty means every document
	// of the organization (the caller has a default access to all).
	VisibleTo string
	// GrantsFor, when set, fills each item's Granted with the highest role
	// that user holds on it through grants (on the document or a folder
	// above it), so that a list can show the caller's role on every item.
	GrantsFor string
	// InFolder restricts the list to documents directly in FolderID ("" is
	// the top level).
	InFolder      bool
	FolderID      string
	CreatedBy     string
	UpdatedSince  time.Time
	Trashed       bool // list the trash instead of live documents
	FavoritesOnly bool
	Sort          DocumentSort
	After         *DocumentCursor
	Limit         int
}

// DocumentItem is one row of a document list.
type DocumentItem struct {
	Document
	Favorite bool
	// Granted is the role grants give DocumentQuery.GrantsFor (none
	// without grants, or when the query did not ask).
	Granted DocRole
}

// FolderQuery selects the folders directly in a parent folder.
type FolderQuery struct {
	OrganizationID string
	ParentID       string
	VisibleTo      string // as in DocumentQuery
	Limit          int
}

// TitleKey is the key documents are sorted by title with.
func TitleKey(title string) string { return foldTitle(title) }

// Documents stores document metadata, folders and favorites.
type Documents interface {
	// CreateDocument adds d; its folder must exist in its organization.
	CreateDocument(ctx context.Context, d Document) error
	Document(ctx context.Context, organizationID, id string) (Document, error)
	ListDocuments(ctx context.Context, q DocumentQuery) ([]DocumentItem, error)
	RenameDocument(ctx context.Context, organizationID, id, title string, at time.Time) error
	// MoveDocument puts the document into folderID ("" for the top level).
	MoveDocument(ctx context.Context, organizationID, id, folderID string, at time.Time) error
	// TouchDocument records that the content changed.
	TouchDocument(ctx context.Context, organizationID, id string, at time.Time) error
	TrashDocument(ctx context.Context, organizationID, id, by string, at time.Time) error
	// RestoreDocument takes a document out of the trash, into the top level
	// if its folder no longer exists.
	RestoreDocument(ctx context.Context, organizationID, id string, at time.Time) error
	// DeleteDocument removes the document with its grants, links and
	// favorites.
	DeleteDocument(ctx context.Context, organizationID, id string) error
	// PurgeTrash deletes, across organizations, up to limit documents
	// trashed before `before`, and returns them so that their content can be
	// deleted too. It is maintenance work, not a tenant query.
	PurgeTrash(ctx context.Context, before time.Time, limit int) ([]Document, error)

	CreateFolder(ctx context.Context, f Folder) error
	Folder(ctx context.Context, organizationID, id string) (Folder, error)
	ListFolders(ctx context.Context, q FolderQuery) ([]Folder, error)
	RenameFolder(ctx context.Context, organizationID, id, name string, at time.Time) error
	// MoveFolder reparents a folder; moving it under itself or one of its
	// descendants is invalid.
	MoveFolder(ctx context.Context, organizationID, id, parentID string, at time.Time) error
	// DeleteFolder deletes an empty folder (conflict if it holds folders or
	// live documents); documents in its trash move to the top level.
	DeleteFolder(ctx context.Context, organizationID, id string) error
	// FolderPath returns the folder's ancestors from the top level down,
	// ending with the folder itself.
	FolderPath(ctx context.Context, organizationID, id string) ([]Folder, error)

	AddFavorite(ctx context.Context, organizationID, userID, documentID string, at time.Time) error
	RemoveFavorite(ctx context.Context, organizationID, userID, documentID string) error
}
