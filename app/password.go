package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/tandem-docs/tandem"
	"golang.org/x/crypto/argon2"
)

// PasswordParams is the cost of argon2id password hashing.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultPasswordParams follows RFC 9106's second recommended option scaled
// to a small server: 64 MiB, 2 passes, 2 lanes (about 100 ms on one of this
// project's 2-core machines).
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 2, Threads: 2}

func (p PasswordParams) check() error {
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 4*1024*1024 || p.Time < 1 || p.Time > 100 || p.Threads < 1 {
		return tandem.Errorf(tandem.CodeInvalid, "app: unusable argon2id parameters %+v", p)
	}
	return nil
}

const (
	saltLen = 16
	keyLen  = 32
	// Passwords are bounded so that hashing cost does not grow with input.
	minPasswordLen = 10
	maxPasswordLen = 1024
)

// hasher hashes and verifies passwords, at most n at a time: each hash
// holds Memory KiB, and a burst of logins must not exhaust memory.
type hasher struct {
	p   PasswordParams
	sem chan struct{}
}

func newHasher(p PasswordParams, n int) *hasher {
	return &hasher{p: p, sem: make(chan struct{}, n)}
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.sem }

var b64 = base64.RawStdEncoding

// hash returns the PHC string of password: the parameters travel with the
// hash, so that they can be raised later without breaking old hashes.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.Memory, h.p.Time, h.p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verify reports whether password matches the PHC string encoded, in
// constant time for a given hash.
func (h *hasher) verify(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func parsePHC(s string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	bad := func() (PasswordParams, []byte, []byte, error) {
		return p, nil, nil, fmt.Errorf("app: malformed password hash")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad()
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return bad()
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.check() != nil {
		return bad()
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return bad()
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return bad()
	}
	return p, salt, key, nil
}

// checkPassword enforces the password policy: long enough to resist
// guessing, short enough to bound hashing work. No composition rules (NIST
// SP 800-63B).
func checkPassword(field, pw string) error {
	if n := len([]rune(pw)); n < minPasswordLen {
		return tandem.Invalid(field, fmt.Sprintf("a password has at least %d characters", minPasswordLen))
	}
	if len(pw) > maxPasswordLen {
		return tandem.Invalid(field, fmt.Sprintf("a password has at most %d bytes", maxPasswordLen))
	}
	return nil
}
