package http

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// jsonAppender is a response body that writes its JSON itself, byte for
// byte what encoding/json would write for it (without the final newline).
// The document list is the API's most requested body: encoding/json's
// reflection over 50 items cost about a fifth of the server's CPU for the
// list (profiles of bench/api), the appender a third of that, without
// allocating. Tests compare both encodings (TestDocumentJSONAppend).
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, error)
}

func (p documentPageJSON) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"items":`...)
	if p.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Items {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = p.Items[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	b = appendOptString(b, p.NextCursor)
	return append(b, '}'), nil
}

func (d documentJSON) appendJSON(b []byte) ([]byte, error) {
	var folder string
	if d.FolderID != nil {
		folder = *d.FolderID
	}
	var trashed *time.Time
	if d.TrashedAt != nil {
		t := time.Time(*d.TrashedAt)
		trashed = &t
	}
	return appendDocument(b, tandem.Document{ID: d.ID, OrganizationID: d.OrganizationID, FolderID: folder, Title: d.Title,
		CreatedBy: d.CreatedBy, CreatedAt: time.Time(d.CreatedAt), UpdatedAt: time.Time(d.UpdatedAt), TrashedAt: trashed},
		d.FolderID != nil, d.Role, d.Favorite)
}

// documentPage is a page of documents that writes itself straight from
// the App's page: the JSON of toDocumentPage, without building it (three
// allocations an item).
type documentPage struct{ app.DocumentPage }

func (p documentPage) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"items":[`...)
	for i := range p.Items {
		if i > 0 {
			b = append(b, ',')
		}
		it := &p.Items[i]
		var role *string
		if it.Role != "" {
			r := string(it.Role)
			role = &r
		}
		var err error
		if b, err = appendDocument(b, it.Document, it.FolderID != "", role, &it.Favorite); err != nil {
			return b, err
		}
	}
	b = append(b, `],"next_cursor":`...)
	if p.NextCursor == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, p.NextCursor)
	}
	return append(b, '}'), nil
}

// MarshalJSON keeps encoding/json (the idempotency replay, tests) writing
// the same document as appendJSON.
func (p documentPage) MarshalJSON() ([]byte, error) {
	return json.Marshal(toDocumentPage(p.DocumentPage))
}

// appendDocument writes the JSON of documentJSON: d, with folder_id null
// unless hasFolder, role and favorite null when nil.
func appendDocument(b []byte, d tandem.Document, hasFolder bool, role *string, favorite *bool) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = appendJSONString(b, d.ID)
	b = append(b, `,"organization_id":`...)
	b = appendJSONString(b, d.OrganizationID)
	b = append(b, `,"folder_id":`...)
	if hasFolder {
		b = appendJSONString(b, d.FolderID)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"title":`...)
	b = appendJSONString(b, d.Title)
	b = append(b, `,"created_by":`...)
	b = appendJSONString(b, d.CreatedBy)
	b = append(b, `,"created_at":`...)
	if b, err = appendJSONTime(b, d.CreatedAt); err != nil {
		return b, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = appendJSONTime(b, d.UpdatedAt); err != nil {
		return b, err
	}
	b = append(b, `,"trashed_at":`...)
	if d.TrashedAt == nil {
		b = append(b, "null"...)
	} else if b, err = appendJSONTime(b, *d.TrashedAt); err != nil {
		return b, err
	}
	b = append(b, `,"role":`...)
	b = appendOptString(b, role)
	b = append(b, `,"favorite":`...)
	switch {
	case favorite == nil:
		b = append(b, "null"...)
	case *favorite:
		b = append(b, "true"...)
	default:
		b = append(b, "false"...)
	}
	return append(b, '}'), nil
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONTime writes t as time.Time.MarshalText does (RFC 3339 with
// fractional seconds, quoted), failing as it does for years it cannot
// write.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, errors.New("Time.MarshalText: year outside of range [0,9999]")
	}
	b = append(b, '"')
	if t.Location() != time.UTC {
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	// The stores' times are UTC: written by hand, as AppendFormat would,
	// at a fraction of its cost (it parses the layout every time).
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		// Nine digits, trailing zeros dropped.
		var frac [9]byte
		for i := 8; i >= 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 9
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, '.')
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z', '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on
// (json.Encoder's default): <, > and & as \u00XX, U+2028 and U+2029
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
