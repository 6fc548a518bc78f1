package sqlite

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

func (s *AppStore) ClaimIdempotencyKey(ctx context.Context, r tandem.IdempotencyRecord) (tandem.IdempotencyRecord, bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO idempotency_keys (organization_id, user_id, key, request_hash, done, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, user_id, key) DO NOTHING`,
		r.OrganizationID, r.UserID, r.Key, r.RequestHash, false, 0, []byte{}, ts(r.CreatedAt))
	if err != nil {
		return tandem.IdempotencyRecord{}, false, storeErr(err)
	}
	if rowsAffected(res) == 1 {
		return tandem.IdempotencyRecord{}, true, nil
	}
	var e tandem.IdempotencyRecord
	err = s.w.QueryRowContext(ctx, `SELECT organization_id, user_id, key, request_hash, done, status, body, created_at
		FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND key = $3`, r.OrganizationID, r.UserID, r.Key).Scan(
		&e.OrganizationID, &e.UserID, &e.Key, &e.RequestHash, &e.Done, &e.Status, &e.Body, timeCol{&e.CreatedAt})
	if noRows(err) {
		// Released between the insert and the read: the caller may retry.
		return tandem.IdempotencyRecord{}, false, tandem.Errorf(tandem.CodeConflict, "the request with this idempotency key is in progress")
	}
	return e, false, storeErr(err)
}

func (s *AppStore) CompleteIdempotencyKey(ctx context.Context, organizationID, userID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	res, err := s.w.ExecContext(ctx, `UPDATE idempotency_keys SET done = $4, status = $5, body = $6
		WHERE organization_id = $1 AND user_id = $2 AND key = $3 AND NOT done`, organizationID, userID, key, true, status, body)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "idempotency key")
}

func (s *AppStore) ReleaseIdempotencyKey(ctx context.Context, organizationID, userID, key string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND key = $3 AND NOT done`, organizationID, userID, key)
	return storeErr(err)
}

func (s *AppStore) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, ts(before))
	if err != nil {
		return 0, storeErr(err)
	}
	return int(rowsAffected(res)), nil
}
