package http

import (
	"encoding/json"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// The JSON shapes of the API. Field names are snake_case; times are RFC
// 3339 in UTC; absent optional values are null. The OpenAPI document is
// generated from these types.

type userJSON struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	TOTPEnabled bool      `json:"totp_enabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func toUser(u tandem.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, TOTPEnabled: u.TOTPEnabled, CreatedAt: u.CreatedAt}
}

type organizationJSON struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	DefaultAccess string    `json:"default_access"`
	CreatedAt     time.Time `json:"created_at"`
}

func toOrganization(o tandem.Organization) organizationJSON {
	return organizationJSON{ID: o.ID, Name: o.Name, DefaultAccess: string(o.DefaultAccess), CreatedAt: o.CreatedAt}
}

type membershipJSON struct {
	Organization organizationJSON `json:"organization"`
	Role         string           `json:"role"`
}

// sessionJSON answers sign-up, login and invitation acceptance.
type sessionJSON struct {
	User           userJSON `json:"user"`
	OrganizationID *string  `json:"organization_id"`
	// CSRFToken goes into the X-CSRF-Token header of every
	// cookie-authenticated write.
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// loginJSON is a login: either a session, or a second factor to give.
type loginJSON struct {
	MFARequired bool         `json:"mfa_required"`
	MFAToken    *string      `json:"mfa_token"`
	Session     *sessionJSON `json:"session"`
}

type meJSON struct {
	User           userJSON         `json:"user"`
	OrganizationID *string          `json:"organization_id"`
	Role           *string          `json:"role"`
	Organizations  []membershipJSON `json:"organizations"`
	// CSRFToken is present for cookie sessions.
	CSRFToken *string `json:"csrf_token"`
}

type memberJSON struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

func toMember(m tandem.Member) memberJSON {
	return memberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: string(m.Role), JoinedAt: m.CreatedAt}
}

type invitationJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	InvitedBy string    `json:"invited_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Token is shown once, when the invitation is created.
	Token *string `json:"token"`
}

func toInvitation(i tandem.Invitation, token string) invitationJSON {
	return invitationJSON{ID: i.ID, Email: i.Email, Role: string(i.Role), InvitedBy: i.InvitedBy, CreatedAt: i.CreatedAt,
		ExpiresAt: i.ExpiresAt, Token: optional(token)}
}

type invitationInfoJSON struct {
	OrganizationName string `json:"organization_name"`
	Email            string `json:"email"`
	Role             string `json:"role"`
	HasAccount       bool   `json:"has_account"`
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is the secret, shown once when the token is created.
	Token *string `json:"token"`
}

func toToken(t tandem.APIToken, secret string) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scope: string(t.Scope), CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, Token: optional(secret)}
}

type documentJSON struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	FolderID       *string   `json:"folder_id"`
	Title          string    `json:"title"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      jsonTime  `json:"created_at"`
	UpdatedAt      jsonTime  `json:"updated_at"`
	TrashedAt      *jsonTime `json:"trashed_at"`
	// Role is what the caller may do: viewer, commenter, editor or owner.
	Role *string `json:"role"`
	// Favorite is set in lists.
	Favorite *bool `json:"favorite"`
}

func toDocument(d tandem.Document) documentJSON {
	j := documentJSON{ID: d.ID, OrganizationID: d.OrganizationID, FolderID: optional(d.FolderID), Title: d.Title,
		CreatedBy: d.CreatedBy, CreatedAt: jsonTime(d.CreatedAt), UpdatedAt: jsonTime(d.UpdatedAt)}
	if d.TrashedAt != nil {
		t := jsonTime(*d.TrashedAt)
		j.TrashedAt = &t
	}
	return j
}

// jsonTime is a time.Time written as time.Time writes itself (RFC 3339
// with fractional seconds), but through MarshalText: encoding/json
// re-scans what a MarshalJSON method returns, which made the times a third
// of the cost of encoding a list of documents. The document lists use it.
type jsonTime time.Time

func (t jsonTime) MarshalText() ([]byte, error) { return time.Time(t).MarshalText() }

func (t *jsonTime) UnmarshalText(b []byte) error { return (*time.Time)(t).UnmarshalText(b) }

func toDocumentView(v app.DocumentView) documentJSON {
	j := toDocument(v.Document)
	j.Role = optional(string(v.Role))
	return j
}

type documentPageJSON struct {
	Items      []documentJSON `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

type folderJSON struct {
	ID        string       `json:"id"`
	ParentID  *string      `json:"parent_id"`
	Name      string       `json:"name"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Role      *string      `json:"role"`
	Path      []folderStep `json:"path"`
}

// folderStep is one folder of a path, from the top level down.
type folderStep struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func toFolder(f tandem.Folder) folderJSON {
	return folderJSON{ID: f.ID, ParentID: optional(f.ParentID), Name: f.Name, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt,
		UpdatedAt: f.UpdatedAt, Path: []folderStep{}}
}

func toFolderView(v app.FolderView) folderJSON {
	j := toFolder(v.Folder)
	j.Role = optional(string(v.Role))
	for _, f := range v.Path {
		j.Path = append(j.Path, folderStep{ID: f.ID, Name: f.Name})
	}
	return j
}

type folderListJSON struct {
	Items      []folderJSON `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

type grantJSON struct {
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	UserID       string    `json:"user_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

func toGrant(g tandem.Grant) grantJSON {
	return grantJSON{ResourceType: string(g.ResourceType), ResourceID: g.ResourceID, UserID: g.UserID, Email: g.Email, Name: g.Name,
		Role: string(g.Role), CreatedBy: g.CreatedBy, CreatedAt: g.CreatedAt}
}

type grantListJSON struct {
	Items      []grantJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

type linkJSON struct {
	ID         string     `json:"id"`
	DocumentID string     `json:"document_id"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Token is the link's secret, shown once when it is created. Readers
	// present it as a bearer token.
	Token *string `json:"token"`
}

func toLink(l tandem.PublicLink, token string) linkJSON {
	return linkJSON{ID: l.ID, DocumentID: l.DocumentID, Prefix: l.Prefix, CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt,
		ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt, Token: optional(token)}
}

type auditJSON struct {
	ID         string            `json:"id"`
	ActorID    *string           `json:"actor_id"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   string            `json:"target_id"`
	IP         string            `json:"ip"`
	Details    map[string]string `json:"details"`
	CreatedAt  time.Time         `json:"created_at"`
}

func toAudit(e tandem.AuditEvent) auditJSON {
	d := e.Details
	if d == nil {
		d = map[string]string{}
	}
	return auditJSON{ID: e.ID, ActorID: optional(e.ActorID), Action: string(e.Action), TargetType: e.TargetType, TargetID: e.TargetID,
		IP: e.IP, Details: d, CreatedAt: e.CreatedAt}
}

// Request bodies.

type signUpRequest struct {
	Email            string `json:"email"`
	Password         string `json:"password"`
	Name             string `json:"name"`
	OrganizationName string `json:"organization_name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type mfaRequest struct {
	MFAToken string `json:"mfa_token"`
	Code     string `json:"code"`
}

type profileRequest struct {
	Name string `json:"name"`
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type switchRequest struct {
	OrganizationID string `json:"organization_id"`
}

type totpSetupJSON struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

type codeRequest struct {
	Code string `json:"code"`
}

type passwordCodeRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

type passwordOnlyRequest struct {
	Password string `json:"password"`
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

type tokenRequest struct {
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type tokenListJSON struct {
	Items      []tokenJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

type organizationRequest struct {
	Name string `json:"name"`
}

type organizationUpdateRequest struct {
	Name          *string `json:"name,omitempty"`
	DefaultAccess *string `json:"default_access,omitempty"`
}

type memberPageJSON struct {
	Items      []memberJSON `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

type roleRequest struct {
	Role string `json:"role"`
}

type inviteRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

type invitationListJSON struct {
	Items      []invitationJSON `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

type invitationTokenRequest struct {
	Token string `json:"token"`
}

type acceptRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

type documentRequest struct {
	Title    string  `json:"title,omitempty"`
	FolderID *string `json:"folder_id,omitempty"`
}

// documentUpdateRequest renames and/or moves; a folder_id of null moves to
// the top level, leaving it out keeps the folder.
type documentUpdateRequest struct {
	Title    *string  `json:"title,omitempty"`
	FolderID nullable `json:"folder_id,omitempty"`
}

type folderRequest struct {
	Name     string  `json:"name"`
	ParentID *string `json:"parent_id,omitempty"`
}

type folderUpdateRequest struct {
	Name     *string  `json:"name,omitempty"`
	ParentID nullable `json:"parent_id,omitempty"`
}

type linkRequest struct {
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type linkListJSON struct {
	Items      []linkJSON `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

type auditPageJSON struct {
	Items      []auditJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// nullable is an optional JSON string field that tells "absent" from
// null: Set says it was there, Value is "" for null.
type nullable struct {
	Set   bool
	Value string
}

func (n *nullable) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	n.Value = s
	return nil
}

func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
