package sqlite

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

// maxFolderDepth bounds folder nesting, so that walks up the tree are short
// and the recursive queries below always end.
const maxFolderDepth = 32

const documentColumns = `d.organization_id, d.id, d.folder_id, d.title, d.created_by, d.created_at, d.updated_at, d.trashed_at, d.trashed_by`

func scanDocument(row scanner, extra ...any) (tandem.Document, error) {
	var d tandem.Document
	dest := append([]any{&d.OrganizationID, &d.ID, nullStr{&d.FolderID}, &d.Title, &d.CreatedBy,
		timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, nullTimeCol{&d.TrashedAt}, &d.TrashedBy}, extra...)
	err := row.Scan(dest...)
	return d, err
}

// nullID passes "" as NULL, for the nullable folder references.
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// args builds a parameter list for a query assembled from parts.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// visibleFolders is a recursive CTE, named vis, of the folders a user holds
// a grant on and every folder below them.
func visibleFolders(a *args, organizationID, userID string) string {
	org, user := a.add(organizationID), a.add(userID)
	return `vis (id, depth) AS (
		SELECT resource_id, 0 FROM grants WHERE organization_id = ` + org + ` AND user_id = ` + user + ` AND resource_type = 'folder'
		UNION ALL
		SELECT f.id, vis.depth + 1 FROM folders f JOIN vis ON f.organization_id = ` + org + ` AND f.parent_id = vis.id
		WHERE vis.depth < ` + strconv.Itoa(maxFolderDepth) + `)`
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

func (s *AppStore) CreateDocument(ctx context.Context, d tandem.Document) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO documents (organization_id, id, folder_id, title, title_key, created_by, created_at, updated_at, trashed_at, trashed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.OrganizationID, d.ID, nullID(d.FolderID), d.Title, tandem.TitleKey(d.Title), d.CreatedBy,
		ts(d.CreatedAt), ts(d.UpdatedAt), nts(d.TrashedAt), d.TrashedBy)
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "document exists")
	}
	if isForeignKey(err) {
		return notFound("folder")
	}
	return storeErr(err)
}

func (s *AppStore) Document(ctx context.Context, organizationID, id string) (tandem.Document, error) {
	d, err := scanDocument(s.r.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.organization_id = $1 AND d.id = $2`, organizationID, id))
	return one(d, err, "document")
}

func (s *AppStore) ListDocuments(ctx context.Context, q tandem.DocumentQuery) ([]tandem.DocumentItem, error) {
	var a args
	var with string
	if q.VisibleTo != "" {
		with = `WITH RECURSIVE ` + visibleFolders(&a, q.OrganizationID, q.VisibleTo) + ` `
	}
	org := a.add(q.OrganizationID)
	var sb strings.Builder
	sb.WriteString(with + `SELECT ` + documentColumns + `, f.document_id IS NOT NULL FROM documents d
		LEFT JOIN favorites f ON f.organization_id = d.organization_id AND f.user_id = ` + a.add(q.UserID) + ` AND f.document_id = d.id
		WHERE d.organization_id = ` + org)
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
		sb.WriteString(` AND d.updated_at >= ` + a.add(ts(q.UpdatedSince)))
	}
	if q.FavoritesOnly {
		sb.WriteString(` AND f.document_id IS NOT NULL`)
	}
	if q.VisibleTo != "" {
		user := a.add(q.VisibleTo)
		sb.WriteString(` AND (d.created_by = ` + user + ` OR d.folder_id IN (SELECT id FROM vis) OR EXISTS (
			SELECT 1 FROM grants g WHERE g.organization_id = d.organization_id AND g.resource_type = 'document'
			AND g.resource_id = d.id AND g.user_id = ` + user + `))`)
	}
	switch q.Sort {
	case tandem.SortTitle:
		if q.After != nil {
			sb.WriteString(` AND (d.title_key, d.id) > (` + a.add(q.After.TitleKey) + `, ` + a.add(q.After.ID) + `)`)
		}
		sb.WriteString(` ORDER BY d.title_key, d.id`)
	default:
		if q.After != nil {
			sb.WriteString(` AND (d.updated_at, d.id) < (` + a.add(ts(q.After.UpdatedAt)) + `, ` + a.add(q.After.ID) + `)`)
		}
		sb.WriteString(` ORDER BY d.updated_at DESC, d.id DESC`)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	sb.WriteString(` LIMIT ` + a.add(limit))
	rows, err := s.r.QueryContext(ctx, sb.String(), a...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	out := make([]tandem.DocumentItem, 0, limit)
	for rows.Next() {
		var it tandem.DocumentItem
		d, err := scanDocument(rows, &it.Favorite)
		if err != nil {
			return nil, storeErr(err)
		}
		it.Document = d
		out = append(out, it)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) RenameDocument(ctx context.Context, organizationID, id, title string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE documents SET title = $3, title_key = $4, updated_at = $5 WHERE organization_id = $1 AND id = $2`,
		organizationID, id, title, tandem.TitleKey(title), ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "document")
}

func (s *AppStore) MoveDocument(ctx context.Context, organizationID, id, folderID string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE documents SET folder_id = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`,
		organizationID, id, nullID(folderID), ts(at))
	if isForeignKey(err) {
		return notFound("folder")
	}
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "document")
}

func (s *AppStore) TouchDocument(ctx context.Context, organizationID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE documents SET updated_at = $3 WHERE organization_id = $1 AND id = $2 AND updated_at < $3`,
		organizationID, id, ts(at))
	if err != nil {
		return storeErr(err)
	}
	if rowsAffected(res) == 0 {
		_, err := s.Document(ctx, organizationID, id)
		return err
	}
	return nil
}

func (s *AppStore) TrashDocument(ctx context.Context, organizationID, id, by string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE documents SET trashed_at = $3, trashed_by = $4 WHERE organization_id = $1 AND id = $2 AND trashed_at IS NULL`,
		organizationID, id, ts(at), by)
	if err != nil {
		return storeErr(err)
	}
	if rowsAffected(res) == 0 {
		if _, err := s.Document(ctx, organizationID, id); err != nil {
			return err
		}
		return tandem.Errorf(tandem.CodeConflict, "the document is in the trash already")
	}
	return nil
}

func (s *AppStore) RestoreDocument(ctx context.Context, organizationID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE documents SET trashed_at = NULL, trashed_by = '', updated_at = $3
		WHERE organization_id = $1 AND id = $2 AND trashed_at IS NOT NULL`, organizationID, id, ts(at))
	if err != nil {
		return storeErr(err)
	}
	if rowsAffected(res) == 0 {
		if _, err := s.Document(ctx, organizationID, id); err != nil {
			return err
		}
		return tandem.Errorf(tandem.CodeConflict, "the document is not in the trash")
	}
	return nil
}

func deleteDocument(ctx context.Context, q querier, organizationID, id string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = 'document' AND resource_id = $2`, organizationID, id); err != nil {
		return storeErr(err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM documents WHERE organization_id = $1 AND id = $2`, organizationID, id)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "document")
}

func (s *AppStore) DeleteDocument(ctx context.Context, organizationID, id string) error {
	return s.tx(ctx, func(q querier) error { return deleteDocument(ctx, q, organizationID, id) })
}

func (s *AppStore) PurgeTrash(ctx context.Context, before time.Time, limit int) ([]tandem.Document, error) {
	var out []tandem.Document
	err := s.tx(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT `+documentColumns+` FROM documents d
			WHERE d.trashed_at IS NOT NULL AND d.trashed_at < $1 ORDER BY d.trashed_at LIMIT $2`, ts(before), limit)
		if err != nil {
			return storeErr(err)
		}
		for rows.Next() {
			d, err := scanDocument(rows)
			if err != nil {
				rows.Close()
				return storeErr(err)
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storeErr(err)
		}
		for _, d := range out {
			if err := deleteDocument(ctx, q, d.OrganizationID, d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const folderColumns = `f.organization_id, f.id, f.parent_id, f.name, f.created_by, f.created_at, f.updated_at`

func scanFolder(row scanner, extra ...any) (tandem.Folder, error) {
	var f tandem.Folder
	dest := append([]any{&f.OrganizationID, &f.ID, nullStr{&f.ParentID}, &f.Name, &f.CreatedBy,
		timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt}}, extra...)
	err := row.Scan(dest...)
	return f, err
}

// ancestorsCTE is a recursive CTE, named anc, of a folder ($2 of
// organization $1) and the folders above it, with their depth (0 for the
// folder itself).
const ancestorsCTE = `anc (id, depth) AS (
	SELECT id, 0 FROM folders WHERE organization_id = $1 AND id = $2
	UNION ALL
	SELECT f.parent_id, anc.depth + 1 FROM folders f JOIN anc ON f.organization_id = $1 AND f.id = anc.id
	WHERE f.parent_id IS NOT NULL AND anc.depth < 64)`

func folderPath(ctx context.Context, q querier, organizationID, id string) ([]tandem.Folder, error) {
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE `+ancestorsCTE+`
		SELECT `+folderColumns+` FROM anc JOIN folders f ON f.organization_id = $1 AND f.id = anc.id ORDER BY anc.depth DESC`,
		organizationID, id)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Folder
	for rows.Next() {
		f, err := scanFolder(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	if len(out) == 0 {
		return nil, notFound("folder")
	}
	return out, nil
}

// subtreeHeight is the number of levels of folders at and below id.
func subtreeHeight(ctx context.Context, q querier, organizationID, id string) (int, error) {
	var h int
	err := q.QueryRowContext(ctx, `WITH RECURSIVE sub (id, depth) AS (
		SELECT id, 1 FROM folders WHERE organization_id = $1 AND id = $2
		UNION ALL
		SELECT f.id, sub.depth + 1 FROM folders f JOIN sub ON f.organization_id = $1 AND f.parent_id = sub.id
		WHERE sub.depth < 64)
		SELECT coalesce(max(depth), 0) FROM sub`, organizationID, id).Scan(&h)
	return h, storeErr(err)
}

func (s *AppStore) FolderPath(ctx context.Context, organizationID, id string) ([]tandem.Folder, error) {
	return folderPath(ctx, s.r, organizationID, id)
}

func (s *AppStore) CreateFolder(ctx context.Context, f tandem.Folder) error {
	return s.tx(ctx, func(q querier) error {
		if f.ParentID != "" {
			path, err := folderPath(ctx, q, f.OrganizationID, f.ParentID)
			if err != nil {
				return err
			}
			if len(path)+1 > maxFolderDepth {
				return tandem.Invalid("parent_id", "folders nest at most "+strconv.Itoa(maxFolderDepth)+" deep")
			}
		}
		_, err := q.ExecContext(ctx, `INSERT INTO folders (organization_id, id, parent_id, name, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			f.OrganizationID, f.ID, nullID(f.ParentID), f.Name, f.CreatedBy, ts(f.CreatedAt), ts(f.UpdatedAt))
		if isUnique(err) {
			return tandem.Errorf(tandem.CodeConflict, "folder exists")
		}
		if isForeignKey(err) {
			return notFound("folder")
		}
		return storeErr(err)
	})
}

func (s *AppStore) Folder(ctx context.Context, organizationID, id string) (tandem.Folder, error) {
	f, err := scanFolder(s.r.QueryRowContext(ctx, `SELECT `+folderColumns+` FROM folders f WHERE f.organization_id = $1 AND f.id = $2`, organizationID, id))
	return one(f, err, "folder")
}

func (s *AppStore) ListFolders(ctx context.Context, q tandem.FolderQuery) ([]tandem.Folder, error) {
	var a args
	var with string
	if q.VisibleTo != "" {
		with = `WITH RECURSIVE ` + visibleFolders(&a, q.OrganizationID, q.VisibleTo) + ` `
	}
	var sb strings.Builder
	sb.WriteString(with + `SELECT ` + folderColumns + ` FROM folders f WHERE f.organization_id = ` + a.add(q.OrganizationID))
	if q.ParentID == "" {
		sb.WriteString(` AND f.parent_id IS NULL`)
	} else {
		sb.WriteString(` AND f.parent_id = ` + a.add(q.ParentID))
	}
	if q.VisibleTo != "" {
		sb.WriteString(` AND (f.created_by = ` + a.add(q.VisibleTo) + ` OR f.id IN (SELECT id FROM vis))`)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	sb.WriteString(` ORDER BY lower(f.name), f.id LIMIT ` + a.add(limit))
	rows, err := s.r.QueryContext(ctx, sb.String(), a...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Folder
	for rows.Next() {
		f, err := scanFolder(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, f)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) RenameFolder(ctx context.Context, organizationID, id, name string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE folders SET name = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`, organizationID, id, name, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "folder")
}

func (s *AppStore) MoveFolder(ctx context.Context, organizationID, id, parentID string, at time.Time) error {
	return s.tx(ctx, func(q querier) error {
		// Concurrent moves could build a cycle between two checks: they
		// are serialized on the organization.
		if _, err := q.ExecContext(ctx, lockOrganization, organizationID); err != nil {
			return storeErr(err)
		}
		height, err := subtreeHeight(ctx, q, organizationID, id)
		if err != nil {
			return err
		}
		if height == 0 {
			return notFound("folder")
		}
		depth := 0
		if parentID != "" {
			path, err := folderPath(ctx, q, organizationID, parentID)
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
		res, err := q.ExecContext(ctx, `UPDATE folders SET parent_id = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2`,
			organizationID, id, nullID(parentID), ts(at))
		if err != nil {
			return storeErr(err)
		}
		return affected(rowsAffected(res), nil, "folder")
	})
}

func (s *AppStore) DeleteFolder(ctx context.Context, organizationID, id string) error {
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, lockOrganization, organizationID); err != nil {
			return storeErr(err)
		}
		var busy bool
		err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM folders WHERE organization_id = $1 AND parent_id = $2)
			OR EXISTS (SELECT 1 FROM documents WHERE organization_id = $1 AND folder_id = $2 AND trashed_at IS NULL)`,
			organizationID, id).Scan(&busy)
		if err != nil {
			return storeErr(err)
		}
		if busy {
			return tandem.Errorf(tandem.CodeConflict, "the folder is not empty")
		}
		if _, err := q.ExecContext(ctx, `UPDATE documents SET folder_id = NULL WHERE organization_id = $1 AND folder_id = $2`, organizationID, id); err != nil {
			return storeErr(err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = 'folder' AND resource_id = $2`, organizationID, id); err != nil {
			return storeErr(err)
		}
		res, err := q.ExecContext(ctx, `DELETE FROM folders WHERE organization_id = $1 AND id = $2`, organizationID, id)
		if err != nil {
			return storeErr(err)
		}
		return affected(rowsAffected(res), nil, "folder")
	})
}

func (s *AppStore) AddFavorite(ctx context.Context, organizationID, userID, documentID string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO favorites (organization_id, user_id, document_id, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (organization_id, user_id, document_id) DO NOTHING`, organizationID, userID, documentID, ts(at))
	if isForeignKey(err) {
		return notFound("document")
	}
	return storeErr(err)
}

func (s *AppStore) RemoveFavorite(ctx context.Context, organizationID, userID, documentID string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM favorites WHERE organization_id = $1 AND user_id = $2 AND document_id = $3`, organizationID, userID, documentID)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "favorite")
}
