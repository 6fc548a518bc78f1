package tandem

import (
	"context"
	"time"
)

// AuditAction names a security-relevant event. Actions are stable strings.
type AuditAction string

const (
	AuditLogin              AuditAction = "login"
	AuditLoginFailed        AuditAction = "login_failed"
	AuditLogout             AuditAction = "logout"
	AuditPasswordChanged    AuditAction = "password_changed"
	AuditTOTPEnabled        AuditAction = "totp_enabled"
	AuditTOTPDisabled       AuditAction = "totp_disabled"
	AuditRecoveryCodeUsed   AuditAction = "recovery_code_used"
	AuditRecoveryCodesReset AuditAction = "recovery_codes_reset"
	AuditTokenCreated       AuditAction = "token_created"
	AuditTokenDeleted       AuditAction = "token_deleted"
	AuditOrganizationCreate AuditAction = "organization_created"
	AuditOrganizationUpdate AuditAction = "organization_updated"
	AuditMemberInvited      AuditAction = "member_invited"
	AuditInvitationRevoked  AuditAction = "invitation_revoked"
	AuditMemberJoined       AuditAction = "member_joined"
	AuditRoleChanged        AuditAction = "role_changed"
	AuditMemberRemoved      AuditAction = "member_removed"
	AuditShareGranted       AuditAction = "share_granted"
	AuditShareRevoked       AuditAction = "share_revoked"
	AuditLinkCreated        AuditAction = "public_link_created"
	AuditLinkRevoked        AuditAction = "public_link_revoked"
	AuditDocumentTrashed    AuditAction = "document_trashed"
	AuditDocumentRestored   AuditAction = "document_restored"
	AuditDocumentDeleted    AuditAction = "document_deleted"
	AuditFolderDeleted      AuditAction = "folder_deleted"
)

// AuditEvent is one entry of an organization's audit log.
type AuditEvent struct {
	ID             string // time-ordered (NewID)
	OrganizationID string
	ActorID        string // "" for an anonymous actor (a failed login)
	Action         AuditAction
	TargetType     string
	TargetID       string
	IP             string
	Details        map[string]string
	CreatedAt      time.Time
}

// AuditQuery selects a page of an organization's audit log, newest first.
type AuditQuery struct {
	OrganizationID string
	Action         AuditAction // "" for all
	Before         string      // continue after this event id ("" from the newest)
	Limit          int
}

// AuditLog stores audit events. Events are never changed.
type AuditLog interface {
	RecordAudit(ctx context.Context, e AuditEvent) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}
