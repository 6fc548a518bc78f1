package sqlstore

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

func (s *Store) ClaimIdempotencyKey(ctx context.Context, r tandem.IdempotencyRecord) (tandem.IdempotencyRecord, bool, error) {
	n, err := s.w.Exec(ctx, `INSERT INTO idempotency_keys (organization_id, user_id, key, request_hash, done, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, user_id, key) DO NOTHING`,
		r.OrganizationID, r.UserID, r.Key, r.RequestHash, false, 0, []byte{}, s.ts(r.CreatedAt))
	if err != nil {
		return tandem.IdempotencyRecord{}, false, s.err(err)
	}
	if n == 1 {
		return tandem.IdempotencyRecord{}, true, nil
	}
	// Read on the writer: the record may be that fresh.
	var e tandem.IdempotencyRecord
	err = s.w.QueryRow(ctx, `SELECT organization_id, user_id, key, request_hash, done, status, body, created_at
		FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND key = $3`, r.OrganizationID, r.UserID, r.Key).Scan(
		&e.OrganizationID, &e.UserID, &e.Key, &e.RequestHash, &e.Done, &e.Status, &e.Body, timeCol{&e.CreatedAt})
	if s.d.NoRows(err) {
		// Released between the insert and the read: the caller may retry.
		return tandem.IdempotencyRecord{}, false, tandem.Errorf(tandem.CodeConflict, "the request with this idempotency key is in progress")
	}
	return e, false, s.err(err)
}

func (s *Store) CompleteIdempotencyKey(ctx context.Context, organizationID, userID, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	n, err := s.w.Exec(ctx, `UPDATE idempotency_keys SET done = $4, status = $5, body = $6
		WHERE organization_id = $1 AND user_id = $2 AND key = $3 AND NOT done`, organizationID, userID, key, true, status, body)
	return s.affected(n, err, "idempotency key")
}

func (s *Store) ReleaseIdempotencyKey(ctx context.Context, organizationID, userID, key string) error {
	_, err := s.w.Exec(ctx, `DELETE FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND key = $3 AND NOT done`, organizationID, userID, key)
	return s.err(err)
}

func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, s.ts(before))
	return int(n), s.err(err)
}
