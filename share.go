package tandem

import (
	"context"
	"time"
)

// ResourceType says what a grant is on.
type ResourceType string

const (
	ResourceDocument ResourceType = "document"
	ResourceFolder   ResourceType = "folder"
)

// Valid reports whether t is a known resource type.
func (t ResourceType) Valid() bool { return t == ResourceDocument || t == ResourceFolder }

// Grant gives one member or guest a role on a document, or on a folder and
// everything below it.
type Grant struct {
	OrganizationID string
	ResourceType   ResourceType
	ResourceID     string
	UserID         string
	Role           DocRole
	CreatedBy      string
	CreatedAt      time.Time
	// Email and Name of the grantee, filled in by Grants for display.
	Email string
	Name  string
}

// PublicLink gives anyone holding its token read-only access to one
// document. Only the token's hash is stored.
type PublicLink struct {
	ID             string
	OrganizationID string
	DocumentID     string
	TokenHash      string
	Prefix         string
	CreatedBy      string
	CreatedAt      time.Time
	ExpiresAt      *time.Time
	RevokedAt      *time.Time
}

// Shares stores grants and public links, and answers the access questions
// the permission check needs in one round trip each.
type Shares interface {
	// PutGrant creates or replaces the grant for (resource, user). The
	// resource must exist in the organization and the user must be a
	// member of it (not_found otherwise).
	PutGrant(ctx context.Context, g Grant) error
	DeleteGrant(ctx context.Context, organizationID string, t ResourceType, resourceID, userID string) error
	Grants(ctx context.Context, organizationID string, t ResourceType, resourceID string) ([]Grant, error)

	// DocumentAccess returns the document and the highest role granted to
	// userID on it directly or on any folder above it (DocRoleNone if none).
	DocumentAccess(ctx context.Context, organizationID, documentID, userID string) (Document, DocRole, error)
	// FolderAccess is DocumentAccess for a folder (its own grants and its
	// ancestors').
	FolderAccess(ctx context.Context, organizationID, folderID, userID string) (Folder, DocRole, error)

	CreatePublicLink(ctx context.Context, l PublicLink) error
	PublicLinkByHash(ctx context.Context, hash string) (PublicLink, error)
	PublicLinks(ctx context.Context, organizationID, documentID string) ([]PublicLink, error)
	RevokePublicLink(ctx context.Context, organizationID, id string, at time.Time) error
}
