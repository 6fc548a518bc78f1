package tandem

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// crockford is Crockford's base32 alphabet, in ascending ASCII order, so that
// ids sort as strings in the order they were made.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new 26-character id: 48 bits of milliseconds since the
// Unix epoch followed by 80 random bits, in lower-case Crockford base32 (the
// ULID layout). Ids made later sort later (to the millisecond), which keeps
// primary-key indexes append-mostly and gives cursors a stable order.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:]) // crypto/rand.Read never fails
	// 128 bits in 26 groups of 5 bits, the first group taking the top 3.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the shape of an id made by NewID. Stores and
// handlers use it to reject junk before it reaches a query.
func ValidID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u') {
			return false
		}
	}
	return true
}
