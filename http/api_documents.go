package http

import (
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

func (api *API) listDocuments(c *call) (result, error) {
	var o app.ListOptions
	var err error
	if o.Limit, err = c.queryInt("limit"); err != nil {
		return result{}, err
	}
	if o.UpdatedSince, err = c.queryTime("updated_since"); err != nil {
		return result{}, err
	}
	if o.Trashed, err = c.queryBool("trashed"); err != nil {
		return result{}, err
	}
	if o.FavoritesOnly, err = c.queryBool("favorites"); err != nil {
		return result{}, err
	}
	if c.queryValues().Has("folder_id") {
		f := c.query("folder_id")
		if f == "root" {
			f = ""
		} else if f == "" {
			return result{}, tandem.Invalid("folder_id", `a folder id, or "root" for the top level`)
		}
		o.Folder = &f
	}
	o.CreatedBy = c.query("created_by")
	o.Sort = tandem.DocumentSort(c.query("sort"))
	o.Cursor = c.query("cursor")
	page, err := api.app.ListDocuments(c.r.Context(), c.p, o)
	if err != nil {
		return result{}, err
	}
	return ok(documentPage{page})
}

// toDocumentPage is the JSON of a page of documents. The list handler
// writes the same bytes straight from the page (documentPage).
func toDocumentPage(page app.DocumentPage) documentPageJSON {
	out := documentPageJSON{Items: make([]documentJSON, 0, len(page.Items)), NextCursor: optional(page.NextCursor)}
	for _, it := range page.Items {
		j := toDocument(it.Document)
		fav := it.Favorite
		j.Favorite = &fav
		j.Role = optional(string(it.Role))
		out.Items = append(out.Items, j)
	}
	return out
}

func (api *API) createDocument(c *call) (result, error) {
	var in documentCreateRequest
	if err := c.decodeOptional(&in); err != nil {
		return result{}, err
	}
	folder := ""
	if in.FolderID != nil {
		folder = *in.FolderID
	}
	if in.Content != nil {
		return api.createWithContent(c, in, folder)
	}
	if in.ContentFormat != "" {
		return result{}, tandem.Invalid("content_format", "content_format needs content")
	}
	d, err := api.app.CreateDocument(c.r.Context(), c.p, in.Title, folder)
	if err != nil {
		return result{}, err
	}
	return created(toDocumentView(d))
}

func (api *API) getDocument(c *call) (result, error) {
	d, err := api.app.GetDocument(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return result{}, err
	}
	return ok(toDocumentView(d))
}

func (api *API) updateDocument(c *call) (result, error) {
	var in documentUpdateRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	id := c.path("id")
	if in.Title == nil && !in.FolderID.Set {
		return result{}, tandem.Invalid("body", "give a title, a folder_id or both")
	}
	var v app.DocumentView
	var err error
	if in.FolderID.Set {
		if v, err = api.app.MoveDocument(c.r.Context(), c.p, id, in.FolderID.Value); err != nil {
			return result{}, err
		}
	}
	if in.Title != nil {
		if v, err = api.app.RenameDocument(c.r.Context(), c.p, id, *in.Title); err != nil {
			return result{}, err
		}
	}
	return ok(toDocumentView(v))
}

func (api *API) deleteDocument(c *call) (result, error) {
	if err := api.app.DeleteDocument(c.r.Context(), c.p, c.path("id")); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) duplicateDocument(c *call) (result, error) {
	var in documentRequest
	if err := c.decodeOptional(&in); err != nil {
		return result{}, err
	}
	id := c.path("id")
	var folder string
	if in.FolderID != nil {
		folder = *in.FolderID
	} else {
		// By default the copy goes next to the original.
		src, err := api.app.GetDocument(c.r.Context(), c.p, id)
		if err != nil {
			return result{}, err
		}
		folder = src.FolderID
	}
	d, err := api.app.DuplicateDocument(c.r.Context(), c.p, id, in.Title, folder)
	if err != nil {
		return result{}, err
	}
	return created(toDocumentView(d))
}

func (api *API) trashDocument(c *call) (result, error) {
	if err := api.app.TrashDocument(c.r.Context(), c.p, c.path("id")); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) restoreDocument(c *call) (result, error) {
	d, err := api.app.RestoreDocument(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return result{}, err
	}
	return ok(toDocumentView(d))
}

func (api *API) setFavorite(on bool) func(c *call) (result, error) {
	return func(c *call) (result, error) {
		if err := api.app.SetFavorite(c.r.Context(), c.p, c.path("id"), on); err != nil {
			return result{}, err
		}
		return noContent()
	}
}

func (api *API) listFolders(c *call) (result, error) {
	fs, err := api.app.ListFolders(c.r.Context(), c.p, c.query("parent_id"))
	if err != nil {
		return result{}, err
	}
	out := folderListJSON{Items: make([]folderJSON, 0, len(fs))}
	for _, f := range fs {
		out.Items = append(out.Items, toFolder(f))
	}
	return ok(out)
}

func (api *API) createFolder(c *call) (result, error) {
	var in folderRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	parent := ""
	if in.ParentID != nil {
		parent = *in.ParentID
	}
	f, err := api.app.CreateFolder(c.r.Context(), c.p, in.Name, parent)
	if err != nil {
		return result{}, err
	}
	return created(toFolderView(f))
}

func (api *API) getFolder(c *call) (result, error) {
	f, err := api.app.GetFolder(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return result{}, err
	}
	return ok(toFolderView(f))
}

func (api *API) updateFolder(c *call) (result, error) {
	var in folderUpdateRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	if in.Name == nil && !in.ParentID.Set {
		return result{}, tandem.Invalid("body", "give a name, a parent_id or both")
	}
	id := c.path("id")
	var v app.FolderView
	var err error
	if in.ParentID.Set {
		if v, err = api.app.MoveFolder(c.r.Context(), c.p, id, in.ParentID.Value); err != nil {
			return result{}, err
		}
	}
	if in.Name != nil {
		if v, err = api.app.RenameFolder(c.r.Context(), c.p, id, *in.Name); err != nil {
			return result{}, err
		}
	}
	return ok(toFolderView(v))
}

func (api *API) deleteFolder(c *call) (result, error) {
	if err := api.app.DeleteFolder(c.r.Context(), c.p, c.path("id")); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) listGrants(t tandem.ResourceType) func(c *call) (result, error) {
	return func(c *call) (result, error) {
		gs, err := api.app.ListGrants(c.r.Context(), c.p, t, c.path("id"))
		if err != nil {
			return result{}, err
		}
		out := grantListJSON{Items: make([]grantJSON, 0, len(gs))}
		for _, g := range gs {
			out.Items = append(out.Items, toGrant(g))
		}
		return ok(out)
	}
}

func (api *API) share(t tandem.ResourceType) func(c *call) (result, error) {
	return func(c *call) (result, error) {
		var in roleRequest
		if err := c.decode(&in); err != nil {
			return result{}, err
		}
		g, err := api.app.Share(c.r.Context(), c.p, t, c.path("id"), c.path("user_id"), tandem.DocRole(in.Role))
		if err != nil {
			return result{}, err
		}
		return ok(toGrant(g))
	}
}

func (api *API) unshare(t tandem.ResourceType) func(c *call) (result, error) {
	return func(c *call) (result, error) {
		if err := api.app.Unshare(c.r.Context(), c.p, t, c.path("id"), c.path("user_id")); err != nil {
			return result{}, err
		}
		return noContent()
	}
}

func (api *API) listLinks(c *call) (result, error) {
	ls, err := api.app.ListPublicLinks(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return result{}, err
	}
	out := linkListJSON{Items: make([]linkJSON, 0, len(ls))}
	for _, l := range ls {
		out.Items = append(out.Items, toLink(l, ""))
	}
	return ok(out)
}

func (api *API) createLink(c *call) (result, error) {
	var in linkRequest
	if err := c.decodeOptional(&in); err != nil {
		return result{}, err
	}
	l, err := api.app.CreatePublicLink(c.r.Context(), c.p, c.path("id"), in.ExpiresAt)
	if err != nil {
		return result{}, err
	}
	return created(toLink(l.PublicLink, l.Token))
}

func (api *API) revokeLink(c *call) (result, error) {
	if err := api.app.RevokePublicLink(c.r.Context(), c.p, c.path("id"), c.path("link_id")); err != nil {
		return result{}, err
	}
	return noContent()
}
