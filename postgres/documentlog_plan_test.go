package postgres

import (
	"context"
	"strings"
	"testing"

	tandem "github.com/tandem-docs/tandem"
)

// TestAppendPlan checks the plan appends run on (see appendSQL): the
// generic plan, on a table of a few thousand heads (as in the benchmarks),
// probes document_heads by its primary key and never scans it whole.
func TestAppendPlan(t *testing.T) {
	ctx := context.Background()
	l := openDocumentLog(t)
	if err := l.Append(ctx, []tandem.LogEntry{{Document: "aa", Writer: "w", Seq: 1, Update: []byte{0, 0}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.pool.Exec(ctx, `INSERT INTO document_heads (document, writer, last_seq)
		SELECT convert_to('doc-' || i, 'UTF8'), 'w', 1 FROM generate_series(1, 2000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.pool.Exec(ctx, `ANALYZE document_heads`); err != nil {
		t.Fatal(err)
	}
	conn, err := l.db.generic.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var mode string
	if err := conn.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_generic_plan" {
		t.Fatalf("plan_cache_mode of the append pool: %q, %v", mode, err)
	}
	tx, err := conn.Begin(ctx) // EXPLAIN ANALYZE runs the statement: roll it back
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `PREPARE append_plan(bytea[], bytea[], bigint[], bigint[], bytea[]) AS `+appendSQL); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) EXECUTE append_plan(ARRAY['aa'::bytea, 'new'::bytea], ARRAY['w'::bytea, 'w'::bytea], ARRAY[2::bigint, 1], ARRAY[2::bigint, 1], ARRAY['\x0000'::bytea, '\x0000'::bytea])`)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	for _, bad := range []string{"Seq Scan on document_heads", "Bitmap Heap Scan on document_heads"} {
		if strings.Contains(text, bad) {
			t.Errorf("the append's generic plan has a %s:\n%s", bad, text)
		}
	}
	for _, want := range []string{"Index Scan using document_heads_pkey", "Tid Scan on document_heads", "Tuples Inserted: 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the append's generic plan lacks %q:\n%s", want, text)
		}
	}
	t.Logf("generic plan:\n%s", text)
}
