package sqlstore

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

const userColumns = `id, email, name, password_hash, totp_secret, totp_enabled, totp_last_step, password_changed_at, created_at, updated_at`

func scanUser(row Row) (tandem.User, error) {
	var u tandem.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.TOTPSecret, &u.TOTPEnabled, &u.TOTPLastStep,
		timeCol{&u.PasswordChangedAt}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

func (s *Store) insertUser(ctx context.Context, q Querier, u tandem.User) error {
	_, err := q.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.TOTPSecret, u.TOTPEnabled, u.TOTPLastStep,
		s.ts(u.PasswordChangedAt), s.ts(u.CreatedAt), s.ts(u.UpdatedAt))
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "an account with this email exists already")
	}
	return s.err(err)
}

func (s *Store) CreateUser(ctx context.Context, u tandem.User) error {
	return s.insertUser(ctx, s.w, u)
}

func (s *Store) User(ctx context.Context, id string) (tandem.User, error) {
	u, err := scanUser(s.r.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return one(s, u, err, "user")
}

func (s *Store) UserByEmail(ctx context.Context, email string) (tandem.User, error) {
	u, err := scanUser(s.r.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	return one(s, u, err, "user")
}

func (s *Store) UpdateUserName(ctx context.Context, id, name string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE users SET name = $2, updated_at = $3 WHERE id = $1`, id, name, s.ts(at))
	return s.affected(n, err, "user")
}

func (s *Store) SetPassword(ctx context.Context, id, hash, keepSession string, at time.Time) error {
	return s.tx(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`, id, hash, s.ts(at))
		if err := s.affected(n, err, "user"); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, id, keepSession)
		return s.err(err)
	})
}

func (s *Store) SetTOTP(ctx context.Context, id, secret string, enabled bool, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = $4 WHERE id = $1`, id, secret, enabled, s.ts(at))
	return s.affected(n, err, "user")
}

func (s *Store) AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	n, err := s.w.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	if err != nil {
		return false, s.err(err)
	}
	return n == 1, nil
}

const sessionColumns = `id, user_id, organization_id, state, ip, user_agent, created_at, last_seen_at, expires_at`

func (s *Store) CreateSession(ctx context.Context, se tandem.Session) error {
	_, err := s.w.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		se.ID, se.UserID, se.OrganizationID, string(se.State), se.IP, se.UserAgent, s.ts(se.CreatedAt), s.ts(se.LastSeenAt), s.ts(se.ExpiresAt))
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "session exists")
	}
	if s.d.ForeignKey(err) {
		return notFound("user")
	}
	return s.err(err)
}

func (s *Store) Session(ctx context.Context, id string) (tandem.Session, error) {
	var se tandem.Session
	var state string
	err := s.r.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id).Scan(
		&se.ID, &se.UserID, &se.OrganizationID, &state, &se.IP, &se.UserAgent,
		timeCol{&se.CreatedAt}, timeCol{&se.LastSeenAt}, timeCol{&se.ExpiresAt})
	se.State = tandem.SessionState(state)
	return one(s, se, err, "session")
}

// withMembership joins, to a row of sessions or api_tokens named x, the
// user's membership of x's organization and the organization (NULLs when
// there is none); nullMembership scans them.
const withMembership = ` LEFT JOIN memberships m ON m.organization_id = x.organization_id AND m.user_id = x.user_id
	LEFT JOIN organizations o ON o.id = m.organization_id`

const membershipColumns = `o.id, o.name, o.default_access, o.created_at, m.role`

type nullMembership struct {
	m            *tandem.Membership
	access, role string
}

func (n *nullMembership) dest() []any {
	return []any{nullStr{&n.m.Organization.ID}, nullStr{&n.m.Organization.Name}, nullStr{&n.access},
		timeCol{&n.m.Organization.CreatedAt}, nullStr{&n.role}}
}

func (n *nullMembership) done() {
	n.m.Organization.DefaultAccess, n.m.Role = tandem.DocRole(n.access), tandem.Role(n.role)
}

func (s *Store) SessionMembership(ctx context.Context, id string) (tandem.Session, tandem.Membership, error) {
	var se tandem.Session
	var m tandem.Membership
	var state string
	nm := nullMembership{m: &m}
	err := s.r.QueryRow(ctx, `SELECT x.id, x.user_id, x.organization_id, x.state, x.ip, x.user_agent, x.created_at, x.last_seen_at, x.expires_at, `+
		membershipColumns+` FROM sessions x`+withMembership+` WHERE x.id = $1`, id).Scan(append([]any{
		&se.ID, &se.UserID, &se.OrganizationID, &state, &se.IP, &se.UserAgent,
		timeCol{&se.CreatedAt}, timeCol{&se.LastSeenAt}, timeCol{&se.ExpiresAt}}, nm.dest()...)...)
	se.State = tandem.SessionState(state)
	nm.done()
	if se, err = one(s, se, err, "session"); err != nil {
		return se, tandem.Membership{}, err
	}
	return se, m, nil
}

func (s *Store) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1`, id, s.ts(seen), s.ts(expires))
	return s.affected(n, err, "session")
}

func (s *Store) SetSessionOrganization(ctx context.Context, id, organizationID string) error {
	n, err := s.w.Exec(ctx, `UPDATE sessions SET organization_id = $2 WHERE id = $1`, id, organizationID)
	return s.affected(n, err, "session")
}

func (s *Store) DeleteSession(ctx context.Context, id string) error {
	n, err := s.w.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return s.affected(n, err, "session")
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, except)
	return int(n), s.err(err)
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, s.ts(before))
	return int(n), s.err(err)
}

const tokenColumns = `id, organization_id, user_id, name, hash, prefix, scope, expires_at, last_used_at, created_at`

func scanToken(row Row) (tandem.APIToken, error) {
	var t tandem.APIToken
	var scope string
	err := row.Scan(&t.ID, &t.OrganizationID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &scope,
		nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt}, timeCol{&t.CreatedAt})
	t.Scope = tandem.TokenScope(scope)
	return t, err
}

func (s *Store) CreateAPIToken(ctx context.Context, t tandem.APIToken) error {
	_, err := s.w.Exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.ID, t.OrganizationID, t.UserID, t.Name, t.Hash, t.Prefix, string(t.Scope), s.nts(t.ExpiresAt), s.nts(t.LastUsedAt), s.ts(t.CreatedAt))
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "token exists")
	}
	if s.d.ForeignKey(err) {
		return notFound("member")
	}
	return s.err(err)
}

func (s *Store) APITokenByHash(ctx context.Context, hash string) (tandem.APIToken, error) {
	t, err := scanToken(s.r.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	return one(s, t, err, "token")
}

func (s *Store) APITokenMembership(ctx context.Context, hash string) (tandem.APIToken, tandem.Membership, error) {
	var m tandem.Membership
	nm := nullMembership{m: &m}
	var scope string
	var t tandem.APIToken
	err := s.r.QueryRow(ctx, `SELECT x.id, x.organization_id, x.user_id, x.name, x.hash, x.prefix, x.scope, x.expires_at, x.last_used_at, x.created_at, `+
		membershipColumns+` FROM api_tokens x`+withMembership+` WHERE x.hash = $1`, hash).Scan(append([]any{
		&t.ID, &t.OrganizationID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &scope,
		nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt}, timeCol{&t.CreatedAt}}, nm.dest()...)...)
	t.Scope = tandem.TokenScope(scope)
	nm.done()
	if t, err = one(s, t, err, "token"); err != nil {
		return t, tandem.Membership{}, err
	}
	return t, m, nil
}

func (s *Store) ListAPITokens(ctx context.Context, organizationID, userID string) ([]tandem.APIToken, error) {
	rows, err := s.r.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE organization_id = $1 AND user_id = $2 ORDER BY id`, organizationID, userID)
	return collect(s, rows, err, scanToken)
}

func (s *Store) DeleteAPIToken(ctx context.Context, organizationID, userID, id string) error {
	n, err := s.w.Exec(ctx, `DELETE FROM api_tokens WHERE organization_id = $1 AND user_id = $2 AND id = $3`, organizationID, userID, id)
	return s.affected(n, err, "token")
}

func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, s.ts(at))
	return s.affected(n, err, "token")
}

func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	return s.tx(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return s.err(err)
		}
		for _, h := range hashes {
			_, err := q.Exec(ctx, `INSERT INTO recovery_codes (user_id, hash, created_at) VALUES ($1, $2, $3)`, userID, h, s.ts(at))
			if s.d.ForeignKey(err) {
				return notFound("user")
			}
			if s.d.Unique(err) {
				return tandem.Invalid("codes", "duplicate recovery code")
			}
			if err != nil {
				return s.err(err)
			}
		}
		return nil
	})
}

func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`, userID, hash, s.ts(at))
	return s.affected(n, err, "recovery code")
}

func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, s.err(err)
}
