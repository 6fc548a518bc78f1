package app

import (
	"context"
	"errors"

	"github.com/tandem-docs/tandem"
)

// CreateOrganization creates another organization owned by the signed-in
// user (anyone may start one; joining one needs an invitation).
func (a *App) CreateOrganization(ctx context.Context, p Principal, name string) (tandem.Organization, error) {
	if err := p.session(); err != nil {
		return tandem.Organization{}, err
	}
	name, err := cleanText("name", name, maxNameLen, true)
	if err != nil {
		return tandem.Organization{}, err
	}
	org := tandem.Organization{ID: tandem.NewID(), Name: name, DefaultAccess: tandem.DocRoleEditor, CreatedAt: a.now()}
	if err := a.s.Organizations.CreateOrganization(ctx, org, p.UserID); err != nil {
		return tandem.Organization{}, err
	}
	a.audit(ctx, org.ID, p.UserID, p.IP, tandem.AuditOrganizationCreate, "organization", org.ID, nil)
	return org, nil
}

// Organization returns the principal's organization.
func (a *App) Organization(ctx context.Context, p Principal) (tandem.Organization, error) {
	if err := p.role(tandem.RoleGuest); err != nil {
		return tandem.Organization{}, err
	}
	return a.s.Organizations.Organization(ctx, p.OrganizationID)
}

// OrganizationUpdate changes an organization's settings; nil fields stay.
type OrganizationUpdate struct {
	Name          *string
	DefaultAccess *tandem.DocRole
}

// UpdateOrganization changes the name or the members' default access;
// admins and owners only.
func (a *App) UpdateOrganization(ctx context.Context, p Principal, u OrganizationUpdate) (tandem.Organization, error) {
	if err := p.writeRole(tandem.RoleAdmin); err != nil {
		return tandem.Organization{}, err
	}
	org, err := a.s.Organizations.Organization(ctx, p.OrganizationID)
	if err != nil {
		return tandem.Organization{}, err
	}
	if u.Name != nil {
		if org.Name, err = cleanText("name", *u.Name, maxNameLen, true); err != nil {
			return tandem.Organization{}, err
		}
	}
	changed := false
	if u.DefaultAccess != nil {
		r := *u.DefaultAccess
		if r != tandem.DocRoleNone && !r.Valid() || r == tandem.DocRoleOwner {
			return tandem.Organization{}, tandem.Invalid("default_access", `default access is "", "viewer", "commenter" or "editor"`)
		}
		changed = r != org.DefaultAccess
		org.DefaultAccess = r
	}
	if err := a.s.Organizations.UpdateOrganization(ctx, org); err != nil {
		return tandem.Organization{}, err
	}
	a.audit(ctx, org.ID, p.UserID, p.IP, tandem.AuditOrganizationUpdate, "organization", org.ID,
		map[string]string{"name": org.Name, "default_access": string(org.DefaultAccess)})
	if changed {
		// Raised too: instances drop the old default from their
		// credential caches.
		a.publish(ctx, tandem.PermissionChange{OrganizationID: org.ID})
	}
	return org, nil
}

// NewInvitation is an invitation just created: Token goes into the link
// and is shown once.
type NewInvitation struct {
	Token string
	tandem.Invitation
}

// Invite invites an email address to join with a role. Admins invite; only
// owners invite owners.
func (a *App) Invite(ctx context.Context, p Principal, email string, role tandem.Role) (NewInvitation, error) {
	if err := p.writeRole(tandem.RoleAdmin); err != nil {
		return NewInvitation{}, err
	}
	email, err := normalizeEmail("email", email)
	if err != nil {
		return NewInvitation{}, err
	}
	if !role.Valid() {
		return NewInvitation{}, tandem.Invalid("role", `role is "owner", "admin", "member" or "guest"`)
	}
	if role.Rank() > p.Role.Rank() {
		return NewInvitation{}, forbidden("you cannot invite to a role above your own")
	}
	if u, err := a.s.Accounts.UserByEmail(ctx, email); err == nil {
		if _, err := a.s.Organizations.Member(ctx, p.OrganizationID, u.ID); err == nil {
			return NewInvitation{}, tandem.Errorf(tandem.CodeConflict, "already a member of this organization")
		}
	}
	token := newToken(prefixInvitation)
	now := a.now()
	inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: p.OrganizationID, Email: email, Role: role,
		TokenHash: hashToken(token), InvitedBy: p.UserID, CreatedAt: now, ExpiresAt: now.Add(a.cfg.InvitationTTL)}
	// The store enforces the limit on pending invitations atomically.
	if err := a.s.Organizations.CreateInvitation(ctx, inv, a.cfg.MaxPendingInvitations); err != nil {
		return NewInvitation{}, err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditMemberInvited, "invitation", inv.ID,
		map[string]string{"email": email, "role": string(role)})
	return NewInvitation{Token: token, Invitation: inv}, nil
}

// ListInvitations lists pending invitations; admins and owners only.
func (a *App) ListInvitations(ctx context.Context, p Principal) ([]tandem.Invitation, error) {
	if err := p.role(tandem.RoleAdmin); err != nil {
		return nil, err
	}
	return a.s.Organizations.ListInvitations(ctx, p.OrganizationID)
}

// RevokeInvitation deletes a pending invitation.
func (a *App) RevokeInvitation(ctx context.Context, p Principal, id string) error {
	if err := p.writeRole(tandem.RoleAdmin); err != nil {
		return err
	}
	if err := checkID("id", id); err != nil {
		return err
	}
	if err := a.s.Organizations.DeleteInvitation(ctx, p.OrganizationID, id); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditInvitationRevoked, "invitation", id, nil)
	return nil
}

// InvitationInfo is what the holder of an invitation link may see before
// accepting it.
type InvitationInfo struct {
	OrganizationName string
	Email            string
	Role             tandem.Role
	// HasAccount tells the client to sign in and Join instead of
	// AcceptInvitation.
	HasAccount bool
}

func (a *App) invitation(ctx context.Context, token string) (tandem.Invitation, error) {
	gone := tandem.Errorf(tandem.CodeNotFound, "the invitation is invalid, used or expired")
	if len(token) > 128 || len(token) <= len(prefixInvitation) || token[:len(prefixInvitation)] != prefixInvitation {
		return tandem.Invitation{}, gone
	}
	inv, err := a.s.Organizations.InvitationByHash(ctx, hashToken(token))
	if errors.Is(err, tandem.ErrNotFound) {
		return tandem.Invitation{}, gone
	}
	if err != nil {
		return tandem.Invitation{}, err
	}
	if inv.AcceptedAt != nil || !a.now().Before(inv.ExpiresAt) {
		return tandem.Invitation{}, gone
	}
	return inv, nil
}

// LookupInvitation describes a pending invitation to the holder of its token.
func (a *App) LookupInvitation(ctx context.Context, token string) (InvitationInfo, error) {
	inv, err := a.invitation(ctx, token)
	if err != nil {
		return InvitationInfo{}, err
	}
	org, err := a.s.Organizations.Organization(ctx, inv.OrganizationID)
	if err != nil {
		return InvitationInfo{}, err
	}
	_, err = a.s.Accounts.UserByEmail(ctx, inv.Email)
	if err != nil && !errors.Is(err, tandem.ErrNotFound) {
		return InvitationInfo{}, err
	}
	return InvitationInfo{OrganizationName: org.Name, Email: inv.Email, Role: inv.Role, HasAccount: err == nil}, nil
}

// AcceptInput creates an account through an invitation.
type AcceptInput struct {
	Token, Name, Password string
	IP, UserAgent         string
}

// AcceptInvitation creates the invited person's account, makes them a
// member and signs them in. The email is the invitation's.
func (a *App) AcceptInvitation(ctx context.Context, in AcceptInput) (LoginResult, error) {
	inv, err := a.invitation(ctx, in.Token)
	if err != nil {
		return LoginResult{}, err
	}
	name, err := cleanText("name", in.Name, maxNameLen, true)
	if err != nil {
		return LoginResult{}, err
	}
	if err := checkPassword("password", in.Password); err != nil {
		return LoginResult{}, err
	}
	if _, err := a.s.Accounts.UserByEmail(ctx, inv.Email); err == nil {
		return LoginResult{}, tandem.Errorf(tandem.CodeConflict, "an account with this email exists: sign in to accept")
	}
	hash, err := a.hasher.hash(ctx, in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	now := a.now()
	u := tandem.User{ID: tandem.NewID(), Email: inv.Email, Name: name, PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	if err := a.s.Organizations.AcceptInvitation(ctx, inv.ID, u, true, now); err != nil {
		return LoginResult{}, err
	}
	a.audit(ctx, inv.OrganizationID, u.ID, in.IP, tandem.AuditMemberJoined, "user", u.ID, map[string]string{"role": string(inv.Role)})
	return a.startSession(ctx, u, inv.OrganizationID, in.IP, in.UserAgent)
}

// JoinInvitation accepts an invitation with an existing account; the
// invitation must be for the signed-in user's email.
func (a *App) JoinInvitation(ctx context.Context, p Principal, token string) (tandem.Membership, error) {
	if err := p.session(); err != nil {
		return tandem.Membership{}, err
	}
	inv, err := a.invitation(ctx, token)
	if err != nil {
		return tandem.Membership{}, err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return tandem.Membership{}, err
	}
	if u.Email != inv.Email {
		return tandem.Membership{}, forbidden("this invitation is for another email address")
	}
	if err := a.s.Organizations.AcceptInvitation(ctx, inv.ID, u, false, a.now()); err != nil {
		return tandem.Membership{}, err
	}
	a.audit(ctx, inv.OrganizationID, u.ID, p.IP, tandem.AuditMemberJoined, "user", u.ID, map[string]string{"role": string(inv.Role)})
	org, err := a.s.Organizations.Organization(ctx, inv.OrganizationID)
	if err != nil {
		return tandem.Membership{}, err
	}
	return tandem.Membership{Organization: org, Role: inv.Role}, nil
}

// MemberPage is a page of members.
type MemberPage struct {
	Items      []tandem.Member
	NextCursor string
}

// ListMembers lists the organization's members; guests may not.
func (a *App) ListMembers(ctx context.Context, p Principal, cursor string, limit int) (MemberPage, error) {
	if err := p.role(tandem.RoleMember); err != nil {
		return MemberPage{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return MemberPage{}, err
	}
	if len(cursor) > 254 {
		return MemberPage{}, tandem.Invalid("cursor", "invalid cursor")
	}
	items, err := a.s.Organizations.ListMembers(ctx, p.OrganizationID, cursor, limit+1)
	if err != nil {
		return MemberPage{}, err
	}
	page := MemberPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = items[limit-1].Email
	}
	return page, nil
}

// canManage reports whether p may change the membership of a member with
// role target: admins manage members and guests and other admins, only
// owners manage owners.
func canManage(p Principal, target tandem.Role) bool {
	if p.Role == tandem.RoleOwner {
		return true
	}
	return p.Role == tandem.RoleAdmin && target != tandem.RoleOwner
}

// SetRole changes a member's role. It takes effect at once: listeners are
// told, so open connections are re-checked.
func (a *App) SetRole(ctx context.Context, p Principal, userID string, role tandem.Role) error {
	if err := p.writeRole(tandem.RoleAdmin); err != nil {
		return err
	}
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	if !role.Valid() {
		return tandem.Invalid("role", `role is "owner", "admin", "member" or "guest"`)
	}
	m, err := a.s.Organizations.Member(ctx, p.OrganizationID, userID)
	if err != nil {
		return err
	}
	if !canManage(p, m.Role) || !canManage(p, role) {
		return forbidden("only owners change owners")
	}
	if m.Role == role {
		return nil
	}
	if err := a.s.Organizations.SetRole(ctx, p.OrganizationID, userID, role); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditRoleChanged, "user", userID,
		map[string]string{"from": string(m.Role), "to": string(role)})
	// A raised role is published too: instances that remember the old one
	// for their credential cache drop it.
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, UserID: userID})
	return nil
}

// RemoveMember removes a member (or, for anyone, themselves: leaving). Their
// grants and tokens go with the membership, and their open connections
// are closed.
func (a *App) RemoveMember(ctx context.Context, p Principal, userID string) error {
	if err := p.writeRole(tandem.RoleGuest); err != nil {
		return err
	}
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	if userID != p.UserID {
		if err := p.role(tandem.RoleAdmin); err != nil {
			return err
		}
		m, err := a.s.Organizations.Member(ctx, p.OrganizationID, userID)
		if err != nil {
			return err
		}
		if !canManage(p, m.Role) {
			return forbidden("only owners remove owners")
		}
	}
	if err := a.s.Organizations.RemoveMember(ctx, p.OrganizationID, userID); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditMemberRemoved, "user", userID, nil)
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, UserID: userID})
	return nil
}

// Member returns one member of the organization; guests may not look.
func (a *App) Member(ctx context.Context, p Principal, userID string) (tandem.Member, error) {
	if err := p.role(tandem.RoleMember); err != nil {
		return tandem.Member{}, err
	}
	if err := checkID("user_id", userID); err != nil {
		return tandem.Member{}, err
	}
	return a.s.Organizations.Member(ctx, p.OrganizationID, userID)
}
