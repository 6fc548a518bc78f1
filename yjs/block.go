package yjs

import (
	"slices"
	"unicode/utf8"
)

// A block is one struct as it appears in an update, decoded but not part of
// any document: an Item, a GC (a range of garbage-collected clocks) or a
// Skip (a range the update does not contain). The document-less update
// functions work on blocks, and ApplyUpdate decodes into blocks before it
// touches the document.

type blockKind uint8

const (
	blockGC blockKind = iota
	blockSkip
	blockItem
)

// Content kinds, numbered as yjs numbers them in the info byte.
const (
	contentGC      = 0
	contentDeleted = 1
	contentJSON    = 2
	contentBinary  = 3
	contentString  = 4
	contentEmbed   = 5
	contentFormat  = 6
	contentType    = 7
	contentAny     = 8
	contentDoc     = 9
	contentSkip    = 10
)

// Type kinds, numbered as yjs numbers them in ContentType.
const (
	typeArray       = 0
	typeMap         = 1
	typeText        = 2
	typeXmlElement  = 3
	typeXmlFragment = 4
	typeXmlHook     = 5
	typeXmlText     = 6
	typeUnknown     = 255 // a root type nobody asked for by kind yet
)

const (
	bitOrigin      = 0x80
	bitRightOrigin = 0x40
	bitParentSub   = 0x20
)

// Parent kinds of a block, for blocks without origins.
const (
	parentNone = iota
	parentName // a root type, by name
	parentID   // the item holding the parent type
)

type block struct {
	kind       blockKind
	ref        uint8 // content kind
	parentKind uint8
	typeRef    uint8 // the type of Type content
	hasOrigin  bool
	hasRight   bool
	hasSub     bool
	client     uint64
	clock      uint64
	length     uint64
	// origin is also the parent's ID when parentKind is parentID: a block
	// written with parent information has no origins.
	origin      ID
	rightOrigin ID
	// names holds the root type name and map key, which few blocks have;
	// keeping them out makes the many blocks of an update smaller.
	names   *blockNames
	content blockContent
}

type blockNames struct {
	parentName string
	parentSub  string
}

func (b *block) parentName() string {
	if b.names == nil {
		return ""
	}
	return b.names.parentName
}

func (b *block) parentSub() string {
	if b.names == nil {
		return ""
	}
	return b.names.parentSub
}

// blockContent is the content of an item block.
//
//	String:  str (UTF-8)
//	Deleted: length in block.length
//	JSON:    obj []any (undefined elements allowed)
//	Any:     obj []any
//	Binary:  obj []byte
//	Embed:   obj (a value)
//	Format:  str key, obj value
//	Type:    block.typeRef, str node or hook name
//	Doc:     str guid, obj options
type blockContent struct {
	str string
	obj any
}

// decodedUpdate is an update decoded into blocks. sections lists each
// client's run of blocks in the order of the update.
type decodedUpdate struct {
	blocks   []block
	sections []section
	ds       *deleteSet
	// Backing for sections and ds in the common case of a small update
	// (one client, a keystroke): an update then costs fewer allocations.
	section0 [1]section
	ds0      deleteSet
}

type section struct {
	client     uint64
	start, end int // blocks[start:end]
}

// maxBlocks bounds how many structs an update of n bytes may decode to. In
// format v2 runs of identical fields take no space, so a tiny update can
// describe many structs; the bound stops a few bytes from becoming gigabytes
// while leaving room for every update a real document produces.
func maxBlocks(n int) int { return 1<<16 + 32*n }

// decodeUpdate decodes a whole update, refusing malformed input.
func decodeUpdate(b []byte, v2 bool) (*decodedUpdate, error) {
	d := newDecoder(b, v2)
	u := &decodedUpdate{}
	u.sections = u.section0[:0]
	readBlocks(d, u, len(b))
	if err := d.error(); err != nil {
		return nil, err
	}
	readDeleteSetInto(d, &u.ds0)
	u.ds = &u.ds0
	if err := d.error(); err != nil {
		return nil, err
	}
	return u, nil
}

// readBlocks reads the struct part of an update (yjs
// lazyStructReaderGenerator and readClientsStructRefs).
func readBlocks(d *decoder, u *decodedUpdate, size int) {
	r := &d.rest
	limit := maxBlocks(size)
	numClients := r.count(2)
	total := 0
	for i := 0; i < numClients; i++ {
		if d.error() != nil {
			return
		}
		n := r.varUint()
		client := d.readClient()
		clock := r.varUint()
		if n > uint64(limit-total) {
			d.fail(malformed("update holds too many structs"))
			return
		}
		total += int(n)
		start := len(u.blocks)
		if !d.v2 && n > uint64(r.remaining()) {
			d.fail(errEOF)
			return
		}
		if cap(u.blocks)-len(u.blocks) < int(n) {
			grow := int(n)
			if d.v2 && grow > 1024+size {
				// A v2 count is not bounded by the input: reserve what the
				// input can plausibly hold and let append grow the rest.
				grow = 1024 + size
			}
			u.blocks = slices.Grow(u.blocks, grow)
		}
		for j := uint64(0); j < n; j++ {
			// Decode in place: blocks are large.
			if len(u.blocks) == cap(u.blocks) {
				u.blocks = slices.Grow(u.blocks, 1)
			}
			// Memory past len is zeroed (blocks are only appended here).
			u.blocks = u.blocks[:len(u.blocks)+1]
			blk := &u.blocks[len(u.blocks)-1]
			blk.client = client
			blk.clock = clock
			readBlock(d, blk)
			// Failed reads return zeros, so an error shows as an empty
			// struct soon; checking every stream each time is costly.
			if blk.length == 0 || j&63 == 63 {
				if err := d.error(); err != nil {
					return
				}
				if blk.length == 0 {
					d.fail(malformed("empty struct"))
					return
				}
			}
			if blk.clock+blk.length > maxSafeInteger {
				d.fail(errOverflow)
				return
			}
			clock += blk.length
		}
		u.sections = append(u.sections, section{client: client, start: start, end: len(u.blocks)})
	}
}

func readBlock(d *decoder, b *block) { readBlockAfterInfo(d, b, d.readInfo()) }

// readBlockAfterInfo is readBlock after the info byte.
func readBlockAfterInfo(d *decoder, b *block, info byte) {
	ref := info & 0x1f
	switch {
	case ref == contentSkip:
		if info != contentSkip {
			d.fail(malformed("invalid struct info %#x", info))
			return
		}
		b.kind = blockSkip
		b.length = d.rest.varUint()
		return
	case ref == contentGC:
		b.kind = blockGC
		b.length = d.readLen()
		return
	case ref > contentDoc:
		d.fail(malformed("unknown content kind %d", ref))
		return
	}
	b.kind = blockItem
	b.ref = ref
	if info&bitOrigin != 0 {
		b.hasOrigin = true
		b.origin = d.readLeftID()
	}
	if info&bitRightOrigin != 0 {
		b.hasRight = true
		b.rightOrigin = d.readRightID()
	}
	if info&(bitOrigin|bitRightOrigin) == 0 {
		if d.readParentInfo() {
			b.parentKind = parentName
			b.names = &blockNames{parentName: d.readString()}
		} else {
			b.parentKind = parentID
			b.origin = d.readLeftID()
		}
		// Like yjs, keep the parentSub flag only when the key is written:
		// an item with origins takes its key from them on integration.
		if info&bitParentSub != 0 {
			b.hasSub = true
			if b.names == nil {
				b.names = &blockNames{}
			}
			b.names.parentSub = d.readString()
		}
	}
	readContent(d, b)
}

// readContent reads an item's content and sets its length.
func readContent(d *decoder, b *block) {
	c := &b.content
	switch b.ref {
	case contentDeleted:
		b.length = d.readLen()
	case contentJSON:
		n := d.readLen()
		// Every element is non-empty JSON text or "undefined".
		if n > uint64(d.stringsLeft()) {
			d.fail(errEOF)
			return
		}
		vals := make([]any, 0, n)
		for i := uint64(0); i < n; i++ {
			s := d.readString()
			if d.error() != nil {
				return
			}
			if s == "undefined" {
				vals = append(vals, Undefined)
				continue
			}
			v, err := parseJSON(s)
			if err != nil {
				d.fail(err)
				return
			}
			vals = append(vals, v)
		}
		c.obj = vals
		b.length = n
	case contentBinary:
		c.obj = d.readBuf()
		b.length = 1
	case contentString:
		if d.v2 {
			c.str, b.length = d.str.readUnits()
		} else {
			c.str = d.readString()
			b.length = uint64(utf16Len(c.str))
		}
	case contentEmbed:
		c.obj = d.readJSON()
		b.length = 1
	case contentFormat:
		c.str = d.readKey()
		c.obj = d.readJSON()
		b.length = 1
	case contentType:
		ref := d.readTypeRef()
		if ref > typeXmlText {
			d.fail(malformed("unknown type %d", ref))
			return
		}
		b.typeRef = uint8(ref)
		if ref == typeXmlElement || ref == typeXmlHook {
			c.str = d.readKey()
		}
		b.length = 1
	case contentAny:
		n := d.readLen()
		if n > uint64(d.rest.remaining()) {
			d.fail(errEOF)
			return
		}
		vals := make([]any, 0, n)
		for i := uint64(0); i < n && d.rest.err == nil; i++ {
			vals = append(vals, d.readAny())
		}
		c.obj = vals
		b.length = n
	case contentDoc:
		c.str = d.readString()
		c.obj = d.readAny()
		b.length = 1
	}
}

// stringsLeft bounds how many more non-empty strings can be read.
func (d *decoder) stringsLeft() int {
	if d.v2 {
		return len(d.str.str) - d.str.pos
	}
	return d.rest.remaining()
}

// sliceBlock returns the part of b from offset on (yjs sliceStruct). The
// right part of an item points at the unit before it as its origin.
func sliceBlock(b *block, offset uint64) block {
	r := *b
	r.clock += offset
	r.length -= offset
	if b.kind != blockItem {
		return r
	}
	r.hasOrigin = true
	r.origin = ID{b.client, b.clock + offset - 1}
	// The right part copies parent and parentSub; with an origin they are
	// not written.
	r.content = spliceContent(&b.content, b.ref, b.length, offset)
	return r
}

// spliceContent returns the content of a block from offset on (yjs
// AbstractContent.splice, without modifying c).
func spliceContent(c *blockContent, ref uint8, length, offset uint64) blockContent {
	switch ref {
	case contentString:
		_, right := splitString(c.str, int(offset), int(length))
		return blockContent{str: right}
	case contentJSON, contentAny:
		vals := c.obj.([]any)
		return blockContent{obj: vals[offset:len(vals):len(vals)]}
	}
	return *c
}

// splitString splits s (units UTF-16 code units long) after offset units.
// A split inside a surrogate pair replaces both halves with U+FFFD, as yjs
// does (ContentString.splice).
func splitString(s string, offset, units int) (left, right string) {
	if len(s) == units {
		return s[:offset], s[offset:]
	}
	i := 0
	u := 0
	for u < offset && i < len(s) {
		c := s[i]
		if c < 0x80 {
			i++
			u++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		if size == 4 {
			if u+1 == offset {
				return s[:i] + "\uFFFD", "\uFFFD" + s[i+4:]
			}
			u += 2
		} else {
			u++
		}
		i += size
	}
	return s[:i], s[i:]
}

// unitsToBytes returns the byte offset of the first units UTF-16 code
// units of s. It stops before a surrogate pair it would split.
func unitsToBytes(s []byte, units int) int {
	i := 0
	u := 0
	for u < units && i < len(s) {
		c := s[i]
		if c < 0x80 {
			i++
			u++
			continue
		}
		_, size := utf8.DecodeRune(s[i:])
		if size == 4 {
			if u+1 == units {
				return i
			}
			u += 2
		} else {
			u++
		}
		i += size
	}
	return i
}

// writeBlock writes b from offset on (yjs Item/GC/Skip.write).
func writeBlock(e *encoder, b *block, offset uint64) {
	switch b.kind {
	case blockGC:
		e.writeInfo(contentGC)
		e.writeLen(b.length - offset)
		return
	case blockSkip:
		e.writeInfo(contentSkip)
		e.writeVarUint(b.length - offset)
		return
	}
	hasOrigin := b.hasOrigin || offset > 0
	origin := b.origin
	if offset > 0 {
		origin = ID{b.client, b.clock + offset - 1}
	}
	info := b.ref & 0x1f
	if hasOrigin {
		info |= bitOrigin
	}
	if b.hasRight {
		info |= bitRightOrigin
	}
	if b.hasSub {
		info |= bitParentSub
	}
	e.writeInfo(info)
	if hasOrigin {
		e.writeLeftID(origin)
	}
	if b.hasRight {
		e.writeRightID(b.rightOrigin)
	}
	if !hasOrigin && !b.hasRight {
		switch b.parentKind {
		case parentName:
			e.writeParentInfo(true)
			e.writeString(b.parentName())
		case parentID:
			e.writeParentInfo(false)
			e.writeLeftID(b.origin)
		default:
			// yjs cannot write an item without origins and without parent
			// (it throws); such a block only comes from a malformed update.
			e.fail(malformed("item without parent"))
			return
		}
		if b.hasSub {
			e.writeString(b.parentSub())
		}
	}
	writeBlockContent(e, b, offset)
}

func writeBlockContent(e *encoder, b *block, offset uint64) {
	c := &b.content
	switch b.ref {
	case contentDeleted:
		e.writeLen(b.length - offset)
	case contentJSON:
		vals := c.obj.([]any)[offset:]
		e.writeLen(uint64(len(vals)))
		for _, v := range vals {
			if v == Undefined {
				e.writeString("undefined")
				continue
			}
			js, ok, err := appendJSON(nil, v)
			if err != nil {
				e.fail(err)
			}
			if !ok {
				js = []byte("undefined")
			}
			e.writeString(string(js))
		}
	case contentBinary:
		e.writeBuf(c.obj.([]byte))
	case contentString:
		if offset == 0 {
			e.writeString(c.str)
		} else {
			_, right := splitString(c.str, int(offset), int(b.length))
			e.writeString(right)
		}
	case contentEmbed:
		e.writeJSON(c.obj)
	case contentFormat:
		e.writeKey(c.str)
		e.writeJSON(c.obj)
	case contentType:
		e.writeTypeRef(b.typeRef)
		if b.typeRef == typeXmlElement || b.typeRef == typeXmlHook {
			e.writeKey(c.str)
		}
	case contentAny:
		vals := c.obj.([]any)[offset:]
		e.writeLen(uint64(len(vals)))
		for _, v := range vals {
			e.writeAny(v)
		}
	case contentDoc:
		e.writeString(c.str)
		e.writeAny(c.obj)
	}
}
