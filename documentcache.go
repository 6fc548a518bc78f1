package tandem

import "context"

// DocumentCache keeps documents' metadata (organization, title, folder,
// trash state) close at hand, because the API and the realtime service read
// it on every request and every connection. It holds metadata only, never
// permissions or grants: a revocation must take effect at once, so those
// are always read from the store.
//
// A cache may lose entries or be unreachable at any time; its users then
// read the store. Entries live for a short time (seconds) and the App
// invalidates a document's entry after every write that changes its
// metadata, so another instance sharing the cache sees the change on its
// next read.
type DocumentCache interface {
	// Document returns the cached metadata of document id in organizationID;
	// ok is false on a miss.
	Document(ctx context.Context, organizationID, id string) (d Document, ok bool, err error)
	// Fill caches d as read from the store. It must not overwrite an entry
	// invalidated a moment ago: a read that began before a write may finish
	// after the write's invalidation, and its result is stale.
	Fill(ctx context.Context, d Document) error
	// Invalidate drops the document's entry (after its metadata changed or
	// it was deleted).
	Invalidate(ctx context.Context, organizationID, id string) error
}
