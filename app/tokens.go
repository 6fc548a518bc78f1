package app

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// Limits on how many of a kind one person or document may have, so that
// no list grows without bound.
const (
	MaxAPITokens          = 100  // per person and organization
	MaxPublicLinks        = 50   // live (not revoked) per document
	MaxPendingInvitations = 1000 // per organization, unless Config says otherwise
)

// NewAPIToken is a token just created: Token is the secret, shown once.
type NewAPIToken struct {
	Token string
	tandem.APIToken
}

// CreateAPIToken makes a personal API token for the principal's
// organization. Only a session can: a token never mints tokens.
func (a *App) CreateAPIToken(ctx context.Context, p Principal, name string, scope tandem.TokenScope, expiresAt *time.Time) (NewAPIToken, error) {
	if err := p.session(); err != nil {
		return NewAPIToken{}, err
	}
	if err := p.role(tandem.RoleGuest); err != nil {
		return NewAPIToken{}, err
	}
	name, err := cleanText("name", name, maxNameLen, true)
	if err != nil {
		return NewAPIToken{}, err
	}
	if !scope.Valid() {
		return NewAPIToken{}, tandem.Invalid("scope", `scope is "read" or "read_write"`)
	}
	now := a.now()
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return NewAPIToken{}, tandem.Invalid("expires_at", "the expiry must be in the future")
		}
		expiresAt = &e
	}
	existing, err := a.s.Accounts.ListAPITokens(ctx, p.OrganizationID, p.UserID)
	if err != nil {
		return NewAPIToken{}, err
	}
	if len(existing) >= MaxAPITokens {
		return NewAPIToken{}, tandem.Errorf(tandem.CodeConflict, "at most %d API tokens per person and organization; delete one first", MaxAPITokens)
	}
	secret := newToken(prefixAPIToken)
	t := tandem.APIToken{ID: tandem.NewID(), OrganizationID: p.OrganizationID, UserID: p.UserID, Name: name,
		Hash: hashToken(secret), Prefix: secret[:len(prefixAPIToken)+6], Scope: scope, ExpiresAt: expiresAt, CreatedAt: now}
	if err := a.s.Accounts.CreateAPIToken(ctx, t); err != nil {
		return NewAPIToken{}, err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditTokenCreated, "api_token", t.ID, map[string]string{"scope": string(scope), "name": name})
	return NewAPIToken{Token: secret, APIToken: t}, nil
}

// ListAPITokens lists the principal's own tokens in its organization.
func (a *App) ListAPITokens(ctx context.Context, p Principal) ([]tandem.APIToken, error) {
	if err := p.session(); err != nil {
		return nil, err
	}
	if err := p.role(tandem.RoleGuest); err != nil {
		return nil, err
	}
	return a.s.Accounts.ListAPITokens(ctx, p.OrganizationID, p.UserID)
}

// DeleteAPIToken revokes one of the principal's own tokens.
func (a *App) DeleteAPIToken(ctx context.Context, p Principal, id string) error {
	if err := p.session(); err != nil {
		return err
	}
	if err := p.role(tandem.RoleGuest); err != nil {
		return err
	}
	if err := checkID("id", id); err != nil {
		return err
	}
	if err := a.s.Accounts.DeleteAPIToken(ctx, p.OrganizationID, p.UserID, id); err != nil {
		return err
	}
	a.audit(ctx, p.OrganizationID, p.UserID, p.IP, tandem.AuditTokenDeleted, "api_token", id, nil)
	a.publish(ctx, tandem.PermissionChange{OrganizationID: p.OrganizationID, UserID: p.UserID})
	return nil
}
