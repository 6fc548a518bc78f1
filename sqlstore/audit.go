package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tandem-docs/tandem"
)

// RecordAudit records the event as a write of its actor: the App service
// records an event after the change it describes, so the actor's position
// covers the change too.
func (s *Store) RecordAudit(ctx context.Context, e tandem.AuditEvent) error {
	ctx = actingAs(ctx, e.ActorID)
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return s.err(err)
		}
		details = string(b)
	}
	// details is JSON text: a TEXT column in SQLite, jsonb in PostgreSQL
	// (whose driver passes a string to a JSON column as it is).
	_, err := s.w.Exec(ctx, `INSERT INTO audit_events (id, organization_id, actor_id, action, target_type, target_id, ip, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.OrganizationID, e.ActorID, string(e.Action), e.TargetType, e.TargetID, e.IP, details, s.ts(e.CreatedAt))
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "audit event exists")
	}
	return s.err(err)
}

func scanAuditEvent(row Row) (tandem.AuditEvent, error) {
	var e tandem.AuditEvent
	var action, details string
	if err := row.Scan(&e.ID, &e.OrganizationID, &e.ActorID, &action, &e.TargetType, &e.TargetID, &e.IP, &details, timeCol{&e.CreatedAt}); err != nil {
		return e, err
	}
	e.Action = tandem.AuditAction(action)
	if details != "" && details != "{}" {
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return e, err
		}
	}
	return e, nil
}

// ListAudit is a lag-tolerant read (see Replicated).
func (s *Store) ListAudit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEvent, error) {
	var a args
	var sb strings.Builder
	sb.WriteString(`SELECT id, organization_id, actor_id, action, target_type, target_id, ip, details, created_at
		FROM audit_events WHERE organization_id = ` + a.add(q.OrganizationID))
	if q.Action != "" {
		sb.WriteString(` AND action = ` + a.add(string(q.Action)))
	}
	if q.Before != "" {
		sb.WriteString(` AND id < ` + a.add(q.Before))
	}
	n := q.Limit
	if n <= 0 {
		n = 50
	}
	sb.WriteString(` ORDER BY id DESC` + limit(n))
	rows, err := s.lagged(ctx).Query(ctx, sb.String(), a...)
	out, err := collect(s, rows, err, scanAuditEvent)
	return first(out, n), err
}
