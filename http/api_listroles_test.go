package http

import (
	"testing"

	"github.com/tandem-docs/tandem"
)

// Items of a document list carry the caller's role, the same as
// GET /documents/{id} answers: members get the organization's default
// access as a floor, grants (on the document or a folder above it) raise
// it, creators own; guests list only what is granted to them.
func TestDocumentListRoles(t *testing.T) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			e := newAPIEnvOn(t, db)
			owner, _ := e.signUp()
			granted, grantedID := e.invite(owner, tandem.RoleMember)
			plain, _ := e.invite(owner, tandem.RoleMember)
			guest, guestID := e.invite(owner, tandem.RoleGuest)
			wantStatus(t, owner.do("PATCH", "/api/v1/organization", map[string]string{"default_access": "commenter"}), 200)

			r := owner.do("POST", "/api/v1/folders", map[string]string{"name": "F"})
			wantStatus(t, r, 201)
			folder := r.json(t)["id"].(string)
			r = owner.do("POST", "/api/v1/folders", map[string]any{"name": "Sub", "parent_id": folder})
			wantStatus(t, r, 201)
			sub := r.json(t)["id"].(string)
			create := func(c *client, title, folder string) string {
				body := map[string]any{"title": title}
				if folder != "" {
					body["folder_id"] = folder
				}
				r := c.do("POST", "/api/v1/documents", body)
				wantStatus(t, r, 201)
				return r.json(t)["id"].(string)
			}
			inSub := create(owner, "in sub", sub)
			top := create(owner, "top", "")
			shared := create(owner, "shared", "")
			mine := create(granted, "mine", "")
			// granted: editor on F (so on Sub below it), owner of shared.
			wantStatus(t, owner.do("PUT", "/api/v1/folders/"+folder+"/grants/"+grantedID, map[string]string{"role": "editor"}), 200)
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+shared+"/grants/"+grantedID, map[string]string{"role": "owner"}), 200)
			// A viewer grant lower than the floor changes nothing, nor one
			// on Sub lower than the editor grant on F above it.
			wantStatus(t, owner.do("PUT", "/api/v1/folders/"+sub+"/grants/"+grantedID, map[string]string{"role": "viewer"}), 200)
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+top+"/grants/"+grantedID, map[string]string{"role": "viewer"}), 200)
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+shared+"/grants/"+guestID, map[string]string{"role": "viewer"}), 200)

			cases := []struct {
				name string
				c    *client
				want map[string]string
			}{
				{"owner", owner, map[string]string{inSub: "owner", top: "owner", shared: "owner", mine: "owner"}},
				{"member with grants", granted, map[string]string{inSub: "editor", top: "commenter", shared: "owner", mine: "owner"}},
				{"member without grants", plain, map[string]string{inSub: "commenter", top: "commenter", shared: "commenter", mine: "commenter"}},
				{"guest with a viewer grant", guest, map[string]string{shared: "viewer"}},
			}
			for _, tc := range cases {
				for _, path := range []string{"/api/v1/documents?limit=50", "/api/v1/documents?sort=title&limit=2"} {
					got := map[string]string{}
					for cursor := ""; ; {
						r := tc.c.do("GET", path+cursor, nil)
						wantStatus(t, r, 200)
						page := r.json(t)
						for _, it := range page["items"].([]any) {
							item := it.(map[string]any)
							role, _ := item["role"].(string)
							got[item["id"].(string)] = role
						}
						next, _ := page["next_cursor"].(string)
						if next == "" {
							break
						}
						cursor = "&cursor=" + next
					}
					if len(got) != len(tc.want) {
						t.Errorf("%s: %s lists %v, want %v", tc.name, path, got, tc.want)
					}
					for id, role := range tc.want {
						if got[id] != role {
							t.Errorf("%s: %s lists %s with role %q, want %q", tc.name, path, id, got[id], role)
						}
						// The same answer as opening the document.
						r := tc.c.do("GET", "/api/v1/documents/"+id, nil)
						wantStatus(t, r, 200)
						if one := r.json(t)["role"]; one != role {
							t.Errorf("%s: GET %s says role %v, want %q", tc.name, id, one, role)
						}
					}
				}
			}
		})
	}
}
