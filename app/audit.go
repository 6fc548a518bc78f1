package app

import (
	"context"

	"github.com/tandem-docs/tandem"
)

// audit records an event in an organization's log. The operation it
// describes has happened already, so a failure to record is logged, not
// returned.
func (a *App) audit(ctx context.Context, orgID, actorID, ip string, action tandem.AuditAction, targetType, targetID string, details map[string]string) {
	if orgID == "" {
		return
	}
	e := tandem.AuditEvent{ID: tandem.NewID(), OrganizationID: orgID, ActorID: actorID, Action: action,
		TargetType: targetType, TargetID: targetID, IP: truncate(ip, 64), Details: details, CreatedAt: a.now()}
	if err := a.s.Audit.RecordAudit(ctx, e); err != nil {
		a.log.ErrorContext(ctx, "record audit event", "action", string(action), "organization", orgID, "error", err)
	}
}

// auditUser records an event about a user's account: in orgID if given,
// else in every organization the user belongs to (a login concerns them all).
func (a *App) auditUser(ctx context.Context, userID, orgID, ip string, action tandem.AuditAction, details map[string]string) {
	if orgID != "" {
		a.audit(ctx, orgID, userID, ip, action, "user", userID, details)
		return
	}
	ms, err := a.s.Organizations.UserOrganizations(ctx, userID)
	if err != nil {
		a.log.ErrorContext(ctx, "record audit event", "action", string(action), "error", err)
		return
	}
	for _, m := range ms {
		a.audit(ctx, m.Organization.ID, userID, ip, action, "user", userID, details)
	}
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Items      []tandem.AuditEvent
	NextCursor string
}

// ListAudit returns the organization's audit log to its admins and owners.
func (a *App) ListAudit(ctx context.Context, p Principal, action tandem.AuditAction, cursor string, limit int) (AuditPage, error) {
	if err := p.role(tandem.RoleAdmin); err != nil {
		return AuditPage{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return AuditPage{}, err
	}
	if err := checkOptionalID("cursor", cursor); err != nil {
		return AuditPage{}, err
	}
	if len(action) > 64 {
		return AuditPage{}, tandem.Invalid("action", "unknown action")
	}
	items, err := a.s.Audit.ListAudit(ctx, tandem.AuditQuery{OrganizationID: p.OrganizationID, Action: action, Before: cursor, Limit: limit + 1})
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = items[limit-1].ID
	}
	return page, nil
}

// Page sizes: default and most.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, tandem.Invalid("limit", "limit must be between 1 and 200")
	}
	return n, nil
}
