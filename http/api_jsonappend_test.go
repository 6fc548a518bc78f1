package http

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// The hand-written encoding of documents must be byte for byte what
// encoding/json writes for the same values, whatever the strings hold.
func TestDocumentJSONAppend(t *testing.T) {
	strs := []string{"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\rcr\bbs\fff",
		"\x00\x01\x1f\x7f", "héllo wörld ✓ 𝄞", "line\u2028sep\u2029para", "bad \xff utf8 \xc3", "\xe2\x80", "end\xe2\x80\xa8"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := rng.IntN(12)
		b := make([]byte, n)
		for i := range b {
			// Mostly the interesting bytes: controls, quotes, HTML,
			// and pieces of multi-byte sequences.
			b[i] = []byte{0, 0x1f, '"', '\\', '<', '>', '&', 'a', 0x7f, 0x80, 0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0xff}[rng.IntN(16)]
		}
		strs = append(strs, string(b))
	}
	times := []time.Time{
		time.Date(2026, 11, 27, 13, 55, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 3600)),
		{},
		time.Date(2026, 6, 7, 8, 9, 10, 100, time.UTC),
		time.Date(2026, 6, 7, 8, 9, 10, 120000000, time.UTC),
		time.Date(2026, 6, 7, 8, 9, 10, 1, time.UTC),
		time.Date(9, 10, 11, 0, 0, 0, 5000, time.UTC),
		time.Date(2026, 6, 7, 8, 9, 10, 0, time.Local),
	}
	yes, no := true, false
	var docs []documentJSON
	for i, s := range strs {
		tm := times[i%len(times)]
		d := documentJSON{ID: s, OrganizationID: "org" + s, Title: s, CreatedBy: s,
			CreatedAt: jsonTime(tm), UpdatedAt: jsonTime(times[(i+1)%len(times)])}
		if i%2 == 0 {
			d.FolderID = &strs[i]
			tt := jsonTime(tm)
			d.TrashedAt = &tt
		}
		switch i % 3 {
		case 0:
			d.Role, d.Favorite = &strs[i], &yes
		case 1:
			d.Favorite = &no
		}
		docs = append(docs, d)
	}
	cursor := "next\u2028<&>"
	pages := []documentPageJSON{{}, {Items: []documentJSON{}}, {Items: docs[:1], NextCursor: &cursor}, {Items: docs}}
	for _, d := range docs {
		compareJSON(t, d)
	}
	for _, p := range pages {
		compareJSON(t, p)
	}

	// The list handler's page, written from the App's items, is the JSON
	// of toDocumentPage.
	roles := []tandem.DocRole{"", tandem.DocRoleViewer, tandem.DocRoleCommenter, tandem.DocRoleEditor, tandem.DocRoleOwner}
	var page app.DocumentPage
	for i, s := range strs {
		d := tandem.Document{ID: s, OrganizationID: "o" + s, Title: s + "t", CreatedBy: s,
			CreatedAt: times[i%len(times)], UpdatedAt: times[(i+2)%len(times)]}
		if i%3 == 0 {
			d.FolderID = s
		}
		if i%4 == 1 {
			tm := times[(i+1)%len(times)]
			d.TrashedAt, d.TrashedBy = &tm, s
		}
		page.Items = append(page.Items, app.DocumentListItem{DocumentItem: tandem.DocumentItem{Document: d, Favorite: i%2 == 0},
			Role: roles[i%len(roles)]})
	}
	for _, p := range []app.DocumentPage{{}, {Items: page.Items[:3], NextCursor: "abc<&>\u2028"}, page} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(toDocumentPage(p)); err != nil {
			t.Fatal(err)
		}
		compareJSONTo(t, documentPage{p}, want.Bytes())
	}
}

func compareJSON(t *testing.T, v jsonAppender) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(v); err != nil {
		t.Fatal(err)
	}
	compareJSONTo(t, v, want.Bytes())
}

// compareJSONTo checks that v writes want (with json.Encoder's newline),
// itself and through writeJSON.
func compareJSONTo(t *testing.T, v jsonAppender, want []byte) {
	t.Helper()
	got, err := v.appendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("appendJSON wrote\n%q\nencoding/json writes\n%q", got, want)
	}
	// writeJSON takes the same path, and encoding/json agrees.
	rec := httptest.NewRecorder()
	writeJSON(rec, 200, v)
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("writeJSON wrote\n%q\nencoding/json writes\n%q", rec.Body.Bytes(), want)
	}
	var enc bytes.Buffer
	if err := json.NewEncoder(&enc).Encode(v); err != nil || !bytes.Equal(enc.Bytes(), want) {
		t.Fatalf("encoding/json wrote\n%q (%v)\nwant\n%q", enc.Bytes(), err, want)
	}
}

// A time encoding/json cannot write fails the same way in the appender:
// the response is then a 500, not half a body.
func TestDocumentJSONAppendBadTime(t *testing.T) {
	d := documentJSON{CreatedAt: jsonTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))}
	if _, err := json.Marshal(d); err == nil {
		t.Fatal("encoding/json wrote a year past 9999")
	}
	if _, err := d.appendJSON(nil); err == nil {
		t.Fatal("appendJSON wrote a year past 9999")
	}
	rec := httptest.NewRecorder()
	writeJSON(rec, 200, documentPageJSON{Items: []documentJSON{d}})
	if rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
}

func BenchmarkDocumentPageJSON(b *testing.B) {
	now := time.Now().UTC()
	fav, role, folder := true, "editor", "01JDQ1Z0000000000000000000"
	page := documentPageJSON{}
	for range 50 {
		page.Items = append(page.Items, documentJSON{ID: "01JDQ1Z0000000000000000001", OrganizationID: "01JDQ1Z0000000000000000002",
			FolderID: &folder, Title: "Quarterly planning notes", CreatedBy: "01JDQ1Z0000000000000000003",
			CreatedAt: jsonTime(now), UpdatedAt: jsonTime(now), Role: &role, Favorite: &fav})
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			json.NewEncoder(&buf).Encode(page)
		}
	})
	var ap app.DocumentPage
	for _, d := range page.Items {
		ap.Items = append(ap.Items, app.DocumentListItem{DocumentItem: tandem.DocumentItem{Document: tandem.Document{ID: d.ID,
			OrganizationID: d.OrganizationID, FolderID: *d.FolderID, Title: d.Title, CreatedBy: d.CreatedBy, CreatedAt: now, UpdatedAt: now},
			Favorite: true}, Role: tandem.DocRoleEditor})
	}
	b.Run("append-page", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = documentPage{ap}.appendJSON(buf[:0])
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = page.appendJSON(buf[:0])
		}
	})
}
