package tandemtest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestIdempotencyKeys is the contract of tandem.IdempotencyKeys.
func TestIdempotencyKeys(t *testing.T, open OpenStores) {
	ctx := context.Background()
	s := open(t)
	k := s.Idempotency
	r := tandem.IdempotencyRecord{OrganizationID: "org1", UserID: "u1", Key: "key-1", RequestHash: "rh", CreatedAt: now}
	_, claimed, err := k.ClaimIdempotencyKey(ctx, r)
	must(t, err)
	equal(t, "first claim", claimed, true)
	ex, claimed, err := k.ClaimIdempotencyKey(ctx, r)
	must(t, err)
	if claimed || ex.Done || ex.RequestHash != "rh" {
		t.Fatalf("second claim = %+v, %v", ex, claimed)
	}
	// Keys belong to one user of one organization.
	for _, o := range []tandem.IdempotencyRecord{
		{OrganizationID: "org1", UserID: "u2", Key: "key-1", RequestHash: "x", CreatedAt: now},
		{OrganizationID: "org2", UserID: "u1", Key: "key-1", RequestHash: "x", CreatedAt: now},
	} {
		_, claimed, err := k.ClaimIdempotencyKey(ctx, o)
		must(t, err)
		equal(t, "claim by someone else", claimed, true)
	}
	must(t, k.CompleteIdempotencyKey(ctx, "org1", "u1", "key-1", 201, []byte(`{"id":"x"}`)))
	wantCode(t, k.CompleteIdempotencyKey(ctx, "org1", "u1", "key-1", 500, nil), tandem.CodeNotFound)
	ex, claimed, err = k.ClaimIdempotencyKey(ctx, r)
	must(t, err)
	if claimed || !ex.Done || ex.Status != 201 || string(ex.Body) != `{"id":"x"}` {
		t.Fatalf("claim after completion = %+v, %v", ex, claimed)
	}
	// Released keys can be claimed again; completed ones are not released.
	must(t, k.ReleaseIdempotencyKey(ctx, "org1", "u2", "key-1"))
	_, claimed, _ = k.ClaimIdempotencyKey(ctx, tandem.IdempotencyRecord{OrganizationID: "org1", UserID: "u2", Key: "key-1", RequestHash: "y", CreatedAt: now})
	equal(t, "claim after release", claimed, true)
	must(t, k.ReleaseIdempotencyKey(ctx, "org1", "u1", "key-1"))
	_, claimed, _ = k.ClaimIdempotencyKey(ctx, r)
	equal(t, "claim of a completed key after release", claimed, false)

	n, err := k.PurgeIdempotencyKeys(ctx, at(time.Second))
	must(t, err)
	equal(t, "purged", n, 3)
	_, claimed, _ = k.ClaimIdempotencyKey(ctx, r)
	equal(t, "claim after purge", claimed, true)
}
