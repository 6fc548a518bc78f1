package sqlstore_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/postgres"
	"github.com/tandem-docs/tandem/postgres/pgtest"
)

// TestListReadsOnlyTheCallersGrants checks, on PostgreSQL, the plan of the
// statements a member's and a guest's document lists run: the generic plan
// (the one a pooled connection keeps after its fifth list) reads the
// caller's grants through grants_user_resource and never scans the whole
// grants table, which it did for the document grants on an organization of
// a few hundred grants, and which cost more than the rest of the list.
func TestListReadsOnlyTheCallersGrants(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	// One connection: the statements the lists prepared are on it.
	v := u.Query()
	v.Set("pool_max_conns", "1")
	u.RawQuery = v.Encode()
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	st, err := postgres.OpenAppStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s := st.Stores()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	owner := tandem.User{ID: tandem.NewID(), Email: "owner@example.com", Name: "Owner", PasswordHash: "x",
		PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	org := tandem.Organization{ID: tandem.NewID(), Name: "Org", DefaultAccess: tandem.DocRoleViewer, CreatedAt: now}
	must(t, s.Organizations.SignUp(ctx, owner, org, false))
	// The benchmark's organization (bench/api): 40 people, 400 document
	// grants and 20 folder grants, with statistics.
	pool := db.Pool()
	for _, q := range []string{
		`INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at, updated_at)
			SELECT 'u' || i, 'u' || i || '@example.com', 'U', 'x', now(), now(), now() FROM generate_series(1, 40) i`,
		`INSERT INTO memberships (organization_id, user_id, role, created_at)
			SELECT $1, 'u' || i, CASE WHEN i <= 30 THEN 'member' ELSE 'guest' END, now() FROM generate_series(1, 40) i`,
		`INSERT INTO grants (organization_id, resource_type, resource_id, user_id, role, created_by, created_at)
			SELECT $1, 'document', 'd' || j, 'u' || (j % 40 + 1), 'editor', 'owner', now() FROM generate_series(1, 400) j`,
		`INSERT INTO grants (organization_id, resource_type, resource_id, user_id, role, created_by, created_at)
			SELECT $1, 'folder', 'f' || j, 'u' || (30 + j % 10 + 1), 'viewer', 'owner', now() FROM generate_series(1, 20) j`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, org.ID)
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		q    tandem.DocumentQuery
	}{
		{"member", tandem.DocumentQuery{OrganizationID: org.ID, UserID: "u1", GrantsFor: "u1", Limit: 51}},
		{"guest", tandem.DocumentQuery{OrganizationID: org.ID, UserID: "u31", VisibleTo: "u31", GrantsFor: "u31", Limit: 51}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Documents.ListDocuments(ctx, c.q); err != nil {
				t.Fatal(err)
			}
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			// The statement exactly as the list prepared it.
			var stmt, types string
			// (Not prepared itself, or its own text would match.)
			err = conn.QueryRow(ctx, `SELECT statement, array_to_string(parameter_types, ',') FROM pg_prepared_statements
				WHERE statement LIKE '%FROM documents d WHERE%' ORDER BY prepare_time DESC LIMIT 1`,
				pgx.QueryExecModeSimpleProtocol).Scan(&stmt, &types)
			if err != nil {
				t.Fatal(err)
			}
			name := "list_" + c.name
			for _, q := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE ` + name + ` (` + types + `) AS ` + stmt} {
				if _, err := conn.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			args := []any{pgx.QueryExecModeSimpleProtocol, c.q.OrganizationID, c.q.UserID, c.q.UserID}
			rows, err := conn.Query(ctx, `EXPLAIN EXECUTE `+name+` ($1, $2, $3)`, args...)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if strings.Contains(plan, "Seq Scan on grants") || !strings.Contains(plan, "grants_user_resource") {
				t.Errorf("the list reads grants other than the caller's:\n%s\n\n%s", stmt, plan)
			}
		})
	}
}
