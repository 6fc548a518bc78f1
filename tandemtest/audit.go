package tandemtest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// TestAuditLog is the contract of tandem.AuditLog.
func TestAuditLog(t *testing.T, open OpenStores) {
	ctx := context.Background()
	s := open(t)
	f, g := newFixture(t, s), newFixture(t, s)
	var ids []string
	for i := range 7 {
		action := tandem.AuditLogin
		if i%2 == 1 {
			action = tandem.AuditLoginFailed
		}
		e := tandem.AuditEvent{ID: tandem.NewID(), OrganizationID: f.org.ID, ActorID: f.owner.ID, Action: action,
			TargetType: "user", TargetID: f.owner.ID, IP: "192.0.2.1", CreatedAt: at(time.Duration(i) * time.Second)}
		if i == 0 {
			e.Details = map[string]string{"reason": "bad password", "ua": "curl"}
		}
		must(t, s.Audit.RecordAudit(ctx, e))
		ids = append(ids, e.ID)
		time.Sleep(2 * time.Millisecond) // ids order by millisecond
	}
	must(t, s.Audit.RecordAudit(ctx, tandem.AuditEvent{ID: tandem.NewID(), OrganizationID: g.org.ID, Action: tandem.AuditLogin, CreatedAt: now}))

	var got []tandem.AuditEvent
	q := tandem.AuditQuery{OrganizationID: f.org.ID, Limit: 3}
	for range 10 {
		page, err := s.Audit.ListAudit(ctx, q)
		must(t, err)
		got = append(got, page...)
		if len(page) < q.Limit {
			break
		}
		q.Before = page[len(page)-1].ID
	}
	equal(t, "events", len(got), 7)
	for i, e := range got {
		if e.ID != ids[6-i] || e.OrganizationID != f.org.ID {
			t.Fatalf("event %d = %+v, want id %s (newest first)", i, e, ids[6-i])
		}
	}
	last := got[6]
	if last.Details["reason"] != "bad password" || last.Details["ua"] != "curl" || last.IP != "192.0.2.1" || !last.CreatedAt.Equal(now) {
		t.Fatalf("oldest event = %+v", last)
	}
	failed, err := s.Audit.ListAudit(ctx, tandem.AuditQuery{OrganizationID: f.org.ID, Action: tandem.AuditLoginFailed, Limit: 100})
	must(t, err)
	equal(t, "failed logins", len(failed), 3)
	other, _ := s.Audit.ListAudit(ctx, tandem.AuditQuery{OrganizationID: g.org.ID, Limit: 100})
	equal(t, "other organization's events", len(other), 1)
}
