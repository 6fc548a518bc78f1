package sqlstore

import (
	"context"
	"time"

	"github.com/tandem-docs/tandem"
)

func (s *Store) PutGrant(ctx context.Context, g tandem.Grant) error {
	ctx = actingAs(ctx, g.CreatedBy)
	return s.tx(ctx, func(q Querier) error {
		var exists bool
		var err error
		switch g.ResourceType {
		case tandem.ResourceDocument:
			err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE organization_id = $1 AND id = $2)`, g.OrganizationID, g.ResourceID).Scan(&exists)
		case tandem.ResourceFolder:
			err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM folders WHERE organization_id = $1 AND id = $2)`, g.OrganizationID, g.ResourceID).Scan(&exists)
		default:
			return tandem.Invalid("resource_type", "unknown resource type")
		}
		if err != nil {
			return s.err(err)
		}
		if !exists {
			return notFound(string(g.ResourceType))
		}
		_, err = q.Exec(ctx, `INSERT INTO grants (organization_id, resource_type, resource_id, user_id, role, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (organization_id, resource_type, resource_id, user_id) DO UPDATE SET role = excluded.role, created_by = excluded.created_by, created_at = excluded.created_at`,
			g.OrganizationID, string(g.ResourceType), g.ResourceID, g.UserID, string(g.Role), g.CreatedBy, s.ts(g.CreatedAt))
		if s.d.ForeignKey(err) {
			return notFound("member")
		}
		return s.err(err)
	})
}

func (s *Store) DeleteGrant(ctx context.Context, organizationID string, t tandem.ResourceType, resourceID, userID string) error {
	n, err := s.w.Exec(ctx, `DELETE FROM grants WHERE organization_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4`,
		organizationID, string(t), resourceID, userID)
	return s.affected(n, err, "grant")
}

func scanGrant(row Row) (tandem.Grant, error) {
	var g tandem.Grant
	var rt, role string
	err := row.Scan(&g.OrganizationID, &rt, &g.ResourceID, &g.UserID, &role, &g.CreatedBy, timeCol{&g.CreatedAt}, &g.Email, &g.Name)
	g.ResourceType, g.Role = tandem.ResourceType(rt), tandem.DocRole(role)
	return g, err
}

func (s *Store) Grants(ctx context.Context, organizationID string, t tandem.ResourceType, resourceID string) ([]tandem.Grant, error) {
	rows, err := s.r.Query(ctx, `SELECT g.organization_id, g.resource_type, g.resource_id, g.user_id, g.role, g.created_by, g.created_at, u.email, u.name
		FROM grants g JOIN users u ON u.id = g.user_id
		WHERE g.organization_id = $1 AND g.resource_type = $2 AND g.resource_id = $3 ORDER BY u.email`,
		organizationID, string(t), resourceID)
	return collect(s, rows, err, scanGrant)
}

func (s *Store) DocumentAccess(ctx context.Context, organizationID, documentID, userID string) (tandem.Document, tandem.DocRole, error) {
	var rank int
	d, err := scanDocument(s.r.QueryRow(ctx, `WITH RECURSIVE anc (id, depth) AS (
			SELECT folder_id, 0 FROM documents WHERE organization_id = $1 AND id = $2 AND folder_id IS NOT NULL
			UNION ALL
			SELECT f.parent_id, anc.depth + 1 FROM folders f JOIN anc ON f.organization_id = $1 AND f.id = anc.id
			WHERE f.parent_id IS NOT NULL AND anc.depth < 64)
		SELECT `+documentColumns+`, (SELECT coalesce(max(`+roleRank+`), 0) FROM grants g
			WHERE g.organization_id = $1 AND g.user_id = $3 AND (
				(g.resource_type = 'document' AND g.resource_id = $2)
				OR (g.resource_type = 'folder' AND g.resource_id IN (SELECT id FROM anc))))
		FROM documents d WHERE d.organization_id = $1 AND d.id = $2`, organizationID, documentID, userID), &rank)
	d, err = one(s, d, err, "document")
	return d, rankRole(rank), err
}

func (s *Store) FolderAccess(ctx context.Context, organizationID, folderID, userID string) (tandem.Folder, tandem.DocRole, error) {
	var rank int
	f, err := scanFolder(s.r.QueryRow(ctx, `WITH RECURSIVE `+ancestorsCTE+`
		SELECT `+folderColumns+`, (SELECT coalesce(max(`+roleRank+`), 0) FROM grants g
			WHERE g.organization_id = $1 AND g.user_id = $3 AND g.resource_type = 'folder' AND g.resource_id IN (SELECT id FROM anc))
		FROM folders f WHERE f.organization_id = $1 AND f.id = $2`, organizationID, folderID, userID), &rank)
	f, err = one(s, f, err, "folder")
	return f, rankRole(rank), err
}

const linkColumns = `id, organization_id, document_id, token_hash, prefix, created_by, created_at, expires_at, revoked_at`

func scanLink(row Row) (tandem.PublicLink, error) {
	var l tandem.PublicLink
	err := row.Scan(&l.ID, &l.OrganizationID, &l.DocumentID, &l.TokenHash, &l.Prefix, &l.CreatedBy,
		timeCol{&l.CreatedAt}, nullTimeCol{&l.ExpiresAt}, nullTimeCol{&l.RevokedAt})
	return l, err
}

func (s *Store) CreatePublicLink(ctx context.Context, l tandem.PublicLink) error {
	_, err := s.w.Exec(ctx, `INSERT INTO public_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		l.ID, l.OrganizationID, l.DocumentID, l.TokenHash, l.Prefix, l.CreatedBy, s.ts(l.CreatedAt), s.nts(l.ExpiresAt), s.nts(l.RevokedAt))
	if s.d.Unique(err) {
		return tandem.Errorf(tandem.CodeConflict, "link exists")
	}
	if s.d.ForeignKey(err) {
		return notFound("document")
	}
	return s.err(err)
}

func (s *Store) PublicLinkByHash(ctx context.Context, hash string) (tandem.PublicLink, error) {
	l, err := scanLink(s.r.QueryRow(ctx, `SELECT `+linkColumns+` FROM public_links WHERE token_hash = $1`, hash))
	return one(s, l, err, "link")
}

func (s *Store) PublicLinks(ctx context.Context, organizationID, documentID string) ([]tandem.PublicLink, error) {
	rows, err := s.r.Query(ctx, `SELECT `+linkColumns+` FROM public_links WHERE organization_id = $1 AND document_id = $2 ORDER BY id`, organizationID, documentID)
	return collect(s, rows, err, scanLink)
}

func (s *Store) RevokePublicLink(ctx context.Context, organizationID, id string, at time.Time) error {
	n, err := s.w.Exec(ctx, `UPDATE public_links SET revoked_at = $3 WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL`, organizationID, id, s.ts(at))
	return s.affected(n, err, "link")
}
