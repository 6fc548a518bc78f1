package tandemtest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestAccounts is the contract of tandem.Accounts.
func TestAccounts(t *testing.T, open OpenStores) {
	ctx := context.Background()

	t.Run("Users", func(t *testing.T) {
		s := open(t)
		a := s.Accounts
		u := newUser("ada")
		u.TOTPSecret = "SECRET"
		must(t, a.CreateUser(ctx, u))
		got, err := a.User(ctx, u.ID)
		must(t, err)
		if got != u {
			t.Fatalf("User = %+v, want %+v", got, u)
		}
		got, err = a.UserByEmail(ctx, u.Email)
		must(t, err)
		equal(t, "UserByEmail id", got.ID, u.ID)

		dup := newUser("other")
		dup.Email = u.Email
		wantCode(t, a.CreateUser(ctx, dup), tandem.CodeConflict)
		_, err = a.User(ctx, tandem.NewID())
		wantCode(t, err, tandem.CodeNotFound)
		_, err = a.UserByEmail(ctx, "nobody@example.com")
		wantCode(t, err, tandem.CodeNotFound)

		must(t, a.UpdateUserName(ctx, u.ID, "Ada L.", at(time.Minute)))
		got, _ = a.User(ctx, u.ID)
		equal(t, "name", got.Name, "Ada L.")
		timeEqual(t, "updated_at", got.UpdatedAt, at(time.Minute))
		wantCode(t, a.UpdateUserName(ctx, tandem.NewID(), "x", now), tandem.CodeNotFound)
	})

	t.Run("PasswordChangeEndsOtherSessions", func(t *testing.T) {
		s := open(t)
		a := s.Accounts
		u := newUser("bob")
		must(t, a.CreateUser(ctx, u))
		other := newUser("carol")
		must(t, a.CreateUser(ctx, other))
		mk := func(user string) tandem.Session {
			se := tandem.Session{ID: tandem.NewID(), UserID: user, State: tandem.SessionActive, IP: "127.0.0.1", UserAgent: "test",
				CreatedAt: now, LastSeenAt: now, ExpiresAt: at(time.Hour)}
			must(t, a.CreateSession(ctx, se))
			return se
		}
		keep, drop, foreign := mk(u.ID), mk(u.ID), mk(other.ID)
		must(t, a.SetPassword(ctx, u.ID, "$argon2id$new", keep.ID, at(time.Minute)))
		got, _ := a.User(ctx, u.ID)
		equal(t, "hash", got.PasswordHash, "$argon2id$new")
		timeEqual(t, "password_changed_at", got.PasswordChangedAt, at(time.Minute))
		_, err := a.Session(ctx, keep.ID)
		must(t, err)
		_, err = a.Session(ctx, drop.ID)
		wantCode(t, err, tandem.CodeNotFound)
		_, err = a.Session(ctx, foreign.ID)
		must(t, err)
		wantCode(t, a.SetPassword(ctx, tandem.NewID(), "x", "", now), tandem.CodeNotFound)
	})

	t.Run("TOTP", func(t *testing.T) {
		s := open(t)
		a := s.Accounts
		u := newUser("dan")
		must(t, a.CreateUser(ctx, u))
		must(t, a.SetTOTP(ctx, u.ID, "JBSWY3DPEHPK3PXP", true, now))
		got, _ := a.User(ctx, u.ID)
		if got.TOTPSecret != "JBSWY3DPEHPK3PXP" || !got.TOTPEnabled {
			t.Fatalf("TOTP not stored: %+v", got)
		}
		for _, c := range []struct {
			step int64
			ok   bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			ok, err := a.AdvanceTOTPStep(ctx, u.ID, c.step)
			must(t, err)
			if ok != c.ok {
				t.Fatalf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.ok)
			}
		}
		must(t, a.SetTOTP(ctx, u.ID, "", false, now))
		got, _ = a.User(ctx, u.ID)
		if got.TOTPSecret != "" || got.TOTPEnabled {
			t.Fatalf("TOTP not cleared: %+v", got)
		}
		wantCode(t, a.SetTOTP(ctx, tandem.NewID(), "", false, now), tandem.CodeNotFound)
	})

	t.Run("Sessions", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		a := s.Accounts
		se := tandem.Session{ID: "hash-1", UserID: f.owner.ID, OrganizationID: f.org.ID, State: tandem.SessionMFAPending,
			IP: "10.0.0.1", UserAgent: "ua", CreatedAt: now, LastSeenAt: now, ExpiresAt: at(time.Hour)}
		must(t, a.CreateSession(ctx, se))
		wantCode(t, a.CreateSession(ctx, se), tandem.CodeConflict)
		bad := se
		bad.ID, bad.UserID = "hash-2", tandem.NewID()
		wantCode(t, a.CreateSession(ctx, bad), tandem.CodeNotFound)
		got, err := a.Session(ctx, se.ID)
		must(t, err)
		if got != se {
			t.Fatalf("Session = %+v, want %+v", got, se)
		}
		must(t, a.TouchSession(ctx, se.ID, at(time.Minute), at(2*time.Hour)))
		must(t, a.SetSessionOrganization(ctx, se.ID, ""))
		got, _ = a.Session(ctx, se.ID)
		timeEqual(t, "last_seen_at", got.LastSeenAt, at(time.Minute))
		timeEqual(t, "expires_at", got.ExpiresAt, at(2*time.Hour))
		equal(t, "organization", got.OrganizationID, "")

		for i := range 3 {
			x := se
			x.ID = "other-" + string(rune('a'+i))
			x.ExpiresAt = at(-time.Minute)
			must(t, a.CreateSession(ctx, x))
		}
		n, err := a.DeleteExpiredSessions(ctx, now)
		must(t, err)
		equal(t, "expired deleted", n, 3)
		must(t, a.CreateSession(ctx, tandem.Session{ID: "hash-3", UserID: f.owner.ID, State: tandem.SessionActive, CreatedAt: now, LastSeenAt: now, ExpiresAt: at(time.Hour)}))
		n, err = a.DeleteUserSessions(ctx, f.owner.ID, "hash-3")
		must(t, err)
		equal(t, "user sessions deleted", n, 1)
		must(t, a.DeleteSession(ctx, "hash-3"))
		wantCode(t, a.DeleteSession(ctx, "hash-3"), tandem.CodeNotFound)
		wantCode(t, a.TouchSession(ctx, "hash-3", now, now), tandem.CodeNotFound)
	})

	t.Run("APITokens", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		g := newFixture(t, s)
		a := s.Accounts
		exp := at(24 * time.Hour)
		tok := tandem.APIToken{ID: tandem.NewID(), OrganizationID: f.org.ID, UserID: f.owner.ID, Name: "ci", Hash: "h1", Prefix: "tdt_abcd",
			Scope: tandem.ScopeRead, ExpiresAt: &exp, CreatedAt: now}
		must(t, a.CreateAPIToken(ctx, tok))
		// A token only exists for a member of its organization.
		foreign := tok
		foreign.ID, foreign.Hash, foreign.OrganizationID = tandem.NewID(), "h2", g.org.ID
		wantCode(t, a.CreateAPIToken(ctx, foreign), tandem.CodeNotFound)
		dup := tok
		dup.ID = tandem.NewID()
		wantCode(t, a.CreateAPIToken(ctx, dup), tandem.CodeConflict)

		got, err := a.APITokenByHash(ctx, "h1")
		must(t, err)
		if got.ID != tok.ID || got.Scope != tandem.ScopeRead || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.LastUsedAt != nil {
			t.Fatalf("APITokenByHash = %+v", got)
		}
		must(t, a.TouchAPIToken(ctx, tok.ID, at(time.Minute)))
		list, err := a.ListAPITokens(ctx, f.org.ID, f.owner.ID)
		must(t, err)
		if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(at(time.Minute)) {
			t.Fatalf("ListAPITokens = %+v", list)
		}
		list, err = a.ListAPITokens(ctx, g.org.ID, f.owner.ID)
		must(t, err)
		equal(t, "tokens in another organization", len(list), 0)
		// Deleting needs the right organization and user.
		wantCode(t, a.DeleteAPIToken(ctx, g.org.ID, f.owner.ID, tok.ID), tandem.CodeNotFound)
		wantCode(t, a.DeleteAPIToken(ctx, f.org.ID, g.owner.ID, tok.ID), tandem.CodeNotFound)
		must(t, a.DeleteAPIToken(ctx, f.org.ID, f.owner.ID, tok.ID))
		_, err = a.APITokenByHash(ctx, "h1")
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("SessionMembership", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		g := newFixture(t, s)
		a := s.Accounts
		guest := f.member(t, tandem.RoleGuest)
		want := tandem.Membership{Organization: f.org, Role: tandem.RoleGuest}
		se := tandem.Session{ID: "s-guest", UserID: guest.ID, OrganizationID: f.org.ID, State: tandem.SessionActive,
			IP: "10.0.0.2", UserAgent: "ua", CreatedAt: now, LastSeenAt: now, ExpiresAt: at(time.Hour)}
		must(t, a.CreateSession(ctx, se))
		got, m, err := a.SessionMembership(ctx, se.ID)
		must(t, err)
		if got != se || m != want {
			t.Fatalf("SessionMembership = %+v, %+v; want %+v, %+v", got, m, se, want)
		}
		// The membership follows the organization's settings and the role.
		org := f.org
		org.DefaultAccess = tandem.DocRoleViewer
		must(t, s.Organizations.UpdateOrganization(ctx, org))
		must(t, s.Organizations.SetRole(ctx, f.org.ID, guest.ID, tandem.RoleMember))
		_, m, err = a.SessionMembership(ctx, se.ID)
		must(t, err)
		if m.Role != tandem.RoleMember || m.Organization.DefaultAccess != tandem.DocRoleViewer {
			t.Fatalf("membership after changes = %+v", m)
		}
		// No organization, or one the user does not belong to: no membership.
		for _, org := range []string{"", g.org.ID} {
			must(t, a.SetSessionOrganization(ctx, se.ID, org))
			got, m, err := a.SessionMembership(ctx, se.ID)
			must(t, err)
			if got.OrganizationID != org || m != (tandem.Membership{}) {
				t.Fatalf("session in %q: %+v, membership %+v", org, got, m)
			}
		}
		// Removed from the organization: no membership (and the session
		// leaves it).
		must(t, a.SetSessionOrganization(ctx, se.ID, f.org.ID))
		must(t, s.Organizations.RemoveMember(ctx, f.org.ID, guest.ID))
		_, m, err = a.SessionMembership(ctx, se.ID)
		must(t, err)
		equal(t, "membership after removal", m, tandem.Membership{})
		_, _, err = a.SessionMembership(ctx, "no-such-session")
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("APITokenMembership", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		a := s.Accounts
		admin := f.member(t, tandem.RoleAdmin)
		tok := tandem.APIToken{ID: tandem.NewID(), OrganizationID: f.org.ID, UserID: admin.ID, Name: "ci", Hash: "h-admin", Prefix: "tdt_abcd",
			Scope: tandem.ScopeReadWrite, CreatedAt: now}
		must(t, a.CreateAPIToken(ctx, tok))
		got, m, err := a.APITokenMembership(ctx, tok.Hash)
		must(t, err)
		if got.ID != tok.ID || got.UserID != admin.ID || got.Scope != tandem.ScopeReadWrite || got.ExpiresAt != nil {
			t.Fatalf("APITokenMembership token = %+v", got)
		}
		if want := (tandem.Membership{Organization: f.org, Role: tandem.RoleAdmin}); m != want {
			t.Fatalf("APITokenMembership membership = %+v, want %+v", m, want)
		}
		// Removing the member removes the token.
		must(t, s.Organizations.RemoveMember(ctx, f.org.ID, admin.ID))
		_, _, err = a.APITokenMembership(ctx, tok.Hash)
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("RecoveryCodes", func(t *testing.T) {
		s := open(t)
		a := s.Accounts
		u := newUser("eve")
		must(t, a.CreateUser(ctx, u))
		must(t, a.ReplaceRecoveryCodes(ctx, u.ID, []string{"c1", "c2", "c3"}, now))
		n, err := a.CountRecoveryCodes(ctx, u.ID)
		must(t, err)
		equal(t, "codes", n, 3)
		must(t, a.UseRecoveryCode(ctx, u.ID, "c2", now))
		wantCode(t, a.UseRecoveryCode(ctx, u.ID, "c2", now), tandem.CodeNotFound)
		wantCode(t, a.UseRecoveryCode(ctx, u.ID, "nope", now), tandem.CodeNotFound)
		other := newUser("mallory")
		must(t, a.CreateUser(ctx, other))
		wantCode(t, a.UseRecoveryCode(ctx, other.ID, "c1", now), tandem.CodeNotFound)
		n, _ = a.CountRecoveryCodes(ctx, u.ID)
		equal(t, "codes left", n, 2)
		must(t, a.ReplaceRecoveryCodes(ctx, u.ID, []string{"d1"}, now))
		wantCode(t, a.UseRecoveryCode(ctx, u.ID, "c1", now), tandem.CodeNotFound)
		n, _ = a.CountRecoveryCodes(ctx, u.ID)
		equal(t, "codes after replace", n, 1)
	})
}
