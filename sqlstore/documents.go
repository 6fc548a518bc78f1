package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-docs/tandem"
)

// maxFolderDepth bounds folder nesting, so that walks up the tree are short
// and the recursive queries below always end.
const maxFolderDepth = 32

const documentColumns = `d.organization_id, d.id, d.folder_id, d.title, d.created_by, d.created_at, d.updated_at, d.trashed_at, d.trashed_by`

func scanDocument(row Row, extra ...any) (tandem.Document, error) {
	var d tandem.Document
	dest := append([]any{&d.OrganizationID, &d.ID, nullStr{&d.FolderID}, &d.Title, &d.CreatedBy,
		timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, nullTimeCol{&d.TrashedAt}, &d.TrashedBy}, extra...)
	err := row.Scan(dest...)
	return d, err
}

// visibleFolders is a recursive CTE, named vis, of the folders user (a
// placeholder) holds a grant on in organization org and every folder below
// them, each with the rank of the grant it comes from (a folder under
// several granted ones appears once per grant).
func visibleFolders(org, user string) string {
	return `vis (id, depth, rank) AS (
		SELECT g.resource_id, 0, ` + roleRank + ` FROM grants g WHERE g.organization_id = ` + org + ` AND g.user_id = ` + user + ` AND g.resource_type = 'folder'
		UNION ALL
		SELECT f.id, vis.depth + 1, vis.rank FROM folders f JOIN vis ON f.organization_id = ` + org + ` AND f.parent_id = vis.id
		WHERE vis.depth < ` + strconv.Itoa(maxFolderDepth) + `)`
}

// grantedDocuments is a subquery, for an uncorrelated IN, of the documents
// user (a placeholder) holds a grant on in organization org.
//
// Its ORDER BY is the order of the covering index grants_user_resource,
// so it costs no sort; what it changes is PostgreSQL's plan. PostgreSQL
// plans the subquery of an IN for the first half of its rows, and on a
// small grants table (a few hundred rows: most organizations) a scan of
// the whole table, filtered, looks cheaper for half of them than the
// index does: every list then read every grant of the organization (on
// bench/api's, 420 grants, 30 µs of execution more than through the
// index, when the whole list without roles takes 50). Asked for in the
// index's order, the rows come cheapest from the index, and the list
// reads the user's own grants (TestListReadsOnlyTheCallersGrants).
// SQLite drops the ORDER BY: its program is the same but for a no-op.
func grantedDocuments(org, user string) string {
	return `SELECT g.resource_id FROM grants g WHERE g.organization_id = ` + org + ` AND g.user_id = ` + user +
		` AND g.resource_type = 'document' ORDER BY g.resource_id`
}

// roleRank is an SQL expression ranking a grant role like DocRole.Rank.
const roleRank = `CASE g.role WHEN 'owner' THEN 4 WHEN 'editor' THEN 3 WHEN 'commenter' THEN 2 WHEN 'viewer' THEN 1 ELSE 0 END`

func rankRole(rank int) tandem.DocRole {
	switch rank {
	case 4:
		return tandem.DocRoleOwner
	case 3:
		return tandem.DocRoleEditor
	case 2:
		return tandem.DocRoleCommenter
	case 1:
		return tandem.DocRoleViewer
	}
	return tandem.DocRoleNone
}

func (s *Store) CreateDocument(ctx context.Context, d tandem.Document) error {
	ctx = actingAs(ctx, d.CreatedBy)
	_, err := s.w.Exec(ctx, `INSERT INTO documents (organization_id, id, folder_id, title, title_key, created_by, created_at, updated_at, trashed_at, trashed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.OrganizationID, d.ID, nullID(d.FolderID), d.Title, tandem.TitleKey(d.Title), d.CreatedBy,
		s.ts(d.CreatedAt), s.ts(d.UpdatedAt), s.nts(d.TrashedAt), d.TrashedBy)
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "document exists")
	}
	if s.d.ForeignKey(err) {
		return notFound("folder")
	}
	return s.err(err)
}

func (s *Store) Document(ctx context.Context, organizationID, id string) (tandem.Document, error) {
	d, err := scanDocument(s.r.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.organization_id = $1 AND d.id = $2`, organizationID, id))
	return one(s, d, err, "document")
}

// ListDocuments is the read the API serves most, so it reads no more than
// a page needs: the organization is the one asked for, and a live
// document has neither trashed_at nor trashed_by (RestoreDocument clears
// both), so only lists of the trash read them. Each value a row returns
// costs (SQLite through database/sql: about a fifth of a microsecond; with
// every column, nearly half of the query's time).
//
// The caller's favorites are marked by d.id IN (the user's favorites): a
// subquery on the organization and user alone, which both databases run
// once per statement (SQLite into an ephemeral index, PostgreSQL as a
// hashed SubPlan) and then probe per listed row. The correlated EXISTS it
// replaces ran a subquery per row, which on SQLite cost about a third more
// than the probes. Neither is a join on the document's columns: a join let
// a table without statistics yet (fresh, or just bulk loaded) get a plan
// that joined every document of the organization to the favorites before
// sorting them: milliseconds instead of a tenth of one. A list of
// favorites only filters with the EXISTS form (a join-free filter) and
// marks every row.
//
// With q.GrantsFor, each item also says what grants give that user on it
// (see below), so that the caller's role on every item costs no query
// of its own. Like the rest of a list, those roles may lag behind the
// primary with a replica; every operation on a document checks its role
// on the primary (DocumentAccess).
//
// It is a lag-tolerant read (see Replicated), for q.UserID.
func (s *Store) ListDocuments(ctx context.Context, q tandem.DocumentQuery) ([]tandem.DocumentItem, error) {
	ctx = actingAs(ctx, q.UserID)
	var a args
	var sb strings.Builder
	sb.Grow(2048) // the longest text, at once rather than doubling up to it
	org := a.add(q.OrganizationID)
	// vis, the folders granted to VisibleTo or GrantsFor (one user: the
	// caller of a list), serves both the filter and the roles.
	user := ""
	switch {
	case q.VisibleTo != "" && q.GrantsFor != "" && q.VisibleTo != q.GrantsFor:
		return nil, tandem.Invalid("grants_for", "GrantsFor must be VisibleTo when both are set")
	case q.VisibleTo != "":
		user = a.add(q.VisibleTo)
	case q.GrantsFor != "":
		user = a.add(q.GrantsFor)
	}
	if user != "" {
		sb.WriteString(`WITH RECURSIVE ` + visibleFolders(org, user) + ` `)
	}
	fan := a.add(q.UserID) // whose favorites are marked
	n := q.Limit
	if n <= 0 {
		n = 50
	}
	sb.WriteString(`SELECT d.id, d.folder_id, d.title, d.created_by, d.created_at, d.updated_at`)
	if q.Trashed {
		sb.WriteString(`, d.trashed_at, d.trashed_by`)
	}
	grants := q.GrantsFor != ""
	if grants {
		// The ranks of the roles grants give, through a folder (from vis)
		// and on the document itself, in one integer column: folder rank
		// times 8 plus document rank (0 for none). Whether a row has any
		// is an uncorrelated IN (run once per statement, probed per row,
		// like the favorites); only rows that have one look its rank up.
		// Looking ranks up on every row tripled the cost of a page on
		// SQLite; reading the user's grants in a statement of their own
		// cost about as much on SQLite, and a round trip on PostgreSQL.
		sb.WriteString(`, CASE WHEN d.folder_id IN (SELECT id FROM vis) THEN CASE WHEN d.folder_id IN (SELECT id FROM vis WHERE rank = 4) THEN 32` +
			` WHEN d.folder_id IN (SELECT id FROM vis WHERE rank = 3) THEN 24 WHEN d.folder_id IN (SELECT id FROM vis WHERE rank = 2) THEN 16 ELSE 8 END ELSE 0 END` +
			` + CASE WHEN d.id IN (` + grantedDocuments(org, user) + `) THEN coalesce((SELECT ` + roleRank + ` FROM grants g WHERE g.organization_id = ` + org +
			` AND g.resource_type = 'document' AND g.resource_id = d.id AND g.user_id = ` + user + `), 0) ELSE 0 END`)
	}
	if q.FavoritesOnly {
		sb.WriteString(`, TRUE FROM documents d WHERE d.organization_id = ` + org +
			` AND EXISTS (SELECT 1 FROM favorites f WHERE f.organization_id = ` + org + ` AND f.user_id = ` + fan + ` AND f.document_id = d.id)`)
	} else {
		sb.WriteString(`, d.id IN (SELECT f.document_id FROM favorites f WHERE f.organization_id = ` + org + ` AND f.user_id = ` + fan + `)` +
			` FROM documents d WHERE d.organization_id = ` + org)
	}
	if q.Trashed {
		sb.WriteString(` AND d.trashed_at IS NOT NULL`)
	} else {
		sb.WriteString(` AND d.trashed_at IS NULL`)
	}
	if q.InFolder {
		if q.FolderID == "" {
			sb.WriteString(` AND d.folder_id IS NULL`)
		} else {
			sb.WriteString(` AND d.folder_id = ` + a.add(q.FolderID))
		}
	}
	if q.CreatedBy != "" {
		sb.WriteString(` AND d.created_by = ` + a.add(q.CreatedBy))
	}
	if !q.UpdatedSince.IsZero() {
		sb.WriteString(` AND d.updated_at >= ` + a.add(s.ts(q.UpdatedSince)))
	}
	if q.VisibleTo != "" {
		// The user's document grants, like the favorites, are read once
		// and probed per row.
		sb.WriteString(` AND (d.created_by = ` + user + ` OR d.folder_id IN (SELECT id FROM vis) OR d.id IN (` + grantedDocuments(org, user) + `))`)
	}
	switch q.Sort {
	case tandem.SortTitle:
		if q.After != nil {
			sb.WriteString(` AND (d.title_key, d.id) > (` + a.add(q.After.TitleKey) + `, ` + a.add(q.After.ID) + `)`)
		}
		sb.WriteString(` ORDER BY d.title_key, d.id`)
	default:
		if q.After != nil {
			sb.WriteString(` AND (d.updated_at, d.id) < (` + a.add(s.ts(q.After.UpdatedAt)) + `, ` + a.add(q.After.ID) + `)`)
		}
		sb.WriteString(` ORDER BY d.updated_at DESC, d.id DESC`)
	}
	sb.WriteString(limit(n))
	rows, err := s.lagged(ctx).Query(ctx, sb.String(), a...)
	if err != nil {
		return nil, s.err(err)
	}
	defer rows.Close()
	out := make([]tandem.DocumentItem, 0, n)
	// One set of destinations for every row: Scan writes through them into
	// it, which is copied into out.
	var it tandem.DocumentItem
	dest := []any{&it.ID, nullStr{&it.FolderID}, &it.Title, &it.CreatedBy, timeCol{&it.CreatedAt}, timeCol{&it.UpdatedAt}}
	if q.Trashed {
		dest = append(dest, nullTimeCol{&it.TrashedAt}, &it.TrashedBy)
	}
	var ranks int64 // see grants above
	if grants {
		dest = append(dest, &ranks)
	}
	dest = append(dest, &it.Favorite)
	for len(out) < n && rows.Next() {
		it = tandem.DocumentItem{}
		if err := rows.Scan(dest...); err != nil {
			return nil, s.err(err)
		}
		it.OrganizationID = q.OrganizationID
		if grants {
			it.Granted = rankRole(int(max(ranks/8, ranks%8)))
		}
		out = append(out, it)
	}
	return out, s.err(rows.Err())
}

func (s *Store) RenameDocument(ctx context.Context, organizationID, id, title string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE documents SET title = $3, title_key = $4, updated_at = $5 WHERE organization_id = $1 AND id = $2`,
		organizationID, id, title, tandem.TitleKey(title), s.ts(at))
	return s.affected(n, err, "document")
}

func (s *Store) MoveDocument(ctx context.Context, organizationID, id, folderID string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE documents SET folder_id = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`,
		organizationID, id, nullID(folderID), s.ts(at))
	if s.d.ForeignKey(err) {
		return notFound("folder")
	}
	return s.affected(n, err, "document")
}

func (s *Store) TouchDocument(ctx context.Context, organizationID, id string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE documents SET updated_at = $3 WHERE organization_id = $1 AND id = $2 AND updated_at < $3`,
		organizationID, id, s.ts(at))
	if err != nil {
		return s.err(err)
	}
	if n == 0 {
		_, err := s.Document(ctx, organizationID, id)
		return err
	}
	return nil
}

func (s *Store) TrashDocument(ctx context.Context, organizationID, id, by string, at time.Time) error {
	ctx = actingAs(ctx, by)
	n, err := s.w.Exec(ctx, `UPDATE documents SET trashed_at = $3, trashed_by = $4 WHERE organization_id = $1 AND id = $2 AND trashed_at IS NULL`,
		organizationID, id, s.ts(at), by)
	if err != nil {
		return s.err(err)
	}
	if n == 0 {
		if _, err := s.Document(ctx, organizationID, id); err != nil {
			return err
		}
		return tandem.Errorf(tandem.CodeConflict, "the document is in the trash already")
	}
	return nil
}

func (s *Store) RestoreDocument(ctx context.Context, organizationID, id string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE documents SET trashed_at = NULL, trashed_by = '', updated_at = $3
		WHERE organization_id = $1 AND id = $2 AND trashed_at IS NOT NULL`, organizationID, id, s.ts(at))
	if err != nil {
		return s.err(err)
	}
	if n == 0 {
		if _, err := s.Document(ctx, organizationID, id); err != nil {
			return err
		}
		return tandem.Errorf(tandem.CodeConflict, "the document is not in the trash")
	}
	return nil
}

func (s *Store) deleteDocument(ctx context.Context, q Querier, organizationID, id string) error {
	if _, err := q.Exec(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = 'document' AND resource_id = $2`, organizationID, id); err != nil {
		return s.err(err)
	}
	n, err := q.Exec(ctx, `DELETE FROM documents WHERE organization_id = $1 AND id = $2`, organizationID, id)
	return s.affected(n, err, "document")
}

func (s *Store) DeleteDocument(ctx context.Context, organizationID, id string) error {
	return s.tx(ctx, func(q Querier) error { return s.deleteDocument(ctx, q, organizationID, id) })
}

func (s *Store) PurgeTrash(ctx context.Context, before time.Time, n int) ([]tandem.Document, error) {
	var out []tandem.Document
	err := s.tx(ctx, func(q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+documentColumns+` FROM documents d
			WHERE d.trashed_at IS NOT NULL AND d.trashed_at < $1 ORDER BY d.trashed_at`+limit(n), s.ts(before))
		// The rows are read to the end before the deletes: a transaction
		// runs one statement at a time.
		docs, err := collect(s, rows, err, func(r Row) (tandem.Document, error) { return scanDocument(r) })
		if err != nil {
			return err
		}
		docs = first(docs, n)
		for _, d := range docs {
			if err := s.deleteDocument(ctx, q, d.OrganizationID, d.ID); err != nil {
				return err
			}
		}
		out = docs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const folderColumns = `f.organization_id, f.id, f.parent_id, f.name, f.created_by, f.created_at, f.updated_at`

func scanFolder(row Row, extra ...any) (tandem.Folder, error) {
	var f tandem.Folder
	dest := append([]any{&f.OrganizationID, &f.ID, nullStr{&f.ParentID}, &f.Name, &f.CreatedBy,
		timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt}}, extra...)
	err := row.Scan(dest...)
	return f, err
}

func scanFolderRow(row Row) (tandem.Folder, error) { return scanFolder(row) }

// ancestorsCTE is a recursive CTE, named anc, of a folder ($2 of
// organization $1) and the folders above it, with their depth (0 for the
// folder itself).
const ancestorsCTE = `anc (id, depth) AS (
	SELECT id, 0 FROM folders WHERE organization_id = $1 AND id = $2
	UNION ALL
	SELECT f.parent_id, anc.depth + 1 FROM folders f JOIN anc ON f.organization_id = $1 AND f.id = anc.id
	WHERE f.parent_id IS NOT NULL AND anc.depth < 64)`

func (s *Store) folderPath(ctx context.Context, q Querier, organizationID, id string) ([]tandem.Folder, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE `+ancestorsCTE+`
		SELECT `+folderColumns+` FROM anc JOIN folders f ON f.organization_id = $1 AND f.id = anc.id ORDER BY anc.depth DESC`,
		organizationID, id)
	out, err := collect(s, rows, err, scanFolderRow)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, notFound("folder")
	}
	return out, nil
}

// subtreeHeight is the number of levels of folders at and below id.
func (s *Store) subtreeHeight(ctx context.Context, q Querier, organizationID, id string) (int, error) {
	var h int
	err := q.QueryRow(ctx, `WITH RECURSIVE sub (id, depth) AS (
		SELECT id, 1 FROM folders WHERE organization_id = $1 AND id = $2
		UNION ALL
		SELECT f.id, sub.depth + 1 FROM folders f JOIN sub ON f.organization_id = $1 AND f.parent_id = sub.id
		WHERE sub.depth < 64)
		SELECT coalesce(max(depth), 0) FROM sub`, organizationID, id).Scan(&h)
	return h, s.err(err)
}

func (s *Store) FolderPath(ctx context.Context, organizationID, id string) ([]tandem.Folder, error) {
	return s.folderPath(ctx, s.r, organizationID, id)
}

func (s *Store) CreateFolder(ctx context.Context, f tandem.Folder) error {
	ctx = actingAs(ctx, f.CreatedBy)
	return s.tx(ctx, func(q Querier) error {
		if f.ParentID != "" {
			path, err := s.folderPath(ctx, q, f.OrganizationID, f.ParentID)
			if err != nil {
				return err
			}
			if len(path)+1 > maxFolderDepth {
				return tandem.Invalid("parent_id", "folders nest at most "+strconv.Itoa(maxFolderDepth)+" deep")
			}
		}
		_, err := q.Exec(ctx, `INSERT INTO folders (organization_id, id, parent_id, name, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			f.OrganizationID, f.ID, nullID(f.ParentID), f.Name, f.CreatedBy, s.ts(f.CreatedAt), s.ts(f.UpdatedAt))
		if s.d.Unique(err) {
			return tandem.Errorf(tandem.CodeConflict, "folder exists")
		}
		if s.d.ForeignKey(err) {
			return notFound("folder")
		}
		return s.err(err)
	})
}

func (s *Store) Folder(ctx context.Context, organizationID, id string) (tandem.Folder, error) {
	f, err := scanFolder(s.r.QueryRow(ctx, `SELECT `+folderColumns+` FROM folders f WHERE f.organization_id = $1 AND f.id = $2`, organizationID, id))
	return one(s, f, err, "folder")
}

// ListFolders is a lag-tolerant read (see Replicated).
func (s *Store) ListFolders(ctx context.Context, q tandem.FolderQuery) ([]tandem.Folder, error) {
	ctx = actingAs(ctx, q.VisibleTo)
	var a args
	var sb strings.Builder
	org, user := a.add(q.OrganizationID), ""
	if q.VisibleTo != "" {
		user = a.add(q.VisibleTo)
		sb.WriteString(`WITH RECURSIVE ` + visibleFolders(org, user) + ` `)
	}
	sb.WriteString(`SELECT ` + folderColumns + ` FROM folders f WHERE f.organization_id = ` + org)
	if q.ParentID == "" {
		sb.WriteString(` AND f.parent_id IS NULL`)
	} else {
		sb.WriteString(` AND f.parent_id = ` + a.add(q.ParentID))
	}
	if q.VisibleTo != "" {
		sb.WriteString(` AND (f.created_by = ` + user + ` OR f.id IN (SELECT id FROM vis))`)
	}
	n := q.Limit
	if n <= 0 {
		n = 1000
	}
	sb.WriteString(` ORDER BY lower(f.name), f.id` + limit(n))
	rows, err := s.lagged(ctx).Query(ctx, sb.String(), a...)
	out, err := collect(s, rows, err, scanFolderRow)
	return first(out, n), err
}

func (s *Store) RenameFolder(ctx context.Context, organizationID, id, name string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE folders SET name = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`, organizationID, id, name, s.ts(at))
	return s.affected(n, err, "folder")
}

func (s *Store) MoveFolder(ctx context.Context, organizationID, id, parentID string, at time.Time) error {
	return s.tx(ctx, func(q Querier) error {
		// Concurrent moves could build a cycle between two checks: they
		// are serialized on the organization.
		if err := s.d.LockOrganization(ctx, q, organizationID); err != nil {
			return s.err(err)
		}
		height, err := s.subtreeHeight(ctx, q, organizationID, id)
		if err != nil {
			return err
		}
		if height == 0 {
			return notFound("folder")
		}
		depth := 0
		if parentID != "" {
			path, err := s.folderPath(ctx, q, organizationID, parentID)
			if err != nil {
				return err
			}
			for _, f := range path {
				if f.ID == id {
					return tandem.Invalid("parent_id", "a folder cannot move into itself")
				}
			}
			depth = len(path)
		}
		if depth+height > maxFolderDepth {
			return tandem.Invalid("parent_id", "folders nest at most "+strconv.Itoa(maxFolderDepth)+" deep")
		}
		n, err := q.Exec(ctx, `UPDATE folders SET parent_id = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`,
			organizationID, id, nullID(parentID), s.ts(at))
		return s.affected(n, err, "folder")
	})
}

func (s *Store) DeleteFolder(ctx context.Context, organizationID, id string) error {
	return s.tx(ctx, func(q Querier) error {
		if err := s.d.LockOrganization(ctx, q, organizationID); err != nil {
			return s.err(err)
		}
		var busy bool
		err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM folders WHERE organization_id = $1 AND parent_id = $2)
			OR EXISTS (SELECT 1 FROM documents WHERE organization_id = $1 AND folder_id = $2 AND trashed_at IS NULL)`,
			organizationID, id).Scan(&busy)
		if err != nil {
			return s.err(err)
		}
		if busy {
			return tandem.Errorf(tandem.CodeConflict, "the folder is not empty")
		}
		if _, err := q.Exec(ctx, `UPDATE documents SET folder_id = NULL WHERE organization_id = $1 AND folder_id = $2`, organizationID, id); err != nil {
			return s.err(err)
		}
		if _, err := q.Exec(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = 'folder' AND resource_id = $2`, organizationID, id); err != nil {
			return s.err(err)
		}
		n, err := q.Exec(ctx, `DELETE FROM folders WHERE organization_id = $1 AND id = $2`, organizationID, id)
		return s.affected(n, err, "folder")
	})
}

func (s *Store) AddFavorite(ctx context.Context, organizationID, userID, documentID string, at time.Time) error {
	ctx = actingAs(ctx, userID)
	_, err := s.w.Exec(ctx, `INSERT INTO favorites (organization_id, user_id, document_id, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (organization_id, user_id, document_id) DO NOTHING`, organizationID, userID, documentID, s.ts(at))
	if s.d.ForeignKey(err) {
		return notFound("document")
	}
	return s.err(err)
}

func (s *Store) RemoveFavorite(ctx context.Context, organizationID, userID, documentID string) error {
	ctx = actingAs(ctx, userID)
	n, err := s.w.Exec(ctx, `DELETE FROM favorites WHERE organization_id = $1 AND user_id = $2 AND document_id = $3`, organizationID, userID, documentID)
	return s.affected(n, err, "favorite")
}
