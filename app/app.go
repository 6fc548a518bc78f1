// Package app is the business logic of Tandem's App service: accounts and
// sessions, organizations and roles, documents and folders, sharing, and
// the audit log. It runs over the store interfaces of package tandem and
// knows nothing of HTTP or of a particular database.
//
// Every operation takes the Principal that asks for it and checks it
// before touching anything: the organization of the principal is the only
// organization the operation can see. What a principal may do on a document
// is decided in one place, App.DocumentRole, which the realtime service
// reaches through App.Authorize.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/tandem-docs/tandem"
)

// Config configures an App. Only Stores is required.
type Config struct {
	Stores tandem.Stores

	// AccountThrottle and IPThrottle slow down failed logins per account
	// and per client address. Defaults: in-memory, 5 free failures per
	// account and 20 per address, then a doubling wait up to 15 minutes.
	AccountThrottle tandem.Throttle
	IPThrottle      tandem.Throttle
	// Changes carries permission changes to the realtime service. Default:
	// in-process.
	Changes tandem.PermissionChanges
	// Content, if set, copies and deletes document content along with the
	// metadata (duplicate, permanent delete, trash purge).
	Content Content
	// DocumentCache, if set, caches documents' metadata (Redis, shared by
	// the instances) for the reads every request and connection makes;
	// grants are never cached. Default: none, every read goes to the store.
	DocumentCache tandem.DocumentCache
	// EditAuthorized, if set, is told the organization of every document
	// EditableDocument lets a principal write, before the write happens.
	// The REST content endpoints then edit through a content engine that
	// names documents by id alone, and whoever dates those edits
	// (ContentChanged) needs the organization: documents are keyed by
	// (organization, id), so finding it from the id would be a scan. It
	// runs on the request's goroutine and must not block.
	EditAuthorized func(organizationID, documentID string)

	// Password sets the argon2id cost. Default: DefaultPasswordParams.
	Password PasswordParams
	// MaxConcurrentHashes bounds password hashes running at once, each of
	// which holds Password.Memory KiB. Default 4.
	MaxConcurrentHashes int
	// OpenSignUp lets anyone sign up and create an organization. When
	// false (the default) only the very first user may; everyone else
	// joins through an invitation.
	OpenSignUp bool

	// CredentialTTL is how long an instance may go on answering from what a
	// session or API token resolved to without reading it again, when a
	// change to it was published but never reached this instance (Redis
	// lost it). Changes heard, and every change made on this instance, take
	// effect at once. Default one second; negative: read every request's
	// credential from the store.
	CredentialTTL time.Duration

	SessionIdle     time.Duration // default 14 days without use
	SessionLifetime time.Duration // default 90 days in all
	InvitationTTL   time.Duration // default 7 days
	// MaxPendingInvitations bounds the invitations an organization has
	// pending at once. Default: MaxPendingInvitations.
	MaxPendingInvitations int
	TrashRetention        time.Duration // default 30 days
	TOTPIssuer            string        // default "Tandem"

	Logger *slog.Logger
	// Now returns the current time; tests set it.
	Now func() time.Time
}

// Content is the document content store, as far as the App service needs it.
type Content interface {
	CopyDocument(ctx context.Context, organizationID, fromID, toID string) error
	DeleteDocument(ctx context.Context, organizationID, id string) error
}

// App is the App service's logic. It is safe for concurrent use.
type App struct {
	s       tandem.Stores
	cfg     Config
	hasher  *hasher
	dummy   string // a hash to verify against when the account does not exist
	log     *slog.Logger
	changes tandem.PermissionChanges
	creds   *credentialCache // nil when off
	stop    func()           // ends the subscription that clears creds
	// logKey keys the hashes that stand for email addresses in logs.
	logKey [32]byte
}

// New returns an App over cfg.Stores.
func New(cfg Config) (*App, error) {
	if cfg.Stores.Accounts == nil || cfg.Stores.Organizations == nil || cfg.Stores.Documents == nil ||
		cfg.Stores.Shares == nil || cfg.Stores.Audit == nil {
		return nil, tandem.Errorf(tandem.CodeInvalid, "app: every store must be set")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccountThrottle == nil {
		p := AccountThrottlePolicy
		p.Now = cfg.Now
		cfg.AccountThrottle = NewMemoryThrottle(p)
	}
	if cfg.IPThrottle == nil {
		p := IPThrottlePolicy
		p.Now = cfg.Now
		cfg.IPThrottle = NewMemoryThrottle(p)
	}
	if cfg.Changes == nil {
		cfg.Changes = NewLocalChanges()
	}
	if cfg.Password == (PasswordParams{}) {
		cfg.Password = DefaultPasswordParams
	}
	if err := cfg.Password.check(); err != nil {
		return nil, err
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = 4
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 14 * 24 * time.Hour
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 90 * 24 * time.Hour
	}
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	if cfg.MaxPendingInvitations <= 0 {
		cfg.MaxPendingInvitations = MaxPendingInvitations
	}
	if cfg.TrashRetention <= 0 {
		cfg.TrashRetention = 30 * 24 * time.Hour
	}
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = "Tandem"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CredentialTTL == 0 {
		cfg.CredentialTTL = time.Second
	}
	a := &App{s: cfg.Stores, cfg: cfg, log: cfg.Logger, changes: cfg.Changes,
		hasher: newHasher(cfg.Password, cfg.MaxConcurrentHashes), stop: func() {}}
	if cfg.CredentialTTL > 0 {
		creds := newCredentialCache(cfg.CredentialTTL)
		stop, err := cfg.Changes.Subscribe(creds.changed)
		if err != nil {
			return nil, err
		}
		a.creds, a.stop = creds, stop
		a.changes = clearingChanges{cfg.Changes, creds}
	}
	dummy, err := a.hasher.hash(context.Background(), secret(16))
	if err != nil {
		a.stop()
		return nil, err
	}
	a.dummy = dummy
	rand.Read(a.logKey[:])
	return a, nil
}

// Changes is where permission changes are published; the realtime service
// subscribes to it.
func (a *App) Changes() tandem.PermissionChanges { return a.changes }

// Close ends the App's own subscription to permission changes.
func (a *App) Close() { a.stop() }

// clearingChanges hands every subscriber a change only after the App's
// credential cache has dropped what the change may have made stale: the
// realtime service re-checks its connections through Authenticate when it
// hears one, and must not be answered from the cache it is racing with.
type clearingChanges struct {
	tandem.PermissionChanges
	creds *credentialCache
}

func (c clearingChanges) Subscribe(fn func(tandem.PermissionChange)) (func(), error) {
	return c.PermissionChanges.Subscribe(func(ch tandem.PermissionChange) {
		c.creds.changed(ch)
		fn(ch)
	})
}

// now is the current time at the precision the stores keep.
func (a *App) now() time.Time { return a.cfg.Now().UTC().Truncate(time.Microsecond) }

// Token prefixes tell the kinds of secrets apart, so that one bearer
// parameter can carry any of them and leaked secrets are recognisable.
const (
	prefixSession    = "tds_"
	prefixAPIToken   = "tdt_"
	prefixLink       = "tdl_"
	prefixInvitation = "tdi_"
	prefixMFA        = "tdm_"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// secret returns n random bytes in lower-case base32.
func secret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	s := b32.EncodeToString(b)
	out := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// newToken returns a fresh 256-bit secret with its kind's prefix.
func newToken(prefix string) string { return prefix + secret(32) }

// hashToken is how secrets are stored: they carry 256 bits of entropy, so a
// fast hash is enough to make a leaked table useless.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// publish tells listeners that permissions shrank. A failure is logged:
// the change itself is stored, and listeners re-check on reconnect.
func (a *App) publish(ctx context.Context, c tandem.PermissionChange) {
	if err := a.changes.Publish(ctx, c); err != nil {
		a.log.ErrorContext(ctx, "publish permission change", "error", err)
	}
}
