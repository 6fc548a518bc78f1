package yjs

import (
	"crypto/rand"
	"encoding/binary"
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

// rootOf returns root type name with the given kind; it panics when the
// root exists with another kind, as yjs throws.
func (d *Doc) rootOf(name string, kind uint8) *ytype {
	t := d.root(name)
	if t.kind == typeUnknown {
		t.kind = kind
	} else if t.kind != kind {
		panic(fmt.Sprintf("yjs: type %q was already defined as %s", name, kindName(t.kind)))
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

// GetText returns the root text name, creating it if needed. It panics if
// name is already used by another kind of type.
func (d *Doc) GetText(name string) *Text { return (*Text)(d.rootOf(name, typeText)) }

// GetMap returns the root map name.
func (d *Doc) GetMap(name string) *Map { return (*Map)(d.rootOf(name, typeMap)) }

// GetArray returns the root array name.
func (d *Doc) GetArray(name string) *Array { return (*Array)(d.rootOf(name, typeArray)) }

// GetXmlFragment returns the root XML fragment name.
func (d *Doc) GetXmlFragment(name string) *XmlFragment {
	return (*XmlFragment)(d.rootOf(name, typeXmlFragment))
}

// GetXmlElement returns the root XML element name.
func (d *Doc) GetXmlElement(name string) *XmlElement {
	return (*XmlElement)(d.rootOf(name, typeXmlElement))
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
