package yjs

import "unsafe"

// An item is one struct of a document: an Item or a GC in yjs's terms. It
// is a compact record without pointers, held in a slab and named by a ref,
// so that a document of a million items is a few large allocations that the
// garbage collector does not scan.
type item struct {
	// meta packs the client number (low 24 bits), the content kind (4 bits)
	// and flags (4 bits).
	meta   uint32
	clock  uint32
	length uint32
	// oClient/oClock is the origin, roClient/roClock the right origin;
	// noClient when absent.
	oClient  uint32
	oClock   uint32
	roClient uint32
	roClock  uint32
	left     ref
	right    ref
	parent   uint32 // type number, 0 for none (GC)
	// data and data2 hold the content:
	//	String: data is the offset in the text arena, data2 the byte length;
	//	        with a parentSub, data is a value (string) and data2 the key.
	//	Type:   data is the type number.
	//	others: data is a value number (0 if none).
	// With a parentSub (flagSub), data2 is the key number.
	data  uint32
	data2 uint32
}

// ref names an item; 0 is nil.
type ref = uint32

const noClient = ^uint32(0)

const (
	clientMask  = 1<<24 - 1
	kindShift   = 24
	kindMask    = 0xf << kindShift
	flagDeleted = 1 << 28
	flagSub     = 1 << 29 // has a parentSub (a map entry)
	flagKeep    = 1 << 30
)

func (it *item) client() uint32 { return it.meta & clientMask }
func (it *item) kind() uint8    { return uint8((it.meta & kindMask) >> kindShift) }
func (it *item) deleted() bool  { return it.meta&flagDeleted != 0 }
func (it *item) hasSub() bool   { return it.meta&flagSub != 0 }
func (it *item) isGC() bool     { return it.kind() == contentGC }

func (it *item) setKind(k uint8) { it.meta = it.meta&^kindMask | uint32(k)<<kindShift }

// countable reports whether the item occupies positions in its list.
func (it *item) countable() bool {
	switch it.kind() {
	case contentDeleted, contentFormat, contentGC:
		return false
	}
	return true
}

// visible returns the number of list positions the item occupies.
func (it *item) visible() uint32 {
	if it.meta&flagDeleted != 0 || !it.countable() {
		return 0
	}
	return it.length
}

func (it *item) hasOrigin() bool { return it.oClient != noClient }
func (it *item) hasRight() bool  { return it.roClient != noClient }

// itemSlab allocates items in chunks. A ref is chunk<<16 | offset.
type itemSlab struct {
	chunks [][]item
	// base holds the address of each chunk's first item, for at.
	base  []unsafe.Pointer
	free  []ref
	count int // live items
	// next is the first unused ref of the last chunk.
	next uint32
}

const chunkBits = 16

func (s *itemSlab) init() {
	s.addChunk(16)
	s.next = 1 // ref 0 is nil
}

func (s *itemSlab) addChunk(n int) {
	c := make([]item, n)
	s.chunks = append(s.chunks, c)
	s.base = append(s.base, unsafe.Pointer(unsafe.SliceData(c)))
}

// at returns the item r names. It is the hottest function of the package:
// it indexes the chunk without bounds checks (refs are only made by alloc).
func (s *itemSlab) at(r ref) *item {
	return (*item)(unsafe.Add(s.base[r>>chunkBits], uintptr(r&(1<<chunkBits-1))*unsafe.Sizeof(item{})))
}

// reserve makes room for n more items in one chunk, so that a document
// loaded from an update gets the memory it needs and little more.
func (s *itemSlab) reserve(n int) {
	last := len(s.chunks) - 1
	room := len(s.chunks[last]) - int(s.next&(1<<chunkBits-1))
	// Small updates to a document go through alloc's amortized growth.
	if n <= room+len(s.free) || n < 256 {
		return
	}
	s.addChunk(min(n, 1<<chunkBits))
	s.next = uint32(len(s.chunks)-1) << chunkBits
}

func (s *itemSlab) alloc() ref {
	s.count++
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		return r
	}
	last := len(s.chunks) - 1
	off := s.next & (1<<chunkBits - 1)
	if int(off) >= len(s.chunks[last]) {
		// Grow by an eighth of what we hold, between 64 and 4096 items.
		size := min(max(s.count/8, 64), 4096)
		s.addChunk(size)
		last++
		s.next = uint32(last) << chunkBits
		off = 0
	}
	r := s.next
	s.next++
	return r
}

func (s *itemSlab) release(r ref) {
	*s.at(r) = item{}
	s.count--
	s.free = append(s.free, r)
}

// textArena holds the UTF-8 text of string items. Items point into it; text
// of deleted items becomes garbage, reclaimed by compaction.
type textArena struct {
	buf     []byte
	garbage int
}
