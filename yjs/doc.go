package yjs

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Doc is a Yjs document. It is not safe for concurrent use: callers
// serialize access (one goroutine, or a mutex).
type Doc struct {
	clientID uint64
	gc       bool

	// Clients are numbered in order of appearance; items refer to clients
	// by these 24-bit numbers.
	clients    []uint64
	clientIdx  map[uint64]uint32
	lastClient clientCache
	// lastFound is the index findIndex found last, tried first next time
	// (for whichever client: a wrong guess only costs two comparisons).
	lastFound int
	lastRight rightCache
	// structs holds each client's structs (Items and GCs) in clock order.
	structs []structList
	skips   []skipIndex // per client, to search structs

	items  itemSlab
	leaves [][]*pnode // leaf of each indexed item, see posIndex
	text   textArena
	vals   []any // payloads of non-string content, see item.data
	free   []uint32
	types  []*ytype
	keys   []string // map keys (parentSub), interned
	keyIx  map[string]uint32

	share      map[string]*ytype
	shareOrder []string

	pendingStructs *pendingStructs
	pendingDs      []byte

	tx        *Transaction
	txFree    *Transaction
	cleanups  []*Transaction
	inCleanup bool

	onUpdate      []*updateHandler
	onUpdateV2    []*updateHandler
	onAfterTx     []*afterTxHandler
	handlerSerial int

	scratch scratch

	// generalLoad turns off the fast path for loading into an empty
	// document (loadFresh), for tests that compare the two paths.
	generalLoad bool
}

type pendingStructs struct {
	missing map[uint64]uint64
	update  []byte // v2
}

// Option configures a new Doc.
type Option func(*Doc)

// WithClientID sets the document's client id. It must be unique among the
// peers editing the document and at most 2^53-1.
func WithClientID(id uint64) Option { return func(d *Doc) { d.clientID = id } }

// WithGC turns garbage collection of deleted content on (the default) or
// off. Snapshots of past states need it off.
func WithGC(on bool) Option { return func(d *Doc) { d.gc = on } }

// NewDoc returns an empty document with a random 32-bit client id and
// garbage collection on.
func NewDoc(opts ...Option) *Doc {
	d := &Doc{gc: true, clientID: randomClientID()}
	for _, o := range opts {
		o(d)
	}
	d.clientIdx = make(map[uint64]uint32)
	d.share = make(map[string]*ytype)
	d.types = []*ytype{nil} // type 0 is "no type"
	d.vals = []any{nil}     // value 0 is unused
	d.keys = []string{""}   // key 0 is "no key"
	d.items.init()
	return d
}

func randomClientID() uint64 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint64(binary.LittleEndian.Uint32(b[:]))
}

// ClientID returns the id under which this document records its edits.
func (d *Doc) ClientID() uint64 { return d.clientID }

// GC reports whether the document garbage-collects deleted content.
func (d *Doc) GC() bool { return d.gc }

// clientIndex returns the number of client id, registering it when new.
func (d *Doc) clientIndex(id uint64) uint32 {
	if i, ok := d.clientIdx[id]; ok {
		return i
	}
	i := uint32(len(d.clients))
	if i > maxClientIndex {
		panic("yjs: too many clients in one document")
	}
	d.clients = append(d.clients, id)
	d.structs = append(d.structs, structList{})
	d.skips = append(d.skips, skipIndex{})
	d.clientIdx[id] = i
	return i
}

func (d *Doc) lookupClient(id uint64) (uint32, bool) {
	if d.lastClient.ok && d.lastClient.id == id {
		return d.lastClient.idx, true
	}
	i, ok := d.clientIdx[id]
	if ok {
		d.lastClient = clientCache{id, i, true}
	}
	return i, ok
}

// clientCache remembers the last client looked up: consecutive lookups
// mostly ask for the same one.
type clientCache struct {
	id  uint64
	idx uint32
	ok  bool
}

// state returns the next clock of client number c.
func (d *Doc) state(c uint32) uint32 {
	l := &d.structs[c]
	if l.len() == 0 {
		return 0
	}
	it := d.items.at(l.last().r)
	return it.clock + it.length
}

// stateOf returns the next clock of client id.
func (d *Doc) stateOf(id uint64) uint64 {
	c, ok := d.lookupClient(id)
	if !ok {
		return 0
	}
	return uint64(d.state(c))
}

// maxClientCount bounds the clients one document may hold: items refer to
// clients by 24-bit numbers.
const maxClientIndex = 1<<24 - 1

// ErrTooLarge is returned by an edit that would take the document past
// this implementation's limits: 2^32 units of content per client (a
// client's clock), 4 GiB of text, 2^24 clients. The document is unchanged.
var ErrTooLarge = errors.New("yjs: edit exceeds the document's limits")

// textMargin is kept free in the text arena by local edits, for the few
// bytes that splitting text inside a surrogate pair adds.
const textMargin = 1 << 20

// checkRoom returns ErrTooLarge unless this document's own client can
// create units more units and the text arena can take text more bytes.
// Local edits call it with an upper bound of what they create before they
// change anything, so that reaching a limit is an error, not a panic or a
// half-made edit.
func (d *Doc) checkRoom(units, text uint64) error {
	var state uint64
	if c, ok := d.lookupClient(d.clientID); ok {
		state = uint64(d.state(c))
	} else if len(d.clients) > maxClientIndex {
		return ErrTooLarge
	}
	if units > maxClock || state+units > maxClock {
		return ErrTooLarge
	}
	a := &d.text
	live := uint64(len(a.buf) - a.garbage)
	if text > maxClock || live+text+textMargin > maxClock {
		return ErrTooLarge
	}
	if uint64(len(a.buf))+text+textMargin > maxClock {
		d.compactTextNow()
	}
	return nil
}

// maxClock bounds clocks in a document: items store 32-bit clocks. Four
// billion units from one client id is far beyond any real document.
const maxClock = 1<<32 - 1

// key interns a map key.
func (d *Doc) key(k string) uint32 {
	if i, ok := d.keyIx[k]; ok {
		return i
	}
	if d.keyIx == nil {
		d.keyIx = make(map[string]uint32)
	}
	i := uint32(len(d.keys))
	d.keys = append(d.keys, k)
	d.keyIx[k] = i
	return i
}

// putVal stores a content payload and returns its index.
func (d *Doc) putVal(v any) uint32 {
	if n := len(d.free); n > 0 {
		i := d.free[n-1]
		d.free = d.free[:n-1]
		d.vals[i] = v
		return i
	}
	d.vals = append(d.vals, v)
	return uint32(len(d.vals) - 1)
}

func (d *Doc) freeVal(i uint32) {
	if i == 0 {
		return
	}
	d.vals[i] = nil
	d.free = append(d.free, i)
}

// root returns the root type name, creating it with kind unknown when new.
func (d *Doc) root(name string) *ytype {
	if t, ok := d.share[name]; ok {
		return t
	}
	t := d.newType(typeUnknown, "")
	t.rootName = name
	d.share[name] = t
	d.shareOrder = append(d.shareOrder, name)
	return t
}

// ErrTypeMismatch is returned for a root name that holds another kind of
// shared type than the one asked for.
var ErrTypeMismatch = errors.New("yjs: root type of another kind")

// rootOf returns root type name with the given kind, creating it if
// needed, or ErrTypeMismatch when the root exists with another kind (yjs
// throws).
func (d *Doc) rootOf(name string, kind uint8) (*ytype, error) {
	t := d.root(name)
	if t.kind == typeUnknown {
		t.kind = kind
	} else if t.kind != kind {
		return nil, fmt.Errorf("%w: %q is a %s, not a %s", ErrTypeMismatch, name, kindName(t.kind), kindName(kind))
	}
	return t, nil
}

// mustRootOf is rootOf for the Get… methods.
func (d *Doc) mustRootOf(name string, kind uint8) *ytype {
	t, err := d.rootOf(name, kind)
	if err != nil {
		panic(err)
	}
	return t
}

func kindName(k uint8) string {
	switch k {
	case typeArray:
		return "Array"
	case typeMap:
		return "Map"
	case typeText:
		return "Text"
	case typeXmlElement:
		return "XmlElement"
	case typeXmlFragment:
		return "XmlFragment"
	case typeXmlHook:
		return "XmlHook"
	case typeXmlText:
		return "XmlText"
	}
	return "unknown"
}

// RootText returns the root text name, creating it if needed. It fails
// with an error wrapping ErrTypeMismatch when name holds another kind of
// shared type (which a peer can make happen): use it for names that come
// from input.
func (d *Doc) RootText(name string) (*Text, error) {
	t, err := d.rootOf(name, typeText)
	return (*Text)(t), err
}

// RootMap is RootText for a root map.
func (d *Doc) RootMap(name string) (*Map, error) {
	t, err := d.rootOf(name, typeMap)
	return (*Map)(t), err
}

// RootArray is RootText for a root array.
func (d *Doc) RootArray(name string) (*Array, error) {
	t, err := d.rootOf(name, typeArray)
	return (*Array)(t), err
}

// RootXmlFragment is RootText for a root XML fragment.
func (d *Doc) RootXmlFragment(name string) (*XmlFragment, error) {
	t, err := d.rootOf(name, typeXmlFragment)
	return (*XmlFragment)(t), err
}

// RootXmlElement is RootText for a root XML element.
func (d *Doc) RootXmlElement(name string) (*XmlElement, error) {
	t, err := d.rootOf(name, typeXmlElement)
	return (*XmlElement)(t), err
}

// GetText is RootText for a name the program controls, whose kind is
// known: it panics where RootText returns an error, as regexp.MustCompile
// does. A document built from a peer's updates can hold any kind under any
// name; for names from input, or documents from untrusted peers, use
// RootText.
func (d *Doc) GetText(name string) *Text { return (*Text)(d.mustRootOf(name, typeText)) }

// GetMap is RootMap that panics on a type of another kind (see GetText).
func (d *Doc) GetMap(name string) *Map { return (*Map)(d.mustRootOf(name, typeMap)) }

// GetArray is RootArray that panics on a type of another kind (see
// GetText).
func (d *Doc) GetArray(name string) *Array { return (*Array)(d.mustRootOf(name, typeArray)) }

// GetXmlFragment is RootXmlFragment that panics on a type of another kind
// (see GetText).
func (d *Doc) GetXmlFragment(name string) *XmlFragment {
	return (*XmlFragment)(d.mustRootOf(name, typeXmlFragment))
}

// GetXmlElement is RootXmlElement that panics on a type of another kind
// (see GetText).
func (d *Doc) GetXmlElement(name string) *XmlElement {
	return (*XmlElement)(d.mustRootOf(name, typeXmlElement))
}

// RootNames returns the names of the root types, sorted.
func (d *Doc) RootNames() []string {
	names := append([]string(nil), d.shareOrder...)
	sort.Strings(names)
	return names
}

// ToJSON returns the content of every root type whose kind is known, as
// yjs's doc.toJSON() does: strings for texts and XML, map[string]any for
// maps, []any for arrays.
func (d *Doc) ToJSON() map[string]any {
	out := make(map[string]any, len(d.share))
	for _, name := range d.shareOrder {
		t := d.share[name]
		if t.kind == typeUnknown {
			continue
		}
		out[name] = t.toJSON()
	}
	return out
}

// scratch holds reusable buffers so that transactions allocate nothing
// when nothing observes them.
type scratch struct {
	before      refSet
	conflicting refSet
	starts      []structStart
	enc         *encoder
}
