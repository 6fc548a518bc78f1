package http

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/collab"
	"github.com/tandem-docs/tandem/prosemirror"
	"github.com/tandem-docs/tandem/tandemtest"
	"github.com/tandem-docs/tandem/yjs"
)

// newDoc creates a document through the API and returns its id.
func newDoc(t *testing.T, c *client, title string) string {
	t.Helper()
	r := c.do("POST", "/api/v1/documents", map[string]string{"title": title})
	wantStatus(t, r, 201)
	return r.json(t)["id"].(string)
}

// content GETs a document's content with extra headers.
func content(c *client, doc, query string, hdr ...string) response {
	return c.do("GET", "/api/v1/documents/"+doc+"/content"+query, nil, hdr...)
}

func wantBody(t *testing.T, r response, contentType, body string) {
	t.Helper()
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != contentType {
		t.Errorf("content type %q, want %q", ct, contentType)
	}
	if string(r.body) != body {
		t.Errorf("body\n%q\nwant\n%q", r.body, body)
	}
}

// TestContentFormats writes content in each format and reads it back in
// each, on SQLite and PostgreSQL.
func TestContentFormats(t *testing.T) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			e := newAPIEnvOn(t, db)
			owner, _ := e.signUp()
			doc := newDoc(t, owner, "Formats")

			// A new document reads as the editor shows it: one empty paragraph.
			wantBody(t, content(owner, doc, ""), "application/json", `{"type":"doc","content":[{"type":"paragraph"}]}`)
			wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "")

			md := "# Title\n\nHello **world** and [a link](https://example.com).\n\n- one\n- two\n"
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", md, "Content-Type", "text/markdown"), 204)
			wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", md)
			wantBody(t, content(owner, doc, "?format=html"), "text/html; charset=utf-8",
				`<h1>Title</h1><p>Hello <strong>world</strong> and <a target="_blank" rel="noopener noreferrer nofollow" href="https://example.com">a link</a>.</p><ul><li><p>one</p></li><li><p>two</p></li></ul>`)
			wantBody(t, content(owner, doc, "?format=text"), "text/plain; charset=utf-8", "Title\n\nHello world and a link.\n\none\ntwo")
			r := content(owner, doc, "?format=json")
			wantStatus(t, r, 200)
			got, err := prosemirror.ParseJSON(r.body, prosemirror.Limits{})
			if err != nil {
				t.Fatalf("GET json is not a valid document: %v\n%s", err, r.body)
			}
			want, _ := prosemirror.ParseMarkdown([]byte(md), prosemirror.Limits{})
			if !got.Equal(&want) {
				t.Errorf("json %s is not the markdown's document", r.body)
			}

			// HTML in, and the JSON read back goes in again unchanged.
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", `<h2>Two</h2><p>x <em>y</em></p>`, "Content-Type", "text/html; charset=UTF-8"), 204)
			wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "## Two\n\nx *y*\n")
			j := content(owner, doc, "").body
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", string(j)), 204)
			wantBody(t, content(owner, doc, ""), "application/json", string(j))

			// POST appends.
			wantStatus(t, owner.do("POST", "/api/v1/documents/"+doc+"/content", "Appended *here*", "Content-Type", "text/markdown"), 204)
			wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "## Two\n\nx *y*\n\nAppended *here*\n")
			wantStatus(t, owner.do("POST", "/api/v1/documents/"+doc+"/content", `{"type":"doc","content":[{"type":"horizontalRule"}]}`), 204)
			wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "## Two\n\nx *y*\n\nAppended *here*\n\n---\n")

			// Appending to a new document replaces its empty first line.
			doc2 := newDoc(t, owner, "Append")
			wantStatus(t, owner.do("POST", "/api/v1/documents/"+doc2+"/content", "First", "Content-Type", "text/markdown"), 204)
			wantBody(t, content(owner, doc2, "?format=markdown"), "text/markdown; charset=utf-8", "First\n")

			// An empty PUT clears the document.
			wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc2+"/content", "", "Content-Type", "text/markdown"), 204)
			wantBody(t, content(owner, doc2, ""), "application/json", `{"type":"doc","content":[{"type":"paragraph"}]}`)

			// What the API wrote is in the document log, not only in memory.
			st, err := e.docs.Load(context.Background(), doc)
			if err != nil || len(st.Updates) == 0 && st.Snapshot == nil {
				t.Fatalf("log of %s: %+v, %v", doc, st, err)
			}
		})
	}
}

// TestContentNegotiation checks how GET picks its format.
func TestContentNegotiation(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "Negotiation")
	wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", "Hi", "Content-Type", "text/markdown"), 204)
	for _, tc := range []struct {
		query, accept, want string
	}{
		{"", "", "application/json"},
		{"", "*/*", "application/json"},
		{"", "application/json", "application/json"},
		{"", "text/markdown", "text/markdown; charset=utf-8"},
		{"", "text/html", "text/html; charset=utf-8"},
		{"", "text/plain", "text/plain; charset=utf-8"},
		{"", "text/*", "text/markdown; charset=utf-8"},
		{"", "text/html;q=0.5, text/plain", "text/plain; charset=utf-8"},
		{"", "text/*;q=0.2, text/html;q=0.9, */*;q=0.1", "text/html; charset=utf-8"},
		{"", "application/xml, text/html;q=0.1", "text/html; charset=utf-8"},
		{"", "TEXT/MARKDOWN", "text/markdown; charset=utf-8"},
		{"", "*/*, application/json;q=0", "text/markdown; charset=utf-8"},
		{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html; charset=utf-8"}, // a browser
		{"?format=html", "application/xml", "text/html; charset=utf-8"},                                     // format wins
		{"?format=text", "", "text/plain; charset=utf-8"},
		{"?format=json", "text/html", "application/json"},
	} {
		r := content(owner, doc, tc.query, "Accept", tc.accept)
		if r.status != 200 || r.header.Get("Content-Type") != tc.want {
			t.Errorf("%q Accept %q: %d %q, want %q", tc.query, tc.accept, r.status, r.header.Get("Content-Type"), tc.want)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Vary") != "Accept" {
			t.Errorf("%q Accept %q: headers %v", tc.query, tc.accept, r.header)
		}
	}
	for _, accept := range []string{"application/xml", "text/markdown;q=0", "image/*", "application/pdf, text/csv"} {
		wantProblem(t, content(owner, doc, "", "Accept", accept), 406, "not_acceptable")
	}
	for _, q := range []string{"?format=pdf", "?format=", "?format=JSON"} {
		m := wantProblem(t, content(owner, doc, q), 400, "invalid")
		if fmt.Sprint(m["errors"]) == "" || !strings.Contains(string(must(json.Marshal(m))), "format") {
			t.Errorf("%s: %v", q, m)
		}
	}
	// Unknown and inaccessible documents are 404 whatever the format.
	wantProblem(t, content(owner, doc+"x", "", "Accept", "text/html"), 404, "not_found")
	wantProblem(t, content(owner, tandem.NewID(), ""), 404, "not_found")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestContentUploadErrors checks the answers to bad uploads: each is a
// problem+json with a stable code, and none changes the document.
func TestContentUploadErrors(t *testing.T) {
	e := newAPIEnvOn(t, "sqlite", func(_ *app.Config, o *APIOptions) { o.MaxContentBytes = 2000 })
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "Errors")
	path := "/api/v1/documents/" + doc + "/content"
	wantStatus(t, owner.do("PUT", path, "Original", "Content-Type", "text/markdown"), 204)
	big := strings.Repeat("word ", 500)
	for _, tc := range []struct {
		name, method, body, ctype string
		status                    int
		code                      string
	}{
		{"plain text", "PUT", "x", "text/plain", 415, "unsupported_media_type"},
		{"form", "POST", "a=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"no type", "PUT", "", "", 415, "unsupported_media_type"},
		{"latin-1", "PUT", "x", "text/markdown; charset=iso-8859-1", 415, "unsupported_media_type"},
		{"bad type", "PUT", "x", "text/", 415, "unsupported_media_type"},
		{"malformed json", "PUT", `{"type":"doc",`, "application/json", 400, "invalid"},
		{"not a doc", "PUT", `[1,2]`, "application/json", 400, "invalid"},
		{"unknown node", "POST", `{"type":"doc","content":[{"type":"script"}]}`, "application/json", 400, "invalid"},
		{"bad attribute", "PUT", `{"type":"doc","content":[{"type":"heading","attrs":{"level":9}}]}`, "application/json", 400, "invalid"},
		{"empty doc", "PUT", `{"type":"doc"}`, "application/json", 400, "invalid"},
		{"too deep", "PUT", strings.Repeat("> ", 150) + "x", "text/markdown", 413, "too_large"},
		{"over the limit", "PUT", big, "text/markdown", 413, "too_large"},
		{"over the limit, append", "POST", big, "text/html", 413, "too_large"},
	} {
		hdr := []string{"Content-Type", tc.ctype}
		r := owner.do(tc.method, path, tc.body, hdr...)
		m := wantProblem(t, r, tc.status, tc.code)
		if m["detail"] == "" {
			t.Errorf("%s: no detail: %v", tc.name, m)
		}
	}
	// A body over the limit sent without a length (chunked) is cut off.
	req, _ := http.NewRequest("PUT", e.url+path, io.MultiReader(strings.NewReader(big), strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "text/markdown")
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: owner.cookie})
	req.Header.Set(CSRFHeader, owner.csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantProblem(t, response{status: resp.StatusCode, header: resp.Header, body: b}, 413, "too_large")
	wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "Original\n")
	// Creating a document with content has the same limit.
	wantProblem(t, owner.do("POST", "/api/v1/documents", map[string]string{"content": big}), 413, "too_large")

	// A document in the trash takes no edits.
	wantStatus(t, owner.do("POST", "/api/v1/documents/"+doc+"/trash", nil), 204)
	wantProblem(t, owner.do("PUT", path, "New", "Content-Type", "text/markdown"), 409, "conflict")
	// A cookie write without the CSRF token is refused before anything.
	owner.noCSRF = true
	wantProblem(t, owner.do("PUT", path, "New", "Content-Type", "text/markdown"), 403, "forbidden")
}

// TestContentDefaultLimit checks the 4 MiB default upload limit.
func TestContentDefaultLimit(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "Limit")
	body := strings.Repeat("a", DefaultMaxContentBytes+1)
	wantProblem(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", body, "Content-Type", "text/markdown"), 413, "too_large")
	// Just under it a big paragraph goes through (the converters' own limits are higher).
	body = strings.Repeat("word ", (DefaultMaxContentBytes-16)/5)
	wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", body, "Content-Type", "text/markdown"), 204)
}

// TestContentEditTooLargeForTheDocument: the realtime service's document
// size limit holds for REST edits too.
func TestContentEditTooLargeForTheDocument(t *testing.T) {
	e := newAPIEnvWith(t, "sqlite", collab.Config{MaxDocumentBytes: 4096})
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "Small")
	wantProblem(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", strings.Repeat("word ", 2000), "Content-Type", "text/markdown"), 413, "too_large")
	wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "")
}

// TestContentHTMLIsSafe sends the usual script injections in HTML and
// Markdown, and writes hostile values straight into the Yjs document (as a
// misbehaving WebSocket client could); the HTML the API serves carries none
// of them, and is served sandboxed.
func TestContentHTMLIsSafe(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "XSS")
	path := "/api/v1/documents/" + doc + "/content"
	html := `<p>a<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">j</a>` +
		`<a href="https://ok.example" onclick="alert(4)">ok</a><iframe src="https://evil.example"></iframe>` +
		`<svg onload=alert(5)></svg><img src="data:text/html,alert(6)"><style>*{}</style>&lt;b&gt;</p>`
	wantStatus(t, owner.do("PUT", path, html, "Content-Type", "text/html"), 204)
	wantStatus(t, owner.do("POST", path, "<script>alert(7)</script>\n\n[x](javascript:alert(8)) ![i](javascript:alert(9)) `<b>`",
		"Content-Type", "text/markdown"), 204)
	// Hostile attributes and marks written below the API.
	err := e.rt.Edit(context.Background(), doc, func(d *yjs.Doc) error {
		f := d.GetXmlFragment(prosemirror.DefaultField)
		h, err := f.InsertElement(f.Len(), "heading")
		if err != nil {
			return err
		}
		h.SetAttribute("level", `1"><script>alert(10)</script>`)
		x, err := h.InsertText(0)
		if err != nil {
			return err
		}
		return x.InsertWithAttributes(0, "<script>alert(11)</script>", yjs.Attributes{
			"link": map[string]any{"href": "javascript:alert(12)", "target": `"><script>alert(13)</script>`}})
	})
	if err != nil {
		t.Fatal(err)
	}
	r := content(owner, doc, "?format=html")
	wantStatus(t, r, 200)
	body := strings.ToLower(string(r.body))
	for _, bad := range []string{"<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg", "data:", "<style", "<b>"} {
		if strings.Contains(body, bad) {
			t.Errorf("served HTML contains %q:\n%s", bad, r.body)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(11)&lt;/script&gt;") || !strings.Contains(body, "&lt;b&gt;") {
		t.Errorf("text was not kept escaped:\n%s", r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

// TestContentFieldWrittenAsText: a client can put anything under the
// editor's field (here Y.Text content, as a client that took it for a
// Y.Text would); the API reads what is readable and replaces the rest.
func TestContentFieldWrittenAsText(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	doc := newDoc(t, owner, "Odd")
	err := e.rt.Edit(context.Background(), doc, func(d *yjs.Doc) error {
		return d.GetText(prosemirror.DefaultField).Insert(0, "not xml")
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBody(t, content(owner, doc, ""), "application/json", `{"type":"doc","content":[{"type":"paragraph"}]}`)
	wantStatus(t, owner.do("PUT", "/api/v1/documents/"+doc+"/content", "Fixed", "Content-Type", "text/markdown"), 204)
	wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "Fixed\n")
	var ytext string
	e.rt.Read(context.Background(), doc, func(d *yjs.Doc) error {
		f, err := d.RootXmlFragment(prosemirror.DefaultField)
		if err == nil {
			ytext = f.String()
		}
		return err
	})
	if strings.Contains(ytext, "not xml") {
		t.Errorf("the stray text survived the replace: %s", ytext)
	}
}

// TestCreateDocumentWithContent creates documents from Markdown and HTML,
// with and without Idempotency-Key, and checks that failed creates leave
// nothing behind.
func TestCreateDocumentWithContent(t *testing.T) {
	e := newAPIEnvWith(t, "sqlite", collab.Config{MaxDocumentBytes: 64 << 10})
	owner, _ := e.signUp()
	r := owner.do("POST", "/api/v1/documents", map[string]string{"title": "From Markdown", "content": "# Hi\n\nthere"})
	wantStatus(t, r, 201)
	doc := r.json(t)["id"].(string)
	if r.json(t)["title"] != "From Markdown" {
		t.Errorf("created %s", r.body)
	}
	wantBody(t, content(owner, doc, "?format=markdown"), "text/markdown; charset=utf-8", "# Hi\n\nthere\n")

	r = owner.do("POST", "/api/v1/documents", map[string]string{"content": "<h3>Hi</h3><p>there</p>", "content_format": "html"})
	wantStatus(t, r, 201)
	wantBody(t, content(owner, r.json(t)["id"].(string), "?format=markdown"), "text/markdown; charset=utf-8", "### Hi\n\nthere\n")

	// Idempotency-Key: the retry gets the first answer; one document.
	body := map[string]string{"title": "Once", "content": "Only once"}
	r1 := owner.do("POST", "/api/v1/documents", body, "Idempotency-Key", "create-with-content-1")
	r2 := owner.do("POST", "/api/v1/documents", body, "Idempotency-Key", "create-with-content-1")
	wantStatus(t, r1, 201)
	wantStatus(t, r2, 201)
	if r1.json(t)["id"] != r2.json(t)["id"] || r2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %s then %s", r1.body, r2.body)
	}
	wantBody(t, content(owner, r1.json(t)["id"].(string), "?format=text"), "text/plain; charset=utf-8", "Only once")

	count := func() int {
		r := owner.do("GET", "/api/v1/documents", nil)
		wantStatus(t, r, 200)
		return len(r.json(t)["items"].([]any))
	}
	before := count()
	for _, tc := range []struct {
		body   map[string]string
		status int
		code   string
	}{
		{map[string]string{"content": "x", "content_format": "pdf"}, 400, "invalid"},
		{map[string]string{"content_format": "html"}, 400, "invalid"},
		{map[string]string{"content": strings.Repeat("> ", 150)}, 413, "too_large"},
		{map[string]string{"content": "x", "folder_id": tandem.NewID()}, 404, "not_found"},
		// Parses, but is over the document size limit: the write fails
		// after the checks, and nothing is created.
		{map[string]string{"title": "Too big", "content": strings.Repeat("word ", 40000)}, 413, "too_large"},
	} {
		wantProblem(t, owner.do("POST", "/api/v1/documents", tc.body), tc.status, tc.code)
	}
	if n := count(); n != before {
		t.Fatalf("failed creates left documents: %d, was %d", n, before)
	}
	// A read-only token creates nothing, content or not.
	tok := owner.do("POST", "/api/v1/tokens", map[string]string{"name": "ro", "scope": "read"})
	wantStatus(t, tok, 201)
	ro := &client{e: e, bearer: tok.json(t)["token"].(string)}
	wantProblem(t, ro.do("POST", "/api/v1/documents", map[string]string{"content": "x"}), 403, "forbidden")
}

// TestCreateDocumentWithContentRollsBack: when the content write fails,
// App.CreateDocumentWithContent stores no metadata row.
func TestCreateDocumentWithContentRollsBack(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	p := owner.principal()
	var wrote string
	_, err := e.app.CreateDocumentWithContent(context.Background(), p, "Doomed", "", func(ctx context.Context, id string) error {
		wrote = id
		return tandem.Errorf(tandem.CodeUnavailable, "the log is down")
	})
	if tandem.ErrorCode(err) != tandem.CodeUnavailable {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.stores.Documents.Document(context.Background(), p.OrganizationID, wrote); err == nil {
		t.Fatal("the metadata row exists")
	}
}

// TestContentFieldIsTheEditors: the REST API edits the fragment the web
// editor binds (Tiptap Collaboration's field), or editors would never see
// REST edits.
func TestContentFieldIsTheEditors(t *testing.T) {
	src, err := os.ReadFile("../web/src/editor/extensions.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "field: '"+prosemirror.DefaultField+"'") {
		t.Fatalf("web/src/editor/extensions.ts does not bind field %q", prosemirror.DefaultField)
	}
}

// ---- live: a REST edit reaches a connected y-websocket client ----

// liveClient is content_live.mjs running against a document.
type liveClient struct {
	t      *testing.T
	lines  chan string
	stderr *strings.Builder
}

func startLiveClient(t *testing.T, wsURL, doc, token, own string, want1 []string, want2 string) *liveClient {
	t.Helper()
	arg, _ := json.Marshal(map[string]any{"clients": tandemtest.NodeClients(t), "url": wsURL, "doc": doc, "token": token,
		"own": own, "want1": want1, "want2": want2})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	script, _ := filepath.Abs("testdata/js/content_live.mjs")
	cmd := exec.CommandContext(ctx, "node", script, string(arg))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lc := &liveClient{t: t, lines: make(chan string, 8), stderr: &strings.Builder{}}
	cmd.Stderr = lc.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lc.lines <- sc.Text()
		}
		close(lc.lines)
	}()
	t.Cleanup(func() { cancel(); cmd.Wait() })
	return lc
}

// expect waits for the client's next line, which must start with prefix.
func (lc *liveClient) expect(prefix string, within time.Duration) string {
	lc.t.Helper()
	select {
	case l, ok := <-lc.lines:
		if !ok || !strings.HasPrefix(l, prefix) {
			lc.t.Fatalf("node client: got %q (open %v), want %s\nstderr:\n%s", l, ok, prefix, lc.stderr.String())
		}
		return l
	case <-time.After(within):
		lc.t.Fatalf("node client: no %s within %v", prefix, within)
	}
	return ""
}

// TestContentEditSeenLive connects a real y-websocket client (Node,
// WebsocketProvider) to a document; it types a paragraph as a browser
// would; a REST POST appends Markdown and a REST PUT replaces everything;
// the client's Yjs document shows each within seconds.
func TestContentEditSeenLive(t *testing.T) {
	e := newAPIEnv(t)
	owner, _ := e.signUp()
	tok := owner.do("POST", "/api/v1/tokens", map[string]string{"name": "yws", "scope": "read_write"})
	wantStatus(t, tok, 201)
	doc := newDoc(t, owner, "Live")
	wsURL := "ws" + strings.TrimPrefix(e.url, "http") + "/collab"
	testLive(t, owner, doc, wsURL, tok.json(t)["token"].(string))
}

// testLive runs the live scenario against a document reached at wsURL,
// edited through c.
func testLive(t *testing.T, c *client, doc, wsURL, token string) {
	t.Helper()
	lc := startLiveClient(t, wsURL, doc, token, "Typed in the browser",
		[]string{"Typed in the browser", "Appended via REST"}, "Replaced\nall of it")
	lc.expect("SYNCED", 30*time.Second)
	// The client's own paragraph reached the server (so the append below
	// lands after it).
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(content(c, doc, "?format=text").body), "Typed in the browser") {
		if time.Now().After(deadline) {
			t.Fatal("the client's paragraph never reached the server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantStatus(t, c.do("POST", "/api/v1/documents/"+doc+"/content", "Appended **via REST**", "Content-Type", "text/markdown"), 204)
	l := lc.expect("STEP1", 10*time.Second)
	if !strings.Contains(l, `Typed in the browser\nAppended via REST`) {
		t.Errorf("after the append the client has %s", l)
	}
	wantStatus(t, c.do("PUT", "/api/v1/documents/"+doc+"/content", "# Replaced\n\nall *of* it", "Content-Type", "text/markdown"), 204)
	lc.expect("DONE", 10*time.Second)
	wantBody(t, content(c, doc, "?format=markdown"), "text/markdown; charset=utf-8", "# Replaced\n\nall *of* it\n")
}

// TestContentOpenAPI: the OpenAPI document gives the content routes their
// real media types, not JSON alone.
func TestContentOpenAPI(t *testing.T) {
	e := newAPIEnv(t)
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(e.api.OpenAPI(), &spec); err != nil {
		t.Fatal(err)
	}
	ops := spec.Paths["/api/v1/documents/{id}/content"]
	keys := func(m map[string]any) string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	if got := keys(ops["get"].Responses["200"].Content); got != "application/json text/html text/markdown text/plain" {
		t.Errorf("GET answers %s", got)
	}
	for _, m := range []string{"put", "post"} {
		if ops[m].RequestBody == nil || keys(ops[m].RequestBody.Content) != "application/json text/html text/markdown" {
			t.Errorf("%s takes %+v", m, ops[m].RequestBody)
		}
		if _, ok := ops[m].Responses["204"]; !ok {
			t.Errorf("%s: no 204", m)
		}
	}
}

// FuzzContentNegotiation: any Accept header and format parameter gets a
// format or a problem, never a panic, and ?format= always wins.
func FuzzContentNegotiation(f *testing.F) {
	for _, s := range []string{"", "*/*", "text/*;q=0.5, text/html", "a/b;q=x,,;", "*/html", "text/markdown;q=1.5", ";;,/,*"} {
		f.Add(s, "")
		f.Add(s, "html")
	}
	f.Fuzz(func(t *testing.T, accept, format string) {
		r, _ := http.NewRequest("GET", "/x", nil)
		if format != "" {
			q := r.URL.Query()
			q.Set("format", format)
			r.URL.RawQuery = q.Encode()
		}
		r.Header.Set("Accept", accept)
		got, err := negotiateContent(r)
		if err != nil {
			if c := tandem.ErrorCode(err); c != tandem.CodeInvalid && c != codeNotAcceptable {
				t.Fatalf("error code %q", c)
			}
			return
		}
		if format != "" && got.name != format {
			t.Fatalf("format %q gave %q", format, got.name)
		}
	})
}
