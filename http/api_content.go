package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/prosemirror"
	"github.com/tandem-docs/tandem/yjs"
)

// Document content over REST.
//
// A document's content is a Yjs document; the editor (Tiptap's
// Collaboration extension, web/src/editor/extensions.ts) keeps it in the
// XML fragment prosemirror.DefaultField. GET renders that fragment as
// ProseMirror JSON, Markdown, HTML or plain text; PUT (replace) and POST
// (append) parse Markdown, HTML or ProseMirror JSON and apply the
// difference as one Yjs update through the ContentEngine, the same path a
// browser's keystroke takes, so connected editors see a REST edit live and
// it merges with their concurrent typing instead of overwriting it.
//
// PUT and POST answer 204 with no body: the edit is committed when they
// return, and the caller who wants the merged result (which concurrent
// edits may have changed) asks for it with GET in the format it wants.

// ContentEngine reads and edits documents' Yjs state. *collab.Server
// satisfies it: Edit applies what fn changed to the live document (stored
// durably, then broadcast to the connected clients of every instance) and
// Read gives fn a private copy of the current state. Callers authorize
// first; the engine does not.
type ContentEngine interface {
	Edit(ctx context.Context, document string, fn func(doc *yjs.Doc) error) error
	Read(ctx context.Context, document string, fn func(doc *yjs.Doc) error) error
}

// DefaultMaxContentBytes bounds a content upload (a PUT or POST body, or a
// document created with content) unless APIOptions.MaxContentBytes says
// otherwise. It is well under what the converters accept
// (prosemirror.DefaultLimits) and what one Yjs update may carry.
const DefaultMaxContentBytes = 4 << 20

// codeNotAcceptable answers an Accept header that names no format the
// content endpoint can produce (406).
const codeNotAcceptable tandem.Code = "not_acceptable"

// contentFormat is one representation of a document's content.
type contentFormat struct {
	name      string // the ?format= value
	mediaType string // as matched against Accept and Content-Type
}

// contentFormats in order of preference when an Accept header ranks
// several equally (a missing Accept header gets the first).
var contentFormats = []contentFormat{
	{"json", "application/json"},
	{"markdown", "text/markdown"},
	{"html", "text/html"},
	{"text", "text/plain"},
}

// contentUploadTypes are the body types PUT and POST take. Plain text is
// left out on purpose: an HTML form can send text/plain across sites
// without a CORS preflight.
var contentUploadTypes = []string{"text/markdown", "text/html", "application/json"}

// contentResponseTypes are what GET may answer, for the OpenAPI document.
var contentResponseTypes = []string{"application/json", "text/markdown", "text/html", "text/plain"}

func (api *API) engine() (ContentEngine, error) {
	if api.opts.Content == nil {
		return nil, tandem.Errorf(tandem.CodeUnavailable, "document content is not available on this server")
	}
	return api.opts.Content, nil
}

func (api *API) getContent(c *call) (result, error) {
	f, err := negotiateContent(c.r)
	if err != nil {
		return result{}, err
	}
	id := c.path("id")
	if _, err := api.app.GetDocument(c.r.Context(), c.p, id); err != nil {
		return result{}, err
	}
	eng, err := api.engine()
	if err != nil {
		return result{}, err
	}
	doc, err := readContent(c.r.Context(), eng, id)
	if err != nil {
		return result{}, err
	}
	var out []byte
	switch f.name {
	case "json":
		if out, err = json.Marshal(doc); err != nil {
			return result{}, err
		}
	case "markdown":
		// An empty document (one empty paragraph, as the editor shows
		// it) is empty Markdown, which reads back as the same document.
		if len(doc.Content) != 1 || doc.Content[0].Type != "paragraph" || len(doc.Content[0].Content) != 0 {
			out = []byte(prosemirror.ToMarkdown(doc))
		}
	case "html":
		out = []byte(prosemirror.ToHTML(doc))
	default:
		out = []byte(prosemirror.ToText(doc))
	}
	ct := f.mediaType
	if strings.HasPrefix(ct, "text/") {
		ct += "; charset=utf-8"
	}
	return result{status: http.StatusOK, raw: out, contentType: ct}, nil
}

// writeRaw writes a content response. Content is private, so it is not
// cached; and although prosemirror.ToHTML escapes text and attributes and
// drops unsafe URLs, HTML opened straight from the API runs on Tandem's
// origin with the user's cookie, so it is also sandboxed without scripts.
func writeRaw(w http.ResponseWriter, res result) {
	h := w.Header()
	h.Set("Content-Type", res.contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept")
	if strings.HasPrefix(res.contentType, "text/html") {
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src http: https:; style-src 'unsafe-inline'")
	}
	h.Set("Content-Length", strconv.Itoa(len(res.raw)))
	w.WriteHeader(res.status)
	w.Write(res.raw)
}

func (api *API) putContent(c *call) (result, error) {
	return api.writeContent(c, prosemirror.Replace)
}

func (api *API) appendContent(c *call) (result, error) {
	return api.writeContent(c, prosemirror.Append)
}

// writeContent authorizes an edit, parses the body and applies op to the
// live document.
func (api *API) writeContent(c *call, op func(*yjs.Doc, string, prosemirror.Node) ([]byte, error)) (result, error) {
	ctx := c.r.Context()
	id := c.path("id")
	// Authorize before reading the body: a caller without access must not
	// make the server parse megabytes.
	if _, err := api.app.EditableDocument(ctx, c.p, id); err != nil {
		return result{}, err
	}
	eng, err := api.engine()
	if err != nil {
		return result{}, err
	}
	mt, err := contentType(c.r)
	if err != nil {
		return result{}, err
	}
	body, err := io.ReadAll(c.r.Body)
	if err != nil {
		return result{}, err // too large: 413 (problem maps *http.MaxBytesError)
	}
	doc, err := parseContent(mt, body, "body")
	if err != nil {
		return result{}, err
	}
	if err := editContent(ctx, eng, id, doc, op); err != nil {
		return result{}, err
	}
	return noContent()
}

// contentType is the media type of a content upload, which must name one.
func contentType(r *http.Request) (string, error) {
	unsupported := &tandem.Error{Code: codeUnsupportedMedia, Message: "send the content as " + strings.Join(contentUploadTypes, ", ")}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return "", unsupported
	}
	found := false
	for _, t := range contentUploadTypes {
		found = found || t == mt
	}
	if !found {
		return "", unsupported
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "", &tandem.Error{Code: codeUnsupportedMedia, Message: "send the content in UTF-8"}
	}
	return mt, nil
}

// parseContent converts an upload of media type mt into a valid document.
// field names the input in errors.
func parseContent(mt string, body []byte, field string) (prosemirror.Node, error) {
	var doc prosemirror.Node
	var err error
	switch mt {
	case "text/markdown":
		doc, err = prosemirror.ParseMarkdown(body, prosemirror.Limits{})
	case "text/html":
		doc, err = prosemirror.ParseHTML(body, prosemirror.Limits{})
	default:
		doc, err = prosemirror.ParseJSON(body, prosemirror.Limits{})
	}
	switch {
	case errors.Is(err, prosemirror.ErrTooLarge):
		return prosemirror.Node{}, &tandem.Error{Code: tandem.CodeTooLarge, Field: field, Message: strings.TrimPrefix(err.Error(), "prosemirror: "), Err: err}
	case err != nil:
		return prosemirror.Node{}, &tandem.Error{Code: tandem.CodeInvalid, Field: field, Message: strings.TrimPrefix(err.Error(), "prosemirror: "), Err: err}
	}
	return doc, nil
}

// editContent applies op (prosemirror.Replace or Append) with doc to the
// content of document id.
func editContent(ctx context.Context, eng ContentEngine, id string, doc prosemirror.Node, op func(*yjs.Doc, string, prosemirror.Node) ([]byte, error)) error {
	return eng.Edit(ctx, id, func(d *yjs.Doc) error {
		if err := contentField(d); err != nil {
			return err
		}
		_, err := op(d, prosemirror.DefaultField, doc)
		if err != nil && !errors.As(err, new(*tandem.Error)) {
			return &tandem.Error{Code: tandem.CodeInvalid, Field: "body", Message: strings.TrimPrefix(err.Error(), "prosemirror: "), Err: err}
		}
		return err
	})
}

// contentField checks that the document's content field is an XML
// fragment. A client can make it something else (any Yjs peer can create
// any root type under any name); the document is then not one the editor
// can show, and the API says so instead of failing on it.
func contentField(d *yjs.Doc) error {
	if _, err := d.RootXmlFragment(prosemirror.DefaultField); err != nil {
		return &tandem.Error{Code: tandem.CodeConflict, Message: "the document's content is not in the editor's format", Err: err}
	}
	return nil
}

// readContent reads document id's content as a ProseMirror document. A
// document with no content yet reads as the editor shows it: one empty
// paragraph.
func readContent(ctx context.Context, eng ContentEngine, id string) (prosemirror.Node, error) {
	var doc prosemirror.Node
	err := eng.Read(ctx, id, func(d *yjs.Doc) error {
		if err := contentField(d); err != nil {
			return err
		}
		f, _ := d.RootXmlFragment(prosemirror.DefaultField)
		var err error
		doc, err = prosemirror.ReadFragment(f, prosemirror.Limits{})
		if errors.Is(err, prosemirror.ErrTooLarge) {
			return &tandem.Error{Code: tandem.CodeConflict, Message: "the document is too large to convert", Err: err}
		}
		return err
	})
	if err != nil {
		return prosemirror.Node{}, err
	}
	if len(doc.Content) == 0 {
		doc.Content = []prosemirror.Node{{Type: "paragraph"}}
	}
	return doc, nil
}

// negotiateContent picks GET's format: ?format= if given, else the best
// match for the Accept header (ProseMirror JSON if there is none).
func negotiateContent(r *http.Request) (contentFormat, error) {
	if r.URL.Query().Has("format") {
		name := r.URL.Query().Get("format")
		for _, f := range contentFormats {
			if f.name == name {
				return f, nil
			}
		}
		return contentFormat{}, tandem.Invalid("format", "format is json, markdown, html or text")
	}
	accept := strings.TrimSpace(strings.Join(r.Header.Values("Accept"), ","))
	if accept == "" {
		return contentFormats[0], nil
	}
	ranges := parseAccept(accept)
	best, bestQ := -1, 0.0
	for i, f := range contentFormats {
		if q := acceptQuality(ranges, f.mediaType); q > bestQ {
			best, bestQ = i, q
		}
	}
	if best < 0 {
		return contentFormat{}, &tandem.Error{Code: codeNotAcceptable,
			Message: "the content is available as application/json, text/markdown, text/html and text/plain (or use ?format=)"}
	}
	return contentFormats[best], nil
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	q        float64
}

// parseAccept reads an Accept header (RFC 9110 12.5.1). Elements that do
// not parse are ignored, as servers commonly do.
func parseAccept(h string) []mediaRange {
	var out []mediaRange
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(fields[0])), "/")
		if !ok || typ == "" || sub == "" || typ == "*" && sub != "*" {
			continue
		}
		m := mediaRange{typ: typ, sub: sub, q: 1}
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || q < 0 || q > 1 {
					q = 0
				}
				m.q = q
			}
		}
		out = append(out, m)
	}
	// The most specific range that matches decides a type's quality.
	sort.SliceStable(out, func(i, j int) bool { return specificity(out[i]) > specificity(out[j]) })
	return out
}

func specificity(m mediaRange) int {
	switch {
	case m.typ == "*":
		return 0
	case m.sub == "*":
		return 1
	}
	return 2
}

// acceptQuality is the quality the ranges give mediaType: that of the most
// specific range matching it, 0 if none does.
func acceptQuality(ranges []mediaRange, mediaType string) float64 {
	typ, sub, _ := strings.Cut(mediaType, "/")
	for _, m := range ranges {
		if (m.typ == "*" || m.typ == typ) && (m.sub == "*" || m.sub == sub) {
			return m.q
		}
	}
	return 0
}

// documentCreateRequest is documentRequest with optional initial content:
// Markdown (the default content_format) or HTML, as a JSON string, so that
// a create stays one JSON request that Idempotency-Key covers.
type documentCreateRequest struct {
	Title         string  `json:"title,omitempty"`
	FolderID      *string `json:"folder_id,omitempty"`
	Content       *string `json:"content,omitempty"`
	ContentFormat string  `json:"content_format,omitempty"`
}

// createWithContent creates a document holding in's content. The content
// is parsed before anything is stored, and written before the metadata
// row (app.CreateDocumentWithContent), so a failure leaves no document.
func (api *API) createWithContent(c *call, in documentCreateRequest, folder string) (result, error) {
	var mt string
	switch in.ContentFormat {
	case "", "markdown":
		mt = "text/markdown"
	case "html":
		mt = "text/html"
	default:
		return result{}, tandem.Invalid("content_format", `content_format is "markdown" or "html"`)
	}
	eng, err := api.engine()
	if err != nil {
		return result{}, err
	}
	doc, err := parseContent(mt, []byte(*in.Content), "content")
	if err != nil {
		return result{}, err
	}
	d, err := api.app.CreateDocumentWithContent(c.r.Context(), c.p, in.Title, folder, func(ctx context.Context, id string) error {
		return editContent(ctx, eng, id, doc, prosemirror.Replace)
	})
	if err != nil {
		return result{}, err
	}
	return created(toDocumentView(d))
}
