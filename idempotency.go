package tandem

import (
	"context"
	"time"
)

// IdempotencyRecord remembers the outcome of a create request made with an
// Idempotency-Key, so that a retried request gets the same answer instead of
// creating twice.
type IdempotencyRecord struct {
	OrganizationID string
	UserID         string
	Key            string
	// RequestHash is a hash of the method, path and body: the same key with
	// a different request is a client error.
	RequestHash string
	// Done is false while the first request is still being handled.
	Done      bool
	Status    int
	Body      []byte
	CreatedAt time.Time
}

// IdempotencyKeys stores idempotency records per organization and user.
type IdempotencyKeys interface {
	// ClaimIdempotencyKey stores r as in progress and returns claimed=true,
	// or, if the key is taken, returns the stored record and claimed=false.
	ClaimIdempotencyKey(ctx context.Context, r IdempotencyRecord) (existing IdempotencyRecord, claimed bool, err error)
	// CompleteIdempotencyKey stores the response of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, organizationID, userID, key string, status int, body []byte) error
	// ReleaseIdempotencyKey forgets a claimed key whose request failed
	// before doing anything, so that a retry can proceed.
	ReleaseIdempotencyKey(ctx context.Context, organizationID, userID, key string) error
	// PurgeIdempotencyKeys deletes records made before `before`.
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error)
}
