package ws

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUpgradedSocketIsNonBlocking: the loop takes over Go's socket without
// setting O_NONBLOCK itself (the duplicate shares Go's flags); a blocking
// descriptor would stall the poller on the first full socket buffer.
func TestUpgradedSocketIsNonBlocking(t *testing.T) {
	l, err := NewLoop(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := l.Upgrade(w, r, &echo{}, nil); err == nil {
			got <- c
		}
	}))
	defer srv.Close()
	nc, _ := rawConn(t, strings.TrimPrefix(srv.URL, "http://"))
	defer nc.Close()
	c := <-got
	flags, err := unix.FcntlInt(uintptr(c.fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Fatalf("the upgraded socket is blocking (flags %#x)", flags)
	}
}
