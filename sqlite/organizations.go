package sqlite

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

func insertOrganization(ctx context.Context, q querier, org tandem.Organization, ownerID string) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO organizations (id, name, default_access, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, org.Name, string(org.DefaultAccess), ts(org.CreatedAt)); err != nil {
		if isUnique(err) {
			return tandem.Errorf(tandem.CodeConflict, "organization exists")
		}
		return storeErr(err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		org.ID, ownerID, string(tandem.RoleOwner), ts(org.CreatedAt))
	if isForeignKey(err) {
		return notFound("user")
	}
	return storeErr(err)
}

func (s *AppStore) SignUp(ctx context.Context, u tandem.User, org tandem.Organization, firstOnly bool) error {
	return s.tx(ctx, func(q querier) error {
		if firstOnly {
			if _, err := q.ExecContext(ctx, lockSignUp); err != nil {
				return storeErr(err)
			}
			var exists bool
			if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM organizations)`).Scan(&exists); err != nil {
				return storeErr(err)
			}
			if exists {
				return tandem.Errorf(tandem.CodeForbidden, "sign-up is by invitation only")
			}
		}
		if err := insertUser(ctx, q, u); err != nil {
			return err
		}
		return insertOrganization(ctx, q, org, u.ID)
	})
}

func (s *AppStore) CreateOrganization(ctx context.Context, org tandem.Organization, ownerID string) error {
	return s.tx(ctx, func(q querier) error { return insertOrganization(ctx, q, org, ownerID) })
}

func (s *AppStore) Organization(ctx context.Context, id string) (tandem.Organization, error) {
	var o tandem.Organization
	var access string
	err := s.r.QueryRowContext(ctx, `SELECT id, name, default_access, created_at FROM organizations WHERE id = $1`, id).Scan(
		&o.ID, &o.Name, &access, timeCol{&o.CreatedAt})
	o.DefaultAccess = tandem.DocRole(access)
	return one(o, err, "organization")
}

func (s *AppStore) UpdateOrganization(ctx context.Context, org tandem.Organization) error {
	res, err := s.w.ExecContext(ctx, `UPDATE organizations SET name = $2, default_access = $3 WHERE id = $1`, org.ID, org.Name, string(org.DefaultAccess))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "organization")
}

func (s *AppStore) UserOrganizations(ctx context.Context, userID string) ([]tandem.Membership, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.name, o.default_access, o.created_at, m.role
		FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1 ORDER BY o.name, o.id`, userID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Membership
	for rows.Next() {
		var m tandem.Membership
		var access, role string
		if err := rows.Scan(&m.Organization.ID, &m.Organization.Name, &access, timeCol{&m.Organization.CreatedAt}, &role); err != nil {
			return nil, storeErr(err)
		}
		m.Organization.DefaultAccess = tandem.DocRole(access)
		m.Role = tandem.Role(role)
		out = append(out, m)
	}
	return out, storeErr(rows.Err())
}

const memberSelect = `SELECT m.organization_id, m.user_id, m.role, u.email, u.name, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id`

func scanMember(row scanner) (tandem.Member, error) {
	var m tandem.Member
	var role string
	err := row.Scan(&m.OrganizationID, &m.UserID, &role, &m.Email, &m.Name, timeCol{&m.CreatedAt})
	m.Role = tandem.Role(role)
	return m, err
}

func (s *AppStore) Member(ctx context.Context, organizationID, userID string) (tandem.Member, error) {
	m, err := scanMember(s.r.QueryRowContext(ctx, memberSelect+` WHERE m.organization_id = $1 AND m.user_id = $2`, organizationID, userID))
	return one(m, err, "member")
}

func (s *AppStore) Membership(ctx context.Context, organizationID, userID string) (tandem.Membership, error) {
	var m tandem.Membership
	var access, role string
	err := s.r.QueryRowContext(ctx, `SELECT o.id, o.name, o.default_access, o.created_at, m.role
		FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.organization_id = $1 AND m.user_id = $2`, organizationID, userID).Scan(
		&m.Organization.ID, &m.Organization.Name, &access, timeCol{&m.Organization.CreatedAt}, &role)
	m.Organization.DefaultAccess, m.Role = tandem.DocRole(access), tandem.Role(role)
	return one(m, err, "member")
}

func (s *AppStore) ListMembers(ctx context.Context, organizationID, afterEmail string, limit int) ([]tandem.Member, error) {
	rows, err := s.r.QueryContext(ctx, memberSelect+` WHERE m.organization_id = $1 AND u.email > $2 ORDER BY u.email LIMIT $3`,
		organizationID, afterEmail, limit)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, m)
	}
	return out, storeErr(rows.Err())
}

// lastOwnerCheck fails if userID is the organization's only owner.
func lastOwnerCheck(ctx context.Context, q querier, organizationID, userID string) error {
	var role string
	err := q.QueryRowContext(ctx, `SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2`, organizationID, userID).Scan(&role)
	if noRows(err) {
		return notFound("member")
	}
	if err != nil {
		return storeErr(err)
	}
	if tandem.Role(role) != tandem.RoleOwner {
		return nil
	}
	var owners int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2`,
		organizationID, string(tandem.RoleOwner)).Scan(&owners); err != nil {
		return storeErr(err)
	}
	if owners <= 1 {
		return tandem.Errorf(tandem.CodeConflict, "an organization keeps at least one owner")
	}
	return nil
}

func (s *AppStore) SetRole(ctx context.Context, organizationID, userID string, role tandem.Role) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, lockOrganization, organizationID); err != nil {
			return storeErr(err)
		}
		if role != tandem.RoleOwner {
			if err := lastOwnerCheck(ctx, q, organizationID, userID); err != nil {
				return err
			}
		}
		res, err := q.ExecContext(ctx, `UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2`, organizationID, userID, string(role))
		if err != nil {
			return storeErr(err)
		}
		return affected(rowsAffected(res), nil, "member")
	})
}

func (s *AppStore) RemoveMember(ctx context.Context, organizationID, userID string) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, lockOrganization, organizationID); err != nil {
			return storeErr(err)
		}
		if err := lastOwnerCheck(ctx, q, organizationID, userID); err != nil {
			return err
		}
		// Grants, favorites and API tokens go with the membership (ON
		// DELETE CASCADE); sessions working in the organization stop
		// working in it.
		if _, err := q.ExecContext(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2`, organizationID, userID); err != nil {
			return storeErr(err)
		}
		_, err := q.ExecContext(ctx, `UPDATE sessions SET organization_id = '' WHERE user_id = $1 AND organization_id = $2`, userID, organizationID)
		return storeErr(err)
	})
}

const invitationColumns = `id, organization_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by`

func scanInvitation(row scanner) (tandem.Invitation, error) {
	var inv tandem.Invitation
	var role string
	err := row.Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &role, &inv.TokenHash, &inv.InvitedBy,
		timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt}, nullTimeCol{&inv.AcceptedAt}, &inv.AcceptedBy)
	inv.Role = tandem.Role(role)
	return inv, err
}

func (s *AppStore) CreateInvitation(ctx context.Context, inv tandem.Invitation) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		inv.ID, inv.OrganizationID, inv.Email, string(inv.Role), inv.TokenHash, inv.InvitedBy,
		ts(inv.CreatedAt), ts(inv.ExpiresAt), nts(inv.AcceptedAt), inv.AcceptedBy)
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "invitation exists")
	}
	if isForeignKey(err) {
		return notFound("organization")
	}
	return storeErr(err)
}

func (s *AppStore) InvitationByHash(ctx context.Context, hash string) (tandem.Invitation, error) {
	inv, err := scanInvitation(s.r.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hash))
	return one(inv, err, "invitation")
}

func (s *AppStore) ListInvitations(ctx context.Context, organizationID string) ([]tandem.Invitation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE organization_id = $1 AND accepted_at IS NULL ORDER BY created_at, id`, organizationID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, inv)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) DeleteInvitation(ctx context.Context, organizationID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM invitations WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL`, organizationID, id)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "invitation")
}

func (s *AppStore) AcceptInvitation(ctx context.Context, id string, u tandem.User, createUser bool, at time.Time) error {
	return s.tx(ctx, func(q querier) error {
		var orgID, role string
		err := q.QueryRowContext(ctx, `UPDATE invitations SET accepted_at = $2, accepted_by = $3
			WHERE id = $1 AND accepted_at IS NULL AND expires_at > $2 RETURNING organization_id, role`,
			id, ts(at), u.ID).Scan(&orgID, &role)
		if noRows(err) {
			return notFound("invitation")
		}
		if err != nil {
			return storeErr(err)
		}
		if createUser {
			if err := insertUser(ctx, q, u); err != nil {
				return err
			}
		}
		_, err = q.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
			orgID, u.ID, role, ts(at))
		if isUnique(err) {
			return tandem.Errorf(tandem.CodeConflict, "already a member of this organization")
		}
		if isForeignKey(err) {
			return notFound("user")
		}
		return storeErr(err)
	})
}
