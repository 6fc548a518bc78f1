package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/sqlite"
	"github.com/tandem-docs/tandem/tandemtest"
)

func TestDocumentCache(t *testing.T) {
	tandemtest.TestDocumentCache(t, func(t *testing.T) (tandem.DocumentCache, tandem.DocumentCache) {
		p := testPrefix()
		return openTest(t, p).DocumentCache(DocumentCacheOptions{}), openTest(t, p).DocumentCache(DocumentCacheOptions{})
	})
}

// TestDocumentCacheEntriesExpire: entries live for the TTL, tombstones a
// few seconds, so Redis keeps only what was read or written lately.
func TestDocumentCacheEntriesExpire(t *testing.T) {
	c := openTest(t, testPrefix())
	dc := c.DocumentCache(DocumentCacheOptions{})
	d := tandem.Document{ID: tandem.NewID(), OrganizationID: tandem.NewID(), Title: "t"}
	must(t, dc.Fill(ctx, d))
	key := dc.key(d.OrganizationID, d.ID)
	if ttl := c.rdb.PTTL(ctx, key).Val(); ttl <= 25*time.Second || ttl > 30*time.Second {
		t.Fatalf("entry TTL %v, want 30s", ttl)
	}
	must(t, dc.Invalidate(ctx, d.OrganizationID, d.ID))
	if ttl := c.rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 5*time.Second {
		t.Fatalf("tombstone TTL %v, want 5s", ttl)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code tandem.Code) {
	t.Helper()
	if got := tandem.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

// contentHook is Config.Content for the duplicate test: copying fails,
// after running onCopy. A content store that fails cannot be caused
// otherwise.
type contentHook struct{ onCopy func(toID string) }

func (h *contentHook) CopyDocument(_ context.Context, _, _, toID string) error {
	if h.onCopy != nil {
		h.onCopy(toID)
	}
	return errors.New("copy failed")
}

func (h *contentHook) DeleteDocument(context.Context, string, string) error { return nil }

// instances are two App instances over one store (SQLite) and one Redis,
// as two App processes of a fleet, with a settable clock.
type instances struct {
	a, b    *app.App
	stores  tandem.Stores
	content *contentHook
	// peek looks into the cache the instances share.
	peek *DocumentCache
	mu   sync.Mutex
	now  time.Time
}

func (in *instances) clock() time.Time {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.now
}

func (in *instances) add(d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.now = in.now.Add(d)
}

func newInstances(t *testing.T, redisURL string) *instances {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "app.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	s, err := sqlite.OpenAppStore(ctx, db)
	must(t, err)
	in := &instances{stores: s.Stores(), content: &contentHook{}, now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	prefix := testPrefix()
	quietLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Tombstones of a millisecond, so that a test can warm the cache right
	// after a write (TestDocumentCache covers what tombstones are for).
	opts := DocumentCacheOptions{Logger: quietLog, Tombstone: time.Millisecond}
	for _, a := range []**app.App{&in.a, &in.b} {
		c, err := Open(redisURL, Options{Prefix: prefix})
		must(t, err)
		t.Cleanup(func() { c.Close() })
		*a, err = app.New(app.Config{Stores: in.stores, Content: in.content, Now: in.clock, OpenSignUp: true, Logger: quietLog,
			Password:      app.PasswordParams{Memory: 256, Time: 1, Threads: 1},
			DocumentCache: c.DocumentCache(opts)})
		must(t, err)
	}
	c, err := Open(redisURL, Options{Prefix: prefix})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	in.peek = c.DocumentCache(opts)
	return in
}

var signUps sync.Mutex
var signUpSeq int

// signUp creates an owner with an organization on a; the session works on
// every instance.
func (in *instances) signUp(t *testing.T) (pa, pb app.Principal) {
	signUps.Lock()
	signUpSeq++
	n := signUpSeq
	signUps.Unlock()
	res, err := in.a.SignUp(ctx, app.SignUpInput{Email: fmt.Sprintf("owner%d-%s@example.com", n, tandem.NewID()), Password: "correct horse battery",
		Name: "Owner", OrganizationName: "Org"})
	must(t, err)
	pa, err = in.a.Authenticate(ctx, tandem.Credentials{Token: res.Token})
	must(t, err)
	pb, err = in.b.Authenticate(ctx, tandem.Credentials{Token: res.Token})
	must(t, err)
	return pa, pb
}

// TestDocumentCacheAcrossAppInstances: a document's metadata read on one
// App instance is served from the shared cache, and every App write that
// changes it is seen by the other instance on its next read.
func TestDocumentCacheAcrossAppInstances(t *testing.T) {
	in := newInstances(t, testURL())
	pa, pb := in.signUp(t)
	get := func(p app.Principal, id string) tandem.Document {
		t.Helper()
		v, err := in.b.GetDocument(ctx, p, id)
		must(t, err)
		return v.Document
	}
	// warm reads the document on instance b until the read has filled the
	// shared cache (a read within a tombstone's millisecond does not).
	warm := func(p app.Principal, id string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			get(p, id)
			if _, ok, err := in.peek.Document(ctx, pa.OrganizationID, id); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("reads on b do not fill the cache")
			}
			time.Sleep(time.Millisecond)
		}
	}
	doc, err := in.a.CreateDocument(ctx, pa, "One", "")
	must(t, err)
	id := doc.ID

	t.Run("Hit", func(t *testing.T) {
		warm(pb, id)
		// Changed behind the App's back: the cached metadata still answers,
		// on both instances, which is how we know it is a hit.
		must(t, in.stores.Documents.RenameDocument(ctx, pa.OrganizationID, id, "Behind the back", in.clock()))
		if d := get(pb, id); d.Title != "One" {
			t.Fatalf("instance b read %q, not the cached title", d.Title)
		}
		v, err := in.a.GetDocument(ctx, pa, id)
		must(t, err)
		if v.Title != "One" {
			t.Fatalf("instance a read %q, not the shared cached title", v.Title)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		warm(pb, id)
		_, err := in.a.RenameDocument(ctx, pa, id, "Two")
		must(t, err)
		if d := get(pb, id); d.Title != "Two" {
			t.Fatalf("after rename on a, b reads %q", d.Title)
		}
	})

	folder, err := in.a.CreateFolder(ctx, pa, "Folder", "")
	must(t, err)
	t.Run("Move", func(t *testing.T) {
		warm(pb, id)
		_, err := in.a.MoveDocument(ctx, pa, id, folder.ID)
		must(t, err)
		if d := get(pb, id); d.FolderID != folder.ID {
			t.Fatalf("after move on a, b reads folder %q", d.FolderID)
		}
	})

	t.Run("TrashAndRestore", func(t *testing.T) {
		link, err := in.a.CreatePublicLink(ctx, pa, id, nil)
		must(t, err)
		lp, err := in.b.Authenticate(ctx, tandem.Credentials{Token: link.Token})
		must(t, err)
		warm(lp, id)
		must(t, in.a.TrashDocument(ctx, pa, id))
		// A public link stops opening it at once on the other instance.
		_, err = in.b.GetDocument(ctx, lp, id)
		wantCode(t, err, tandem.CodeNotFound)
		if d := get(pb, id); d.TrashedAt == nil {
			t.Fatal("after trash on a, b reads a live document")
		}
		warm(pb, id)
		_, err = in.a.RestoreDocument(ctx, pa, id)
		must(t, err)
		if d := get(pb, id); d.TrashedAt != nil {
			t.Fatal("after restore on a, b reads a trashed document")
		}
	})

	t.Run("DeleteFolderMovesItsTrash", func(t *testing.T) {
		f2, err := in.a.CreateFolder(ctx, pa, "Doomed", "")
		must(t, err)
		d2, err := in.a.CreateDocument(ctx, pa, "In the doomed folder", f2.ID)
		must(t, err)
		must(t, in.a.TrashDocument(ctx, pa, d2.ID))
		warm(pb, d2.ID)
		must(t, in.a.DeleteFolder(ctx, pa, f2.ID))
		if d := get(pb, d2.ID); d.FolderID != "" {
			t.Fatalf("after the folder's deletion on a, b reads folder %q", d.FolderID)
		}
	})

	t.Run("DuplicateTarget", func(t *testing.T) {
		var target string
		in.content.onCopy = func(toID string) {
			// The copy is visible (and cached on b) until the failed copy
			// removes it.
			target = toID
			warm(pb, toID)
		}
		defer func() { in.content.onCopy = nil }()
		_, err := in.a.DuplicateDocument(ctx, pa, id, "", "")
		if err == nil || target == "" {
			t.Fatalf("duplicate: %v, target %q", err, target)
		}
		_, err = in.b.GetDocument(ctx, pb, target)
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		d3, err := in.a.CreateDocument(ctx, pa, "Three", "")
		must(t, err)
		warm(pb, d3.ID)
		must(t, in.a.DeleteDocument(ctx, pa, d3.ID))
		_, err = in.b.GetDocument(ctx, pb, d3.ID)
		wantCode(t, err, tandem.CodeNotFound)
	})

	t.Run("PurgeTrash", func(t *testing.T) {
		d4, err := in.a.CreateDocument(ctx, pa, "Four", "")
		must(t, err)
		must(t, in.a.TrashDocument(ctx, pa, d4.ID))
		warm(pb, d4.ID)
		in.add(31 * 24 * time.Hour)
		n, err := in.a.PurgeTrash(ctx, 100)
		must(t, err)
		if n == 0 {
			t.Fatal("nothing purged")
		}
		_, err = in.b.GetDocument(ctx, pb, d4.ID)
		wantCode(t, err, tandem.CodeNotFound)
	})
}

// TestDocumentCacheHoldsNoGrants: a revoked grant takes effect at once on
// the other instance, cache or not.
func TestDocumentCacheHoldsNoGrants(t *testing.T) {
	in := newInstances(t, testURL())
	pa, _ := in.signUp(t)
	doc, err := in.a.CreateDocument(ctx, pa, "Shared", "")
	must(t, err)
	inv, err := in.a.Invite(ctx, pa, "guest-"+tandem.NewID()+"@example.com", tandem.RoleGuest)
	must(t, err)
	res, err := in.a.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: "Guest", Password: "another good password"})
	must(t, err)
	guest, err := in.b.Authenticate(ctx, tandem.Credentials{Token: res.Token})
	must(t, err)
	_, err = in.a.Share(ctx, pa, tandem.ResourceDocument, doc.ID, guest.UserID, tandem.DocRoleEditor)
	must(t, err)
	if _, err := in.b.GetDocument(ctx, guest, doc.ID); err != nil {
		t.Fatalf("the guest cannot read a document shared with them: %v", err)
	}
	in.b.GetDocument(ctx, pa, doc.ID) // cached now, for the owner
	must(t, in.a.Unshare(ctx, pa, tandem.ResourceDocument, doc.ID, guest.UserID))
	_, err = in.b.GetDocument(ctx, guest, doc.ID)
	wantCode(t, err, tandem.CodeNotFound)
}

// TestDocumentCacheRedisDown: with Redis unreachable (a closed port) the
// App reads and writes through the store as if there were no cache.
func TestDocumentCacheRedisDown(t *testing.T) {
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t))
	c, err := Open(url, Options{})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	dc := c.DocumentCache(DocumentCacheOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, ok, err := dc.Document(ctx, tandem.NewID(), tandem.NewID()); err == nil || ok {
		t.Fatalf("Document with Redis down: ok %v, err %v", ok, err)
	}
	if err := dc.Invalidate(ctx, tandem.NewID(), tandem.NewID()); err == nil {
		t.Fatal("Invalidate with Redis down: no error")
	}

	in := newInstances(t, url)
	pa, pb := in.signUp(t)
	doc, err := in.a.CreateDocument(ctx, pa, "One", "")
	must(t, err)
	for range 3 {
		v, err := in.b.GetDocument(ctx, pb, doc.ID)
		must(t, err)
		if v.Title != "One" {
			t.Fatalf("title %q", v.Title)
		}
	}
	_, err = in.a.RenameDocument(ctx, pa, doc.ID, "Two")
	must(t, err)
	v, err := in.b.GetDocument(ctx, pb, doc.ID)
	must(t, err)
	if v.Title != "Two" {
		t.Fatalf("after rename with Redis down: %q", v.Title)
	}
	must(t, in.a.DeleteDocument(ctx, pa, doc.ID))
	_, err = in.b.GetDocument(ctx, pb, doc.ID)
	wantCode(t, err, tandem.CodeNotFound)
}
