package tandem

import (
	"strings"
	"unicode"
)

// foldTitle lower-cases a title and drops leading spaces so that sorting by
// title is case-insensitive and the same in every database (stores sort by
// this key with byte order, not by a database collation).
func foldTitle(s string) string {
	return strings.ToLower(strings.TrimLeftFunc(s, unicode.IsSpace))
}
