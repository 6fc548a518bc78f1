package tandem

import "context"

// DocRole is what a principal may do on a document or folder. Roles are
// ordered: each includes the ones below it.
type DocRole string

const (
	DocRoleNone      DocRole = ""
	DocRoleViewer    DocRole = "viewer"    // read
	DocRoleCommenter DocRole = "commenter" // read and comment
	DocRoleEditor    DocRole = "editor"    // change content, title, place; trash
	DocRoleOwner     DocRole = "owner"     // also share, delete for good
)

// Rank orders document roles; DocRoleNone (or an unknown role) is 0.
func (r DocRole) Rank() int {
	switch r {
	case DocRoleViewer:
		return 1
	case DocRoleCommenter:
		return 2
	case DocRoleEditor:
		return 3
	case DocRoleOwner:
		return 4
	}
	return 0
}

// Valid reports whether r is a role that can be granted.
func (r DocRole) Valid() bool { return r.Rank() > 0 }

// AtLeast reports whether r includes min.
func (r DocRole) AtLeast(min DocRole) bool { return r.Rank() >= min.Rank() && r.Rank() > 0 }

// MaxDocRole returns the higher of two roles.
func MaxDocRole(a, b DocRole) DocRole {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Access is what a realtime connection may do on a document.
type Access int

const (
	AccessNone Access = iota
	AccessReadOnly
	AccessReadWrite
)

func (a Access) String() string {
	switch a {
	case AccessReadOnly:
		return "read-only"
	case AccessReadWrite:
		return "read-write"
	}
	return "none"
}

// Credentials are what a client presents: a bearer token (API token, session
// token or public link token) and/or the session cookie's value.
type Credentials struct {
	Token         string
	SessionCookie string
}

// PermissionChange tells listeners that some permissions may have shrunk, so
// that they re-check open connections. Empty fields widen the scope: no
// DocumentID means every document of the organization, no UserID means every
// user, no OrganizationID means every organization of the user.
type PermissionChange struct {
	OrganizationID string
	UserID         string
	DocumentID     string
}

// PermissionChanges carries PermissionChange notices from the App service to
// every realtime instance. The embedded implementation is in-process; a
// distributed one (Redis) reaches other instances.
type PermissionChanges interface {
	Publish(ctx context.Context, c PermissionChange) error
	// Subscribe calls fn for every change published from now on, until
	// cancel is called. fn must not block for long.
	Subscribe(fn func(PermissionChange)) (cancel func(), err error)
}
