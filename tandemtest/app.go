// Package tandemtest holds the contract test suites that every
// implementation of a tandem store interface must pass. A driver's tests call
// the suite with a function that opens a fresh, empty store.
package tandemtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// OpenStores opens a fresh, empty set of App stores for one test.
type OpenStores func(t *testing.T) tandem.Stores

// TestAppStores runs every App store contract suite against open.
func TestAppStores(t *testing.T, open OpenStores) {
	t.Run("Accounts", func(t *testing.T) { TestAccounts(t, open) })
	t.Run("Organizations", func(t *testing.T) { TestOrganizations(t, open) })
	t.Run("Documents", func(t *testing.T) { TestDocuments(t, open) })
	t.Run("Shares", func(t *testing.T) { TestShares(t, open) })
	t.Run("Audit", func(t *testing.T) { TestAuditLog(t, open) })
	t.Run("Idempotency", func(t *testing.T) { TestIdempotencyKeys(t, open) })
}

// now is a fixed, microsecond-precise time: stores keep microseconds.
var now = time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return now.Add(d) }

// fixture is an organization with an owner, built directly through the stores.
type fixture struct {
	s     tandem.Stores
	org   tandem.Organization
	owner tandem.User
}

var seq atomic.Int64

func newUser(name string) tandem.User {
	return tandem.User{
		ID: tandem.NewID(), Email: fmt.Sprintf("%s.%d@example.com", name, seq.Add(1)), Name: name,
		PasswordHash: "$argon2id$test", PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now,
	}
}

func newFixture(t *testing.T, s tandem.Stores) fixture {
	t.Helper()
	owner := newUser("owner")
	org := tandem.Organization{ID: tandem.NewID(), Name: "Org " + owner.Email, DefaultAccess: tandem.DocRoleEditor, CreatedAt: now}
	must(t, s.Organizations.SignUp(context.Background(), owner, org, false))
	return fixture{s: s, org: org, owner: owner}
}

// member adds a new user to the fixture's organization with a role.
func (f fixture) member(t *testing.T, role tandem.Role) tandem.User {
	t.Helper()
	ctx := context.Background()
	u := newUser(string(role))
	inv := tandem.Invitation{ID: tandem.NewID(), OrganizationID: f.org.ID, Email: u.Email, Role: role,
		TokenHash: tandem.NewID(), InvitedBy: f.owner.ID, CreatedAt: now, ExpiresAt: at(time.Hour)}
	must(t, f.s.Organizations.CreateInvitation(ctx, inv, 1000))
	must(t, f.s.Organizations.AcceptInvitation(ctx, inv.ID, u, true, now))
	return u
}

func (f fixture) doc(t *testing.T, folderID, title string, updated time.Time) tandem.Document {
	t.Helper()
	d := tandem.Document{ID: tandem.NewID(), OrganizationID: f.org.ID, FolderID: folderID, Title: title,
		CreatedBy: f.owner.ID, CreatedAt: updated, UpdatedAt: updated}
	must(t, f.s.Documents.CreateDocument(context.Background(), d))
	return d
}

func (f fixture) folder(t *testing.T, parentID, name string) tandem.Folder {
	t.Helper()
	fo := tandem.Folder{ID: tandem.NewID(), OrganizationID: f.org.ID, ParentID: parentID, Name: name,
		CreatedBy: f.owner.ID, CreatedAt: now, UpdatedAt: now}
	must(t, f.s.Documents.CreateFolder(context.Background(), fo))
	return fo
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries the domain error code.
func wantCode(t *testing.T, err error, code tandem.Code) {
	t.Helper()
	if got := tandem.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	var te *tandem.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *tandem.Error", err)
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func timeEqual(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
