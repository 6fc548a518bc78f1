package app_test

import (
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestAuthenticateTouchesSessionOncePerMinute checks that reads do not
// write: a session's activity (and its sliding expiry) is recorded at most
// once a minute, not on every request, which at API read rates would put a
// write (SQLite's single writer, a PostgreSQL commit) on every read.
func TestAuthenticateTouchesSessionOncePerMinute(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		o := e.owner()
		creds := tandem.Credentials{SessionCookie: o.Token}
		session := func() tandem.Session {
			t.Helper()
			se, err := e.stores.Accounts.Session(ctx, o.p.SessionID)
			must(t, err)
			return se
		}
		start := session()

		for range 3 {
			e.clock.Add(15 * time.Second)
			if _, err := e.app.Authenticate(ctx, creds); err != nil {
				t.Fatal(err)
			}
		}
		if se := session(); !se.LastSeenAt.Equal(start.LastSeenAt) || !se.ExpiresAt.Equal(start.ExpiresAt) {
			t.Fatalf("45 s of requests touched the session: last seen %v -> %v, expires %v -> %v",
				start.LastSeenAt, se.LastSeenAt, start.ExpiresAt, se.ExpiresAt)
		}

		e.clock.Add(16 * time.Second) // 61 s since the last touch
		if _, err := e.app.Authenticate(ctx, creds); err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		se := session()
		if !se.LastSeenAt.Equal(now) || !se.ExpiresAt.After(start.ExpiresAt) {
			t.Fatalf("a request a minute later: last seen %v (want %v), expires %v (want after %v)",
				se.LastSeenAt, now, se.ExpiresAt, start.ExpiresAt)
		}

		// The next minute counts from that touch.
		e.clock.Add(59 * time.Second)
		if _, err := e.app.Authenticate(ctx, creds); err != nil {
			t.Fatal(err)
		}
		if got := session().LastSeenAt; !got.Equal(now) {
			t.Fatalf("59 s after a touch: last seen %v, want %v", got, now)
		}
	})
}
