package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// shape is the organization the benchmark seeds.
type shape struct {
	Documents int // live documents; about 2% more go to the trash
	Folders   int // nested up to three levels
	Members   int // besides the owner and one admin
	Guests    int
}

// world is what the load needs from the seeded organization.
type world struct {
	Documents     []string // ids of the live documents
	MemberTokens  []string // session tokens of members (cookie values)
	MemberAPIKeys []string // read-only API tokens of the same members
	GuestTokens   []string // session tokens of guests
	// GuestDocuments are the live documents the first guest may see.
	GuestDocuments []string
}

// clock is the seeding App's time: documents are made over the past year,
// sessions now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var words = []string{"roadmap", "meeting", "notes", "design", "review", "budget", "hiring", "plan", "retro", "launch",
	"incident", "postmortem", "draft", "spec", "onboarding", "research", "interview", "quarterly", "weekly", "customer",
	"partner", "pricing", "security", "release", "architecture", "migration", "api", "mobile", "web", "support"}

func title(r *rand.Rand) string {
	n := 2 + r.IntN(4)
	t := ""
	for i := range n {
		w := words[r.IntN(len(words))]
		if i == 0 {
			w = string(w[0]-'a'+'A') + w[1:]
		} else {
			t += " "
		}
		t += w
	}
	return t
}

// seed builds the organization through the App service itself (its
// validation, permission checks and store calls), in process, before the
// server starts on the same database. Passwords are hashed with cheap
// parameters: nobody logs in during the measurement.
func seed(ctx context.Context, stores tandem.Stores, sh shape, logf func(string, ...any)) (world, error) {
	r := rand.New(rand.NewPCG(1, 2))
	realNow := time.Now().UTC().Truncate(time.Microsecond)
	c := &clock{t: realNow}
	a, err := app.New(app.Config{Stores: stores, Now: c.now, Password: app.PasswordParams{Memory: 1024, Time: 1, Threads: 1},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return world{}, err
	}
	auth := func(token string) (app.Principal, error) {
		return a.Authenticate(ctx, tandem.Credentials{Token: token})
	}
	var w world

	// People: the owner, an admin, members and guests, each signed in.
	res, err := a.SignUp(ctx, app.SignUpInput{Email: "owner@bench.example", Password: "bench password 0", Name: "Owner", OrganizationName: "Bench Org"})
	if err != nil {
		return world{}, fmt.Errorf("sign up: %w", err)
	}
	owner, err := auth(res.Token)
	if err != nil {
		return world{}, err
	}
	join := func(i int, role tandem.Role) (app.Principal, string, error) {
		inv, err := a.Invite(ctx, owner, fmt.Sprintf("%s%d@bench.example", role, i), role)
		if err != nil {
			return app.Principal{}, "", fmt.Errorf("invite: %w", err)
		}
		res, err := a.AcceptInvitation(ctx, app.AcceptInput{Token: inv.Token, Name: fmt.Sprintf("%s %d", role, i), Password: "bench password 1"})
		if err != nil {
			return app.Principal{}, "", fmt.Errorf("accept: %w", err)
		}
		p, err := auth(res.Token)
		return p, res.Token, err
	}
	if _, _, err := join(0, tandem.RoleAdmin); err != nil {
		return world{}, err
	}
	members := []app.Principal{owner}
	for i := range sh.Members {
		p, token, err := join(i, tandem.RoleMember)
		if err != nil {
			return world{}, err
		}
		members = append(members, p)
		w.MemberTokens = append(w.MemberTokens, token)
		key, err := a.CreateAPIToken(ctx, p, "bench", tandem.ScopeRead, nil)
		if err != nil {
			return world{}, fmt.Errorf("API token: %w", err)
		}
		w.MemberAPIKeys = append(w.MemberAPIKeys, key.Token)
	}
	var guests []app.Principal
	for i := range sh.Guests {
		p, token, err := join(i, tandem.RoleGuest)
		if err != nil {
			return world{}, err
		}
		guests = append(guests, p)
		w.GuestTokens = append(w.GuestTokens, token)
	}
	logf("seeded %d members and %d guests", len(members), len(guests))

	// Made over the past year, in time order.
	year := 365 * 24 * time.Hour
	times := make([]time.Time, sh.Documents+sh.Documents/50)
	for i := range times {
		times[i] = realNow.Add(-year + time.Duration(r.Int64N(int64(year-time.Hour))))
	}
	slices.SortFunc(times, time.Time.Compare)

	// Folders: a third at the top level, the rest one or two levels below.
	c.t = times[0].Add(-time.Hour)
	var folders []string
	for i := range sh.Folders {
		parent := ""
		if i >= sh.Folders/3 && len(folders) > 0 {
			parent = folders[r.IntN(len(folders))]
		}
		f, err := a.CreateFolder(ctx, members[r.IntN(len(members))], title(r), parent)
		if tandem.ErrorCode(err) == tandem.CodeInvalid { // too deep
			f, err = a.CreateFolder(ctx, owner, title(r), "")
		}
		if err != nil {
			return world{}, fmt.Errorf("folder: %w", err)
		}
		folders = append(folders, f.ID)
	}

	// Documents: 70% in folders, by anyone, some edited since.
	var trashed int
	for i, at := range times {
		c.t = at
		folder := ""
		if r.IntN(10) < 7 {
			folder = folders[r.IntN(len(folders))]
		}
		by := members[r.IntN(len(members))]
		d, err := a.CreateDocument(ctx, by, title(r), folder)
		if err != nil {
			return world{}, fmt.Errorf("document: %w", err)
		}
		if i%51 == 50 {
			c.t = at.Add(time.Minute)
			if err := a.TrashDocument(ctx, by, d.ID); err != nil {
				return world{}, fmt.Errorf("trash: %w", err)
			}
			trashed++
			continue
		}
		w.Documents = append(w.Documents, d.ID)
		if (i+1)%1000 == 0 {
			logf("seeded %d documents", i+1)
		}
	}
	// A third of the documents were edited later (renamed here: it moves
	// their updated time as an edit does).
	for range len(w.Documents) / 3 {
		id := w.Documents[r.IntN(len(w.Documents))]
		c.t = realNow.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		if _, err := a.RenameDocument(ctx, owner, id, title(r)); err != nil {
			return world{}, fmt.Errorf("rename: %w", err)
		}
	}
	c.t = realNow

	// Sharing: every guest gets two folders and ten documents; members
	// get a few hundred document grants; some public links.
	roles := []tandem.DocRole{tandem.DocRoleViewer, tandem.DocRoleCommenter, tandem.DocRoleEditor}
	for _, g := range guests {
		for range 2 {
			if _, err := a.Share(ctx, owner, tandem.ResourceFolder, folders[r.IntN(len(folders))], g.UserID, roles[r.IntN(len(roles))]); err != nil {
				return world{}, fmt.Errorf("share folder: %w", err)
			}
		}
		for range 10 {
			if _, err := a.Share(ctx, owner, tandem.ResourceDocument, w.Documents[r.IntN(len(w.Documents))], g.UserID, roles[r.IntN(len(roles))]); err != nil {
				return world{}, fmt.Errorf("share document: %w", err)
			}
		}
	}
	for range 300 {
		m := members[1+r.IntN(len(members)-1)]
		if _, err := a.Share(ctx, owner, tandem.ResourceDocument, w.Documents[r.IntN(len(w.Documents))], m.UserID, tandem.DocRoleOwner); err != nil {
			return world{}, fmt.Errorf("share document: %w", err)
		}
	}
	for range 50 {
		if _, err := a.CreatePublicLink(ctx, owner, w.Documents[r.IntN(len(w.Documents))], nil); err != nil {
			return world{}, fmt.Errorf("public link: %w", err)
		}
	}
	// Favorites: twenty each.
	for _, m := range members {
		for range 20 {
			if err := a.SetFavorite(ctx, m, w.Documents[r.IntN(len(w.Documents))], true); err != nil {
				return world{}, fmt.Errorf("favorite: %w", err)
			}
		}
	}
	if len(guests) > 0 {
		cursor := ""
		for {
			page, err := a.ListDocuments(ctx, guests[0], app.ListOptions{Cursor: cursor, Limit: app.MaxPageSize})
			if err != nil {
				return world{}, err
			}
			for _, it := range page.Items {
				w.GuestDocuments = append(w.GuestDocuments, it.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	logf("seeded %d live and %d trashed documents in %d folders", len(w.Documents), trashed, len(folders))
	return w, nil
}
