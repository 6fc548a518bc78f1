package app

import (
	"context"
	"errors"

	"github.com/tandem-docs/tandem"
)

// DocumentRole is the one answer to "what may principal p do on document
// id": every document operation, and the realtime service through
// Authorize, asks it. The rules:
//
//   - A public link opens its one document, read-only, while the document
//     is not in the trash.
//   - Owners and admins of the organization own every document in it.
//   - Members get the organization's default access on every document.
//   - Whoever created a document owns it (while still a member or guest).
//   - A grant on the document, or on any folder above it, gives its role.
//   - The highest of these wins; guests get only the last two.
//
// A principal with no role on the document gets not_found, the same answer
// as for a document that does not exist, so that ids of other people's or
// other organizations' documents reveal nothing.
func (a *App) DocumentRole(ctx context.Context, p Principal, id string) (tandem.Document, tandem.DocRole, error) {
	// Made only on the way out: most callers may see the document.
	notFound := func() error { return tandem.Errorf(tandem.CodeNotFound, "document not found") }
	if !tandem.ValidID(id) || p.OrganizationID == "" {
		return tandem.Document{}, tandem.DocRoleNone, notFound()
	}
	if p.Kind == KindLink {
		if id != p.LinkDocumentID {
			return tandem.Document{}, tandem.DocRoleNone, notFound()
		}
		d, err := a.document(ctx, p.OrganizationID, id)
		if errors.Is(err, tandem.ErrNotFound) || err == nil && d.TrashedAt != nil {
			return tandem.Document{}, tandem.DocRoleNone, notFound()
		}
		if err != nil {
			return tandem.Document{}, tandem.DocRoleNone, err
		}
		return d, tandem.DocRoleViewer, nil
	}
	if p.UserID == "" || p.Role.Rank() == 0 {
		return tandem.Document{}, tandem.DocRoleNone, notFound()
	}
	if baseRole(p) == tandem.DocRoleOwner {
		// Owners and admins own every document: no grant can change their
		// role, so the metadata alone answers, and it may come from the
		// cache.
		d, err := a.document(ctx, p.OrganizationID, id)
		if errors.Is(err, tandem.ErrNotFound) {
			return tandem.Document{}, tandem.DocRoleNone, notFound()
		}
		if err != nil {
			return tandem.Document{}, tandem.DocRoleNone, err
		}
		return d, tandem.DocRoleOwner, nil
	}
	d, granted, err := a.s.Shares.DocumentAccess(ctx, p.OrganizationID, id, p.UserID)
	if errors.Is(err, tandem.ErrNotFound) {
		return tandem.Document{}, tandem.DocRoleNone, notFound()
	}
	if err != nil {
		return tandem.Document{}, tandem.DocRoleNone, err
	}
	role := tandem.MaxDocRole(baseRole(p), granted)
	if d.CreatedBy == p.UserID {
		role = tandem.DocRoleOwner
	}
	if role == tandem.DocRoleNone {
		return tandem.Document{}, tandem.DocRoleNone, notFound()
	}
	return d, role, nil
}

// FolderRole is DocumentRole for folders, by the same rules.
func (a *App) FolderRole(ctx context.Context, p Principal, id string) (tandem.Folder, tandem.DocRole, error) {
	notFound := func() error { return tandem.Errorf(tandem.CodeNotFound, "folder not found") }
	if !tandem.ValidID(id) || p.Kind == KindLink || p.UserID == "" || p.Role.Rank() == 0 {
		return tandem.Folder{}, tandem.DocRoleNone, notFound()
	}
	f, granted, err := a.s.Shares.FolderAccess(ctx, p.OrganizationID, id, p.UserID)
	if errors.Is(err, tandem.ErrNotFound) {
		return tandem.Folder{}, tandem.DocRoleNone, notFound()
	}
	if err != nil {
		return tandem.Folder{}, tandem.DocRoleNone, err
	}
	role := tandem.MaxDocRole(baseRole(p), granted)
	if f.CreatedBy == p.UserID {
		role = tandem.DocRoleOwner
	}
	if role == tandem.DocRoleNone {
		return tandem.Folder{}, tandem.DocRoleNone, notFound()
	}
	return f, role, nil
}

// baseRole is what the organization role gives on every document.
func baseRole(p Principal) tandem.DocRole {
	switch p.Role {
	case tandem.RoleOwner, tandem.RoleAdmin:
		return tandem.DocRoleOwner
	case tandem.RoleMember:
		return p.DefaultAccess
	}
	return tandem.DocRoleNone
}

// seesEverything reports whether p may view every document of the
// organization, so that lists need no per-document filter.
func seesEverything(p Principal) bool { return baseRole(p).AtLeast(tandem.DocRoleViewer) }

// needRole returns forbidden unless role includes min. It is called after
// DocumentRole found some role, so the document's existence is no secret.
func needRole(role, min tandem.DocRole) error {
	if !role.AtLeast(min) {
		return forbidden("you need " + string(min) + " access to do this")
	}
	return nil
}

// Authorization is the realtime service's answer for one connection.
type Authorization struct {
	UserID         string // "" for a public link
	Name           string
	OrganizationID string
	DocumentID     string
	Access         tandem.Access
}

// Authorize tells the realtime service what the holder of credentials may
// do on the document named documentName (the document id): read-write for
// editors and owners, read-only for commenters, viewers, read-only API
// tokens, public links and documents in the trash, none otherwise. Denials
// come with Access none and a tandem error (unauthorized for bad
// credentials, not_found for no access); other errors are failures.
func (a *App) Authorize(ctx context.Context, c tandem.Credentials, documentName string) (Authorization, error) {
	p, err := a.Authenticate(ctx, c)
	if err != nil {
		return Authorization{}, err
	}
	d, role, err := a.DocumentRole(ctx, p, documentName)
	if err != nil {
		return Authorization{}, err
	}
	az := Authorization{UserID: p.UserID, OrganizationID: p.OrganizationID, DocumentID: d.ID, Access: tandem.AccessReadOnly}
	if role.AtLeast(tandem.DocRoleEditor) && p.write() == nil && d.TrashedAt == nil {
		az.Access = tandem.AccessReadWrite
	}
	if p.UserID != "" {
		if u, err := a.s.Accounts.User(ctx, p.UserID); err == nil {
			az.Name = u.Name
		}
	}
	return az, nil
}

// AuthorizeRealtime is Authorize with the realtime service's convention
// (collab.Authorizer): a denial (bad credentials, no access, no such
// document) is Access none with no error; an error means the answer could
// not be decided (a store is down) and the client should retry.
func (a *App) AuthorizeRealtime(ctx context.Context, c tandem.Credentials, documentName string) (Authorization, error) {
	az, err := a.Authorize(ctx, c, documentName)
	switch tandem.ErrorCode(err) {
	case "":
		return az, nil
	case tandem.CodeUnauthorized, tandem.CodeNotFound, tandem.CodeForbidden, tandem.CodeInvalid:
		return Authorization{Access: tandem.AccessNone}, nil
	}
	return Authorization{Access: tandem.AccessNone}, err
}
