package app

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-docs/tandem"
)

// normalizeEmail checks an email address and returns it lower-cased.
func normalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", tandem.Invalid(field, "an email address is required")
	}
	if len(s) > 254 {
		return "", tandem.Invalid(field, "the email address is too long")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", tandem.Invalid(field, "not an email address")
	}
	return strings.ToLower(s), nil
}

// cleanText checks a short single-line text (a name, a title): valid UTF-8,
// no control characters, at most max characters. Surrounding spaces go.
func cleanText(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", tandem.Invalid(field, "not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	if s == "" && required {
		return "", tandem.Invalid(field, "must not be empty")
	}
	if utf8.RuneCountInString(s) > max {
		return "", tandem.Invalid(field, "too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", tandem.Invalid(field, "must not contain control characters")
		}
	}
	return s, nil
}

// checkID rejects anything that is not an id before it reaches a store.
func checkID(field, id string) error {
	if !tandem.ValidID(id) {
		return tandem.Invalid(field, "not a valid id")
	}
	return nil
}

// checkOptionalID is checkID where "" (none, the top level) is allowed.
func checkOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return checkID(field, id)
}

const (
	maxNameLen  = 100
	maxTitleLen = 300
)
