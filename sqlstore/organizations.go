package sqlstore

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

func (s *Store) insertOrganization(ctx context.Context, q Querier, org tandem.Organization, ownerID string) error {
	if _, err := q.Exec(ctx, `INSERT INTO organizations (id, name, default_access, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, org.Name, string(org.DefaultAccess), s.ts(org.CreatedAt)); err != nil {
		if s.d.Unique(err) {
			return tandem.Errorf(tandem.CodeConflict, "organization exists")
		}
		return s.err(err)
	}
	_, err := q.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, ownerID, string(tandem.RoleOwner), s.ts(org.CreatedAt))
	if s.d.ForeignKey(err) {
		return notFound("user")
	}
	return s.err(err)
}

func (s *Store) SignUp(ctx context.Context, u tandem.User, org tandem.Organization, firstOnly bool) error {
	return s.tx(ctx, func(q Querier) error {
		if firstOnly {
			if err := s.d.LockSignUp(ctx, q); err != nil {
				return s.err(err)
			}
			var exists bool
			if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organizations)`).Scan(&exists); err != nil {
				return s.err(err)
			}
			if exists {
				return tandem.Errorf(tandem.CodeForbidden, "sign-up is by invitation only")
			}
		}
		if err := s.insertUser(ctx, q, u); err != nil {
			return err
		}
		return s.insertOrganization(ctx, q, org, u.ID)
	})
}

func (s *Store) CreateOrganization(ctx context.Context, org tandem.Organization, ownerID string) error {
	return s.tx(ctx, func(q Querier) error { return s.insertOrganization(ctx, q, org, ownerID) })
}

func (s *Store) Organization(ctx context.Context, id string) (tandem.Organization, error) {
	var o tandem.Organization
	var access string
	err := s.r.QueryRow(ctx, `SELECT id, name, default_access, created_at FROM organizations WHERE id = $1`, id).Scan(
		&o.ID, &o.Name, &access, timeCol{&o.CreatedAt})
	o.DefaultAccess = tandem.DocRole(access)
	return one(s, o, err, "organization")
}

func (s *Store) UpdateOrganization(ctx context.Context, org tandem.Organization) error {
	n, err := s.w.Exec(ctx, `UPDATE organizations SET name = $2, default_access = $3 WHERE id = $1`, org.ID, org.Name, string(org.DefaultAccess))
	return s.affected(n, err, "organization")
}

const membershipSelect = `SELECT o.id, o.name, o.default_access, o.created_at, m.role
	FROM memberships m JOIN organizations o ON o.id = m.organization_id`

func scanMembership(row Row) (tandem.Membership, error) {
	var m tandem.Membership
	var access, role string
	err := row.Scan(&m.Organization.ID, &m.Organization.Name, &access, timeCol{&m.Organization.CreatedAt}, &role)
	m.Organization.DefaultAccess, m.Role = tandem.DocRole(access), tandem.Role(role)
	return m, err
}

func (s *Store) UserOrganizations(ctx context.Context, userID string) ([]tandem.Membership, error) {
	rows, err := s.r.Query(ctx, membershipSelect+` WHERE m.user_id = $1 ORDER BY o.name, o.id`, userID)
	return collect(s, rows, err, scanMembership)
}

func (s *Store) Membership(ctx context.Context, organizationID, userID string) (tandem.Membership, error) {
	m, err := scanMembership(s.r.QueryRow(ctx, membershipSelect+` WHERE m.organization_id = $1 AND m.user_id = $2`, organizationID, userID))
	return one(s, m, err, "member")
}

const memberSelect = `SELECT m.organization_id, m.user_id, m.role, u.email, u.name, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

func scanMember(row Row) (tandem.Member, error) {
	var m tandem.Member
	var role string
	err := row.Scan(&m.OrganizationID, &m.UserID, &role, &m.Email, &m.Name, timeCol{&m.CreatedAt})
	m.Role = tandem.Role(role)
	return m, err
}

func (s *Store) Member(ctx context.Context, organizationID, userID string) (tandem.Member, error) {
	m, err := scanMember(s.r.QueryRow(ctx, memberSelect+` WHERE m.organization_id = $1 AND m.user_id = $2`, organizationID, userID))
	return one(s, m, err, "member")
}

// ListMembers is a lag-tolerant read (see Replicated).
func (s *Store) ListMembers(ctx context.Context, organizationID, afterEmail string, n int) ([]tandem.Member, error) {
	rows, err := s.lagged(ctx).Query(ctx, memberSelect+` WHERE m.organization_id = $1 AND u.email > $2 ORDER BY u.email`+limit(n),
		organizationID, afterEmail)
	out, err := collect(s, rows, err, scanMember)
	return first(out, n), err
}

// lastOwnerCheck fails if userID is the organization's only owner.
func (s *Store) lastOwnerCheck(ctx context.Context, q Querier, organizationID, userID string) error {
	var role string
	err := q.QueryRow(ctx, `SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2`, organizationID, userID).Scan(&role)
	if s.d.NoRows(err) {
		return notFound("member")
	}
	if err != nil {
		return s.err(err)
	}
	if tandem.Role(role) != tandem.RoleOwner {
		return nil
	}
	var owners int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2`,
		organizationID, string(tandem.RoleOwner)).Scan(&owners); err != nil {
		return s.err(err)
	}
	if owners <= 1 {
		return tandem.Errorf(tandem.CodeConflict, "an organization keeps at least one owner")
	}
	return nil
}

func (s *Store) SetRole(ctx context.Context, organizationID, userID string, role tandem.Role) error {
	return s.tx(ctx, func(q Querier) error {
		if err := s.d.LockOrganization(ctx, q, organizationID); err != nil {
			return s.err(err)
		}
		if role != tandem.RoleOwner {
			if err := s.lastOwnerCheck(ctx, q, organizationID, userID); err != nil {
				return err
			}
		}
		n, err := q.Exec(ctx, `UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2`, organizationID, userID, string(role))
		return s.affected(n, err, "member")
	})
}

func (s *Store) RemoveMember(ctx context.Context, organizationID, userID string) error {
	return s.tx(ctx, func(q Querier) error {
		if err := s.d.LockOrganization(ctx, q, organizationID); err != nil {
			return s.err(err)
		}
		if err := s.lastOwnerCheck(ctx, q, organizationID, userID); err != nil {
			return err
		}
		// Grants, favorites and API tokens go with the membership (ON
		// DELETE CASCADE); sessions working in the organization stop
		// working in it.
		if _, err := q.Exec(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2`, organizationID, userID); err != nil {
			return s.err(err)
		}
		_, err := q.Exec(ctx, `UPDATE sessions SET organization_id = '' WHERE user_id = $1 AND organization_id = $2`, userID, organizationID)
		return s.err(err)
	})
}

const invitationColumns = `id, organization_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by`

func scanInvitation(row Row) (tandem.Invitation, error) {
	var inv tandem.Invitation
	var role string
	err := row.Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &role, &inv.TokenHash, &inv.InvitedBy,
		timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt}, nullTimeCol{&inv.AcceptedAt}, &inv.AcceptedBy)
	inv.Role = tandem.Role(role)
	return inv, err
}

func (s *Store) CreateInvitation(ctx context.Context, inv tandem.Invitation, maxPending int) error {
	return s.tx(ctx, func(q Querier) error {
		// Concurrent invitations could all pass the count: they are
		// serialized on the organization.
		if err := s.d.LockOrganization(ctx, q, inv.OrganizationID); err != nil {
			return s.err(err)
		}
		// Expired invitations can no longer be accepted; dropping them
		// here keeps each organization's list bounded.
		if _, err := q.Exec(ctx, `DELETE FROM invitations WHERE organization_id = $1 AND accepted_at IS NULL AND expires_at <= $2`,
			inv.OrganizationID, s.ts(inv.CreatedAt)); err != nil {
			return s.err(err)
		}
		var pending int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM invitations WHERE organization_id = $1 AND accepted_at IS NULL`,
			inv.OrganizationID).Scan(&pending); err != nil {
			return s.err(err)
		}
		if pending >= maxPending {
			return tandem.Errorf(tandem.CodeConflict, "at most %d pending invitations; revoke some first", maxPending)
		}
		_, err := q.Exec(ctx, `INSERT INTO invitations (`+invitationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			inv.ID, inv.OrganizationID, inv.Email, string(inv.Role), inv.TokenHash, inv.InvitedBy,
			s.ts(inv.CreatedAt), s.ts(inv.ExpiresAt), s.nts(inv.AcceptedAt), inv.AcceptedBy)
		if s.d.Unique(err) {
			return tandem.Errorf(tandem.CodeConflict, "invitation exists")
		}
		if s.d.ForeignKey(err) {
			return notFound("organization")
		}
		return s.err(err)
	})
}

func (s *Store) InvitationByHash(ctx context.Context, hash string) (tandem.Invitation, error) {
	inv, err := scanInvitation(s.r.QueryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hash))
	return one(s, inv, err, "invitation")
}

func (s *Store) ListInvitations(ctx context.Context, organizationID string) ([]tandem.Invitation, error) {
	rows, err := s.r.Query(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE organization_id = $1 AND accepted_at IS NULL ORDER BY created_at, id`, organizationID)
	return collect(s, rows, err, scanInvitation)
}

func (s *Store) DeleteInvitation(ctx context.Context, organizationID, id string) error {
	n, err := s.w.Exec(ctx, `DELETE FROM invitations WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL`, organizationID, id)
	return s.affected(n, err, "invitation")
}

func (s *Store) AcceptInvitation(ctx context.Context, id string, u tandem.User, createUser bool, at time.Time) error {
	return s.tx(ctx, func(q Querier) error {
		var orgID, role string
		err := q.QueryRow(ctx, `UPDATE invitations SET accepted_at = $2, accepted_by = $3
			WHERE id = $1 AND accepted_at IS NULL AND expires_at > $2 RETURNING organization_id, role`,
			id, s.ts(at), u.ID).Scan(&orgID, &role)
		if s.d.NoRows(err) {
			return notFound("invitation")
		}
		if err != nil {
			return s.err(err)
		}
		if createUser {
			if err := s.insertUser(ctx, q, u); err != nil {
				return err
			}
		}
		_, err = q.Exec(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
			orgID, u.ID, role, s.ts(at))
		if s.d.Unique(err) {
			return tandem.Errorf(tandem.CodeConflict, "already a member of this organization")
		}
		if s.d.ForeignKey(err) {
			return notFound("user")
		}
		return s.err(err)
	})
}
