package tandem

import (
	"context"
	"time"
)

// Organization is a tenant: its members, documents, shares and audit log
// are invisible to every other organization.
type Organization struct {
	ID   string
	Name string
	// DefaultAccess is what every member (not guest) may do on every
	// document of the organization without a grant; DocRoleNone makes
	// documents private to their creator and the people they are shared
	// with.
	DefaultAccess DocRole
	CreatedAt     time.Time
}

// Role is a member's role in an organization.
type Role string

const (
	RoleOwner  Role = "owner"  // everything, including other owners
	RoleAdmin  Role = "admin"  // manages members and settings, reads the audit log
	RoleMember Role = "member" // creates documents; DefaultAccess on the rest
	RoleGuest  Role = "guest"  // sees only what is shared with them
)

// Rank orders roles: owner > admin > member > guest > unknown (0).
func (r Role) Rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleGuest:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Member is a user's membership of an organization, with the user's public
// fields for listing.
type Member struct {
	OrganizationID string
	UserID         string
	Role           Role
	Email          string
	Name           string
	CreatedAt      time.Time
}

// Membership is one organization a user belongs to.
type Membership struct {
	Organization Organization
	Role         Role
}

// Invitation lets the holder of its link join an organization with a role.
// Only the token's hash is stored.
type Invitation struct {
	ID             string
	OrganizationID string
	Email          string
	Role           Role
	TokenHash      string
	InvitedBy      string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	AcceptedAt     *time.Time
	AcceptedBy     string
}

// Organizations stores organizations, memberships and invitations.
type Organizations interface {
	// SignUp creates the user, the organization and the user's owner
	// membership in one transaction. With firstOnly it fails with
	// forbidden if any organization exists already, so that exactly one
	// of several concurrent first sign-ups wins.
	SignUp(ctx context.Context, u User, org Organization, firstOnly bool) error
	// CreateOrganization creates org with an existing user as its owner.
	CreateOrganization(ctx context.Context, org Organization, ownerID string) error
	Organization(ctx context.Context, id string) (Organization, error)
	UpdateOrganization(ctx context.Context, org Organization) error
	// UserOrganizations lists the organizations a user belongs to.
	UserOrganizations(ctx context.Context, userID string) ([]Membership, error)

	Member(ctx context.Context, organizationID, userID string) (Member, error)
	// Membership returns the user's role in the organization together with
	// the organization, in one query: every authenticated request asks.
	Membership(ctx context.Context, organizationID, userID string) (Membership, error)
	// ListMembers lists members ordered by email, after the given email.
	ListMembers(ctx context.Context, organizationID, afterEmail string, limit int) ([]Member, error)
	// SetRole changes a member's role. Demoting the last owner is a conflict.
	SetRole(ctx context.Context, organizationID, userID string, role Role) error
	// RemoveMember removes a member together with everything that gave the
	// user access in the organization (grants, API tokens) and their
	// favorites. Removing the last owner is a conflict.
	RemoveMember(ctx context.Context, organizationID, userID string) error

	// CreateInvitation adds inv unless its organization has maxPending
	// pending invitations (neither accepted nor expired at inv.CreatedAt)
	// already, which is a conflict. The count and the insert are one
	// transaction, so concurrent invitations cannot pass the limit
	// together. Invitations of the organization that expired unaccepted
	// are deleted in the same transaction: they can no longer be used, and
	// so the organization's list stays bounded.
	CreateInvitation(ctx context.Context, inv Invitation, maxPending int) error
	InvitationByHash(ctx context.Context, hash string) (Invitation, error)
	// ListInvitations lists the organization's invitations not yet accepted.
	ListInvitations(ctx context.Context, organizationID string) ([]Invitation, error)
	DeleteInvitation(ctx context.Context, organizationID, id string) error
	// AcceptInvitation, in one transaction: checks that the invitation is
	// neither accepted nor expired at `at` (else not_found), creates u if
	// createUser, adds u as a member with the invitation's role (conflict if
	// already a member) and marks the invitation accepted.
	AcceptInvitation(ctx context.Context, id string, u User, createUser bool, at time.Time) error
}
