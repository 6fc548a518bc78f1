package postgres

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

const userColumns = `id, email, name, password_hash, totp_secret, totp_enabled, totp_last_step, password_changed_at, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (tandem.User, error) {
	var u tandem.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.TOTPSecret, &u.TOTPEnabled, &u.TOTPLastStep,
		timeCol{&u.PasswordChangedAt}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

func notFound(what string) error { return tandem.Errorf(tandem.CodeNotFound, "%s not found", what) }

// one maps a single-row result: no row is not_found.
func one[T any](v T, err error, what string) (T, error) {
	if noRows(err) {
		return v, notFound(what)
	}
	return v, storeErr(err)
}

// affected maps an update of one row: no row is not_found.
func affected(n int64, err error, what string) error {
	if err != nil {
		return storeErr(err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

func insertUser(ctx context.Context, q querier, u tandem.User) error {
	_, err := q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.TOTPSecret, u.TOTPEnabled, u.TOTPLastStep,
		ts(u.PasswordChangedAt), ts(u.CreatedAt), ts(u.UpdatedAt))
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "an account with this email exists already")
	}
	return storeErr(err)
}

func (s *AppStore) CreateUser(ctx context.Context, u tandem.User) error {
	return insertUser(ctx, s.w, u)
}

func (s *AppStore) User(ctx context.Context, id string) (tandem.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return one(u, err, "user")
}

func (s *AppStore) UserByEmail(ctx context.Context, email string) (tandem.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
	return one(u, err, "user")
}

func (s *AppStore) UpdateUserName(ctx context.Context, id, name string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET name = $2, updated_at = $3 WHERE id = $1`, id, name, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "user")
}

func (s *AppStore) SetPassword(ctx context.Context, id, hash, keepSession string, at time.Time) error {
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`, id, hash, ts(at))
		if err != nil {
			return storeErr(err)
		}
		if err := affected(rowsAffected(res), nil, "user"); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, id, keepSession)
		return storeErr(err)
	})
}

func (s *AppStore) SetTOTP(ctx context.Context, id, secret string, enabled bool, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = $4 WHERE id = $1`, id, secret, enabled, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "user")
}

func (s *AppStore) AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	if err != nil {
		return false, storeErr(err)
	}
	return rowsAffected(res) == 1, nil
}

const sessionColumns = `id, user_id, organization_id, state, ip, user_agent, created_at, last_seen_at, expires_at`

func (s *AppStore) CreateSession(ctx context.Context, se tandem.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		se.ID, se.UserID, se.OrganizationID, string(se.State), se.IP, se.UserAgent, ts(se.CreatedAt), ts(se.LastSeenAt), ts(se.ExpiresAt))
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "session exists")
	}
	if isForeignKey(err) {
		return notFound("user")
	}
	return storeErr(err)
}

func (s *AppStore) Session(ctx context.Context, id string) (tandem.Session, error) {
	var se tandem.Session
	var state string
	err := s.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id).Scan(
		&se.ID, &se.UserID, &se.OrganizationID, &state, &se.IP, &se.UserAgent,
		timeCol{&se.CreatedAt}, timeCol{&se.LastSeenAt}, timeCol{&se.ExpiresAt})
	se.State = tandem.SessionState(state)
	return one(se, err, "session")
}

func (s *AppStore) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1`, id, ts(seen), ts(expires))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "session")
}

func (s *AppStore) SetSessionOrganization(ctx context.Context, id, organizationID string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET organization_id = $2 WHERE id = $1`, id, organizationID)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "session")
}

func (s *AppStore) DeleteSession(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "session")
}

func (s *AppStore) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, except)
	if err != nil {
		return 0, storeErr(err)
	}
	return int(rowsAffected(res)), nil
}

func (s *AppStore) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, ts(before))
	if err != nil {
		return 0, storeErr(err)
	}
	return int(rowsAffected(res)), nil
}

const tokenColumns = `id, organization_id, user_id, name, hash, prefix, scope, expires_at, last_used_at, created_at`

func scanToken(row scanner) (tandem.APIToken, error) {
	var t tandem.APIToken
	var scope string
	err := row.Scan(&t.ID, &t.OrganizationID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &scope,
		nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt}, timeCol{&t.CreatedAt})
	t.Scope = tandem.TokenScope(scope)
	return t, err
}

func (s *AppStore) CreateAPIToken(ctx context.Context, t tandem.APIToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.ID, t.OrganizationID, t.UserID, t.Name, t.Hash, t.Prefix, string(t.Scope), nts(t.ExpiresAt), nts(t.LastUsedAt), ts(t.CreatedAt))
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "token exists")
	}
	if isForeignKey(err) {
		return notFound("member")
	}
	return storeErr(err)
}

func (s *AppStore) APITokenByHash(ctx context.Context, hash string) (tandem.APIToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	return one(t, err, "token")
}

func (s *AppStore) ListAPITokens(ctx context.Context, organizationID, userID string) ([]tandem.APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE organization_id = $1 AND user_id = $2 ORDER BY id`, organizationID, userID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, t)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) DeleteAPIToken(ctx context.Context, organizationID, userID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM api_tokens WHERE organization_id = $1 AND user_id = $2 AND id = $3`, organizationID, userID, id)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "token")
}

func (s *AppStore) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "token")
}

func (s *AppStore) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return storeErr(err)
		}
		for _, h := range hashes {
			_, err := q.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash, created_at) VALUES ($1, $2, $3)`, userID, h, ts(at))
			if isForeignKey(err) {
				return notFound("user")
			}
			if isUnique(err) {
				return tandem.Invalid("codes", "duplicate recovery code")
			}
			if err != nil {
				return storeErr(err)
			}
		}
		return nil
	})
}

func (s *AppStore) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`, userID, hash, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "recovery code")
}

func (s *AppStore) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, storeErr(err)
}
