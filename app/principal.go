package app

import (
	"github.com/tandem-docs/tandem"
)

// PrincipalKind says how a principal proved who it is.
type PrincipalKind string

const (
	KindSession PrincipalKind = "session" // a browser session cookie
	KindToken   PrincipalKind = "token"   // a personal API token
	KindLink    PrincipalKind = "link"    // a public link: anonymous, one document
)

// Principal is who asks for an operation, as Authenticate found it.
type Principal struct {
	Kind   PrincipalKind
	UserID string // "" for a public link
	// OrganizationID is the one organization the principal works in ("" if
	// the user belongs to none); Role is the user's role there.
	OrganizationID string
	Role           tandem.Role
	// DefaultAccess is the organization's default access for members.
	DefaultAccess tandem.DocRole
	SessionID     string // for KindSession
	TokenID       string // for KindToken
	Scope         tandem.TokenScope
	// LinkDocumentID is the one document a public link opens.
	LinkDocumentID string
	// IP is the client's address, recorded in the audit log; the caller
	// sets it.
	IP string
}

func forbidden(msg string) error { return tandem.Errorf(tandem.CodeForbidden, "%s", msg) }

// user requires a signed-in user (not a public link).
func (p Principal) user() error {
	if p.UserID == "" || p.Kind == KindLink {
		return tandem.Errorf(tandem.CodeUnauthorized, "sign in first")
	}
	return nil
}

// session requires a browser session: account security (password, 2FA,
// tokens) is never managed with an API token.
func (p Principal) session() error {
	if err := p.user(); err != nil {
		return err
	}
	if p.Kind != KindSession {
		return forbidden("this needs a signed-in session, not an API token")
	}
	return nil
}

// write requires a principal that may change things at all.
func (p Principal) write() error {
	if err := p.user(); err != nil {
		return err
	}
	if p.Kind == KindToken && p.Scope != tandem.ScopeReadWrite {
		return forbidden("this API token is read-only")
	}
	return nil
}

// role requires membership of the principal's organization with at least
// role min.
func (p Principal) role(min tandem.Role) error {
	if err := p.user(); err != nil {
		return err
	}
	if p.OrganizationID == "" || p.Role.Rank() == 0 {
		return forbidden("you are not a member of an organization")
	}
	if p.Role.Rank() < min.Rank() {
		return forbidden("your role in this organization does not allow this")
	}
	return nil
}

// writeRole is write and role together.
func (p Principal) writeRole(min tandem.Role) error {
	if err := p.write(); err != nil {
		return err
	}
	return p.role(min)
}
