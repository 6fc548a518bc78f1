package http

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandem-docs/tandem"
)

// The common error statuses of routes, for the OpenAPI document.
var (
	errsPublic = []int{400, 415, 429}
	errsAuth   = []int{400, 401, 403, 404, 409, 413, 415, 429}
)

// table lists every API route. The OpenAPI document is generated from it.
func (api *API) table() []*route {
	pageQuery := []param{{"cursor", "string", "next_cursor of the previous page"}, {"limit", "integer", "page size, 1 to 200 (default 50)"}}
	return []*route{
		// Accounts and sessions.
		{method: "POST", path: "/auth/signup", id: "signUp", tag: "auth", access: public, summary: "Create an account and its organization (the first user, or anyone with open sign-up)",
			body: signUpRequest{}, status: 201, resp: sessionJSON{}, errors: append(errsPublic, 403, 409), h: api.signUp},
		{method: "POST", path: "/auth/login", id: "login", tag: "auth", access: public, summary: "Sign in with email and password",
			body: loginRequest{}, status: 200, resp: loginJSON{}, errors: append(errsPublic, 401), h: api.login},
		{method: "POST", path: "/auth/login/mfa", id: "loginMFA", tag: "auth", access: public, summary: "Finish signing in with a TOTP or recovery code",
			body: mfaRequest{}, status: 200, resp: sessionJSON{}, errors: append(errsPublic, 401), h: api.loginMFA},
		{method: "POST", path: "/auth/logout", id: "logout", tag: "auth", access: principal, summary: "Sign out: the session ends on the server",
			status: 204, errors: errsAuth, h: api.logout},
		{method: "GET", path: "/me", id: "getMe", tag: "account", access: principal, summary: "The signed-in user and their organizations",
			status: 200, resp: meJSON{}, errors: errsAuth, h: api.me},
		{method: "PATCH", path: "/me", id: "updateMe", tag: "account", access: principal, summary: "Change the display name",
			body: profileRequest{}, status: 200, resp: meJSON{}, errors: errsAuth, h: api.updateMe},
		{method: "POST", path: "/me/password", id: "changePassword", tag: "account", access: principal, summary: "Change the password; every other session ends",
			body: passwordRequest{}, status: 204, errors: errsAuth, h: api.changePassword},
		{method: "POST", path: "/me/organization", id: "switchOrganization", tag: "account", access: principal, summary: "Switch the session to another of the user's organizations",
			body: switchRequest{}, status: 200, resp: meJSON{}, errors: errsAuth, h: api.switchOrganization},
		{method: "POST", path: "/me/totp", id: "beginTOTP", tag: "account", access: principal, summary: "Start setting up TOTP two-factor authentication",
			status: 200, resp: totpSetupJSON{}, errors: errsAuth, h: api.beginTOTP},
		{method: "POST", path: "/me/totp/enable", id: "enableTOTP", tag: "account", access: principal, summary: "Confirm a TOTP code and turn two-factor authentication on",
			body: codeRequest{}, status: 200, resp: recoveryCodesJSON{}, errors: errsAuth, h: api.enableTOTP},
		{method: "POST", path: "/me/totp/disable", id: "disableTOTP", tag: "account", access: principal, summary: "Turn two-factor authentication off",
			body: passwordCodeRequest{}, status: 204, errors: errsAuth, h: api.disableTOTP},
		{method: "POST", path: "/me/totp/recovery-codes", id: "regenerateRecoveryCodes", tag: "account", access: principal, summary: "Replace the recovery codes",
			body: passwordOnlyRequest{}, status: 200, resp: recoveryCodesJSON{}, errors: errsAuth, h: api.regenerateRecoveryCodes},
		{method: "GET", path: "/tokens", id: "listTokens", tag: "account", access: principal, summary: "The user's API tokens in this organization",
			status: 200, resp: tokenListJSON{}, errors: errsAuth, h: api.listTokens},
		{method: "POST", path: "/tokens", id: "createToken", tag: "account", access: principal, idempotent: true, summary: "Create an API token (its secret is shown once)",
			body: tokenRequest{}, status: 201, resp: tokenJSON{}, errors: errsAuth, h: api.createToken},
		{method: "DELETE", path: "/tokens/{id}", id: "deleteToken", tag: "account", access: principal, summary: "Revoke an API token",
			status: 204, errors: errsAuth, h: api.deleteToken},

		// Organizations, members, invitations.
		{method: "POST", path: "/organizations", id: "createOrganization", tag: "organizations", access: principal, idempotent: true, summary: "Create another organization, owned by the caller",
			body: organizationRequest{}, status: 201, resp: organizationJSON{}, errors: errsAuth, h: api.createOrganization},
		{method: "GET", path: "/organization", id: "getOrganization", tag: "organizations", access: principal, summary: "The caller's current organization",
			status: 200, resp: organizationJSON{}, errors: errsAuth, h: api.getOrganization},
		{method: "PATCH", path: "/organization", id: "updateOrganization", tag: "organizations", access: principal, summary: "Rename the organization or change the members' default access (admins)",
			body: organizationUpdateRequest{}, status: 200, resp: organizationJSON{}, errors: errsAuth, h: api.updateOrganization},
		{method: "GET", path: "/members", id: "listMembers", tag: "organizations", access: principal, summary: "Members of the organization (not for guests)",
			query: pageQuery, status: 200, resp: memberPageJSON{}, errors: errsAuth, h: api.listMembers},
		{method: "PATCH", path: "/members/{user_id}", id: "setRole", tag: "organizations", access: principal, summary: "Change a member's role (admins; owners for owners)",
			body: roleRequest{}, status: 200, resp: memberJSON{}, errors: errsAuth, h: api.setRole},
		{method: "DELETE", path: "/members/{user_id}", id: "removeMember", tag: "organizations", access: principal, summary: "Remove a member, or leave",
			status: 204, errors: errsAuth, h: api.removeMember},
		{method: "GET", path: "/invitations", id: "listInvitations", tag: "organizations", access: principal, summary: "Pending invitations (admins)",
			status: 200, resp: invitationListJSON{}, errors: errsAuth, h: api.listInvitations},
		{method: "POST", path: "/invitations", id: "invite", tag: "organizations", access: principal, idempotent: true, summary: "Invite an email address with a role (admins); the token is shown once",
			body: inviteRequest{}, status: 201, resp: invitationJSON{}, errors: errsAuth, h: api.invite},
		{method: "DELETE", path: "/invitations/{id}", id: "revokeInvitation", tag: "organizations", access: principal, summary: "Revoke a pending invitation (admins)",
			status: 204, errors: errsAuth, h: api.revokeInvitation},
		{method: "POST", path: "/invitations/lookup", id: "lookupInvitation", tag: "organizations", access: public, summary: "Describe an invitation to the holder of its token",
			body: invitationTokenRequest{}, status: 200, resp: invitationInfoJSON{}, errors: append(errsPublic, 404), h: api.lookupInvitation},
		{method: "POST", path: "/invitations/accept", id: "acceptInvitation", tag: "organizations", access: public, summary: "Create an account through an invitation and sign in",
			body: acceptRequest{}, status: 201, resp: sessionJSON{}, errors: append(errsPublic, 404, 409), h: api.acceptInvitation},
		{method: "POST", path: "/invitations/join", id: "joinInvitation", tag: "organizations", access: principal, summary: "Accept an invitation with the signed-in account",
			body: invitationTokenRequest{}, status: 200, resp: membershipJSON{}, errors: errsAuth, h: api.joinInvitation},

		// Documents.
		{method: "GET", path: "/documents", id: "listDocuments", tag: "documents", access: principal, summary: "Documents the caller may view, a page at a time, each with the caller's role",
			query: append([]param{
				{"folder_id", "string", `only documents directly in this folder; "root" for the top level`},
				{"created_by", "string", "only documents this user created"},
				{"updated_since", "string", "only documents updated at or after this RFC 3339 time"},
				{"sort", "string", `"updated" (newest first, the default) or "title"`},
				{"trashed", "boolean", "list the trash instead"},
				{"favorites", "boolean", "only the caller's favorites"},
			}, pageQuery...),
			status: 200, resp: documentPageJSON{}, errors: errsAuth, h: api.listDocuments},
		{method: "POST", path: "/documents", id: "createDocument", optBody: true, large: true, tag: "documents", access: principal, idempotent: true,
			summary: "Create a document, empty or with content (Markdown by default, or HTML with content_format)",
			body:    documentCreateRequest{}, status: 201, resp: documentJSON{}, errors: append(errsAuth, 503), h: api.createDocument},
		{method: "GET", path: "/documents/{id}", id: "getDocument", tag: "documents", access: principal, summary: "A document's metadata (also with a public link's token)",
			status: 200, resp: documentJSON{}, errors: errsAuth, h: api.getDocument},
		{method: "PATCH", path: "/documents/{id}", id: "updateDocument", tag: "documents", access: principal, summary: "Rename and/or move a document",
			body: documentUpdateRequest{}, status: 200, resp: documentJSON{}, errors: errsAuth, h: api.updateDocument},
		{method: "DELETE", path: "/documents/{id}", id: "deleteDocument", tag: "documents", access: principal, summary: "Delete a document for good (owners)",
			status: 204, errors: errsAuth, h: api.deleteDocument},
		{method: "POST", path: "/documents/{id}/duplicate", id: "duplicateDocument", optBody: true, tag: "documents", access: principal, idempotent: true, summary: "Copy a document",
			body: documentRequest{}, status: 201, resp: documentJSON{}, errors: errsAuth, h: api.duplicateDocument},
		{method: "GET", path: "/documents/{id}/content", id: "getContent", tag: "content", access: principal,
			summary: "A document's content as ProseMirror JSON, Markdown, HTML or plain text (also with a public link's token)",
			query:   []param{{"format", "string", `"json", "markdown", "html" or "text"; overrides the Accept header`}},
			status:  200, respMedia: contentResponseTypes, errors: append(errsAuth, 406, 503), h: api.getContent},
		{method: "PUT", path: "/documents/{id}/content", id: "replaceContent", tag: "content", access: principal, media: contentUploadTypes, large: true,
			summary: "Replace a document's content (editors); applied live to connected editors",
			status:  204, errors: append(errsAuth, 503), h: api.putContent},
		{method: "POST", path: "/documents/{id}/content", id: "appendContent", tag: "content", access: principal, media: contentUploadTypes, large: true,
			summary: "Append to a document's content (editors); applied live to connected editors",
			status:  204, errors: append(errsAuth, 503), h: api.appendContent},
		{method: "POST", path: "/documents/{id}/trash", id: "trashDocument", tag: "documents", access: principal, summary: "Move a document to the trash (restorable for 30 days)",
			status: 204, errors: errsAuth, h: api.trashDocument},
		{method: "POST", path: "/documents/{id}/restore", id: "restoreDocument", tag: "documents", access: principal, summary: "Take a document out of the trash",
			status: 200, resp: documentJSON{}, errors: errsAuth, h: api.restoreDocument},
		{method: "PUT", path: "/documents/{id}/favorite", id: "addFavorite", tag: "documents", access: principal, summary: "Mark a document as a favorite",
			status: 204, errors: errsAuth, h: api.setFavorite(true)},
		{method: "DELETE", path: "/documents/{id}/favorite", id: "removeFavorite", tag: "documents", access: principal, summary: "Unmark a favorite",
			status: 204, errors: errsAuth, h: api.setFavorite(false)},

		// Folders.
		{method: "GET", path: "/folders", id: "listFolders", tag: "folders", access: principal, summary: "Folders directly in a folder (or at the top level) that the caller may view",
			query:  []param{{"parent_id", "string", "the parent folder; the top level if absent"}},
			status: 200, resp: folderListJSON{}, errors: errsAuth, h: api.listFolders},
		{method: "POST", path: "/folders", id: "createFolder", tag: "folders", access: principal, idempotent: true, summary: "Create a folder",
			body: folderRequest{}, status: 201, resp: folderJSON{}, errors: errsAuth, h: api.createFolder},
		{method: "GET", path: "/folders/{id}", id: "getFolder", tag: "folders", access: principal, summary: "A folder with its path",
			status: 200, resp: folderJSON{}, errors: errsAuth, h: api.getFolder},
		{method: "PATCH", path: "/folders/{id}", id: "updateFolder", tag: "folders", access: principal, summary: "Rename and/or move a folder",
			body: folderUpdateRequest{}, status: 200, resp: folderJSON{}, errors: errsAuth, h: api.updateFolder},
		{method: "DELETE", path: "/folders/{id}", id: "deleteFolder", tag: "folders", access: principal, summary: "Delete an empty folder",
			status: 204, errors: errsAuth, h: api.deleteFolder},

		// Sharing.
		{method: "GET", path: "/documents/{id}/grants", id: "listDocumentGrants", tag: "sharing", access: principal, summary: "Who a document is shared with",
			status: 200, resp: grantListJSON{}, errors: errsAuth, h: api.listGrants(tandem.ResourceDocument)},
		{method: "PUT", path: "/documents/{id}/grants/{user_id}", id: "shareDocument", tag: "sharing", access: principal, summary: "Share a document with a member or guest",
			body: roleRequest{}, status: 200, resp: grantJSON{}, errors: errsAuth, h: api.share(tandem.ResourceDocument)},
		{method: "DELETE", path: "/documents/{id}/grants/{user_id}", id: "unshareDocument", tag: "sharing", access: principal, summary: "Stop sharing a document with someone",
			status: 204, errors: errsAuth, h: api.unshare(tandem.ResourceDocument)},
		{method: "GET", path: "/folders/{id}/grants", id: "listFolderGrants", tag: "sharing", access: principal, summary: "Who a folder is shared with",
			status: 200, resp: grantListJSON{}, errors: errsAuth, h: api.listGrants(tandem.ResourceFolder)},
		{method: "PUT", path: "/folders/{id}/grants/{user_id}", id: "shareFolder", tag: "sharing", access: principal, summary: "Share a folder and everything in it",
			body: roleRequest{}, status: 200, resp: grantJSON{}, errors: errsAuth, h: api.share(tandem.ResourceFolder)},
		{method: "DELETE", path: "/folders/{id}/grants/{user_id}", id: "unshareFolder", tag: "sharing", access: principal, summary: "Stop sharing a folder with someone",
			status: 204, errors: errsAuth, h: api.unshare(tandem.ResourceFolder)},
		{method: "GET", path: "/documents/{id}/links", id: "listLinks", tag: "sharing", access: principal, summary: "A document's public links (owners)",
			status: 200, resp: linkListJSON{}, errors: errsAuth, h: api.listLinks},
		{method: "POST", path: "/documents/{id}/links", id: "createLink", optBody: true, tag: "sharing", access: principal, idempotent: true, summary: "Create a read-only public link (its token is shown once)",
			body: linkRequest{}, status: 201, resp: linkJSON{}, errors: errsAuth, h: api.createLink},
		{method: "DELETE", path: "/documents/{id}/links/{link_id}", id: "revokeLink", tag: "sharing", access: principal, summary: "Revoke a public link",
			status: 204, errors: errsAuth, h: api.revokeLink},

		// Audit.
		{method: "GET", path: "/audit", id: "listAudit", tag: "audit", access: principal, summary: "The organization's audit log, newest first (admins)",
			query:  append([]param{{"action", "string", "only events of this action"}}, pageQuery...),
			status: 200, resp: auditPageJSON{}, errors: errsAuth, h: api.listAudit},
	}
}

// Query parameters.

func (c *call) queryInt(name string) (int, error) {
	v := c.query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, tandem.Invalid(name, "must be an integer")
	}
	return n, nil
}

func (c *call) queryBool(name string) (bool, error) {
	switch c.query(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, tandem.Invalid(name, "must be true or false")
}

func (c *call) queryTime(name string) (time.Time, error) {
	v := c.query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, tandem.Invalid(name, "must be an RFC 3339 time")
	}
	return t, nil
}

func (c *call) query(name string) string { return c.queryValues().Get(name) }

// queryValues is the request's query string, parsed once per request:
// URL.Query parses it again on every call, and a list reads up to nine
// parameters.
func (c *call) queryValues() url.Values {
	if c.params == nil {
		c.params = c.r.URL.Query()
	}
	return c.params
}

func (c *call) path(name string) string { return c.r.PathValue(name) }

var _ = http.StatusOK
