package collab

import (
	"context"
	"fmt"
)

// Permission is what a connection may do with one document.
type Permission int

// Permissions, weakest first.
const (
	// PermissionNone: the connection may not open the document. It is
	// closed with 4403 (y-websocket) or told PermissionDenied (Hocuspocus).
	PermissionNone Permission = iota
	// PermissionReadOnly: the connection receives the document and the
	// awareness of others; its updates are never applied and it is told so.
	PermissionReadOnly
	// PermissionReadWrite: full editing.
	PermissionReadWrite
)

func (p Permission) String() string {
	switch p {
	case PermissionNone:
		return "none"
	case PermissionReadOnly:
		return "read-only"
	case PermissionReadWrite:
		return "read-write"
	}
	return fmt.Sprintf("Permission(%d)", int(p))
}

// Credentials are what a client presented: a token (the y-websocket
// ?token= parameter or the Hocuspocus Auth message) and the value of the
// session cookie sent with the WebSocket handshake, either possibly empty.
type Credentials struct {
	Token         string
	SessionCookie string
}

// Access is the result of authorizing credentials for one document.
type Access struct {
	UserID     string
	UserName   string
	Permission Permission
}

// Authorizer resolves credentials to a user and their permission on a
// document. The App service implements it over its sharing rules.
//
// Authorize returns an error only when it cannot decide (its store is
// down, say): the client is then closed with 1013 and retries. Unknown or
// expired credentials and documents the user may not open are not errors
// but Access with PermissionNone. Authorize must be safe for concurrent use
// and is called off the event loop, so it may block on I/O.
type Authorizer interface {
	Authorize(ctx context.Context, cred Credentials, document string) (Access, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, cred Credentials, document string) (Access, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, cred Credentials, document string) (Access, error) {
	return f(ctx, cred, document)
}
