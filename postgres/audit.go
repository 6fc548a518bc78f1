package postgres

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

func (s *AppStore) RecordAudit(ctx context.Context, e tandem.AuditEvent) error {
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return storeErr(err)
		}
		details = string(b)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_events (id, organization_id, actor_id, action, target_type, target_id, ip, details, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.OrganizationID, e.ActorID, string(e.Action), e.TargetType, e.TargetID, e.IP, jsonArg(details), ts(e.CreatedAt))
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "audit event exists")
	}
	return storeErr(err)
}

func (s *AppStore) ListAudit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEvent, error) {
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
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	sb.WriteString(` ORDER BY id DESC LIMIT ` + a.add(limit))
	rows, err := s.r.QueryContext(ctx, sb.String(), a...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.AuditEvent
	for rows.Next() {
		var e tandem.AuditEvent
		var action, details string
		if err := rows.Scan(&e.ID, &e.OrganizationID, &e.ActorID, &action, &e.TargetType, &e.TargetID, &e.IP, &details, timeCol{&e.CreatedAt}); err != nil {
			return nil, storeErr(err)
		}
		e.Action = tandem.AuditAction(action)
		if details != "" && details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, storeErr(err)
			}
		}
		out = append(out, e)
	}
	return out, storeErr(rows.Err())
}
