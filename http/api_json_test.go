package http

import (
	"encoding/json"
	"testing"
	"time"
)

// TestJSONTimeWritesLikeTime checks that jsonTime, the documents' faster
// time encoding, writes and reads exactly what time.Time does.
func TestJSONTimeWritesLikeTime(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 6, time.FixedZone("", -7*3600)),
	} {
		want, err := json.Marshal(struct{ T, P *time.Time }{&tm, nil})
		if err != nil {
			t.Fatal(err)
		}
		jt := jsonTime(tm)
		got, err := json.Marshal(struct{ T, P *jsonTime }{&jt, nil})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("jsonTime writes %s, time.Time %s", got, want)
		}
		var back struct{ T jsonTime }
		if err := json.Unmarshal(got, &back); err != nil || !time.Time(back.T).Equal(tm) {
			t.Errorf("reading %s back: %v, %v", got, time.Time(back.T), err)
		}
	}
}
