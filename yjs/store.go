package yjs

// The struct store: per client, the structs in clock order (yjs
// StructStore.js), and the operations that split and merge items.

// sref is an entry of a client's struct list: the struct's first clock,
// copied so that binary search reads one small array, and its ref.
type sref struct {
	clock uint32
	r     ref
}

// findIndex returns the index of the struct of structs that holds clock
// (yjs findIndexSS). The clock must be below the client's state: structs
// are contiguous, so the struct holding clock is the last one starting at
// or before it.
func (d *Doc) findIndex(structs *structList, clock uint32) int {
	hi := structs.len() - 1
	if structs.at(hi).clock <= clock {
		// The last struct: common when loading, where items refer to what
		// was just added.
		return hi
	}
	// Consecutive lookups often land on the same struct or next to it.
	if g := d.lastFound; g < hi && structs.at(g).clock <= clock {
		if clock < structs.at(g+1).clock {
			return g
		}
		if g+2 <= hi && clock < structs.at(g+2).clock {
			d.lastFound = g + 1
			return g + 1
		}
	}
	lo := 0
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if structs.at(mid).clock <= clock {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	d.lastFound = lo
	return lo
}

// findIndexNear is findIndex starting from a nearby index: it gallops
// from hint, so walking through sorted clocks costs little per step.
func (d *Doc) findIndexNear(structs *structList, clock uint32, hint int) int {
	n := structs.len()
	if hint < 0 || hint >= n {
		return d.findIndex(structs, clock)
	}
	lo, hi := 0, n-1
	if structs.at(hint).clock <= clock {
		lo = hint
		for step := 1; lo+step <= hi; step <<= 1 {
			if structs.at(lo+step).clock > clock {
				hi = lo + step - 1
				break
			}
			lo += step
		}
	} else {
		hi = hint - 1
		for step := 1; hi-step >= lo; step <<= 1 {
			if structs.at(hi-step+1).clock <= clock {
				lo = hi - step + 1
				break
			}
			hi -= step
		}
	}
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if structs.at(mid).clock <= clock {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// skipIndex samples every 64th clock of a client's struct list, so that a
// search first bisects a small array that stays in cache, then 64 entries.
// Inserting or removing a struct invalidates the samples from there on;
// they are recomputed on the next search.
type skipIndex struct {
	clocks []uint32
	// buckets, when set, maps clocks to list indices directly: bucket b
	// holds the index of the struct holding clock b<<shift. A fresh load
	// builds it for the lookups of its origins; any change to the list
	// drops it.
	buckets []uint32
	shift   uint8
}

// buildBuckets sets up the clock buckets of client c's struct list: about
// one bucket per struct, so that a lookup reads one or two entries.
func (d *Doc) buildBuckets(c uint32) {
	structs := &d.structs[c]
	n := structs.len()
	if n < 256 {
		return
	}
	state := d.state(c)
	shift := uint8(0)
	for state>>shift > uint32(n) {
		shift++
	}
	sk := &d.skips[c]
	nb := int(state>>shift) + 1
	if cap(sk.buckets) >= nb {
		sk.buckets = sk.buckets[:nb]
	} else {
		sk.buckets = make([]uint32, nb)
	}
	sk.shift = shift
	// Walk the structs, filling the buckets that start in each.
	b := 0
	for j := 0; j < n; j++ {
		end := state
		if j+1 < n {
			end = structs.at(j + 1).clock
		}
		for ; b < nb && uint32(b)<<shift < end; b++ {
			sk.buckets[b] = uint32(j)
		}
	}
	for ; b < nb; b++ {
		sk.buckets[b] = uint32(n - 1)
	}
}

// bucketSearch is search through the clock buckets.
func (sk *skipIndex) bucketSearch(structs *structList, clock uint32) int {
	// Structs appended after the buckets were built are after the last
	// bucket's struct.
	b := min(int(clock>>sk.shift), len(sk.buckets)-1)
	lo := int(sk.buckets[b])
	hi := structs.len() - 1
	if b+1 < len(sk.buckets) {
		hi = int(sk.buckets[b+1])
	}
	for lo < hi && structs.at(lo+1).clock <= clock {
		if hi-lo > 8 {
			for lo < hi {
				mid := int(uint(lo+hi+1) >> 1)
				if structs.at(mid).clock <= clock {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			return lo
		}
		lo++
	}
	return lo
}

const skipShift = 6

// search is findIndex for client c, through its skip index.
func (d *Doc) search(c, clock uint32) int {
	structs := &d.structs[c]
	n := structs.len()
	if n < 256 {
		return d.findIndex(structs, clock)
	}
	hi := n - 1
	if structs.at(hi).clock <= clock {
		return hi
	}
	sk := &d.skips[c]
	if sk.buckets != nil {
		return sk.bucketSearch(structs, clock)
	}
	if want := (n + 63) >> skipShift; len(sk.clocks) < want {
		for i := len(sk.clocks) << skipShift; i < n; i += 1 << skipShift {
			sk.clocks = append(sk.clocks, structs.at(i).clock)
		}
	}
	// The last sample at or before clock names the block holding it.
	lo, up := 0, len(sk.clocks)-1
	for lo < up {
		mid := int(uint(lo+up+1) >> 1)
		if sk.clocks[mid] <= clock {
			lo = mid
		} else {
			up = mid - 1
		}
	}
	base := lo << skipShift
	end := min(base+1<<skipShift, n) - 1
	for base < end {
		mid := int(uint(base+end+1) >> 1)
		if structs.at(mid).clock <= clock {
			base = mid
		} else {
			end = mid - 1
		}
	}
	return base
}

// changedAt drops the skip samples of client c from list index i on.
func (d *Doc) changedAt(c uint32, i int) {
	sk := &d.skips[c]
	sk.buckets = nil
	if n := i >> skipShift; n < len(sk.clocks) {
		sk.clocks = sk.clocks[:n]
	}
}

// find returns the struct holding clock of client c.
func (d *Doc) find(c, clock uint32) ref {
	return d.structs[c].at(d.search(c, clock)).r
}

// findID returns the struct holding id, which must exist.
func (d *Doc) findID(id ID) ref {
	c, _ := d.lookupClient(id.Client)
	return d.find(c, uint32(id.Clock))
}

// addStruct appends a struct to its client's list.
func (d *Doc) addStruct(tx *Transaction, r ref) {
	it := d.items.at(r)
	c := it.client()
	tx.touch(c, d)
	d.structs[c].append(sref{it.clock, r})
}

// getItemCleanStart returns the struct starting at clock, splitting the
// item that holds it if needed.
func (d *Doc) getItemCleanStart(tx *Transaction, c, clock uint32) ref {
	r, _ := d.getItemCleanStartAt(tx, c, clock)
	return r
}

// getItemCleanStartAt is getItemCleanStart that also returns the struct's
// index in its client's list.
func (d *Doc) getItemCleanStartAt(tx *Transaction, c, clock uint32) (ref, int) {
	i := d.search(c, clock)
	r := d.structs[c].at(i).r
	it := d.items.at(r)
	if it.clock < clock && !it.isGC() {
		right := d.splitItem(tx, r, clock-it.clock)
		d.insertStruct(c, i+1, right)
		return right, i + 1
	}
	return r, i
}

// getItemCleanEnd returns the struct ending at clock (inclusive),
// splitting the item that holds it if needed. A GC is returned unsplit.
func (d *Doc) getItemCleanEnd(tx *Transaction, c, clock uint32) ref {
	i := d.search(c, clock)
	r := d.structs[c].at(i).r
	it := d.items.at(r)
	if clock != it.clock+it.length-1 && !it.isGC() {
		right := d.splitItem(tx, r, clock-it.clock+1)
		d.insertStruct(c, i+1, right)
	}
	return r
}

func (d *Doc) insertStruct(c uint32, i int, r ref) {
	d.changedAt(c, i)
	d.structs[c].insert(i, sref{d.items.at(r).clock, r})
}

// splitItem splits an item after diff units and returns the right part
// (yjs splitItem). The caller inserts the right part into the store.
func (d *Doc) splitItem(tx *Transaction, leftRef ref, diff uint32) ref {
	rightRef := d.items.alloc()
	left := d.items.at(leftRef)
	right := d.items.at(rightRef)
	*right = item{
		meta:     left.meta,
		clock:    left.clock + diff,
		length:   left.length - diff,
		oClient:  left.client(),
		oClock:   left.clock + diff - 1,
		roClient: left.roClient,
		roClock:  left.roClock,
		left:     leftRef,
		right:    left.right,
		parent:   left.parent,
		data2:    left.data2,
	}
	d.spliceContent(left, right, diff)
	left.right = rightRef
	if right.right != 0 {
		d.items.at(right.right).left = rightRef
	}
	tx.mergeStructs = append(tx.mergeStructs, itemID{left.client(), right.clock})
	t := d.types[right.parent]
	if right.hasSub() && right.right == 0 {
		t.entries[d.keys[right.data2]] = rightRef
	}
	moved := right.visible()
	left.length = diff
	if t != nil && t.index != nil && !right.hasSub() {
		t.index.split(d, leftRef, rightRef, moved)
	}
	return rightRef
}

// itemID is an ID within a document: client number and clock.
type itemID struct {
	client, clock uint32
}

// spliceContent moves the content of left from diff on into right.
func (d *Doc) spliceContent(left, right *item, diff uint32) {
	switch left.kind() {
	case contentString:
		if left.hasSub() {
			s := d.vals[left.data].(string)
			l, r := splitString(s, int(diff), int(left.length))
			d.vals[left.data] = l
			right.data = d.putVal(r)
			return
		}
		buf := d.text.buf[left.data : left.data+left.data2]
		var cut int
		if int(left.data2) == int(left.length) {
			cut = int(diff)
		} else {
			cut = unitsToBytes(buf, int(diff))
			if utf16LenBytes(buf[:cut]) != int(diff) {
				// The split falls inside a surrogate pair: both halves become
				// U+FFFD, as in yjs.
				l := append(append([]byte(nil), buf[:cut]...), "\uFFFD"...)
				r := append([]byte("\uFFFD"), buf[cut+4:]...)
				d.text.garbage += len(buf)
				left.data, left.data2 = d.text.add(l)
				right.data, right.data2 = d.text.add(r)
				return
			}
		}
		right.data = left.data + uint32(cut)
		right.data2 = left.data2 - uint32(cut)
		left.data2 = uint32(cut)
	case contentAny, contentJSON:
		vals := d.vals[left.data].([]any)
		d.vals[left.data] = vals[:diff:diff]
		right.data = d.putVal(vals[diff:])
	case contentDeleted:
		// Only lengths.
	default:
		panic("yjs: splitting content that cannot be split")
	}
}

// add appends text to the arena and returns its offset and length.
func (a *textArena) add(p []byte) (uint32, uint32) {
	off := len(a.buf)
	if off+len(p) > maxClock {
		panic("yjs: document text exceeds 4 GiB")
	}
	a.buf = append(a.buf, p...)
	return uint32(off), uint32(len(p))
}

// reserve makes room for n more bytes.
func (a *textArena) reserve(n int) {
	if cap(a.buf)-len(a.buf) < n {
		grown := make([]byte, len(a.buf), len(a.buf)+n)
		copy(grown, a.buf)
		a.buf = grown
	}
}

func (a *textArena) addString(s string) (uint32, uint32) {
	off := len(a.buf)
	if off+len(s) > maxClock {
		panic("yjs: document text exceeds 4 GiB")
	}
	a.buf = append(a.buf, s...)
	return uint32(off), uint32(len(s))
}

// itemText returns the UTF-8 text of a string item.
func (d *Doc) itemText(it *item) []byte {
	if it.hasSub() {
		return []byte(d.vals[it.data].(string))
	}
	return d.text.buf[it.data : it.data+it.data2 : it.data+it.data2]
}

// itemString returns the text of a string item as a string.
func (d *Doc) itemString(it *item) string {
	if it.hasSub() {
		return d.vals[it.data].(string)
	}
	return string(d.text.buf[it.data : it.data+it.data2])
}

// mergeItems appends right to left if yjs would merge them (Item.mergeWith)
// and reports whether it did.
func (d *Doc) mergeItems(leftRef, rightRef ref) bool {
	left := d.items.at(leftRef)
	right := d.items.at(rightRef)
	lk := left.kind()
	if lk != right.kind() {
		return false
	}
	if lk == contentGC {
		left.length += right.length
		return true
	}
	if right.oClient != left.client() || right.oClock != left.clock+left.length-1 ||
		left.right != rightRef ||
		left.roClient != right.roClient || (left.roClient != noClient && left.roClock != right.roClock) ||
		left.client() != right.client() || left.clock+left.length != right.clock ||
		left.deleted() != right.deleted() {
		return false
	}
	switch lk {
	case contentString:
		if left.hasSub() {
			d.vals[left.data] = d.vals[left.data].(string) + d.vals[right.data].(string)
			d.freeVal(right.data)
			break
		}
		a := &d.text
		if left.data+left.data2 != right.data && len(a.buf)+int(left.data2+right.data2) > maxClock {
			// Joining the texts needs room the arena does not have (4 GiB):
			// make it, or leave the items apart.
			d.compactTextNow()
			if left.data+left.data2 != right.data && len(a.buf)+int(left.data2+right.data2) > maxClock {
				return false
			}
		}
		switch {
		case left.data+left.data2 == right.data:
		case int(left.data+left.data2) == len(a.buf):
			a.buf = append(a.buf, a.buf[right.data:right.data+right.data2]...)
			a.garbage += int(right.data2)
		default:
			off := uint32(len(a.buf))
			a.buf = append(a.buf, a.buf[left.data:left.data+left.data2]...)
			a.buf = append(a.buf, a.buf[right.data:right.data+right.data2]...)
			a.garbage += int(left.data2 + right.data2)
			left.data = off
		}
		left.data2 += right.data2
	case contentDeleted:
	case contentAny, contentJSON:
		l := d.vals[left.data].([]any)
		r := d.vals[right.data].([]any)
		d.vals[left.data] = append(l, r...)
		d.freeVal(right.data)
	default:
		return false
	}
	if right.meta&flagKeep != 0 {
		left.meta |= flagKeep
	}
	left.right = right.right
	if left.right != 0 {
		d.items.at(left.right).left = leftRef
	}
	vis := right.visible()
	left.length += right.length
	if t := d.types[left.parent]; t != nil && t.index != nil && !left.hasSub() {
		t.index.merge(d, leftRef, rightRef, vis)
	}
	return true
}

// mayMerge reports whether the structs left and right, neighbours in their
// client's list, pass the first tests of tryToMergeWithLefts and
// mergeItems; it saves the calls for the many that do not.
func (d *Doc) mayMerge(leftRef, rightRef ref) bool {
	left, right := d.items.at(leftRef), d.items.at(rightRef)
	if (left.meta^right.meta)&(kindMask|flagDeleted) != 0 {
		return false
	}
	return left.isGC() || (left.right == rightRef && right.oClient == left.client() && right.oClock == left.clock+left.length-1)
}

// tryToMergeWithLefts merges structs[pos] into its left neighbours as far
// as possible and returns how many merged (yjs tryToMergeWithLefts).
func (d *Doc) tryToMergeWithLefts(c uint32, pos int) int {
	structs := &d.structs[c]
	i := pos
	for ; i > 0; i-- {
		leftRef, rightRef := structs.at(i-1).r, structs.at(i).r
		left, right := d.items.at(leftRef), d.items.at(rightRef)
		if left.deleted() != right.deleted() || left.isGC() != right.isGC() {
			break
		}
		if !d.mergeItems(leftRef, rightRef) {
			break
		}
		if !right.isGC() && right.hasSub() {
			t := d.types[right.parent]
			k := d.keys[right.data2]
			if t.entries[k] == rightRef {
				t.entries[k] = leftRef
			}
		}
		d.items.release(rightRef)
	}
	merged := pos - i
	if merged > 0 {
		d.changedAt(c, pos+1-merged)
		structs.remove(pos+1-merged, merged)
	}
	return merged
}

// freeContent drops an item's content payload.
func (d *Doc) freeContent(it *item) {
	switch it.kind() {
	case contentString:
		if it.hasSub() {
			d.freeVal(it.data)
		} else {
			d.text.garbage += int(it.data2)
			it.data2 = 0
		}
	case contentType:
		if t := d.types[it.data]; t != nil {
			t.dead = true
			d.types[it.data] = nil
		}
	case contentDeleted, contentGC:
	default:
		d.freeVal(it.data)
	}
	it.data = 0
}

// gcItem garbage-collects a deleted item (yjs Item.gc): its content is
// dropped; if its parent was collected too it becomes a GC struct.
func (d *Doc) gcItem(r ref, parentGCd bool) {
	it := d.items.at(r)
	if it.kind() == contentType {
		t := d.types[it.data]
		if t != nil {
			d.gcTypeChildren(t)
		}
	}
	d.freeContent(it)
	if parentGCd {
		it.meta = it.meta&clientMask | contentGC<<kindShift | flagDeleted
		it.oClient, it.oClock, it.roClient, it.roClock = noClient, 0, noClient, 0
		it.left, it.right, it.parent, it.data, it.data2 = 0, 0, 0, 0, 0
		return
	}
	it.setKind(contentDeleted)
}

// gcTypeChildren collects everything inside a collected type (yjs
// ContentType.gc).
func (d *Doc) gcTypeChildren(t *ytype) {
	for n := t.start; n != 0; {
		next := d.items.at(n).right
		d.gcItem(n, true)
		n = next
	}
	t.start = 0
	for _, n := range t.entries {
		for n != 0 {
			prev := d.items.at(n).left
			d.gcItem(n, true)
			n = prev
		}
	}
	t.entries = nil
	if t.index != nil {
		t.index = nil
	}
}

// compactText rebuilds the text arena without garbage once garbage makes up
// most of it.
func (d *Doc) compactText() {
	a := &d.text
	if a.garbage < 1<<16 || a.garbage < len(a.buf)/2 {
		return
	}
	d.compactTextNow()
}

// compactTextNow rebuilds the text arena without garbage.
func (d *Doc) compactTextNow() {
	a := &d.text
	buf := make([]byte, 0, len(a.buf)-a.garbage+len(a.buf)/8)
	for c := range d.structs {
		structs := &d.structs[c]
		for i := 0; i < structs.len(); i++ {
			it := d.items.at(structs.at(i).r)
			if it.kind() != contentString || it.hasSub() {
				continue
			}
			off := len(buf)
			buf = append(buf, a.buf[it.data:it.data+it.data2]...)
			it.data = uint32(off)
		}
	}
	a.buf = buf
	a.garbage = 0
}
