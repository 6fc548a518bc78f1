package app

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// resourceRole is DocumentRole or FolderRole by resource type.
func (a *App) resourceRole(ctx context.Context, p Principal, t tandem.ResourceType, id string) (tandem.DocRole, error) {
	switch t {
	case tandem.ResourceDocument:
		_, role, err := a.DocumentRole(ctx, p, id)
		return role, err
	case tandem.ResourceFolder:
		_, role, err := a.FolderRole(ctx, p, id)
		return role, err
	}
	return tandem.DocRoleNone, tandem.Invalid("resource_type", `resource type is "document" or "folder"`)
}

func change(p Principal, t tandem.ResourceType, resourceID, userID string) tandem.PermissionChange {
	c := tandem.PermissionChange{OrganizationID: p.OrganizationID, UserID: userID}
	if t == tandem.ResourceDocument {
		c.DocumentID = resourceID
	}
	return c
}

// Share gives a member or guest a role on a document or folder (and
// everything below it); owners of the resource may. It replaces the
// user's earlier grant there.
func (a *App) Share(ctx context.Context, p Principal, t tandem.ResourceType, resourceID, userID string, role tandem.DocRole) (tandem.Grant, error) {
	if err := p.write(); err != nil {
		return tandem.Grant{}, err
	}
	if err := checkID("user_id", userID); err != nil {
		return tandem.Grant{}, err
	}
	if !role.Valid() {
		return tandem.Grant{}, tandem.Invalid("role", `role is "owner", "editor", "commenter" or "viewer"`)
	}
	mine, err := a.resourceRole(ctx, p, t, resourceID)
	if err != nil {
		return tandem.Grant{}, err
	}
	if err := needRole(mine, tandem.DocRoleOwner); err != nil {
		return tandem.Grant{}, err
	}
	g := tandem.Grant{OrganizationID: p.OrganizationID, ResourceType: t, ResourceID: resourceID, UserID: userID,
		Role: role, CreatedBy: p.UserID, CreatedAt: a.now()}
	if err := a.s.Shares.PutGrant(ctx, g); err != nil {
		return tandem.Grant{}, err
	}
	if m, err := a.s.Organizations.Member(ctx, p.OrganizationID, userID); err == nil {
		g.Email, g.Name = m.Email, m.Name
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditShareGranted, string(t), resourceID,
		map[string]string{"user_id": userID, "role": string(role)})
	// The grant may replace a higher one.
	a.publish(ctx, change(p, t, resourceID, userID))
	return g, nil
}

// Unshare removes a user's grant; owners of the resource may, and anyone
// may drop a grant of their own.
func (a *App) Unshare(ctx context.Context, p Principal, t tandem.ResourceType, resourceID, userID string) error {
	if err := p.write(); err != nil {
		return err
	}
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	mine, err := a.resourceRole(ctx, p, t, resourceID)
	if err != nil {
		return err
	}
	if userID != p.UserID {
		if err := needRole(mine, tandem.DocRoleOwner); err != nil {
			return err
		}
	}
	if err := a.s.Shares.DeleteGrant(ctx, p.OrganizationID, t, resourceID, userID); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditShareRevoked, string(t), resourceID, map[string]string{"user_id": userID})
	a.publish(ctx, change(p, t, resourceID, userID))
	return nil
}

// ListGrants lists who has been given access to a resource; editors and
// owners of it may see.
func (a *App) ListGrants(ctx context.Context, p Principal, t tandem.ResourceType, resourceID string) ([]tandem.Grant, error) {
	if err := p.user(); err != nil {
		return nil, err
	}
	mine, err := a.resourceRole(ctx, p, t, resourceID)
	if err != nil {
		return nil, err
	}
	if err := needRole(mine, tandem.DocRoleEditor); err != nil {
		return nil, err
	}
	return a.s.Shares.Grants(ctx, p.OrganizationID, t, resourceID)
}

// NewPublicLink is a public link just created: Token is its secret, shown
// once.
type NewPublicLink struct {
	Token string
	tandem.PublicLink
}

// CreatePublicLink makes a read-only link to a document for anyone who
// holds it; owners of the document may.
func (a *App) CreatePublicLink(ctx context.Context, p Principal, documentID string, expiresAt *time.Time) (NewPublicLink, error) {
	d, _, err := a.editable(ctx, p, documentID, tandem.DocRoleOwner)
	if err != nil {
		return NewPublicLink{}, err
	}
	now := a.now()
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return NewPublicLink{}, tandem.Invalid("expires_at", "the expiry must be in the future")
		}
		expiresAt = &e
	}
	existing, err := a.s.Shares.PublicLinks(ctx, p.OrganizationID, d.ID)
	if err != nil {
		return NewPublicLink{}, err
	}
	live := 0
	for _, l := range existing {
		if l.RevokedAt == nil {
			live++
		}
	}
	// Revoked links stay listed (they say who could read when); they too
	// are bounded.
	if live >= MaxPublicLinks || len(existing) >= 20*MaxPublicLinks {
		return NewPublicLink{}, tandem.Errorf(tandem.CodeConflict, "at most %d public links per document; delete one first", MaxPublicLinks)
	}
	token := newToken(prefixLink)
	l := tandem.PublicLink{ID: tandem.NewID(), OrganizationID: p.OrganizationID, DocumentID: d.ID, TokenHash: hashToken(token),
		Prefix: token[:len(prefixLink)+6], CreatedBy: p.UserID, CreatedAt: now, ExpiresAt: expiresAt}
	if err := a.s.Shares.CreatePublicLink(ctx, l); err != nil {
		return NewPublicLink{}, err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditLinkCreated, "document", d.ID, map[string]string{"link_id": l.ID})
	return NewPublicLink{Token: token, PublicLink: l}, nil
}

// ListPublicLinks lists a document's links (without their secrets).
func (a *App) ListPublicLinks(ctx context.Context, p Principal, documentID string) ([]tandem.PublicLink, error) {
	if err := p.user(); err != nil {
		return nil, err
	}
	_, role, err := a.DocumentRole(ctx, p, documentID)
	if err != nil {
		return nil, err
	}
	if err := needRole(role, tandem.DocRoleOwner); err != nil {
		return nil, err
	}
	return a.s.Shares.PublicLinks(ctx, p.OrganizationID, documentID)
}

// RevokePublicLink turns a link off for good; connections opened with it
// are told to close.
func (a *App) RevokePublicLink(ctx context.Context, p Principal, documentID, linkID string) error {
	if err := p.write(); err != nil {
		return err
	}
	if err := checkID("link_id", linkID); err != nil {
		return err
	}
	_, role, err := a.DocumentRole(ctx, p, documentID)
	if err != nil {
		return err
	}
	if err := needRole(role, tandem.DocRoleOwner); err != nil {
		return err
	}
	links, err := a.s.Shares.PublicLinks(ctx, p.OrganizationID, documentID)
	if err != nil {
		return err
	}
	found := false
	for _, l := range links {
		found = found || l.ID == linkID
	}
	if !found {
		return tandem.Errorf(tandem.CodeNotFound, "link not found")
	}
	if err := a.s.Shares.RevokePublicLink(ctx, p.OrganizationID, linkID, a.now()); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditLinkRevoked, "document", documentID, map[string]string{"link_id": linkID})
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, DocumentID: documentID})
	return nil
}
