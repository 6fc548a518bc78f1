package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/redis"
	"github.com/tandem-docs/tandem/sqlite"
)

// TestCredentialCacheHearsOtherInstances: two App instances over one
// database, linked by a real Redis. A role lowered on one takes effect on
// the other as soon as the notice arrives, though the other had the
// member's session cached for an hour: the notice, not the entry's
// lifetime, is what refreshes it.
func TestCredentialCacheHearsOtherInstances(t *testing.T) {
	ctx := context.Background()
	redisURL := os.Getenv("TANDEM_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "tandemtest:" + hex.EncodeToString(b) + ":"
	path := filepath.Join(t.TempDir(), "tandem.db")
	instance := func() *app.App {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st, err := sqlite.OpenAppStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := redis.Open(redisURL, redis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Ping(ctx); err != nil {
			t.Fatalf("Redis (TANDEM_TEST_REDIS_URL): %v", err)
		}
		changes := rc.PermissionChanges()
		t.Cleanup(func() { changes.Close(); rc.Close() })
		a, err := app.New(app.Config{Stores: st.Stores(), Changes: changes, CredentialTTL: time.Hour, OpenSignUp: true,
			Password: app.PasswordParams{Memory: 256, Time: 1, Threads: 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		return a
	}
	one, other := instance(), instance()
	time.Sleep(200 * time.Millisecond) // subscriptions are confirmed asynchronously

	owner, err := one.SignUp(ctx, app.SignUpInput{Email: "owner@example.com", Password: "correct horse battery",
		Name: "Owner", OrganizationName: "Org"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := one.Authenticate(ctx, tandem.Credentials{Token: owner.Token})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := one.Invite(ctx, op, "member@example.com", tandem.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	member, err := one.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: "Member", Password: "another good password"})
	if err != nil {
		t.Fatal(err)
	}
	role := func() tandem.Role {
		p, err := other.Authenticate(ctx, tandem.Credentials{Token: member.Token})
		if err != nil {
			t.Fatal(err)
		}
		return p.Role
	}
	if r := role(); r != tandem.RoleMember { // cached on the other instance now
		t.Fatalf("role %q", r)
	}
	if err := one.SetRole(ctx, op, member.User.ID, tandem.RoleGuest); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for role() != tandem.RoleGuest {
		if time.Now().After(deadline) {
			t.Fatal("the other instance still answers the old role from its cache 5 s after the change")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
