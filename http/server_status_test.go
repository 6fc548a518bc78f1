package http

import "testing"

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{0: "other", 99: "other", 100: "100", 200: "200", 404: "404", 599: "599", 600: "other", -1: "other"} {
		if got := statusText(code); got != want {
			t.Errorf("statusText(%d) = %q, want %q", code, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { statusText(503) }); n != 0 {
		t.Errorf("statusText allocates %v times", n)
	}
}
