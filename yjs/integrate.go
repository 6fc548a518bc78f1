package yjs

import (
	"slices"
	"sort"
)

// Applying updates and integrating items: yjs Item.integrate (YATA),
// Item.getMissing, integrateStructs, readAndApplyDeleteSet and the pending
// machinery of readUpdateV2.

// ApplyUpdate applies a v1 update. Structs whose dependencies are missing
// are kept and applied once the dependencies arrive, as yjs does. On error
// (malformed input) the document is unchanged.
func (d *Doc) ApplyUpdate(update []byte, origin any) error {
	return d.applyUpdate(update, false, origin)
}

// ApplyUpdateV2 applies a v2 update.
func (d *Doc) ApplyUpdateV2(update []byte, origin any) error {
	return d.applyUpdate(update, true, origin)
}

func (d *Doc) applyUpdate(update []byte, v2 bool, origin any) error {
	if d.fresh() {
		if err := d.loadFresh(update, v2, origin); err != errNotFresh {
			return err
		}
	}
	u, err := decodeUpdate(update, v2)
	if err != nil {
		return err
	}
	if err := d.validate(u); err != nil {
		return err
	}
	d.transact(func(tx *Transaction) {
		tx.Local = false
		d.readUpdate(tx, u)
	}, origin, false)
	return nil
}

// validate checks what decoding cannot: that the update fits this
// document's limits and that an item's references to its own client point
// backwards, so that integration cannot fail half way.
func (d *Doc) validate(u *decodedUpdate) error {
	newClients := 0
	for _, s := range u.sections {
		if _, ok := d.clientIdx[s.client]; !ok {
			newClients++
		}
	}
	if len(d.clients)+newClients > maxClientIndex {
		return malformed("too many clients")
	}
	for i := range u.blocks {
		b := &u.blocks[i]
		if b.clock+b.length > maxClock {
			return malformed("clock %d beyond this implementation's limit", b.clock+b.length)
		}
		if b.kind != blockItem {
			continue
		}
		if (b.hasOrigin || b.parentKind == parentID) && b.origin.Client == b.client && b.origin.Clock >= b.clock {
			return malformed("struct refers to a later clock of its own client")
		}
		if b.hasRight && b.rightOrigin.Client == b.client && b.rightOrigin.Clock >= b.clock {
			return malformed("struct refers to a later clock of its own client")
		}
	}
	for _, e := range u.ds.entries {
		for _, r := range e.ranges {
			if r.clock+r.len > maxClock {
				return malformed("deleted clock beyond this implementation's limit")
			}
		}
	}
	text := 0
	for i := range u.blocks {
		if b := &u.blocks[i]; b.kind == blockItem && b.ref == contentString {
			text += len(b.content.str)
		}
	}
	if len(d.text.buf)+text > maxClock {
		return malformed("document text would exceed 4 GiB")
	}
	return nil
}

func (d *Doc) readUpdate(tx *Transaction, u *decodedUpdate) {
	// yjs creates named root types while reading, before integrating.
	for i := range u.blocks {
		if b := &u.blocks[i]; b.kind == blockItem && b.parentKind == parentName {
			d.root(b.parentName())
		}
	}
	d.reserve(u)
	rest := d.integrateStructs(tx, u)
	retry := false
	if p := d.pendingStructs; p != nil {
		for client, clock := range p.missing {
			if clock < d.stateOf(client) {
				retry = true
				break
			}
		}
		if rest != nil {
			for client, clock := range rest.missing {
				if m, ok := p.missing[client]; !ok || m > clock {
					p.missing[client] = clock
				}
			}
			p.update = mustMergeV2(p.update, rest.update)
		}
	} else if rest != nil {
		d.pendingStructs = &pendingStructs{missing: rest.missing, update: rest.update}
	}
	dsRest := d.applyDeleteSet(tx, u.ds)
	if d.pendingDs != nil {
		pu, err := decodeUpdate(d.pendingDs, true)
		if err != nil {
			panic("yjs: pending delete set does not decode: " + err.Error())
		}
		dsRest2 := d.applyDeleteSet(tx, pu.ds)
		switch {
		case dsRest != nil && dsRest2 != nil:
			d.pendingDs = mustMergeV2(dsRest, dsRest2)
		case dsRest != nil:
			d.pendingDs = dsRest
		default:
			d.pendingDs = dsRest2
		}
	} else {
		d.pendingDs = dsRest
	}
	if retry {
		update := d.pendingStructs.update
		d.pendingStructs = nil
		pu, err := decodeUpdate(update, true)
		if err != nil {
			panic("yjs: pending update does not decode: " + err.Error())
		}
		d.readUpdate(tx, pu)
	}
}

// reserve sizes the item slab, the clients' struct lists and the text
// arena for an update, so that loading a document allocates what it needs
// and not twice that.
func (d *Doc) reserve(u *decodedUpdate) {
	d.items.reserve(len(u.blocks))
	text := 0
	for _, s := range u.sections {
		n := s.end - s.start
		c, ok := d.clientIdx[s.client]
		if !ok {
			c = d.clientIndex(s.client)
		}
		d.structs[c].reserve(n)
		for i := s.start; i < s.end; i++ {
			if b := &u.blocks[i]; b.kind == blockItem && b.ref == contentString {
				text += len(b.content.str)
			}
		}
	}
	if a := &d.text; cap(a.buf)-len(a.buf) < text {
		grown := make([]byte, len(a.buf), len(a.buf)+max(text, len(a.buf)/4))
		copy(grown, a.buf)
		a.buf = grown
	}
}

// mustMergeV2 merges two v2 updates this package encoded itself.
func mustMergeV2(a, b []byte) []byte {
	m, err := MergeUpdatesV2([][]byte{a, b})
	if err != nil {
		panic("yjs: merging pending updates: " + err.Error())
	}
	return m
}

type structRefs struct {
	i    int
	refs []block
}

type restResult struct {
	missing map[uint64]uint64
	update  []byte
}

// integrateStructs integrates the structs of an update, following
// dependencies across clients with a stack, and returns what cannot be
// integrated yet (yjs integrateStructs).
func (d *Doc) integrateStructs(tx *Transaction, u *decodedUpdate) *restResult {
	refs := make(map[uint64]*structRefs, len(u.sections))
	for _, s := range u.sections {
		// A client listed twice: the later list replaces the earlier.
		refs[s.client] = &structRefs{refs: u.blocks[s.start:s.end]}
	}
	ids := make([]uint64, 0, len(refs))
	for c := range refs {
		ids = append(ids, c)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	nextTarget := func() *structRefs {
		for len(ids) > 0 {
			t := refs[ids[len(ids)-1]]
			if t != nil && len(t.refs) != t.i {
				return t
			}
			ids = ids[:len(ids)-1]
		}
		return nil
	}
	cur := nextTarget()
	if cur == nil {
		return nil
	}
	var stack []*block
	rest := map[uint64][]block{}
	var missingSV map[uint64]uint64 // made when needed: rarely
	updateMissing := func(client, clock uint64) {
		if missingSV == nil {
			missingSV = map[uint64]uint64{}
		}
		if m, ok := missingSV[client]; !ok || m > clock {
			missingSV[client] = clock
		}
	}
	state := map[uint64]uint64{}
	// The state of the client of the previous struct, which the next
	// struct almost always shares.
	var lastClient, lastState uint64
	haveLast := false
	addStackToRest := func() {
		for _, b := range stack {
			client := b.client
			if in := refs[client]; in != nil {
				in.i--
				rest[client] = in.refs[in.i:]
				delete(refs, client)
				in.i = 0
				in.refs = nil
			} else {
				rest[client] = []block{*b}
			}
			ids = slices.DeleteFunc(ids, func(c uint64) bool { return c == client })
		}
		stack = stack[:0]
	}
	head := &cur.refs[cur.i]
	cur.i++
	var p placement
	for {
		if head.kind != blockSkip {
			var localClock uint64
			if haveLast && lastClient == head.client {
				localClock = lastState
			} else {
				if haveLast {
					// Write back the state of the client we leave.
					state[lastClient] = lastState
				}
				var ok bool
				localClock, ok = state[head.client]
				if !ok {
					localClock = d.stateOf(head.client)
					state[head.client] = localClock
				}
				lastClient, lastState, haveLast = head.client, localClock, true
			}
			if localClock < head.clock {
				stack = append(stack, head)
				updateMissing(head.client, head.clock-1)
				addStackToRest()
			} else {
				offset := localClock - head.clock
				if missing, isMissing := d.getMissing(tx, head, &p); isMissing {
					stack = append(stack, head)
					sr := refs[missing]
					if sr == nil || len(sr.refs) == sr.i {
						updateMissing(missing, d.stateOf(missing))
						addStackToRest()
					} else {
						head = &sr.refs[sr.i]
						sr.i++
						continue
					}
				} else if offset == 0 || offset < head.length {
					d.integrateBlock(tx, head, &p, uint32(offset))
					if !haveLast || lastClient != head.client {
						state[head.client] = head.clock + head.length
					}
					lastClient, lastState, haveLast = head.client, head.clock+head.length, true
				}
			}
		}
		if n := len(stack); n > 0 {
			head = stack[n-1]
			stack = stack[:n-1]
		} else if cur != nil && cur.i < len(cur.refs) {
			head = &cur.refs[cur.i]
			cur.i++
		} else {
			cur = nextTarget()
			if cur == nil {
				break
			}
			head = &cur.refs[cur.i]
			cur.i++
		}
	}
	if len(rest) == 0 {
		return nil
	}
	if missingSV == nil {
		missingSV = map[uint64]uint64{}
	}
	return &restResult{missing: missingSV, update: encodeRest(rest)}
}

// encodeRest encodes structs that could not be integrated as a v2 update,
// clients in descending order, without deletes (yjs writeClientsStructs
// over the rest store).
func encodeRest(rest map[uint64][]block) []byte {
	clients := make([]uint64, 0, len(rest))
	for c := range rest {
		clients = append(clients, c)
	}
	sort.Slice(clients, func(i, j int) bool { return clients[i] > clients[j] })
	e := newEncoder(true)
	e.writeVarUint(uint64(len(clients)))
	for _, c := range clients {
		blocks := rest[c]
		e.writeVarUint(uint64(len(blocks)))
		e.writeClient(c)
		e.writeVarUint(blocks[0].clock)
		for i := range blocks {
			writeBlock(e, &blocks[i], 0)
		}
	}
	e.writeVarUint(0)
	out, err := e.bytes()
	if err != nil {
		panic("yjs: encoding pending structs: " + err.Error())
	}
	return out
}

// rightCache remembers where the last right origin was found.
type rightCache struct {
	c  uint32
	i  int
	ok bool
}

// placement is where getMissing found a block belongs.
type placement struct {
	left, right ref
	parent      *ytype // nil: integrate as GC
	sub         string
	hasSub      bool
}

// getMissing returns the client of a struct b depends on and does not
// have, or resolves b's neighbours and parent into p (yjs Item.getMissing).
// Resolving splits the items around b's origins.
func (d *Doc) getMissing(tx *Transaction, b *block, p *placement) (uint64, bool) {
	if b.kind != blockItem {
		return 0, false
	}
	if b.hasOrigin && b.origin.Client != b.client && b.origin.Clock >= d.stateOf(b.origin.Client) {
		return b.origin.Client, true
	}
	if b.hasRight && b.rightOrigin.Client != b.client && b.rightOrigin.Clock >= d.stateOf(b.rightOrigin.Client) {
		return b.rightOrigin.Client, true
	}
	if b.parentKind == parentID && b.client != b.origin.Client && b.origin.Clock >= d.stateOf(b.origin.Client) {
		return b.origin.Client, true
	}
	*p = placement{sub: b.parentSub(), hasSub: b.hasSub}
	if b.hasOrigin {
		c, _ := d.lookupClient(b.origin.Client)
		p.left = d.getItemCleanEnd(tx, c, uint32(b.origin.Clock))
	}
	if b.hasRight {
		c, _ := d.lookupClient(b.rightOrigin.Client)
		clock := uint32(b.rightOrigin.Clock)
		// Consecutive structs often share their right origin (text typed
		// in front of the same character): try the last one first.
		if h := d.lastRight; h.ok && h.c == c && h.i < d.structs[c].len() && d.structs[c].at(h.i).clock == clock {
			p.right = d.structs[c].at(h.i).r
		} else {
			var i int
			p.right, i = d.getItemCleanStartAt(tx, c, clock)
			d.lastRight = rightCache{c, i, true}
		}
	}
	leftGC := p.left != 0 && d.items.at(p.left).isGC()
	rightGC := p.right != 0 && d.items.at(p.right).isGC()
	switch {
	case leftGC || rightGC:
		p.parent = nil
	case b.parentKind == parentNone:
		var from *item
		if p.left != 0 {
			from = d.items.at(p.left)
		} else if p.right != 0 {
			from = d.items.at(p.right)
		}
		if from != nil {
			p.parent = d.types[from.parent]
			p.hasSub = from.hasSub()
			if p.hasSub {
				p.sub = d.keys[from.data2]
			} else {
				p.sub = ""
			}
		}
	case b.parentKind == parentID:
		pr := d.findID(b.origin)
		pi := d.items.at(pr)
		if pi.kind() == contentType {
			p.parent = d.types[pi.data]
		}
	default:
		p.parent = d.share[b.parentName()]
	}
	return 0, false
}

// integrateBlock integrates block b from offset on at placement p (yjs
// Item.integrate).
func (d *Doc) integrateBlock(tx *Transaction, b *block, p *placement, offset uint32) {
	c := d.clientIndex(b.client)
	clock := uint32(b.clock) + offset
	length := uint32(b.length) - offset
	if b.kind != blockItem {
		d.addGC(tx, c, clock, length)
		return
	}
	left := p.left
	var origin itemID
	hasOrigin := b.hasOrigin
	if hasOrigin {
		origin = d.itemLastID(left)
	}
	if offset > 0 {
		left = d.getItemCleanEnd(tx, c, clock-1)
		origin = d.itemLastID(left)
		hasOrigin = true
	}
	// yjs would fail on a left neighbour that is a GC after the offset;
	// that needs a malformed update, and a GC is the safe outcome.
	if p.parent == nil || (left != 0 && d.items.at(left).isGC()) {
		d.addGC(tx, c, clock, length)
		return
	}
	r := d.items.alloc()
	it := d.items.at(r)
	*it = item{
		meta:     c | uint32(b.ref)<<kindShift,
		clock:    clock,
		length:   length,
		oClient:  noClient,
		roClient: noClient,
		left:     left,
		right:    p.right,
		parent:   p.parent.num,
	}
	if hasOrigin {
		it.oClient, it.oClock = origin.client, origin.clock
	}
	if p.right != 0 {
		ri := d.items.at(p.right)
		it.roClient, it.roClock = ri.client(), ri.clock
	}
	if p.hasSub {
		it.meta |= flagSub
		it.data2 = d.key(p.sub)
	}
	d.setContent(it, b, offset)
	d.integrateItem(tx, r)
}

func (d *Doc) addGC(tx *Transaction, c, clock, length uint32) {
	r := d.items.alloc()
	*d.items.at(r) = item{meta: c | contentGC<<kindShift | flagDeleted, clock: clock, length: length,
		oClient: noClient, roClient: noClient}
	d.addStruct(tx, r)
}

// itemLastID returns the ID of the last unit of an item.
func (d *Doc) itemLastID(r ref) itemID {
	it := d.items.at(r)
	return itemID{it.client(), it.clock + it.length - 1}
}

// setContent stores the content of block b, from offset on, in it.
func (d *Doc) setContent(it *item, b *block, offset uint32) {
	c := &b.content
	switch b.ref {
	case contentString:
		s := c.str
		if offset > 0 {
			_, s = splitString(s, int(offset), int(b.length))
		}
		if it.hasSub() {
			it.data = d.putVal(s)
		} else {
			it.data, it.data2 = d.text.addString(s)
		}
	case contentDeleted:
	case contentJSON, contentAny:
		vals := c.obj.([]any)
		if offset > 0 {
			vals = slices.Clone(vals[offset:])
		}
		it.data = d.putVal(vals)
	case contentBinary, contentEmbed:
		it.data = d.putVal(c.obj)
	case contentFormat:
		it.data = d.putVal(&formatValue{key: c.str, value: c.obj})
	case contentDoc:
		it.data = d.putVal(&subdocValue{guid: c.str, opts: c.obj})
	case contentType:
		t := d.newType(b.typeRef, c.str)
		it.data = t.num
	}
}

type formatValue struct {
	key   string
	value any
}

type subdocValue struct {
	guid string
	opts any
}

// integrateItem links a new item into its parent: it resolves conflicts
// with concurrent insertions (YATA), adds the item to the store and
// records the change (yjs Item.integrate after the offset handling). The
// item's left, right, origins, parent and content are set.
func (d *Doc) integrateItem(tx *Transaction, r ref) { d.linkItem(tx, r, true) }

// linkItem is integrateItem; store says whether to add the item to its
// client's struct list (a fresh load has put it there already).
func (d *Doc) linkItem(tx *Transaction, r ref, store bool) {
	it := d.items.at(r)
	t := d.types[it.parent]
	sub := it.hasSub()
	var key string
	if sub {
		key = d.keys[it.data2]
	}
	leftRef, rightRef := it.left, it.right
	scan := false
	if leftRef == 0 {
		scan = rightRef == 0 || d.items.at(rightRef).left != 0
	} else {
		scan = d.items.at(leftRef).right != rightRef
	}
	if scan {
		left := leftRef
		var o ref
		switch {
		case left != 0:
			o = d.items.at(left).right
		case sub:
			o = t.entries[key]
			for o != 0 && d.items.at(o).left != 0 {
				o = d.items.at(o).left
			}
		default:
			o = t.start
		}
		me := d.clients[it.client()]
		before := &d.scratch.before
		conflicting := &d.scratch.conflicting
		before.clear()
		conflicting.clear()
		for o != 0 && o != rightRef {
			oi := d.items.at(o)
			before.add(o)
			conflicting.add(o)
			if it.oClient == oi.oClient && (it.oClient == noClient || it.oClock == oi.oClock) {
				// Case 1: same origin.
				if d.clients[oi.client()] < me {
					left = o
					conflicting.clear()
				} else if it.roClient == oi.roClient && (it.roClient == noClient || it.roClock == oi.roClock) {
					// Same integration points: the id decides, this goes
					// first.
					break
				}
			} else if oi.oClient != noClient {
				if g := d.find(oi.oClient, oi.oClock); before.has(g) {
					// Case 2: o's origin lies between this origin and o.
					if !conflicting.has(g) {
						left = o
						conflicting.clear()
					}
				} else {
					break
				}
			} else {
				break
			}
			o = oi.right
		}
		it.left = left
	}
	if it.left != 0 {
		l := d.items.at(it.left)
		it.right = l.right
		l.right = r
	} else {
		var rr ref
		if sub {
			rr = t.entries[key]
			for rr != 0 && d.items.at(rr).left != 0 {
				rr = d.items.at(rr).left
			}
		} else {
			rr = t.start
			t.start = r
		}
		it.right = rr
	}
	if it.right != 0 {
		d.items.at(it.right).left = r
	} else if sub {
		t.setEntry(key, r)
		if it.left != 0 {
			d.deleteItem(tx, it.left)
		}
	}
	if !sub {
		if it.countable() && !it.deleted() {
			t.length += int(it.length)
		}
		if t.index != nil {
			t.index.insert(d, r)
		}
	}
	if store {
		d.addStruct(tx, r)
	}
	switch it.kind() {
	case contentDeleted:
		tx.ds.add(d.clients[it.client()], uint64(it.clock), uint64(it.length))
		it.meta |= flagDeleted
	case contentType:
		nt := d.types[it.data]
		nt.item = r
		nt.depth = t.depth + 1
	case contentFormat:
		t.hasFormatting = true
		t.formats++
	case contentDoc:
		tx.subdocsAdded = append(tx.subdocsAdded, d.vals[it.data].(*subdocValue).guid)
	}
	if sub {
		tx.addChanged(t, &key)
	} else {
		tx.addChanged(t, nil)
	}
	if (t.item != 0 && d.items.at(t.item).deleted()) || (sub && it.right != 0) {
		d.deleteItem(tx, r)
	}
}

// deleteItem marks an item deleted (yjs Item.delete).
func (d *Doc) deleteItem(tx *Transaction, r ref) {
	it := d.items.at(r)
	if it.deleted() {
		return
	}
	t := d.types[it.parent]
	sub := it.hasSub()
	if !sub && it.countable() {
		t.length -= int(it.length)
		if t.index != nil {
			t.index.adjust(d, r, -int(it.length))
		}
	} else if !sub && t.index != nil && it.kind() == contentFormat {
		d.leafOf(r).fmtChanged()
	}
	it.meta |= flagDeleted
	tx.deletedItems++
	tx.ds.add(d.clients[it.client()], uint64(it.clock), uint64(it.length))
	if sub {
		key := d.keys[it.data2]
		tx.addChanged(t, &key)
	} else {
		tx.addChanged(t, nil)
	}
	switch it.kind() {
	case contentType:
		d.deleteTypeContent(tx, d.types[it.data])
	case contentDoc:
		guid := d.vals[it.data].(*subdocValue).guid
		if i := slices.Index(tx.subdocsAdded, guid); i >= 0 {
			tx.subdocsAdded = slices.Delete(tx.subdocsAdded, i, i+1)
		} else {
			tx.subdocsRemoved = append(tx.subdocsRemoved, guid)
		}
	}
}

// deleteTypeContent deletes everything in a deleted type (yjs
// ContentType.delete).
func (d *Doc) deleteTypeContent(tx *Transaction, t *ytype) {
	visit := func(n ref) {
		it := d.items.at(n)
		if !it.deleted() {
			d.deleteItem(tx, n)
		} else if it.clock < tx.beforeState(it.client()) {
			// Deleted before this transaction: try merging it afterwards.
			tx.mergeStructs = append(tx.mergeStructs, itemID{it.client(), it.clock})
		}
	}
	for n := t.start; n != 0; n = d.items.at(n).right {
		visit(n)
	}
	for _, n := range t.entries {
		visit(n)
	}
	tx.removeChanged(t)
}

// applyDeleteSet deletes the ranges of ds that exist and returns the rest
// as a v2 update, or nil (yjs readAndApplyDeleteSet).
func (d *Doc) applyDeleteSet(tx *Transaction, ds *deleteSet) []byte {
	var unapplied deleteSet
	for _, e := range ds.entries {
		c, known := d.lookupClient(e.client)
		var state uint64
		if known {
			state = uint64(d.state(c))
		}
		hint := -1
		for _, rg := range e.ranges {
			clock, end := rg.clock, rg.clock+rg.len
			if clock >= state {
				unapplied.add(e.client, clock, end-clock)
				continue
			}
			if state < end {
				unapplied.add(e.client, state, end-state)
			}
			structs := &d.structs[c]
			// Ranges usually come sorted: search from the last one.
			i := d.findIndexNear(structs, uint32(clock), hint)
			it := d.items.at(structs.at(i).r)
			if !it.deleted() && uint64(it.clock) < clock {
				right := d.splitItem(tx, structs.at(i).r, uint32(clock)-it.clock)
				d.insertStruct(c, i+1, right)
				i++
			}
			for i < structs.len() {
				r := structs.at(i).r
				i++
				it := d.items.at(r)
				if uint64(it.clock) >= end {
					break
				}
				hint = i
				if !it.deleted() {
					if end < uint64(it.clock+it.length) {
						right := d.splitItem(tx, r, uint32(end)-it.clock)
						d.insertStruct(c, i, right)
					}
					d.deleteItem(tx, r)
				}
			}
		}
	}
	// yjs keeps the ranges as they came; ranges out of order or empty
	// (never produced by yjs) cannot be encoded in v2, so keep them sorted,
	// merged and non-empty.
	unapplied.sortAndMerge()
	for i := range unapplied.entries {
		e := &unapplied.entries[i]
		e.ranges = slices.DeleteFunc(e.ranges, func(r dsRange) bool { return r.len == 0 })
	}
	unapplied.entries = slices.DeleteFunc(unapplied.entries, func(e dsEntry) bool { return len(e.ranges) == 0 })
	unapplied.index = nil
	unapplied.last = 0
	if unapplied.empty() {
		return nil
	}
	e := newEncoder(true)
	e.writeVarUint(0)
	unapplied.write(e)
	out, err := e.bytes()
	if err != nil {
		panic("yjs: encoding pending deletes: " + err.Error())
	}
	return out
}
