package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/tandem-docs/tandem"
)

// TOTP follows RFC 6238 with the parameters every authenticator app
// supports: SHA-1, 6 digits, 30-second steps; one step of clock skew either
// way is accepted.
const (
	totpPeriod    = 30
	totpSkew      = 1
	recoveryCodes = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPSetup is what an authenticator app needs to enrol.
type TOTPSetup struct {
	Secret string // base32
	URL    string // otpauth:// URL, for a QR code
}

// BeginTOTP starts enrolling a TOTP authenticator. The secret becomes
// active only once EnableTOTP confirms a code made from it.
func (a *App) BeginTOTP(ctx context.Context, p Principal) (TOTPSetup, error) {
	if err := p.session(); err != nil {
		return TOTPSetup{}, err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return TOTPSetup{}, err
	}
	if u.TOTPEnabled {
		return TOTPSetup{}, tandem.Errorf(tandem.CodeConflict, "two-factor authentication is on already")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: a.cfg.TOTPIssuer, AccountName: u.Email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPSetup{}, err
	}
	if err := a.s.Accounts.SetTOTP(ctx, u.ID, key.Secret(), false, a.now()); err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// EnableTOTP turns two-factor authentication on with a code from the
// authenticator, and returns fresh recovery codes (shown once).
func (a *App) EnableTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	if err := p.session(); err != nil {
		return nil, err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled {
		return nil, tandem.Errorf(tandem.CodeConflict, "two-factor authentication is on already")
	}
	if u.TOTPSecret == "" {
		return nil, tandem.Errorf(tandem.CodeConflict, "start the set-up first")
	}
	keys := []keyed{{a.cfg.AccountThrottle, "mfa:" + u.ID}}
	if err := a.throttled(ctx, keys...); err != nil {
		return nil, err
	}
	if err := a.checkTOTP(ctx, u, code); err != nil {
		a.failed(ctx, keys)
		return nil, err
	}
	codes, err := a.newRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := a.s.Accounts.SetTOTP(ctx, u.ID, u.TOTPSecret, true, a.now()); err != nil {
		return nil, err
	}
	a.auditUser(ctx, u.ID, p.OrganizationID, p.IP, tandem.AuditTOTPEnabled, nil)
	return codes, nil
}

// DisableTOTP turns two-factor authentication off; it needs the password
// and a current code (or a recovery code).
func (a *App) DisableTOTP(ctx context.Context, p Principal, password, code string) error {
	if err := p.session(); err != nil {
		return err
	}
	if err := a.verifyPassword(ctx, p, password); err != nil {
		return err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !u.TOTPEnabled {
		return tandem.Errorf(tandem.CodeConflict, "two-factor authentication is off")
	}
	keys := []keyed{{a.cfg.AccountThrottle, "mfa:" + u.ID}}
	if err := a.throttled(ctx, keys...); err != nil {
		return err
	}
	if err := a.checkSecondFactor(ctx, u, code, p.IP); err != nil {
		a.failed(ctx, keys)
		return err
	}
	if err := a.s.Accounts.SetTOTP(ctx, u.ID, "", false, a.now()); err != nil {
		return err
	}
	if err := a.s.Accounts.ReplaceRecoveryCodes(ctx, u.ID, nil, a.now()); err != nil {
		return err
	}
	a.auditUser(ctx, u.ID, p.OrganizationID, p.IP, tandem.AuditTOTPDisabled, nil)
	return nil
}

// RegenerateRecoveryCodes replaces the recovery codes; it needs the password.
func (a *App) RegenerateRecoveryCodes(ctx context.Context, p Principal, password string) ([]string, error) {
	if err := p.session(); err != nil {
		return nil, err
	}
	if err := a.verifyPassword(ctx, p, password); err != nil {
		return nil, err
	}
	u, err := a.s.Accounts.User(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if !u.TOTPEnabled {
		return nil, tandem.Errorf(tandem.CodeConflict, "two-factor authentication is off")
	}
	codes, err := a.newRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	a.auditUser(ctx, u.ID, p.OrganizationID, p.IP, tandem.AuditRecoveryCodesReset, nil)
	return codes, nil
}

// newRecoveryCodes makes and stores recovery codes: 16 base32 characters
// (80 bits) each, shown as four groups of four.
func (a *App) newRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, recoveryCodes)
	hashes := make([]string, recoveryCodes)
	for i := range codes {
		s := secret(10) // 16 characters
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = hashToken(s)
	}
	if err := a.s.Accounts.ReplaceRecoveryCodes(ctx, userID, hashes, a.now()); err != nil {
		return nil, err
	}
	return codes, nil
}

var errBadCode = &tandem.Error{Code: tandem.CodeUnauthorized, Field: "code", Message: "invalid code"}

// checkSecondFactor accepts a current TOTP code or an unused recovery code.
func (a *App) checkSecondFactor(ctx context.Context, u tandem.User, code, ip string) error {
	code = strings.TrimSpace(code)
	if len(code) == 6 {
		return a.checkTOTP(ctx, u, code)
	}
	norm := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	if len(norm) != 16 {
		return errBadCode
	}
	err := a.s.Accounts.UseRecoveryCode(ctx, u.ID, hashToken(norm), a.now())
	if errors.Is(err, tandem.ErrNotFound) {
		return errBadCode
	}
	if err != nil {
		return err
	}
	a.auditUser(ctx, u.ID, "", ip, tandem.AuditRecoveryCodeUsed, nil)
	return nil
}

// checkTOTP accepts a code of the current step (or one step off) that has
// not been used before: a code seen once cannot be replayed.
func (a *App) checkTOTP(ctx context.Context, u tandem.User, code string) error {
	if len(code) != 6 || u.TOTPSecret == "" {
		return errBadCode
	}
	now := a.now()
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		t := time.Unix((step+d)*totpPeriod, 0)
		want, err := totp.GenerateCodeCustom(u.TOTPSecret, t, totpOpts)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			ok, err := a.s.Accounts.AdvanceTOTPStep(ctx, u.ID, step+d)
			if err != nil {
				return err
			}
			if !ok {
				return errBadCode
			}
			return nil
		}
	}
	return errBadCode
}
