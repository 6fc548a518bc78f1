// Package logrow is the packed form in which both document logs (sqlite
// and postgres) store what one append brings for one document and writer:
// one row holding the entries' updates, each preceded by its seq's offset
// from the row's first seq and its length (unsigned varints). One row per
// (document, writer) and append keeps the row count, and so the per-row
// cost of the databases, independent of the update rate.
package logrow

import (
	"encoding/binary"
	"errors"

	"github.com/tandem-docs/tandem"
)

// Row is what one append stores for one (document, writer): the entries
// with seqs First..Last, packed into Data.
type Row struct {
	Document    string
	Writer      string
	First, Last uint64
	Data        []byte
}

// Group packs the entries of each (document, writer) into one row, in
// order of first appearance. The seqs of one document's writer must
// increase within entries.
func Group(entries []tandem.LogEntry) ([]Row, error) {
	type key struct{ document, writer string }
	var rows []Row
	index := map[key]int{}
	for _, e := range entries {
		k := key{e.Document, e.Writer}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, Row{Document: e.Document, Writer: e.Writer, First: e.Seq, Last: e.Seq - 1})
		}
		r := &rows[i]
		if e.Seq <= r.Last {
			return nil, tandem.Invalid("entries", "sequence numbers of a document's writer must increase within a batch")
		}
		r.Data = binary.AppendUvarint(r.Data, e.Seq-r.First)
		r.Data = binary.AppendUvarint(r.Data, uint64(len(e.Update)))
		r.Data = append(r.Data, e.Update...)
		r.Last = e.Seq
	}
	return rows, nil
}

// ErrCorrupt reports a row whose packed data does not decode.
var ErrCorrupt = errors.New("corrupt log row")

// Decode appends to dst the entries of a stored row with seq > after. The
// updates alias data.
func Decode(dst []tandem.LogEntry, document, writer string, first uint64, data []byte, after uint64) ([]tandem.LogEntry, error) {
	for len(data) > 0 {
		d, n := binary.Uvarint(data)
		if n <= 0 {
			return dst, ErrCorrupt
		}
		data = data[n:]
		size, n := binary.Uvarint(data)
		if n <= 0 || size > uint64(len(data)-n) {
			return dst, ErrCorrupt
		}
		data = data[n:]
		if seq := first + d; seq > after {
			dst = append(dst, tandem.LogEntry{Document: document, Writer: writer, Seq: seq, Update: data[:size:size]})
		}
		data = data[size:]
	}
	return dst, nil
}

// Append adds b's entries after r's, in place (r.Data grows; it must not
// be shared). b must be of the same document and writer, with seqs above
// r's.
func (r *Row) Append(b Row) error {
	if r.Document != b.Document || r.Writer != b.Writer || b.First <= r.Last {
		return errors.New("logrow: rows to concatenate are not consecutive entries of one writer")
	}
	for data := b.Data; len(data) > 0; {
		d, n := binary.Uvarint(data)
		if n <= 0 {
			return ErrCorrupt
		}
		data = data[n:]
		size, n := binary.Uvarint(data)
		if n <= 0 || size > uint64(len(data)-n) {
			return ErrCorrupt
		}
		r.Data = binary.AppendUvarint(r.Data, b.First-r.First+d)
		r.Data = append(r.Data, data[:n+int(size)]...)
		data = data[n+int(size):]
	}
	r.Last = b.Last
	return nil
}
