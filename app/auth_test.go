package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

func TestSignUpClosedAfterFirstUser(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), func(c *app.Config) { c.OpenSignUp = false })
			first, err := e.app.SignUp(ctx, app.SignUpInput{Email: "First@Example.com", Password: "long enough pw", Name: "First", OrganizationName: "Acme"})
			must(t, err)
			if first.User.Email != "first@example.com" || first.Token == "" {
				t.Fatalf("first sign-up = %+v", first)
			}
			p := e.auth(first.Token)
			if p.Role != tandem.RoleOwner || p.OrganizationID == "" {
				t.Fatalf("first user principal = %+v", p)
			}
			_, err = e.app.SignUp(ctx, app.SignUpInput{Email: "second@example.com", Password: "long enough pw", Name: "Second", OrganizationName: "Other"})
			wantCode(t, err, tandem.CodeForbidden)
			// Invitations still work.
			e.join(person{p: p}, tandem.RoleMember)
		})
	}
}

func TestSignUpValidation(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		good := app.SignUpInput{Email: "a@example.com", Password: "long enough pw", Name: "A", OrganizationName: "O"}
		for _, c := range []struct {
			field string
			mut   func(*app.SignUpInput)
		}{
			{"email", func(in *app.SignUpInput) { in.Email = "not an email" }},
			{"email", func(in *app.SignUpInput) { in.Email = "Name <a@example.com>" }},
			{"email", func(in *app.SignUpInput) { in.Email = strings.Repeat("a", 250) + "@example.com" }},
			{"password", func(in *app.SignUpInput) { in.Password = "short" }},
			{"password", func(in *app.SignUpInput) { in.Password = strings.Repeat("x", 2000) }},
			{"name", func(in *app.SignUpInput) { in.Name = "  " }},
			{"name", func(in *app.SignUpInput) { in.Name = "bad\x00name" }},
			{"name", func(in *app.SignUpInput) { in.Name = "\xff\xfe" }},
			{"organization_name", func(in *app.SignUpInput) { in.OrganizationName = strings.Repeat("o", 101) }},
		} {
			in := good
			c.mut(&in)
			_, err := e.app.SignUp(ctx, in)
			wantCode(t, err, tandem.CodeInvalid)
			var te *tandem.Error
			if !errors.As(err, &te) || te.Field != c.field {
				t.Fatalf("error %v names field %q, want %q", err, te.Field, c.field)
			}
		}
		_, err := e.app.SignUp(ctx, good)
		must(t, err)
		_, err = e.app.SignUp(ctx, good)
		wantCode(t, err, tandem.CodeConflict)
	})
}

func TestLoginAndSessions(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		// Wrong password and unknown account: the same answer.
		_, err1 := e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "wrong password!", IP: "198.51.100.1"})
		_, err2 := e.app.Login(ctx, app.LoginInput{Email: "nobody@example.com", Password: "wrong password!", IP: "198.51.100.1"})
		wantCode(t, err1, tandem.CodeUnauthorized)
		if err1.Error() != err2.Error() {
			t.Fatalf("login errors differ: %q vs %q", err1, err2)
		}
		res, err := e.app.Login(ctx, app.LoginInput{Email: strings.ToUpper(o.email), Password: o.password, IP: "198.51.100.1", UserAgent: "test"})
		must(t, err)
		p := e.auth(res.Token)
		if p.UserID != o.User.ID || p.OrganizationID != o.p.OrganizationID || p.Role != tandem.RoleOwner || p.Kind != app.KindSession {
			t.Fatalf("principal = %+v", p)
		}
		// The session cookie works the same as a bearer session token.
		pc, err := e.app.Authenticate(ctx, tandem.Credentials{SessionCookie: res.Token})
		must(t, err)
		if pc.SessionID != p.SessionID {
			t.Fatal("cookie and bearer give different sessions")
		}
		for _, bad := range []string{"", "tds_nope", "garbage", res.Token + "x", strings.Repeat("a", 5000), "tdt_" + res.Token[4:]} {
			_, err := e.app.Authenticate(ctx, tandem.Credentials{Token: bad})
			wantCode(t, err, tandem.CodeUnauthorized)
		}

		// Password change: other sessions end, this one stays.
		wantCode(t, e.app.ChangePassword(ctx, p, "wrong password!", "a brand new password"), tandem.CodeInvalid)
		wantCode(t, e.app.ChangePassword(ctx, p, o.password, "short"), tandem.CodeInvalid)
		e.takeChanges()
		must(t, e.app.ChangePassword(ctx, p, o.password, "a brand new password"))
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: o.Token})
		wantCode(t, err, tandem.CodeUnauthorized)
		e.auth(res.Token)
		if ch := e.takeChanges(); len(ch) != 1 || ch[0].UserID != o.User.ID {
			t.Fatalf("changes after password change = %+v", ch)
		}
		_, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		wantCode(t, err, tandem.CodeUnauthorized)
		_, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "a brand new password"})
		must(t, err)

		// Logout revokes on the server.
		must(t, e.app.Logout(ctx, p))
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: res.Token})
		wantCode(t, err, tandem.CodeUnauthorized)

		// Sessions expire after the idle period, and not while in use.
		r2, err := e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "a brand new password"})
		must(t, err)
		for range 3 {
			e.clock.Add(10 * 24 * time.Hour)
			e.auth(r2.Token)
		}
		e.clock.Add(15 * 24 * time.Hour)
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: r2.Token})
		wantCode(t, err, tandem.CodeUnauthorized)

		// Audit: logins and failures were recorded.
		r3, err := e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "a brand new password"})
		must(t, err)
		page, err := e.app.ListAudit(ctx, e.auth(r3.Token), "", "", 100)
		must(t, err)
		counts := map[tandem.AuditAction]int{}
		for _, ev := range page.Items {
			counts[ev.Action]++
		}
		if counts[tandem.AuditLogin] < 3 || counts[tandem.AuditLoginFailed] < 2 || counts[tandem.AuditPasswordChanged] != 1 || counts[tandem.AuditLogout] != 1 {
			t.Fatalf("audit counts = %v", counts)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		var err error
		for i := range 5 {
			_, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "wrong password!", IP: "203.0.113.9"})
			if tandem.ErrorCode(err) != tandem.CodeUnauthorized {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// The sixth failure starts the backoff; even the right password
		// waits now.
		_, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: "wrong password!", IP: "203.0.113.9"})
		wantCode(t, err, tandem.CodeUnauthorized)
		_, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password, IP: "203.0.113.10"})
		wantCode(t, err, tandem.CodeRateLimited)
		var te *tandem.Error
		if !errors.As(err, &te) || te.RetryAfter <= 0 {
			t.Fatalf("rate limit error %v has no RetryAfter", err)
		}
		// Per-IP limit: many accounts from one address.
		for i := range 25 {
			_, err = e.app.Login(ctx, app.LoginInput{Email: "x" + string(rune('a'+i)) + "@example.com", Password: "wrong password!", IP: "203.0.113.50"})
		}
		wantCode(t, err, tandem.CodeRateLimited)
	})
}

func TestThrottleBackoff(t *testing.T) {
	th := app.NewMemoryThrottle(app.ThrottlePolicy{Free: 2, Base: time.Second, Max: 8 * time.Second, Window: time.Hour, MaxKeys: 10})
	var waits []time.Duration
	for range 7 {
		d, _ := th.Fail(ctx, "k")
		waits = append(waits, d.Round(100*time.Millisecond))
	}
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits = %v, want %v", waits, want)
		}
	}
	th.Reset(ctx, "k")
	if d, _ := th.Wait(ctx, "k"); d != 0 {
		t.Fatalf("after reset wait = %v", d)
	}
	for i := range 100 { // bounded memory
		th.Fail(ctx, string(rune(i)))
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestTOTP(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		_, err := e.app.EnableTOTP(ctx, o.p, "123456")
		wantCode(t, err, tandem.CodeConflict) // not begun
		setup, err := e.app.BeginTOTP(ctx, o.p)
		must(t, err)
		if !strings.HasPrefix(setup.URL, "otpauth://totp/") || setup.Secret == "" {
			t.Fatalf("setup = %+v", setup)
		}
		_, err = e.app.EnableTOTP(ctx, o.p, "000000")
		wantCode(t, err, tandem.CodeUnauthorized)
		codes, err := e.app.EnableTOTP(ctx, o.p, totpCode(t, setup.Secret, e.clock.Now()))
		must(t, err)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}

		// Login now needs the second factor; the password alone gives no session.
		res, err := e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		must(t, err)
		if res.Token != "" || res.MFAToken == "" {
			t.Fatalf("login with 2FA = %+v", res)
		}
		_, err = e.app.Authenticate(ctx, tandem.Credentials{Token: res.MFAToken})
		wantCode(t, err, tandem.CodeUnauthorized)
		// The code used to enable cannot be replayed.
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, totpCode(t, setup.Secret, e.clock.Now()), "", "")
		wantCode(t, err, tandem.CodeUnauthorized)
		e.clock.Add(30 * time.Second)
		done, err := e.app.CompleteLogin(ctx, res.MFAToken, totpCode(t, setup.Secret, e.clock.Now()), "", "")
		must(t, err)
		e.auth(done.Token)
		// The pending login is spent.
		e.clock.Add(30 * time.Second)
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, totpCode(t, setup.Secret, e.clock.Now()), "", "")
		wantCode(t, err, tandem.CodeUnauthorized)

		// A recovery code works once.
		res, _ = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, codes[0], "", "")
		must(t, err)
		res, _ = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, codes[0], "", "")
		wantCode(t, err, tandem.CodeUnauthorized)
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, strings.ToUpper(codes[1]), "", "")
		must(t, err)

		// Pending logins expire.
		res, _ = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		e.clock.Add(app.MFAWindow + time.Second)
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, totpCode(t, setup.Secret, e.clock.Now()), "", "")
		wantCode(t, err, tandem.CodeUnauthorized)

		// Brute force on the second factor is throttled.
		res, _ = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		for range 6 {
			_, err = e.app.CompleteLogin(ctx, res.MFAToken, "000000", "", "")
		}
		_, err = e.app.CompleteLogin(ctx, res.MFAToken, "000000", "", "")
		wantCode(t, err, tandem.CodeRateLimited)

		// Turning it off needs the password and a code.
		e.clock.Add(time.Hour)
		wantCode(t, e.app.DisableTOTP(ctx, e.auth(done.Token), "wrong password!", totpCode(t, setup.Secret, e.clock.Now())), tandem.CodeInvalid)
		must(t, e.app.DisableTOTP(ctx, e.auth(done.Token), o.password, totpCode(t, setup.Secret, e.clock.Now())))
		res, err = e.app.Login(ctx, app.LoginInput{Email: o.email, Password: o.password})
		must(t, err)
		if res.Token == "" {
			t.Fatal("login after disabling 2FA still wants a second factor")
		}
		page, _ := e.app.ListAudit(ctx, e.auth(res.Token), "", "", 200)
		seen := map[tandem.AuditAction]bool{}
		for _, ev := range page.Items {
			seen[ev.Action] = true
		}
		for _, a := range []tandem.AuditAction{tandem.AuditTOTPEnabled, tandem.AuditTOTPDisabled, tandem.AuditRecoveryCodeUsed} {
			if !seen[a] {
				t.Fatalf("audit log lacks %s", a)
			}
		}
	})
}

// TestUnknownAccountLogin checks that a failed login for an email without
// an account is logged as a security event, with the address hashed, and
// lands in no organization's audit log.
func TestUnknownAccountLogin(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		var buf syncBuffer
		logger := slog.New(slog.NewJSONHandler(&buf, nil))
		e = newEnv(t, e.stores, func(c *app.Config) { c.Logger = logger })
		o := e.owner()
		typos := []string{"nobody@example.com", "nobody@example.com", "Tr0ub4dor&3 typed in the wrong field", "other@example.com"}
		for _, email := range typos {
			_, err := e.app.Login(ctx, app.LoginInput{Email: email, Password: "wrong password!", IP: "198.51.100.7"})
			wantCode(t, err, tandem.CodeUnauthorized)
		}
		var hashes []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if rec["msg"] != "login failed" {
				continue
			}
			if rec["level"] != "WARN" || rec["reason"] != "unknown_account" || rec["ip"] != "198.51.100.7" {
				t.Fatalf("log record = %v", rec)
			}
			h, _ := rec["email_hash"].(string)
			if len(h) != 24 {
				t.Fatalf("email_hash = %q", h)
			}
			hashes = append(hashes, h)
		}
		if len(hashes) != len(typos) {
			t.Fatalf("%d failed-login records for %d attempts:\n%s", len(hashes), len(typos), buf.String())
		}
		if hashes[0] != hashes[1] || hashes[0] == hashes[2] || hashes[0] == hashes[3] {
			t.Fatalf("hashes %v: the same address must hash the same, others differently", hashes)
		}
		for _, secret := range []string{"nobody", "other@", "Tr0ub4dor", "wrong password"} {
			if strings.Contains(strings.ToLower(buf.String()), strings.ToLower(secret)) {
				t.Fatalf("the log shows %q:\n%s", secret, buf.String())
			}
		}
		page, err := e.app.ListAudit(ctx, o.p, tandem.AuditLoginFailed, "", 100)
		must(t, err)
		if len(page.Items) != 0 {
			t.Fatalf("the organization's audit log shows another address's failures: %+v", page.Items)
		}
	})
}

// syncBuffer is a bytes.Buffer for a logger used from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
