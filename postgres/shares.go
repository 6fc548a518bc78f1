package postgres

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

// This file is the same, but for its package clause, in package sqlite
// and package postgres: the two stores share their SQL.

func (s *AppStore) PutGrant(ctx context.Context, g tandem.Grant) error {
	return s.tx(ctx, func(q querier) error {
		var exists bool
		var err error
		switch g.ResourceType {
		case tandem.ResourceDocument:
			err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE organization_id = $1 AND id = $2)`, g.OrganizationID, g.ResourceID).Scan(&exists)
		case tandem.ResourceFolder:
			err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM folders WHERE organization_id = $1 AND id = $2)`, g.OrganizationID, g.ResourceID).Scan(&exists)
		default:
			return tandem.Invalid("resource_type", "unknown resource type")
		}
		if err != nil {
			return storeErr(err)
		}
		if !exists {
			return notFound(string(g.ResourceType))
		}
		_, err = q.ExecContext(ctx, `INSERT INTO grants (organization_id, resource_type, resource_id, user_id, role, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (organization_id, resource_type, resource_id, user_id) DO UPDATE SET role = excluded.role, created_by = excluded.created_by, created_at = excluded.created_at`,
			g.OrganizationID, string(g.ResourceType), g.ResourceID, g.UserID, string(g.Role), g.CreatedBy, ts(g.CreatedAt))
		if isForeignKey(err) {
			return notFound("member")
		}
		return storeErr(err)
	})
}

func (s *AppStore) DeleteGrant(ctx context.Context, organizationID string, t tandem.ResourceType, resourceID, userID string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4`,
		organizationID, string(t), resourceID, userID)
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "grant")
}

func (s *AppStore) Grants(ctx context.Context, organizationID string, t tandem.ResourceType, resourceID string) ([]tandem.Grant, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT g.organization_id, g.resource_type, g.resource_id, g.user_id, g.role, g.created_by, g.created_at, u.email, u.name
		FROM grants g JOIN users u ON u.id = g.user_id
		WHERE g.organization_id = $1 AND g.resource_type = $2 AND g.resource_id = $3 ORDER BY u.email`,
		organizationID, string(t), resourceID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.Grant
	for rows.Next() {
		var g tandem.Grant
		var rt, role string
		if err := rows.Scan(&g.OrganizationID, &rt, &g.ResourceID, &g.UserID, &role, &g.CreatedBy, timeCol{&g.CreatedAt}, &g.Email, &g.Name); err != nil {
			return nil, storeErr(err)
		}
		g.ResourceType, g.Role = tandem.ResourceType(rt), tandem.DocRole(role)
		out = append(out, g)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) DocumentAccess(ctx context.Context, organizationID, documentID, userID string) (tandem.Document, tandem.DocRole, error) {
	var rank int
	d, err := scanDocument(s.r.QueryRowContext(ctx, `WITH RECURSIVE anc (id, depth) AS (
			SELECT folder_id, 0 FROM documents WHERE organization_id = $1 AND id = $2 AND folder_id IS NOT NULL
			UNION ALL
			SELECT f.parent_id, anc.depth + 1 FROM folders f JOIN anc ON f.organization_id = $1 AND f.id = anc.id
			WHERE f.parent_id IS NOT NULL AND anc.depth < 64)
		SELECT `+documentColumns+`, (SELECT coalesce(max(`+roleRank+`), 0) FROM grants g
			WHERE g.organization_id = $1 AND g.user_id = $3 AND (
				(g.resource_type = 'document' AND g.resource_id = $2)
				OR (g.resource_type = 'folder' AND g.resource_id IN (SELECT id FROM anc))))
		FROM documents d WHERE d.organization_id = $1 AND d.id = $2`, organizationID, documentID, userID), &rank)
	d, err = one(d, err, "document")
	return d, rankRole(rank), err
}

func (s *AppStore) FolderAccess(ctx context.Context, organizationID, folderID, userID string) (tandem.Folder, tandem.DocRole, error) {
	var rank int
	f, err := scanFolder(s.r.QueryRowContext(ctx, `WITH RECURSIVE `+ancestorsCTE+`
		SELECT `+folderColumns+`, (SELECT coalesce(max(`+roleRank+`), 0) FROM grants g
			WHERE g.organization_id = $1 AND g.user_id = $3 AND g.resource_type = 'folder' AND g.resource_id IN (SELECT id FROM anc))
		FROM folders f WHERE f.organization_id = $1 AND f.id = $2`, organizationID, folderID, userID), &rank)
	f, err = one(f, err, "folder")
	return f, rankRole(rank), err
}

const linkColumns = `id, organization_id, document_id, token_hash, prefix, created_by, created_at, expires_at, revoked_at`

func scanLink(row scanner) (tandem.PublicLink, error) {
	var l tandem.PublicLink
	err := row.Scan(&l.ID, &l.OrganizationID, &l.DocumentID, &l.TokenHash, &l.Prefix, &l.CreatedBy,
		timeCol{&l.CreatedAt}, nullTimeCol{&l.ExpiresAt}, nullTimeCol{&l.RevokedAt})
	return l, err
}

func (s *AppStore) CreatePublicLink(ctx context.Context, l tandem.PublicLink) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO public_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		l.ID, l.OrganizationID, l.DocumentID, l.TokenHash, l.Prefix, l.CreatedBy, ts(l.CreatedAt), nts(l.ExpiresAt), nts(l.RevokedAt))
	if isUnique(err) {
		return tandem.Errorf(tandem.CodeConflict, "link exists")
	}
	if isForeignKey(err) {
		return notFound("document")
	}
	return storeErr(err)
}

func (s *AppStore) PublicLinkByHash(ctx context.Context, hash string) (tandem.PublicLink, error) {
	l, err := scanLink(s.r.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM public_links WHERE token_hash = $1`, hash))
	return one(l, err, "link")
}

func (s *AppStore) PublicLinks(ctx context.Context, organizationID, documentID string) ([]tandem.PublicLink, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+linkColumns+` FROM public_links WHERE organization_id = $1 AND document_id = $2 ORDER BY id`, organizationID, documentID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []tandem.PublicLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, l)
	}
	return out, storeErr(rows.Err())
}

func (s *AppStore) RevokePublicLink(ctx context.Context, organizationID, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE public_links SET revoked_at = $3 WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL`, organizationID, id, ts(at))
	if err != nil {
		return storeErr(err)
	}
	return affected(rowsAffected(res), nil, "link")
}
