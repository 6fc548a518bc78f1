package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/tandem-docs/tandem"
)

// SignUpInput is what a person gives to create an account and organization.
type SignUpInput struct {
	Email, Password, Name, OrganizationName string
	IP, UserAgent                           string
}

// LoginResult is the outcome of a successful password check.
type LoginResult struct {
	// Token is the new session's secret (the cookie value), empty when a
	// second factor is needed.
	Token   string
	Session tandem.Session
	User    tandem.User
	// MFAToken, when set, must be presented with a TOTP or recovery code
	// to CompleteLogin within MFAWindow.
	MFAToken string
}

// MFAWindow is how long a login waits for its second factor.
const MFAWindow = 5 * time.Minute

// genericLoginError is the one answer to every failed login, so that it
// tells nobody whether an account exists.
var genericLoginError = &tandem.Error{Code: tandem.CodeUnauthorized, Message: "invalid email or password"}

// SignUp creates an account, an organization it owns, and a session. Unless
// Config.OpenSignUp, only the very first person may: later users join
// through invitations.
func (a *App) SignUp(ctx context.Context, in SignUpInput) (LoginResult, error) {
	email, err := normalizeEmail("email", in.Email)
	if err != nil {
		return LoginResult{}, err
	}
	name, err := cleanText("name", in.Name, maxNameLen, true)
	if err != nil {
		return LoginResult{}, err
	}
	orgName, err := cleanText("organization_name", in.OrganizationName, maxNameLen, true)
	if err != nil {
		return LoginResult{}, err
	}
	if err := checkPassword("password", in.Password); err != nil {
		return LoginResult{}, err
	}
	hash, err := a.hasher.hash(ctx, in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	now := a.now()
	u := tandem.User{ID: tandem.NewID(), Email: email, Name: name, PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	org := tandem.Organization{ID: tandem.NewID(), Name: orgName, DefaultAccess: tandem.DocRoleEditor, CreatedAt: now}
	if err := a.s.Organizations.SignUp(ctx, u, org, !a.cfg.OpenSignUp); err != nil {
		return LoginResult{}, err
	}
	a.audit(ctx, org.ID, u.ID, in.IP, tandem.AuditOrganizationCreate, "organization", org.ID, nil)
	return a.startSession(ctx, u, org.ID, in.IP, in.UserAgent)
}

// startSession creates an active session working in organizationID.
func (a *App) startSession(ctx context.Context, u tandem.User, organizationID, ip, ua string) (LoginResult, error) {
	token := newToken(prefixSession)
	now := a.now()
	se := tandem.Session{ID: hashToken(token), UserID: u.ID, OrganizationID: organizationID, State: tandem.SessionActive,
		IP: truncate(ip, 64), UserAgent: truncate(ua, 256), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: a.sessionExpiry(now, now)}
	if err := a.s.Accounts.CreateSession(ctx, se); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, Session: se, User: u}, nil
}

func (a *App) sessionExpiry(created, now time.Time) time.Time {
	exp := now.Add(a.cfg.SessionIdle)
	if limit := created.Add(a.cfg.SessionLifetime); exp.After(limit) {
		exp = limit
	}
	return exp
}

func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// LoginInput is an email and password login attempt.
type LoginInput struct {
	Email, Password string
	IP, UserAgent   string
}

// throttled returns a rate_limited error if either key must wait.
func (a *App) throttled(ctx context.Context, keys ...keyed) error {
	var wait time.Duration
	for _, k := range keys {
		d, err := k.t.Wait(ctx, k.key)
		if err != nil {
			return err
		}
		wait = max(wait, d)
	}
	if wait > 0 {
		return &tandem.Error{Code: tandem.CodeRateLimited, Message: "too many failed attempts; try again later", RetryAfter: wait}
	}
	return nil
}

type keyed struct {
	t   tandem.Throttle
	key string
}

func (a *App) loginKeys(email, ip string) []keyed {
	ks := []keyed{{a.cfg.AccountThrottle, "account:" + email}}
	if ip != "" {
		ks = append(ks, keyed{a.cfg.IPThrottle, "ip:" + ip})
	}
	return ks
}

func (a *App) failed(ctx context.Context, keys []keyed) {
	for _, k := range keys {
		if _, err := k.t.Fail(ctx, k.key); err != nil {
			a.log.ErrorContext(ctx, "throttle", "error", err)
		}
	}
}

// Login checks an email and password. It answers every failure with the
// same error and about the same time, whether or not the account exists,
// and slows down repeated failures per account and per address.
func (a *App) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if len(email) > 254 || len(in.Password) > maxPasswordLen {
		return LoginResult{}, genericLoginError
	}
	keys := a.loginKeys(email, in.IP)
	if err := a.throttled(ctx, keys...); err != nil {
		return LoginResult{}, err
	}
	u, err := a.s.Accounts.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, tandem.ErrNotFound) {
		return LoginResult{}, err
	}
	hash := a.dummy
	if known {
		hash = u.PasswordHash
	}
	ok, err := a.hasher.verify(ctx, hash, in.Password)
	if err != nil {
		return LoginResult{}, err
	}
	if !known || !ok {
		a.failed(ctx, keys)
		if known {
			a.auditUser(ctx, u.ID, "", in.IP, tandem.AuditLoginFailed, map[string]string{"reason": "password"})
		} else {
			a.logUnknownLogin(ctx, email, in.IP)
		}
		return LoginResult{}, genericLoginError
	}
	if err := a.cfg.AccountThrottle.Reset(ctx, keys[0].key); err != nil {
		a.log.ErrorContext(ctx, "throttle", "error", err)
	}
	orgID := a.defaultOrganization(ctx, u.ID)
	if u.TOTPEnabled {
		token := newToken(prefixMFA)
		now := a.now()
		se := tandem.Session{ID: hashToken(token), UserID: u.ID, OrganizationID: orgID, State: tandem.SessionMFAPending,
			IP: truncate(in.IP, 64), UserAgent: truncate(in.UserAgent, 256), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(MFAWindow)}
		if err := a.s.Accounts.CreateSession(ctx, se); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{MFAToken: token, User: u}, nil
	}
	res, err := a.startSession(ctx, u, orgID, in.IP, in.UserAgent)
	if err != nil {
		return LoginResult{}, err
	}
	a.auditUser(ctx, u.ID, orgID, in.IP, tandem.AuditLogin, nil)
	return res, nil
}

// logUnknownLogin records a failed login for an email with no account.
// Such an attempt concerns no organization (an audit log entry in one
// would show its admins probes that are not about them), so it goes to the
// process log as a security event, where operators watch for password
// spraying. The address is logged as a keyed hash, never in clear: people
// type passwords into the email field, and logs travel further than the
// database. The hash is the same for the same address within one process,
// enough to see one address tried from many places or many from one.
func (a *App) logUnknownLogin(ctx context.Context, email, ip string) {
	m := hmac.New(sha256.New, a.logKey[:])
	m.Write([]byte(email))
	a.log.WarnContext(ctx, "login failed", "reason", "unknown_account",
		"email_hash", hex.EncodeToString(m.Sum(nil)[:12]), "ip", truncate(ip, 64))
}

// defaultOrganization is the organization a new session works in: the
// user's first by name.
func (a *App) defaultOrganization(ctx context.Context, userID string) string {
	ms, err := a.s.Organizations.UserOrganizations(ctx, userID)
	if err != nil || len(ms) == 0 {
		return ""
	}
	return ms[0].Organization.ID
}

// CompleteLogin finishes a login that needs a second factor, with a TOTP
// code or an unused recovery code.
func (a *App) CompleteLogin(ctx context.Context, mfaToken, code, ip, ua string) (LoginResult, error) {
	if !strings.HasPrefix(mfaToken, prefixMFA) || len(mfaToken) > 128 {
		return LoginResult{}, tandem.Errorf(tandem.CodeUnauthorized, "the login has expired; sign in again")
	}
	pending, err := a.s.Accounts.Session(ctx, hashToken(mfaToken))
	if err != nil || pending.State != tandem.SessionMFAPending || !a.now().Before(pending.ExpiresAt) {
		if err != nil && !errors.Is(err, tandem.ErrNotFound) {
			return LoginResult{}, err
		}
		return LoginResult{}, tandem.Errorf(tandem.CodeUnauthorized, "the login has expired; sign in again")
	}
	u, err := a.s.Accounts.User(ctx, pending.UserID)
	if err != nil {
		return LoginResult{}, err
	}
	keys := []keyed{{a.cfg.AccountThrottle, "mfa:" + u.ID}}
	if ip != "" {
		keys = append(keys, keyed{a.cfg.IPThrottle, "ip:" + ip})
	}
	if err := a.throttled(ctx, keys...); err != nil {
		return LoginResult{}, err
	}
	if err := a.checkSecondFactor(ctx, u, code, ip); err != nil {
		a.failed(ctx, keys)
		a.auditUser(ctx, u.ID, "", ip, tandem.AuditLoginFailed, map[string]string{"reason": "second_factor"})
		return LoginResult{}, err
	}
	// The pending session is spent exactly once.
	if err := a.s.Accounts.DeleteSession(ctx, pending.ID); err != nil {
		if errors.Is(err, tandem.ErrNotFound) {
			return LoginResult{}, tandem.Errorf(tandem.CodeUnauthorized, "the login has expired; sign in again")
		}
		return LoginResult{}, err
	}
	a.cfg.AccountThrottle.Reset(ctx, keys[0].key)
	res, err := a.startSession(ctx, u, pending.OrganizationID, ip, ua)
	if err != nil {
		return LoginResult{}, err
	}
	a.auditUser(ctx, u.ID, pending.OrganizationID, ip, tandem.AuditLogin, map[string]string{"second_factor": "yes"})
	return res, nil
}

// Authenticate turns credentials into a principal: a session (cookie or
// bearer), an API token or a public link. It fails with unauthorized for
// anything unknown, expired or revoked.
func (a *App) Authenticate(ctx context.Context, c tandem.Credentials) (Principal, error) {
	token := c.Token
	if token == "" {
		token = c.SessionCookie
	}
	// Made only on the way out: most requests authenticate.
	unauthorized := func() error { return tandem.Errorf(tandem.CodeUnauthorized, "missing, expired or invalid credentials") }
	if token == "" || len(token) > 128 {
		return Principal{}, unauthorized()
	}
	now := a.now()
	switch {
	case strings.HasPrefix(token, prefixSession):
		hash := hashToken(token)
		cr, gen, cached := a.creds.get(hash, now)
		se, m := cr.session, cr.membership
		if !cached || se.State != tandem.SessionActive || !now.Before(se.ExpiresAt) {
			// A refusal is never answered from the cache: the database
			// has the last word (a session it extended meanwhile).
			var err error
			se, m, err = a.s.Accounts.SessionMembership(ctx, hash)
			if errors.Is(err, tandem.ErrNotFound) {
				return Principal{}, unauthorized()
			}
			if err != nil {
				return Principal{}, err
			}
			if se.State != tandem.SessionActive || !now.Before(se.ExpiresAt) {
				return Principal{}, unauthorized()
			}
			a.creds.put(hash, gen, now, credential{session: se, membership: m})
		}
		// Record activity at most once a minute, not on every request.
		if now.Sub(se.LastSeenAt) > time.Minute {
			expires := a.sessionExpiry(se.CreatedAt, now)
			if err := a.s.Accounts.TouchSession(ctx, se.ID, now, expires); err != nil && !errors.Is(err, tandem.ErrNotFound) {
				return Principal{}, err
			}
			a.creds.touched(hash, func(c *credential) { c.session.LastSeenAt, c.session.ExpiresAt = now, expires })
		}
		p := Principal{Kind: KindSession, UserID: se.UserID, SessionID: se.ID, Scope: tandem.ScopeReadWrite}
		return withMembership(p, m), nil
	case strings.HasPrefix(token, prefixAPIToken):
		hash := hashToken(token)
		cr, gen, cached := a.creds.get(hash, now)
		t, m := cr.token, cr.membership
		if !cached || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
			var err error
			t, m, err = a.s.Accounts.APITokenMembership(ctx, hash)
			if errors.Is(err, tandem.ErrNotFound) {
				return Principal{}, unauthorized()
			}
			if err != nil {
				return Principal{}, err
			}
			if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
				return Principal{}, unauthorized()
			}
			if withMembership(Principal{}, m).Role == "" { // removed from the organization
				return Principal{}, unauthorized()
			}
			a.creds.put(hash, gen, now, credential{token: t, membership: m})
		}
		if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
			if err := a.s.Accounts.TouchAPIToken(ctx, t.ID, now); err != nil && !errors.Is(err, tandem.ErrNotFound) {
				return Principal{}, err
			}
			used := now // its own variable: taking now's address would put it on the heap for every request
			a.creds.touched(hash, func(c *credential) { c.token.LastUsedAt = &used })
		}
		p := withMembership(Principal{Kind: KindToken, UserID: t.UserID, TokenID: t.ID, Scope: t.Scope}, m)
		if p.Role == "" { // removed from the organization
			return Principal{}, unauthorized()
		}
		return p, nil
	case strings.HasPrefix(token, prefixLink):
		l, err := a.s.Shares.PublicLinkByHash(ctx, hashToken(token))
		if errors.Is(err, tandem.ErrNotFound) {
			return Principal{}, unauthorized()
		}
		if err != nil {
			return Principal{}, err
		}
		if l.RevokedAt != nil || l.ExpiresAt != nil && !now.Before(*l.ExpiresAt) {
			return Principal{}, unauthorized()
		}
		return Principal{Kind: KindLink, OrganizationID: l.OrganizationID, LinkDocumentID: l.DocumentID, Scope: tandem.ScopeRead}, nil
	}
	return Principal{}, unauthorized()
}

// withMembership puts the principal in the organization of m, with its
// role there; a zero m (no organization, or a user who is no longer a
// member) leaves it in none.
func withMembership(p Principal, m tandem.Membership) Principal {
	if m.Organization.ID == "" || !m.Role.Valid() {
		return p
	}
	p.OrganizationID, p.Role, p.DefaultAccess = m.Organization.ID, m.Role, m.Organization.DefaultAccess
	return p
}

// Logout ends the principal's session on the server.
func (a *App) Logout(ctx context.Context, p Principal) error {
	if err := p.session(); err != nil {
		return err
	}
	if err := a.s.Accounts.DeleteSession(ctx, p.SessionID); err != nil && !errors.Is(err, tandem.ErrNotFound) {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditLogout, "user", p.UserID, nil)
	a.publish(ctx, tandem.PermissionChange{UserID: p.UserID})
	return nil
}

// ChangePassword replaces the password and ends every other session of the
// user; the current one stays signed in.
func (a *App) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if err := p.session(); err != nil {
		return err
	}
	if err := checkPassword("new_password", next); err != nil {
		return err
	}
	if err := a.verifyPassword(ctx, p, current); err != nil {
		return err
	}
	hash, err := a.hasher.hash(ctx, next)
	if err != nil {
		return err
	}
	if err := a.s.Accounts.SetPassword(ctx, p.UserID, hash, p.SessionID, a.now()); err != nil {
		return err
	}
	a.auditUser(ctx, p.UserID, p.OrganizationID, p.IP, tandem.AuditPasswordChanged, nil)
	a.publish(ctx, tandem.PermissionChange{UserID: p.UserID})
	return nil
}

// verifyPassword re-checks the password of a signed-in user before a
// sensitive change, throttled like a login.
func (a *App) verifyPassword(ctx context.Context, p Principal, password string) error {
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	keys := []keyed{{a.cfg.AccountThrottle, "account:" + u.Email}}
	if err := a.throttled(ctx, keys...); err != nil {
		return err
	}
	if len(password) > maxPasswordLen {
		return tandem.Invalid("password", "wrong password")
	}
	ok, err := a.hasher.verify(ctx, u.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		a.failed(ctx, keys)
		return tandem.Invalid("password", "wrong password")
	}
	return nil
}

// Me is the signed-in user and their organizations.
type Me struct {
	User          tandem.User
	Organizations []tandem.Membership
}

// CurrentUser returns the principal's account and organizations.
func (a *App) CurrentUser(ctx context.Context, p Principal) (Me, error) {
	if err := p.user(); err != nil {
		return Me{}, err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return Me{}, err
	}
	ms, err := a.s.Organizations.UserOrganizations(ctx, p.UserID)
	if err != nil {
		return Me{}, err
	}
	if p.Kind == KindToken { // a token sees only its own organization
		ms = filterMemberships(ms, p.OrganizationID)
	}
	return Me{User: u, Organizations: ms}, nil
}

func filterMemberships(ms []tandem.Membership, orgID string) []tandem.Membership {
	var out []tandem.Membership
	for _, m := range ms {
		if m.Organization.ID == orgID {
			out = append(out, m)
		}
	}
	return out
}

// UpdateProfile changes the user's display name.
func (a *App) UpdateProfile(ctx context.Context, p Principal, name string) error {
	if err := p.write(); err != nil {
		return err
	}
	name, err := cleanText("name", name, maxNameLen, true)
	if err != nil {
		return err
	}
	return a.s.Accounts.UpdateUserName(ctx, p.UserID, name, a.now())
}

// SwitchOrganization makes the session work in another organization of the
// user's.
func (a *App) SwitchOrganization(ctx context.Context, p Principal, organizationID string) (Principal, error) {
	if err := p.session(); err != nil {
		return Principal{}, err
	}
	if err := checkID("organization_id", organizationID); err != nil {
		return Principal{}, err
	}
	m, err := a.s.Organizations.Membership(ctx, organizationID, p.UserID)
	if errors.Is(err, tandem.ErrNotFound) {
		return Principal{}, tandem.Errorf(tandem.CodeNotFound, "organization not found")
	}
	if err != nil {
		return Principal{}, err
	}
	if err := a.s.Accounts.SetSessionOrganization(ctx, p.SessionID, organizationID); err != nil {
		return Principal{}, err
	}
	// Instances that remember the session in the old organization forget it.
	a.publish(ctx, tandem.PermissionChange{UserID: p.UserID})
	q := p
	q.OrganizationID, q.Role, q.DefaultAccess = "", "", ""
	return withMembership(q, m), nil
}
