package tandemtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestOrganizations is the contract of tandem.Organizations.
func TestOrganizations(t *testing.T, open OpenStores) {
	ctx := context.Background()

	t.Run("FirstSignUpWinsOnce", func(t *testing.T) {
		s := open(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		users := make([]tandem.User, n)
		for i := range n {
			users[i] = newUser("first")
		}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				org := tandem.Organization{ID: tandem.NewID(), Name: "o", CreatedAt: now}
				errs[i] = s.Organizations.SignUp(ctx, users[i], org, true)
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantCode(t, err, tandem.CodeForbidden)
			// The losers' users were not created either.
			_, err := s.Accounts.User(ctx, users[i].ID)
			wantCode(t, err, tandem.CodeNotFound)
		}
		equal(t, "first sign-ups that succeeded", won, 1)
		// Without firstOnly anyone may create an organization.
		f := newFixture(t, s)
		ms, err := s.Organizations.UserOrganizations(ctx, f.owner.ID)
		must(t, err)
		if len(ms) != 1 || ms[0].Organization.ID != f.org.ID || ms[0].Role != tandem.RoleOwner || ms[0].Organization.DefaultAccess != tandem.DocRoleEditor {
			t.Fatalf("UserOrganizations = %+v", ms)
		}
	})

	t.Run("SignUpTakenEmail", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		u := newUser("x")
		u.Email = f.owner.Email
		org := tandem.Organization{ID: tandem.NewID(), Name: "o", CreatedAt: now}
		wantCode(t, s.Organizations.SignUp(ctx, u, org, false), tandem.CodeConflict)
		_, err := s.Organizations.Organization(ctx, org.ID)
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("OrganizationsAndMembers", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		o := s.Organizations
		org, err := o.Organization(ctx, f.org.ID)
		must(t, err)
		if org != f.org {
			t.Fatalf("Organization = %+v, want %+v", org, f.org)
		}
		org.Name, org.DefaultAccess = "Renamed", tandem.DocRoleNone
		must(t, o.UpdateOrganization(ctx, org))
		got, _ := o.Organization(ctx, f.org.ID)
		if got != org {
			t.Fatalf("after update = %+v, want %+v", got, org)
		}
		second := tandem.Organization{ID: tandem.NewID(), Name: "Second", CreatedAt: now}
		must(t, o.CreateOrganization(ctx, second, f.owner.ID))
		wantCode(t, o.CreateOrganization(ctx, tandem.Organization{ID: tandem.NewID(), Name: "x", CreatedAt: now}, tandem.NewID()), tandem.CodeNotFound)
		ms, _ := o.UserOrganizations(ctx, f.owner.ID)
		equal(t, "organizations of owner", len(ms), 2)

		var members []tandem.User
		for range 5 {
			members = append(members, f.member(t, tandem.RoleMember))
		}
		m, err := o.Member(ctx, f.org.ID, members[0].ID)
		must(t, err)
		if m.Role != tandem.RoleMember || m.Email != members[0].Email || m.Name != members[0].Name {
			t.Fatalf("Member = %+v", m)
		}
		_, err = o.Member(ctx, second.ID, members[0].ID)
		wantCode(t, err, tandem.CodeNotFound)
		ms0, err := o.Membership(ctx, f.org.ID, members[0].ID)
		must(t, err)
		if ms0.Role != tandem.RoleMember || ms0.Organization != org {
			t.Fatalf("Membership = %+v, want role member in %+v", ms0, org)
		}
		_, err = o.Membership(ctx, second.ID, members[0].ID)
		wantCode(t, err, tandem.CodeNotFound)
		// Pages by email cover everyone once, in order.
		var seen []string
		after := ""
		for {
			page, err := o.ListMembers(ctx, f.org.ID, after, 2)
			must(t, err)
			if len(page) == 0 {
				break
			}
			for _, m := range page {
				if m.OrganizationID != f.org.ID {
					t.Fatalf("member of another organization listed: %+v", m)
				}
				seen = append(seen, m.Email)
			}
			after = page[len(page)-1].Email
		}
		equal(t, "members listed", len(seen), 6)
		for i := 1; i < len(seen); i++ {
			if seen[i-1] >= seen[i] {
				t.Fatalf("members out of order: %v", seen)
			}
		}
		page, _ := o.ListMembers(ctx, second.ID, "", 100)
		equal(t, "members of second organization", len(page), 1)
	})

	t.Run("LastOwnerStays", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		o := s.Organizations
		wantCode(t, o.SetRole(ctx, f.org.ID, f.owner.ID, tandem.RoleAdmin), tandem.CodeConflict)
		wantCode(t, o.RemoveMember(ctx, f.org.ID, f.owner.ID), tandem.CodeConflict)
		second := f.member(t, tandem.RoleAdmin)
		must(t, o.SetRole(ctx, f.org.ID, second.ID, tandem.RoleOwner))
		// Two owners demote each other at the same time: one stays.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []tandem.User{f.owner, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = o.SetRole(ctx, f.org.ID, u.ID, tandem.RoleMember)
			}()
		}
		wg.Wait()
		owners := 0
		page, err := o.ListMembers(ctx, f.org.ID, "", 100)
		must(t, err)
		for _, m := range page {
			if m.Role == tandem.RoleOwner {
				owners++
			}
		}
		equal(t, "owners left", owners, 1)
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("want exactly one demotion to fail, got %v and %v", errs[0], errs[1])
		}
		wantCode(t, o.SetRole(ctx, f.org.ID, tandem.NewID(), tandem.RoleMember), tandem.CodeNotFound)
		wantCode(t, o.RemoveMember(ctx, f.org.ID, tandem.NewID()), tandem.CodeNotFound)
	})

	t.Run("RemoveMemberTakesAccessAway", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		u := f.member(t, tandem.RoleGuest)
		d := f.doc(t, "", "Doc", now)
		must(t, s.Shares.PutGrant(ctx, tandem.Grant{OrganizationID: f.org.ID, ResourceType: tandem.ResourceDocument, ResourceID: d.ID,
			UserID: u.ID, Role: tandem.DocRoleEditor, CreatedBy: f.owner.ID, CreatedAt: now}))
		must(t, s.Documents.AddFavorite(ctx, f.org.ID, u.ID, d.ID, now))
		must(t, s.Accounts.CreateAPIToken(ctx, tandem.APIToken{ID: tandem.NewID(), OrganizationID: f.org.ID, UserID: u.ID, Name: "t",
			Hash: "guest-token", Prefix: "p", Scope: tandem.ScopeReadWrite, CreatedAt: now}))
		must(t, s.Accounts.CreateSession(ctx, tandem.Session{ID: "guest-session", UserID: u.ID, OrganizationID: f.org.ID,
			State: tandem.SessionActive, CreatedAt: now, LastSeenAt: now, ExpiresAt: at(time.Hour)}))

		must(t, s.Organizations.RemoveMember(ctx, f.org.ID, u.ID))
		_, err := s.Organizations.Member(ctx, f.org.ID, u.ID)
		wantCode(t, err, tandem.CodeNotFound)
		_, role, err := s.Shares.DocumentAccess(ctx, f.org.ID, d.ID, u.ID)
		must(t, err)
		equal(t, "role after removal", role, tandem.DocRoleNone)
		_, err = s.Accounts.APITokenByHash(ctx, "guest-token")
		wantCode(t, err, tandem.CodeNotFound)
		se, err := s.Accounts.Session(ctx, "guest-session")
		must(t, err)
		equal(t, "session organization", se.OrganizationID, "")
		items, err := s.Documents.ListDocuments(ctx, tandem.DocumentQuery{OrganizationID: f.org.ID, UserID: u.ID, FavoritesOnly: true})
		must(t, err)
		equal(t, "favorites after removal", len(items), 0)
		// Invited again, the user starts with nothing.
		inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: f.org.ID, Email: u.Email, Role: tandem.RoleGuest,
			TokenHash: "again", InvitedBy: f.owner.ID, CreatedAt: now, ExpiresAt: at(time.Hour)}
		must(t, s.Organizations.CreateInvitation(ctx, inv, 1000))
		must(t, s.Organizations.AcceptInvitation(ctx, inv.ID, u, false, now))
		_, role, _ = s.Shares.DocumentAccess(ctx, f.org.ID, d.ID, u.ID)
		equal(t, "role after rejoining", role, tandem.DocRoleNone)
	})

	t.Run("Invitations", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		o := s.Organizations
		inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: f.org.ID, Email: "new@example.com", Role: tandem.RoleMember,
			TokenHash: "inv-hash", InvitedBy: f.owner.ID, CreatedAt: now, ExpiresAt: at(time.Hour)}
		must(t, o.CreateInvitation(ctx, inv, 1000))
		dup := inv
		dup.ID = tandem.NewID()
		wantCode(t, o.CreateInvitation(ctx, dup, 1000), tandem.CodeConflict)
		got, err := o.InvitationByHash(ctx, "inv-hash")
		must(t, err)
		if got != inv {
			t.Fatalf("InvitationByHash = %+v, want %+v", got, inv)
		}
		list, err := o.ListInvitations(ctx, f.org.ID)
		must(t, err)
		equal(t, "pending invitations", len(list), 1)

		// Expired: refused, nothing created.
		u := newUser("late")
		wantCode(t, o.AcceptInvitation(ctx, inv.ID, u, true, at(2*time.Hour)), tandem.CodeNotFound)
		_, err = s.Accounts.User(ctx, u.ID)
		wantCode(t, err, tandem.CodeNotFound)

		// An existing member: conflict, and the invitation stays usable.
		wantCode(t, o.AcceptInvitation(ctx, inv.ID, f.owner, false, now), tandem.CodeConflict)
		got, _ = o.InvitationByHash(ctx, "inv-hash")
		if got.AcceptedAt != nil {
			t.Fatalf("a failed acceptance marked the invitation accepted")
		}

		must(t, o.AcceptInvitation(ctx, inv.ID, u, true, at(time.Minute)))
		m, err := o.Member(ctx, f.org.ID, u.ID)
		must(t, err)
		equal(t, "role", m.Role, tandem.RoleMember)
		got, _ = o.InvitationByHash(ctx, "inv-hash")
		if got.AcceptedAt == nil || !got.AcceptedAt.Equal(at(time.Minute)) || got.AcceptedBy != u.ID {
			t.Fatalf("accepted invitation = %+v", got)
		}
		wantCode(t, o.AcceptInvitation(ctx, inv.ID, newUser("again"), true, at(time.Minute)), tandem.CodeNotFound)
		list, _ = o.ListInvitations(ctx, f.org.ID)
		equal(t, "pending after accept", len(list), 0)
		wantCode(t, o.DeleteInvitation(ctx, f.org.ID, inv.ID), tandem.CodeNotFound)

		other := newFixture(t, s)
		inv2 := inv
		inv2.ID, inv2.TokenHash = tandem.NewID(), "inv-2"
		must(t, o.CreateInvitation(ctx, inv2, 1000))
		wantCode(t, o.DeleteInvitation(ctx, other.org.ID, inv2.ID), tandem.CodeNotFound)
		must(t, o.DeleteInvitation(ctx, f.org.ID, inv2.ID))
		_, err = o.InvitationByHash(ctx, "inv-2")
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("InvitationLimit", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		other := newFixture(t, s)
		o := s.Organizations
		const limit = 3
		invite := func(org string, created time.Time) tandem.Invitation {
			return tandem.Invitation{ID: tandem.NewID(), OrganizationID: org, Email: fmt.Sprintf("i%d@example.com", seq.Add(1)),
				Role: tandem.RoleMember, TokenHash: tandem.NewID(), InvitedBy: f.owner.ID, CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		}
		var first []tandem.Invitation
		for range limit {
			inv := invite(f.org.ID, now)
			must(t, o.CreateInvitation(ctx, inv, limit))
			first = append(first, inv)
		}
		over := invite(f.org.ID, now)
		wantCode(t, o.CreateInvitation(ctx, over, limit), tandem.CodeConflict)
		_, err := o.InvitationByHash(ctx, over.TokenHash)
		wantCode(t, err, tandem.CodeNotFound)
		// The limit is per organization.
		must(t, o.CreateInvitation(ctx, invite(other.org.ID, now), limit))

		// Accepted and revoked invitations are no longer pending.
		must(t, o.AcceptInvitation(ctx, first[0].ID, newUser("joined"), true, at(time.Minute)))
		must(t, o.DeleteInvitation(ctx, f.org.ID, first[1].ID))
		must(t, o.CreateInvitation(ctx, invite(f.org.ID, at(time.Minute)), limit))
		must(t, o.CreateInvitation(ctx, invite(f.org.ID, at(time.Minute)), limit))
		wantCode(t, o.CreateInvitation(ctx, invite(f.org.ID, at(time.Minute)), limit), tandem.CodeConflict)

		// Nor are expired ones: they go when the next invitation is made.
		later := at(time.Hour + 30*time.Second) // first[2] has expired, the two made at +1m have not
		must(t, o.CreateInvitation(ctx, invite(f.org.ID, later), limit))
		_, err = o.InvitationByHash(ctx, first[2].TokenHash)
		wantCode(t, err, tandem.CodeNotFound)
		got, err := o.InvitationByHash(ctx, first[0].TokenHash)
		must(t, err)
		if got.AcceptedAt == nil {
			t.Fatal("the accepted invitation went with the expired ones")
		}
		list, err := o.ListInvitations(ctx, f.org.ID)
		must(t, err)
		equal(t, "pending invitations", len(list), limit)
		wantCode(t, o.CreateInvitation(ctx, invite(f.org.ID, later), limit), tandem.CodeConflict)
	})

	t.Run("InvitationLimitConcurrent", func(t *testing.T) {
		s := open(t)
		f := newFixture(t, s)
		const limit, n = 5, 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: f.org.ID, Email: fmt.Sprintf("c%d@example.com", seq.Add(1)),
					Role: tandem.RoleGuest, TokenHash: tandem.NewID(), InvitedBy: f.owner.ID, CreatedAt: now, ExpiresAt: at(time.Hour)}
				errs[i] = s.Organizations.CreateInvitation(ctx, inv, limit)
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			if err == nil {
				created++
				continue
			}
			wantCode(t, err, tandem.CodeConflict)
		}
		equal(t, "invitations created", created, limit)
		list, err := s.Organizations.ListInvitations(ctx, f.org.ID)
		must(t, err)
		equal(t, "pending invitations", len(list), limit)
	})
}
