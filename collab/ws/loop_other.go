//go:build !linux

package ws

import (
	"errors"
	"net/http"
)

// The event loop uses epoll; Tandem's realtime service runs on Linux. On
// other systems the package builds, so that the rest of the module does,
// but NewLoop fails.

var errUnsupported = errors.New("ws: the event loop needs Linux (epoll)")

// Loop is unavailable on this system.
type Loop struct{}

// Conn is unavailable on this system.
type Conn struct{ session any }

// NewLoop reports that the event loop needs Linux.
func NewLoop(Config) (*Loop, error) { return nil, errUnsupported }

func (l *Loop) Upgrade(w http.ResponseWriter, r *http.Request, h Handler, session any) (*Conn, error) {
	http.Error(w, errUnsupported.Error(), http.StatusNotImplemented)
	return nil, errUnsupported
}
func (l *Loop) Dial(addr, path string, header http.Header, h Handler, session any) (*Conn, error) {
	return nil, errUnsupported
}
func (l *Loop) Len() int                             { return 0 }
func (l *Loop) CloseAll(code int, reason string)     {}
func (l *Loop) Close()                               {}
func (c *Conn) Session() any                         { return c.session }
func (c *Conn) Queue(msg []byte) bool                { return false }
func (c *Conn) QueueFrame(frame []byte) bool         { return false }
func (c *Conn) QueueParts(a, p []byte) bool          { return false }
func (c *Conn) QueueShared(head, shared []byte) bool { return false }
func (c *Conn) Flush()                               {}
func (c *Conn) Send(msg []byte)                      {}
func (c *Conn) Pending() int                         { return 0 }
func (c *Conn) Close(code int, reason string)        {}
func (c *Conn) CloseErr() *CloseError                { return nil }
