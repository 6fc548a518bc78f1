package main

import (
	"testing"
	"time"
)

func TestAccessDuration(t *testing.T) {
	for _, c := range []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{`{"time":"x","level":"INFO","msg":"request","request_id":"a","status":200,"duration_ms":0.314,"bytes":16957}`, 314 * time.Microsecond, true},
		{`{"level":"INFO","msg":"request","duration_ms":12}`, 12 * time.Millisecond, true},
		{`{"level":"INFO","msg":"tandem started","duration_ms":1}`, 0, false}, // not an access-log line
		{`{"level":"INFO","msg":"request","duration_ms":"x"}`, 0, false},
		{`{"level":"INFO","msg":"request"}`, 0, false},
		{`gc 1 @0.01s 2%: ...`, 0, false},
	} {
		got, ok := accessDuration([]byte(c.line))
		if ok != c.ok || (ok && (got-c.want).Abs() > time.Microsecond) {
			t.Errorf("accessDuration(%s) = %v, %v; want %v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}
