package tandem

import (
	"context"
	"time"
)

// User is a person's identity. Users are not tenant rows: one user can be a
// member of several organizations (see Membership), and a user is visible to
// other people only through a shared organization.
type User struct {
	ID    string
	Email string // lower-case, unique
	Name  string
	// PasswordHash is a PHC-format argon2id string; never the password.
	PasswordHash string
	// TOTPSecret is the base32 TOTP secret: pending while TOTPEnabled is
	// false (set up but not yet confirmed with a code), active once true.
	TOTPSecret  string
	TOTPEnabled bool
	// TOTPLastStep is the last TOTP time step accepted, so that a code is
	// accepted at most once.
	TOTPLastStep      int64
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// SessionState says how far a session got in logging in.
type SessionState string

const (
	// SessionActive sessions authenticate requests.
	SessionActive SessionState = "active"
	// SessionMFAPending sessions only carry a login between the password
	// and the second factor: they authenticate nothing.
	SessionMFAPending SessionState = "mfa_pending"
)

// Session is a browser login. Its ID is the SHA-256 of the secret token in
// the cookie, so a leaked database does not leak usable sessions.
type Session struct {
	ID             string // hex SHA-256 of the token
	UserID         string
	OrganizationID string // the organization the session works in ("" if none)
	State          SessionState
	IP             string
	UserAgent      string
	CreatedAt      time.Time
	LastSeenAt     time.Time
	ExpiresAt      time.Time
}

// TokenScope limits what an API token may do.
type TokenScope string

const (
	ScopeRead      TokenScope = "read"
	ScopeReadWrite TokenScope = "read_write"
)

// Valid reports whether s is a known scope.
func (s TokenScope) Valid() bool { return s == ScopeRead || s == ScopeReadWrite }

// APIToken is a personal access token, bound to one user in one
// organization. Only its hash is stored; the secret is shown once.
type APIToken struct {
	ID             string
	OrganizationID string
	UserID         string
	Name           string
	Hash           string // hex SHA-256 of the secret
	Prefix         string // the first characters of the secret, to recognise it
	Scope          TokenScope
	ExpiresAt      *time.Time
	LastUsedAt     *time.Time
	CreatedAt      time.Time
}

// Accounts stores users and their credentials: sessions, API tokens and
// two-factor recovery codes.
type Accounts interface {
	// CreateUser adds u; a taken email is a conflict.
	CreateUser(ctx context.Context, u User) error
	User(ctx context.Context, id string) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	UpdateUserName(ctx context.Context, id, name string, at time.Time) error
	// SetPassword replaces the password hash and deletes every session of
	// the user except keepSession, in one transaction.
	SetPassword(ctx context.Context, id, hash, keepSession string, at time.Time) error
	// SetTOTP stores the TOTP secret and whether it is active.
	SetTOTP(ctx context.Context, id, secret string, enabled bool, at time.Time) error
	// AdvanceTOTPStep records step as used if it is later than the last one
	// used, and reports whether it was (false means a replayed code).
	AdvanceTOTPStep(ctx context.Context, id string, step int64) (bool, error)

	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with that id; expired sessions are
	// returned too, the caller checks ExpiresAt.
	Session(ctx context.Context, id string) (Session, error)
	// SessionMembership returns the session with that id and, from the
	// same query, the user's membership of the organization the session
	// works in: a zero Membership if it works in none or the user is no
	// longer a member there. Every request authenticated by a session
	// asks.
	SessionMembership(ctx context.Context, id string) (Session, Membership, error)
	// TouchSession records activity and extends the session's expiry.
	TouchSession(ctx context.Context, id string, seen, expires time.Time) error
	SetSessionOrganization(ctx context.Context, id, organizationID string) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions deletes all sessions of a user except one
	// (except may be "") and returns how many it deleted.
	DeleteUserSessions(ctx context.Context, userID, except string) (int, error)
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)

	CreateAPIToken(ctx context.Context, t APIToken) error
	APITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// APITokenMembership is SessionMembership for the API token with that
	// hash and its organization.
	APITokenMembership(ctx context.Context, hash string) (APIToken, Membership, error)
	ListAPITokens(ctx context.Context, organizationID, userID string) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, organizationID, userID, id string) error
	TouchAPIToken(ctx context.Context, id string, at time.Time) error

	// ReplaceRecoveryCodes makes hashes the user's only recovery codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	// UseRecoveryCode marks an unused code as used; not_found if there is none.
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
}
