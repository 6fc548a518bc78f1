package app_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// countingAccounts counts the credential lookups that reach the store and,
// when pause is set, holds a session lookup after it read the store until
// resume is closed.
type countingAccounts struct {
	tandem.Accounts
	lookups atomic.Int64
	pause   chan struct{} // receives when a lookup has read and waits
	resume  chan struct{}
}

func (c *countingAccounts) SessionMembership(ctx context.Context, id string) (tandem.Session, tandem.Membership, error) {
	c.lookups.Add(1)
	se, m, err := c.Accounts.SessionMembership(ctx, id)
	if c.pause != nil {
		c.pause <- struct{}{}
		<-c.resume
	}
	return se, m, err
}

func (c *countingAccounts) APITokenMembership(ctx context.Context, hash string) (tandem.APIToken, tandem.Membership, error) {
	c.lookups.Add(1)
	return c.Accounts.APITokenMembership(ctx, hash)
}

// counted wraps the stores' Accounts in a countingAccounts.
func counted(s tandem.Stores) (tandem.Stores, *countingAccounts) {
	c := &countingAccounts{Accounts: s.Accounts}
	s.Accounts = c
	return s, c
}

func (e *env) unauthorized(token string) {
	e.t.Helper()
	_, err := e.app.Authenticate(ctx, tandem.Credentials{Token: token})
	if tandem.ErrorCode(err) != tandem.CodeUnauthorized {
		e.t.Fatalf("Authenticate after revocation: %v, want unauthorized", err)
	}
}

// TestCredentialCacheHits: a credential used again within its lifetime is
// not read from the store again; after the lifetime it is.
func TestCredentialCacheHits(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		s, c := counted(e.stores)
		e = newEnv(t, s)
		o := e.owner()
		tok, err := e.app.CreateAPIToken(ctx, o.p, "script", tandem.ScopeRead, nil)
		must(t, err)
		for _, token := range []string{o.Token, tok.Token} {
			e.clock.Add(time.Second) // what signing up cached has expired
			c.lookups.Store(0)
			for range 10 {
				e.auth(token)
			}
			if n := c.lookups.Load(); n != 1 {
				t.Fatalf("10 requests read the credential %d times, want 1", n)
			}
			e.clock.Add(time.Second)
			e.auth(token)
			if n := c.lookups.Load(); n != 2 {
				t.Fatalf("after the entry's lifetime: %d reads, want 2", n)
			}
		}
		// Off: every request reads.
		off := newEnv(t, s, func(cfg *app.Config) { cfg.CredentialTTL = -1 })
		c.lookups.Store(0)
		for range 3 {
			off.auth(o.Token)
		}
		if n := c.lookups.Load(); n != 3 {
			t.Fatalf("cache off: %d reads for 3 requests, want 3", n)
		}
	})
}

// TestCredentialCacheRevocations: every change that shrinks or moves what a
// credential resolves to takes effect on the very next request, though the
// credential was cached a moment before.
func TestCredentialCacheRevocations(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		m := e.join(o, tandem.RoleMember)
		warm := func(token string) { e.auth(token); e.auth(token) }

		warm(m.Token)
		must(t, e.app.SetRole(ctx, o.p, m.User.ID, tandem.RoleGuest))
		if p := e.auth(m.Token); p.Role != tandem.RoleGuest {
			t.Fatalf("role after lowering: %q", p.Role)
		}
		must(t, e.app.SetRole(ctx, o.p, m.User.ID, tandem.RoleAdmin))
		if p := e.auth(m.Token); p.Role != tandem.RoleAdmin {
			t.Fatalf("role after raising: %q", p.Role)
		}

		warm(m.Token)
		viewer := tandem.DocRoleViewer
		_, err := e.app.UpdateOrganization(ctx, o.p, app.OrganizationUpdate{DefaultAccess: &viewer})
		must(t, err)
		if p := e.auth(m.Token); p.DefaultAccess != tandem.DocRoleViewer {
			t.Fatalf("default access: %q", p.DefaultAccess)
		}

		// A token, then its deletion.
		mp := e.auth(m.Token)
		tok, err := e.app.CreateAPIToken(ctx, mp, "script", tandem.ScopeReadWrite, nil)
		must(t, err)
		warm(tok.Token)
		must(t, e.app.DeleteAPIToken(ctx, mp, tok.ID))
		e.unauthorized(tok.Token)

		// Switching organization moves the session at once.
		other, err := e.app.CreateOrganization(ctx, mp, "Elsewhere")
		must(t, err)
		warm(m.Token)
		if _, err := e.app.SwitchOrganization(ctx, e.auth(m.Token), other.ID); err != nil {
			t.Fatal(err)
		}
		if p := e.auth(m.Token); p.OrganizationID != other.ID {
			t.Fatalf("organization after switching: %q, want %q", p.OrganizationID, other.ID)
		}
		_, err = e.app.SwitchOrganization(ctx, e.auth(m.Token), o.p.OrganizationID)
		must(t, err)

		// Removal: the session stays, in no organization; its tokens go.
		tok, err = e.app.CreateAPIToken(ctx, e.auth(m.Token), "script", tandem.ScopeRead, nil)
		must(t, err)
		warm(m.Token)
		warm(tok.Token)
		must(t, e.app.RemoveMember(ctx, o.p, m.User.ID))
		if p := e.auth(m.Token); p.OrganizationID == o.p.OrganizationID || p.Role != "" {
			t.Fatalf("removed member still in the organization: %+v", p)
		}
		e.unauthorized(tok.Token)

		// Logout and password change.
		g := e.join(o, tandem.RoleMember)
		second, err := e.app.Login(ctx, app.LoginInput{Email: g.email, Password: g.password})
		must(t, err)
		warm(g.Token)
		warm(second.Token)
		must(t, e.app.ChangePassword(ctx, e.auth(g.Token), g.password, "a brand new passphrase"))
		e.unauthorized(second.Token)
		warm(g.Token)
		must(t, e.app.Logout(ctx, e.auth(g.Token)))
		e.unauthorized(g.Token)
	})
}

// TestCredentialCacheAcrossInstances: two App instances over one database.
// A change made on one reaches the other's cache through the shared change
// feed (Redis in production) before the request that made it returns; if
// the notice is lost, the entry's lifetime bounds how long the other goes
// on using it.
func TestCredentialCacheAcrossInstances(t *testing.T) {
	forEach(t, func(t *testing.T, a *env) {
		feed := app.NewLocalChanges()
		a = newEnv(t, a.stores, func(c *app.Config) { c.Changes = feed })
		b := newEnv(t, a.stores, func(c *app.Config) { c.Changes = feed; c.Now = a.clock.Now })
		o := a.owner()
		m := a.join(o, tandem.RoleMember)
		b.auth(m.Token)
		must(t, a.app.SetRole(ctx, o.p, m.User.ID, tandem.RoleGuest))
		if p := b.auth(m.Token); p.Role != tandem.RoleGuest {
			t.Fatalf("other instance: role %q after the change was heard", p.Role)
		}

		// Lost notice: b on a feed of its own.
		lost := newEnv(t, a.stores, func(c *app.Config) { c.Now = a.clock.Now })
		lost.auth(m.Token)
		must(t, a.app.SetRole(ctx, o.p, m.User.ID, tandem.RoleMember))
		// Still the cached answer (this is the window the lifetime bounds;
		// asserted so that the bound below is not tested on no cache)...
		if p := lost.auth(m.Token); p.Role != tandem.RoleGuest {
			t.Fatalf("expected the cached role within the lifetime, got %q", p.Role)
		}
		// ...and never beyond it.
		a.clock.Add(time.Second)
		if p := lost.auth(m.Token); p.Role != tandem.RoleMember {
			t.Fatalf("role one lifetime after a lost notice: %q", p.Role)
		}
	})
}

// TestCredentialCacheRace: a lookup that read the store before a change
// and returns after it does not put the old answer in the cache.
func TestCredentialCacheRace(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		s, c := counted(e.stores)
		e = newEnv(t, s)
		o := e.owner()
		m := e.join(o, tandem.RoleMember)
		e.clock.Add(time.Second) // m's entry from join has expired

		c.pause, c.resume = make(chan struct{}), make(chan struct{})
		got := make(chan app.Principal)
		go func() {
			p, _ := e.app.Authenticate(ctx, tandem.Credentials{Token: m.Token})
			got <- p
		}()
		<-c.pause // the lookup has read the member role
		c.pause = nil
		must(t, e.app.SetRole(ctx, o.p, m.User.ID, tandem.RoleGuest))
		close(c.resume)
		if p := <-got; p.Role != tandem.RoleMember {
			t.Fatalf("the racing request saw %q; it read before the change", p.Role)
		}
		if p := e.auth(m.Token); p.Role != tandem.RoleGuest {
			t.Fatalf("the old answer was cached: role %q after the change", p.Role)
		}
	})
}
