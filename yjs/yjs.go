// Package yjs is a Yjs CRDT: documents, shared types, the update formats
// v1 and v2, and the y-protocols sync and awareness messages. It is exact:
// for the same document state it encodes the same bytes as yjs 13.6.33, and
// the same edits made here and in yjs produce the same updates. The tests
// check this against the real yjs, driven by Node (testdata/js).
//
// # Documents
//
// A Doc holds shared types by name: Text (rich text), Map, Array, and the
// XML types XmlFragment, XmlElement and XmlText that ProseMirror and Tiptap
// use (through y-prosemirror). Edits go through the types' methods, each in
// its own transaction unless grouped with Doc.Transact. After each
// transaction the observers run, then OnUpdate and OnUpdateV2 handlers
// receive the transaction's changes as an update to send to peers.
//
// ApplyUpdate and ApplyUpdateV2 integrate updates from peers in any order:
// structs whose dependencies are missing are kept until those arrive, as in
// yjs. A malformed update is refused with an error wrapping ErrMalformed
// and leaves the document unchanged. EncodeStateVector and
// EncodeStateAsUpdate produce what a peer needs to catch up.
//
// Positions and lengths in texts count UTF-16 code units, as in JavaScript
// and in every Yjs peer. Editing at a position inside a surrogate pair
// turns both halves into U+FFFD, as yjs does.
//
// # Updates without documents
//
// MergeUpdates, DiffUpdate, EncodeStateVectorFromUpdate and the v1/v2
// conversions work on encoded updates alone, for servers that store and
// forward updates without loading documents.
//
// # Protocols
//
// The y-protocols messages are functions over bytes: AppendSyncStep1,
// AppendSyncStep2, AppendSyncUpdate and ReadSyncMessage for sync, and
// EncodeAwarenessUpdate, DecodeAwarenessUpdate and Awareness for presence.
//
// # Limits
//
// A Doc stores clocks in 32 bits and numbers clients in 24 bits: an update
// that needs more (a client that made four billion edits, sixteen million
// clients in one document) is refused, and so is a local edit, with
// ErrTooLarge, as is text beyond 4 GiB. Decoders refuse lengths beyond the
// input, nesting deeper than 2,000 levels, and more structs than an update
// of its size can describe (see maxBlocks). Nothing in the package panics
// on input: GetText and its siblings panic on a root of another kind, like
// regexp.MustCompile, for names the program controls; RootText and its
// siblings return ErrTypeMismatch instead.
//
// # Server-side edits
//
// TransactUpdate runs a function in a transaction and returns its update,
// for a server that edits documents itself (content edits over REST) and
// stores and broadcasts exactly that change.
//
// # Concurrency
//
// A Doc is not safe for concurrent use; the functions over bytes are.
//
// # Design
//
// Items are compact records in a slab, named by 32-bit references rather
// than pointers, so a loaded document is a few large allocations the
// garbage collector does not scan. Text lives in one arena per document;
// adjacent typed characters share their bytes. Lists that are edited by
// position get a B+ tree over their items counting visible units (posIndex),
// so position lookups are logarithmic; its nodes also summarize the effect
// of their formatting items, so that the attributes in effect at a position
// of a rich text are found without walking from the start, in the order
// yjs's walk would meet them (which decides the order of the formatting
// items an insert with explicit attributes creates). Documents that are
// only loaded, merged and encoded never build an index. Each client's
// structs sit in a gap buffer, since splits and merges cluster where one
// edits. Loading an update into an empty document takes a shorter path
// (see load.go) that builds the same document.
package yjs
