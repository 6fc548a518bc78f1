package yjs

import (
	"errors"
	"slices"
)

// Loading an update into an empty document: the fast path of ApplyUpdate.
//
// A server loads stored documents far more often than it merges edits
// into them, and a load is the case the general path handles worst: it
// decodes the whole update into blocks, then integrates them one by one,
// and each struct's origin is found by binary search in its client's
// struct list while that list grows. When the document holds nothing yet
// there is nothing to conflict with, so loadFresh takes a shorter road:
//
//   - Each struct is decoded straight into an item, appended to its
//     client's struct list. The lists are complete, in clock order, before
//     anything is linked; no block array is built.
//   - The items are then linked in exactly the order yjs would integrate
//     them (planned beforehand, so a load that would leave structs pending
//     is detected before anything is linked and goes the general way).
//   - Most structs' origin is the struct linked just before them, and the
//     right origin of most others is their origin's right neighbour (what
//     YATA checks anyway): both are found without a search. The rest are
//     found through clock buckets over the complete lists (buildBuckets),
//     one or two probes instead of a binary search.
//
// The result is the document the general path builds: the same items,
// splits, links, deletions, events and update. The tests compare the two
// paths on random sessions and fuzzed input.

// errNotFresh reports that an update needs the general path (structs that
// would wait for missing ones, skips, a client listed twice). loadFresh
// returns it having changed nothing.
var errNotFresh = errors.New("yjs: update needs the general path")

// flagLoadParent marks, between the two phases of loadFresh, an item
// whose parent is given by ID: oClient and oClock hold that ID until the
// item is linked (such an item has no origin).
const flagLoadParent = 1 << 31

// fresh reports whether d holds no structs and nothing pending, so that an
// update can be loaded by loadFresh.
func (d *Doc) fresh() bool {
	return !d.generalLoad && d.items.count == 0 && d.pendingStructs == nil && d.pendingDs == nil
}

// loadUndo records what decoding an update into a fresh document changes,
// to restore it when the update is malformed or needs the general path.
type loadUndo struct {
	items                                   itemSlab
	clients, types, vals, free, keys, roots int
	text, garbage                           int
	lastFound                               int
	lastClient                              clientCache
	lastRight                               rightCache
}

func (d *Doc) loadUndoPoint() loadUndo {
	return loadUndo{
		items: d.items, clients: len(d.clients), types: len(d.types), vals: len(d.vals),
		free: len(d.free), keys: len(d.keys), roots: len(d.shareOrder),
		text: len(d.text.buf), garbage: d.text.garbage,
		lastFound: d.lastFound, lastClient: d.lastClient, lastRight: d.lastRight,
	}
}

func (d *Doc) undoLoad(u *loadUndo) {
	for _, id := range d.clients[u.clients:] {
		delete(d.clientIdx, id)
	}
	clear(d.clients[u.clients:])
	d.clients = d.clients[:u.clients]
	// Every list was empty before (fresh), those of clients registered
	// earlier included.
	for c := range d.structs {
		d.structs[c] = structList{}
		d.skips[c] = skipIndex{}
	}
	d.structs = d.structs[:u.clients]
	d.skips = d.skips[:u.clients]
	d.items = u.items
	clear(d.types[u.types:])
	d.types = d.types[:u.types]
	clear(d.vals[u.vals:])
	d.vals = d.vals[:u.vals]
	// putVal takes slots from the free list without changing its array:
	// restoring the length brings them back; they must be empty again.
	d.free = d.free[:u.free]
	for _, i := range d.free {
		d.vals[i] = nil
	}
	for _, k := range d.keys[u.keys:] {
		delete(d.keyIx, k)
	}
	clear(d.keys[u.keys:])
	d.keys = d.keys[:u.keys]
	for _, name := range d.shareOrder[u.roots:] {
		delete(d.share, name)
	}
	clear(d.shareOrder[u.roots:])
	d.shareOrder = d.shareOrder[:u.roots]
	d.text.buf = d.text.buf[:u.text]
	d.text.garbage = u.garbage
	d.lastFound, d.lastClient, d.lastRight = u.lastFound, u.lastClient, u.lastRight
}

// loadFresh applies an update to a fresh document (see fresh). It returns
// errNotFresh, having changed nothing, when the update needs the general
// path, and like ApplyUpdate an error and no change for malformed input.
func (d *Doc) loadFresh(update []byte, v2 bool, origin any) error {
	undo := d.loadUndoPoint()
	var dec decoder
	dec.init(update, v2)
	secs, ds, foreign, err := d.decodeFresh(&dec, len(update))
	var order []ref
	if err == nil && (foreign || len(secs) != 1) {
		order, err = d.planFresh(secs)
	}
	if err != nil {
		d.undoLoad(&undo)
		return err
	}
	d.transact(func(tx *Transaction) {
		tx.Local = false
		for _, c := range secs {
			tx.touchAt(c, 0)
			d.buildBuckets(c)
		}
		last := make([]ref, len(d.clients))
		if order == nil {
			// One client whose structs refer to no other: its list is the
			// order. Linking splits only structs before the current one.
			l := &d.structs[secs[0]]
			for i := 0; i < l.len(); i++ {
				n := l.len()
				d.linkLoaded(tx, l.at(i).r, last)
				i += l.len() - n
			}
		}
		for _, r := range order {
			d.linkLoaded(tx, r, last)
		}
		for _, c := range secs {
			d.skips[c].buckets = nil
		}
		d.pendingDs = d.applyDeleteSet(tx, ds)
	}, origin, false)
	return nil
}

// decodeFresh decodes the structs of an update into items appended to
// their clients' struct lists, and the delete set. It returns the client
// numbers of the update's sections in the order of the update, and
// whether a struct refers to a struct of another client. The checks are
// those of decodeUpdate and validate.
func (d *Doc) decodeFresh(dec *decoder, size int) (secs []uint32, ds *deleteSet, foreign bool, err error) {
	r := &dec.rest
	limit := maxBlocks(size)
	numClients := r.count(2)
	total := 0
	if dec.v2 {
		d.text.reserve(len(dec.str.str))
	}
	for i := 0; i < numClients; i++ {
		n := r.varUint()
		client := dec.readClient()
		clock := r.varUint()
		if err := dec.error(); err != nil {
			return nil, nil, false, err
		}
		if n > uint64(limit-total) {
			return nil, nil, false, malformed("update holds too many structs")
		}
		total += int(n)
		if !dec.v2 && n > uint64(r.remaining()) {
			return nil, nil, false, errEOF
		}
		if n == 0 || clock != 0 {
			// Nothing, or structs that wait for earlier ones.
			return nil, nil, false, errNotFresh
		}
		c, ok := d.loadClient(client)
		if !ok || d.structs[c].len() > 0 {
			// Too many clients, or a client listed twice (the later list
			// replaces the earlier one).
			return nil, nil, false, errNotFresh
		}
		secs = append(secs, c)
		grow := int(n)
		if dec.v2 && grow > 1024+size {
			grow = 1024 + size
		}
		d.items.reserve(grow)
		d.structs[c].reserve(grow)
		for j := uint64(0); j < n; j++ {
			var info byte
			if dec.v2 {
				info = dec.info.read()
			} else {
				info = r.uint8()
			}
			if info&(bitOrigin|bitRightOrigin) != 0 && (info&0x1f == contentString || info&0x1f == contentDeleted) {
				length, err := d.addLoadedText(dec, c, client, clock, info, &foreign)
				if err != nil {
					return nil, nil, false, err
				}
				if j&63 == 63 {
					if err := dec.error(); err != nil {
						return nil, nil, false, err
					}
				}
				clock += length
				continue
			}
			b := block{client: client, clock: clock}
			readBlockAfterInfo(dec, &b, info)
			if b.length == 0 || j&63 == 63 {
				if err := dec.error(); err != nil {
					return nil, nil, false, err
				}
				if b.length == 0 {
					return nil, nil, false, malformed("empty struct")
				}
			}
			if b.clock+b.length > maxSafeInteger {
				return nil, nil, false, errOverflow
			}
			if b.clock+b.length > maxClock {
				return nil, nil, false, malformed("clock %d beyond this implementation's limit", b.clock+b.length)
			}
			clock += b.length
			if err := d.addLoaded(dec, c, &b, &foreign); err != nil {
				return nil, nil, false, err
			}
		}
	}
	ds = readDeleteSet(dec)
	if err := dec.error(); err != nil {
		return nil, nil, false, err
	}
	for _, e := range ds.entries {
		for _, r := range e.ranges {
			if r.clock+r.len > maxClock {
				return nil, nil, false, malformed("deleted clock beyond this implementation's limit")
			}
		}
	}
	return secs, ds, foreign, nil
}

// addLoadedText is addLoaded for the structs that make up most of a text:
// items with an origin, holding text or deleted content. It decodes the
// struct of client c (number client) at clock, after its info byte,
// straight into an item and returns its length.
func (d *Doc) addLoadedText(dec *decoder, c uint32, client, clock uint64, info byte, foreign *bool) (uint64, error) {
	it := item{
		meta:     c | uint32(info&0x1f)<<kindShift,
		clock:    uint32(clock),
		oClient:  noClient,
		roClient: noClient,
	}
	if info&bitOrigin != 0 {
		oc, oclock, err := d.readLoadedID(dec, c, client, clock, true, foreign)
		if err != nil {
			return 0, err
		}
		it.oClient, it.oClock = oc, oclock
	}
	if info&bitRightOrigin != 0 {
		rc, rclock, err := d.readLoadedID(dec, c, client, clock, false, foreign)
		if err != nil {
			return 0, err
		}
		it.roClient, it.roClock = rc, rclock
	}
	var length uint64
	var text []byte
	var str string
	if info&0x1f == contentDeleted {
		length = dec.readLen()
	} else if dec.v2 {
		str, length = dec.str.readUnits()
	} else {
		text = dec.rest.varBytes()
		n, ok := textUnits(text)
		if !ok {
			dec.rest.fail(errUTF8)
			return 0, errUTF8
		}
		length = uint64(n)
	}
	if length == 0 {
		if err := dec.error(); err != nil {
			return 0, err
		}
		return 0, malformed("empty struct")
	}
	if clock+length > maxClock {
		if clock+length > maxSafeInteger {
			return 0, errOverflow
		}
		return 0, malformed("clock %d beyond this implementation's limit", clock+length)
	}
	it.length = uint32(length)
	if info&0x1f == contentString {
		a := &d.text
		if len(a.buf)+len(text)+len(str) > maxClock {
			return 0, malformed("document text would exceed 4 GiB")
		}
		it.data = uint32(len(a.buf))
		a.buf = append(a.buf, text...)
		a.buf = append(a.buf, str...)
		it.data2 = uint32(len(a.buf)) - it.data
	}
	r := d.items.alloc()
	*d.items.at(r) = it
	d.structs[c].append(sref{it.clock, r})
	return length, nil
}

// readLoadedID reads an origin (left) or right origin of a struct of
// client c (number client) at clock, for addLoadedText.
func (d *Doc) readLoadedID(dec *decoder, c uint32, client, clock uint64, left bool, foreign *bool) (uint32, uint32, error) {
	var id ID
	if dec.v2 {
		// decoder.readLeftID and readRightID, inlined.
		id.Client = dec.client.read()
		var v int64
		if left {
			v = dec.leftClock.read()
		} else {
			v = dec.rightClock.read()
		}
		if id.Client > maxSafeInteger || v < 0 || v > maxSafeInteger {
			dec.fail(malformed("struct ID out of range"))
			return 0, 0, dec.err
		}
		id.Clock = uint64(v)
	} else {
		id.Client = dec.rest.varUint()
		id.Clock = dec.rest.varUint()
	}
	if id.Client == client {
		if id.Clock >= clock {
			if err := dec.error(); err != nil {
				return 0, 0, err
			}
			return 0, 0, malformed("struct refers to a later clock of its own client")
		}
		return c, uint32(id.Clock), nil
	}
	*foreign = true
	oc, oclock, ok := d.loadRef(id)
	if !ok {
		return 0, 0, errNotFresh
	}
	return oc, oclock, nil
}

// loadClient returns the number of client id, registering it; false when
// the document cannot take another client.
func (d *Doc) loadClient(id uint64) (uint32, bool) {
	if c, ok := d.lookupClient(id); ok {
		return c, true
	}
	if len(d.clients) > maxClientIndex {
		return 0, false
	}
	return d.clientIndex(id), true
}

// loadRef converts a reference to another struct for an item: false when
// no document could hold the struct (it would be missing forever).
func (d *Doc) loadRef(id ID) (uint32, uint32, bool) {
	if id.Clock >= maxClock {
		return 0, 0, false
	}
	c, ok := d.loadClient(id.Client)
	return c, uint32(id.Clock), ok
}

// addLoaded appends the struct b of client c to its struct list as an
// item that is not linked yet: references to other structs stay IDs (with
// client numbers) until linkLoaded resolves them.
func (d *Doc) addLoaded(dec *decoder, c uint32, b *block, foreign *bool) error {
	switch b.kind {
	case blockSkip:
		return errNotFresh
	case blockGC:
		r := d.items.alloc()
		*d.items.at(r) = item{meta: c | contentGC<<kindShift | flagDeleted, clock: uint32(b.clock),
			length: uint32(b.length), oClient: noClient, roClient: noClient}
		d.structs[c].append(sref{uint32(b.clock), r})
		return nil
	}
	if (b.hasOrigin || b.parentKind == parentID) && b.origin.Client == b.client && b.origin.Clock >= b.clock {
		return malformed("struct refers to a later clock of its own client")
	}
	if b.hasRight && b.rightOrigin.Client == b.client && b.rightOrigin.Clock >= b.clock {
		return malformed("struct refers to a later clock of its own client")
	}
	switch b.ref {
	case contentString:
		if len(d.text.buf)+len(b.content.str) > maxClock {
			return malformed("document text would exceed 4 GiB")
		}
	case contentDeleted:
	default:
		// Other contents are read into values that are only valid when
		// the read succeeded.
		if err := dec.error(); err != nil {
			return err
		}
	}
	if ((b.hasOrigin || b.parentKind == parentID) && b.origin.Client != b.client) || (b.hasRight && b.rightOrigin.Client != b.client) {
		*foreign = true
	}
	it := item{
		meta:     c | uint32(b.ref)<<kindShift,
		clock:    uint32(b.clock),
		length:   uint32(b.length),
		oClient:  noClient,
		roClient: noClient,
	}
	var ok bool
	switch {
	case b.hasOrigin:
		if it.oClient, it.oClock, ok = d.loadRef(b.origin); !ok {
			return errNotFresh
		}
	case b.parentKind == parentID:
		if it.oClient, it.oClock, ok = d.loadRef(b.origin); !ok {
			return errNotFresh
		}
		it.meta |= flagLoadParent
	case b.parentKind == parentName:
		it.parent = d.root(b.parentName()).num
	}
	if b.hasRight {
		if it.roClient, it.roClock, ok = d.loadRef(b.rightOrigin); !ok {
			return errNotFresh
		}
	}
	if b.hasSub {
		it.meta |= flagSub
		it.data2 = d.key(b.parentSub())
	}
	r := d.items.alloc()
	p := d.items.at(r)
	*p = it
	d.setContent(p, b, 0)
	d.structs[c].append(sref{it.clock, r})
	return nil
}

// planFresh returns the items of the sections in the order in which yjs
// integrates them (integrateStructs: clients by descending id, jumping to
// a client whose structs another one needs), or errNotFresh when some
// would have to wait for structs the update does not hold. Observers see
// types changed in this order, so it must be yjs's.
func (d *Doc) planFresh(secs []uint32) ([]ref, error) {
	total := 0
	for _, c := range secs {
		total += d.structs[c].len()
	}
	order := make([]ref, 0, total)
	// next[c] is the index of client c's next struct to take; done[c] is
	// the clock up to which its structs are integrated (yjs's state).
	next := make([]int, len(d.clients))
	done := make([]uint32, len(d.clients))
	ids := make([]uint32, len(secs))
	copy(ids, secs)
	slices.SortFunc(ids, func(a, b uint32) int {
		switch {
		case d.clients[a] < d.clients[b]:
			return -1
		case d.clients[a] > d.clients[b]:
			return 1
		}
		return 0
	})
	nextTarget := func() (uint32, bool) {
		for len(ids) > 0 {
			c := ids[len(ids)-1]
			if next[c] < d.structs[c].len() {
				return c, true
			}
			ids = ids[:len(ids)-1]
		}
		return 0, false
	}
	type head struct {
		c uint32
		i int
	}
	var stack []head
	cur, ok := nextTarget()
	if !ok {
		return order, nil
	}
	h := head{cur, next[cur]}
	next[cur]++
	for {
		e := d.structs[h.c].at(h.i)
		if done[h.c] < e.clock {
			// A later struct of this client was taken while an earlier one
			// waits: yjs keeps the rest pending.
			return nil, errNotFresh
		}
		if m, missing := d.loadMissing(e.r, h.c, done); missing {
			stack = append(stack, h)
			if next[m] >= d.structs[m].len() {
				return nil, errNotFresh
			}
			h = head{m, next[m]}
			next[m]++
			continue
		}
		order = append(order, e.r)
		done[h.c] = e.clock + d.items.at(e.r).length
		switch {
		case len(stack) > 0:
			h = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case next[cur] < d.structs[cur].len():
			h = head{cur, next[cur]}
			next[cur]++
		default:
			if cur, ok = nextTarget(); !ok {
				return order, nil
			}
			h = head{cur, next[cur]}
			next[cur]++
		}
	}
}

// loadMissing is getMissing for an unlinked item r of client c, with the
// states (integrated clocks) of planFresh.
func (d *Doc) loadMissing(r ref, c uint32, state []uint32) (uint32, bool) {
	it := d.items.at(r)
	if it.isGC() {
		return 0, false
	}
	// An item with flagLoadParent holds its parent's ID as its origin:
	// getMissing checks the parent after the right origin, which changes
	// nothing since such an item has neither origin.
	if it.oClient != noClient && it.oClient != c && it.oClock >= state[it.oClient] {
		return it.oClient, true
	}
	if it.roClient != noClient && it.roClient != c && it.roClock >= state[it.roClient] {
		return it.roClient, true
	}
	return 0, false
}

// linkLoaded links the unlinked item r into its parent, as getMissing and
// integrateBlock would: it finds the items at its origins (splitting them
// where needed), resolves its parent, and integrates it, or turns it into
// a GC struct if its parent is gone. last[c] is the item of client c
// linked last, which most items have as their origin.
func (d *Doc) linkLoaded(tx *Transaction, r ref, last []ref) {
	it := d.items.at(r)
	if it.isGC() {
		return
	}
	c := it.client()
	prev := last[c]
	last[c] = r
	var parent *ytype
	var left, right ref
	if it.meta&flagLoadParent != 0 {
		pc, pclock := it.oClient, it.oClock
		it.oClient, it.oClock = noClient, 0
		it.meta &^= flagLoadParent
		if pi := d.items.at(d.find(pc, pclock)); pi.kind() == contentType {
			parent = d.types[pi.data]
		}
	} else if it.oClient != noClient {
		if prev != 0 && it.oClient == c {
			if pi := d.items.at(prev); pi.clock+pi.length-1 == it.oClock {
				left = prev
			}
		}
		if left == 0 {
			left = d.getItemCleanEnd(tx, it.oClient, it.oClock)
		}
	}
	if it.roClient != noClient {
		rc, clock := it.roClient, it.roClock
		// Without concurrent insertions, the right origin is the right
		// neighbour of the origin: no search.
		if left != 0 {
			if n := d.items.at(left).right; n != 0 {
				if ni := d.items.at(n); ni.clock == clock && ni.client() == rc {
					right = n
				}
			}
		}
		if right == 0 {
			var i int
			right, i = d.getItemCleanStartAt(tx, rc, clock)
			d.lastRight = rightCache{rc, i, true}
		}
	}
	// getItemCleanEnd and getItemCleanStartAt may have moved the slab.
	it = d.items.at(r)
	sub := it.hasSub()
	var key uint32
	switch {
	case (left != 0 && d.items.at(left).isGC()) || (right != 0 && d.items.at(right).isGC()):
		parent = nil
	case it.parent != 0:
		parent = d.types[it.parent]
	case left != 0 || right != 0:
		from := left
		if from == 0 {
			from = right
		}
		fi := d.items.at(from)
		parent = d.types[fi.parent]
		if sub = fi.hasSub(); sub {
			key = fi.data2
		}
	}
	if parent == nil {
		d.freeContent(it)
		*it = item{meta: c | contentGC<<kindShift | flagDeleted, clock: it.clock, length: it.length,
			oClient: noClient, roClient: noClient}
		return
	}
	if sub && !it.hasSub() {
		// A map entry by its neighbours: its key comes from them, and a
		// string content lives with the values, not in the text arena.
		if it.kind() == contentString {
			s := string(d.text.buf[it.data : it.data+it.data2])
			d.text.garbage += int(it.data2)
			it.data, it.data2 = d.putVal(s), 0
		}
		it.meta |= flagSub
		it.data2 = key
	}
	it.parent = parent.num
	it.left, it.right = left, right
	d.linkItem(tx, r, false)
}
