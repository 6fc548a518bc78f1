package logrow

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/tandem-docs/tandem"
)

func TestGroupDecodeRoundTrip(t *testing.T) {
	in := []tandem.LogEntry{
		{Document: "a", Writer: "w1", Seq: 3, Update: []byte("u3")},
		{Document: "b", Writer: "w1", Seq: 1, Update: []byte("b1")},
		{Document: "a", Writer: "w1", Seq: 5, Update: []byte("u5")},
		{Document: "a", Writer: "w2", Seq: 1, Update: []byte("x1")},
	}
	rows, err := Group(in)
	if err != nil || len(rows) != 3 || rows[0].Document != "a" || rows[0].First != 3 || rows[0].Last != 5 {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	got, err := Decode(nil, "a", "w1", rows[0].First, rows[0].Data, 3)
	if err != nil || len(got) != 1 || got[0].Seq != 5 || !bytes.Equal(got[0].Update, []byte("u5")) {
		t.Fatalf("after 3: %+v, %v", got, err)
	}
	if _, err := Group([]tandem.LogEntry{in[2], in[0]}); tandem.ErrorCode(err) != tandem.CodeInvalid {
		t.Fatalf("decreasing seqs: %v", err)
	}
	for _, bad := range [][]byte{{0x80}, {0, 0x80}, {0, 5, 'x'}} {
		if _, err := Decode(nil, "a", "w", 1, bad, 0); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Decode(%x) = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestAppend(t *testing.T) {
	a, _ := Group([]tandem.LogEntry{{Document: "d", Writer: "w", Seq: 3, Update: []byte("u3")}, {Document: "d", Writer: "w", Seq: 4, Update: []byte("u4")}})
	b, _ := Group([]tandem.LogEntry{{Document: "d", Writer: "w", Seq: 7, Update: []byte("u7")}, {Document: "d", Writer: "w", Seq: 300, Update: []byte("u300")}})
	concat := func(x, y Row) (Row, error) {
		x.Data = append([]byte(nil), x.Data...)
		err := x.Append(y)
		return x, err
	}
	row, err := concat(a[0], b[0])
	if err != nil || row.First != 3 || row.Last != 300 {
		t.Fatalf("Append = %+v, %v", row, err)
	}
	got, err := Decode(nil, "d", "w", row.First, row.Data, 0)
	if err != nil || len(got) != 4 {
		t.Fatalf("Decode = %+v, %v", got, err)
	}
	for i, want := range []uint64{3, 4, 7, 300} {
		if got[i].Seq != want || string(got[i].Update) != "u"+fmt.Sprint(want) {
			t.Fatalf("entry %d = %+v, want seq %d", i, got[i], want)
		}
	}
	if _, err := concat(b[0], a[0]); err == nil {
		t.Fatal("Append of rows out of order succeeded")
	}
	other := a[0]
	other.Writer = "x"
	if _, err := concat(other, b[0]); err == nil {
		t.Fatal("Append of two writers' rows succeeded")
	}
	bad := b[0]
	bad.Data = []byte{0, 5, 'x'}
	if _, err := concat(a[0], bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Append of a corrupt row = %v", err)
	}
}
