package collab

import (
	"context"

	tandem "github.com/tandem-docs/tandem"
)

// What a connection may do with a document is a tandem.Access:
//
//   - tandem.AccessNone: it may not open the document. It is closed with
//     4403 (y-websocket) or told PermissionDenied (Hocuspocus).
//   - tandem.AccessReadOnly: it receives the document and the awareness of
//     others; its updates are never applied and it is told so.
//   - tandem.AccessReadWrite: full editing.
//
// Clients present tandem.Credentials: a token (the y-websocket ?token=
// parameter or the Hocuspocus Auth message) and the value of the session
// cookie sent with the WebSocket handshake, either possibly empty.

// Grant is the result of authorizing credentials for one document: who the
// user is (for logs and revocations by user) and their access.
type Grant struct {
	UserID   string
	UserName string
	Access   tandem.Access
}

// Authorizer resolves credentials to a user and their access to a
// document. The App service implements it over its sharing rules.
//
// Authorize returns an error only when it cannot decide (its store is
// down, say): the client is then closed with 1013 and retries. Unknown or
// expired credentials and documents the user may not open are not errors
// but a Grant with tandem.AccessNone. Authorize must be safe for concurrent
// use and is called off the event loop, so it may block on I/O.
type Authorizer interface {
	Authorize(ctx context.Context, cred tandem.Credentials, document string) (Grant, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, cred tandem.Credentials, document string) (Grant, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, cred tandem.Credentials, document string) (Grant, error) {
	return f(ctx, cred, document)
}
