package logrow

import (
	"bytes"
	"errors"
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
