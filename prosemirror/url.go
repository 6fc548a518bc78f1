package prosemirror

import (
	"strings"
	"unicode"
)

// SafeLinkURL reports whether href may be the target of a link in output
// Tandem produces: http, https and mailto URLs and relative references
// (paths, fragments, queries, protocol-relative URLs). Browsers ignore
// ASCII tabs and newlines and strip leading control characters and spaces
// in URLs, so those are removed before the scheme is read, as Tiptap's
// isAllowedUri removes whitespace.
func SafeLinkURL(href string) bool {
	return urlSchemeAllowed(href, "http", "https", "mailto")
}

// SafeImageURL reports whether src may be the source of an image: http
// and https URLs and relative references. data: URLs are refused, as
// Tiptap's Image extension does by default.
func SafeImageURL(src string) bool {
	return src != "" && urlSchemeAllowed(src, "http", "https")
}

func urlSchemeAllowed(u string, schemes ...string) bool {
	clean := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f || unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, u)
	i := strings.IndexAny(clean, ":/?#")
	if i < 0 || clean[i] != ':' {
		return true // no scheme: a relative reference
	}
	scheme := clean[:i]
	if scheme == "" {
		return false // ":foo" is not a URL anyone means
	}
	for j, c := range scheme {
		isAlpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !isAlpha && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			// Not a scheme by RFC 3986, so a browser reads the whole
			// string as a relative path ("a b:c" after cleaning is "ab:c",
			// which is a scheme; this branch is for characters like "%").
			return false
		}
	}
	for _, s := range schemes {
		if strings.EqualFold(scheme, s) {
			return true
		}
	}
	return false
}
