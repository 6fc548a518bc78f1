//go:build linux

package ws

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// closeAtOnce is a WebSocket server that answers the handshake and, in the
// same write, closes the connection (close frame, then FIN): what collab
// does to a client over a limit. The client reads the close frame with the
// handshake response.
func closeAtOnce(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
					acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
				nc.Write(append([]byte(resp), 0x88, 0x02, 0x03, 0xf5)) // close 1013
				nc.(*net.TCPConn).CloseWrite()
				time.Sleep(5 * time.Second)
			}()
		}
	}()
	return ln.Addr().String()
}

// stealer is a client handler whose Closed callback opens a blocking
// socket on the descriptor number the closed connection just gave back,
// as a Dial on another goroutine does (its handshake runs blocking).
type stealer struct {
	t      *testing.T
	target *net.TCPAddr
	fd     chan int
}

func (s *stealer) Message(c *Conn, msg []byte, b *Batch) {}
func (s *stealer) Closed(c *Conn, err *CloseError) {
	fd, serr := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if serr != nil {
		s.t.Error(serr)
		s.fd <- -1
		return
	}
	sa := &syscall.SockaddrInet4{Port: s.target.Port}
	copy(sa.Addr[:], s.target.IP.To4())
	if err := syscall.Connect(fd, sa); err != nil {
		s.t.Error(err)
	}
	if fd != c.fd {
		// Put it on the number the closed connection had.
		if err := syscall.Dup3(fd, c.fd, syscall.O_CLOEXEC); err != nil {
			s.t.Error(err)
		}
		syscall.Close(fd)
		fd = c.fd
	}
	s.fd <- fd
}

// TestCloseWithTheHandshakeDoesNotTouchTheDescriptorAgain: a connection
// whose close frame arrived with the handshake response is torn down while
// its early bytes are parsed; the loop must not read its descriptor
// afterwards, since that number may already be a new socket. (It did: a
// fresh client's blocking handshake lost its response to the loop, or the
// loop blocked in read on the new socket and every connection stalled.)
func TestCloseWithTheHandshakeDoesNotTouchTheDescriptorAgain(t *testing.T) {
	_, _, echoAddr := startEcho(t, Config{})
	cl, err := NewLoop(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	// A peer that accepts and never writes: a blocking read on a socket
	// connected to it waits until it closes, which (cleanups run last
	// first) comes before the loop is closed.
	silent, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	addr := closeAtOnce(t)
	for i := range 20 {
		s := &stealer{t: t, target: silent.Addr().(*net.TCPAddr), fd: make(chan int, 1)}
		if _, err := cl.Dial(addr, "/", nil, s, nil); err != nil {
			t.Fatal(err)
		}
		var fd int
		select {
		case fd = <-s.fd:
		case <-time.After(5 * time.Second):
			t.Fatal("the close that came with the handshake was not delivered")
		}
		// The loop must still serve its other connections.
		k := newCollect()
		c, err := cl.Dial(echoAddr, "/", nil, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Send([]byte("ping " + strings.Repeat("x", i)))
		deadline := time.Now().Add(3 * time.Second)
		for {
			k.mu.Lock()
			n := len(k.msgs)
			k.mu.Unlock()
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the loop stalled after a connection closed with its handshake", i)
			}
			time.Sleep(time.Millisecond)
		}
		c.Close(CloseNormal, "")
		syscall.Close(fd)
	}
}
