package yjs

// posIndex maps positions of a list to items: a B+ tree over the list's
// items in order, each node holding the number of visible units below it.
// Finding position i descends by those counts, so position lookups cost
// O(log n) instead of a walk over the list. The index is built on the first
// positional lookup in a long list and kept up to date from then on;
// documents that are only loaded, merged and encoded never build one.
type posIndex struct {
	root *pnode
}

type pnode struct {
	parent *pnode
	leaf   bool
	items  []ref    // leaf: items in list order
	kids   []*pnode // inner: children in order
	sum    int      // visible units below
	// fmt is the effect of the formatting items below on the attributes
	// in effect, valid when fmtOK. Only texts with formatting use it.
	fmt   []fmtEntry
	fmtOK bool
}

// The attributes in effect at a position of a text are what a walk from
// the start leaves in a JavaScript Map: each formatting item sets its key,
// or deletes it for a null value. yjs walks, and the Map's order (keys in
// the order they were last added while absent) decides the order of the
// formatting items an insert creates. A node summarizes the effect of its
// items on such a Map as entries in order:
//
//	fmtSet:    the key is set to value; it keeps its place if present
//	           before, else it is added at the entry's place.
//	fmtReset:  the key was deleted, then set: it moves to the entry's place.
//	fmtDelete: the key is deleted.
//
// Effects compose (compose), so the Map at any position is the composition
// of O(log n) node summaries, in the order the walk would build it.
type fmtEntry struct {
	key   string
	value any
	kind  uint8
}

const (
	fmtSet = iota
	fmtReset
	fmtDelete
)

// composeFmt applies the effect next after the effect e and returns the
// combined effect.
func composeFmt(e []fmtEntry, next []fmtEntry) []fmtEntry {
	for _, n := range next {
		e = composeFmtOp(e, n)
	}
	return e
}

// composeFmtOp applies the effect of one entry after e.
func composeFmtOp(e []fmtEntry, n fmtEntry) []fmtEntry {
	i := 0
	for i < len(e) && e[i].key != n.key {
		i++
	}
	if i == len(e) {
		return append(e, n)
	}
	switch {
	case n.kind == fmtDelete:
		e[i].kind, e[i].value = fmtDelete, nil
		return e
	case n.kind == fmtSet && e[i].kind != fmtDelete:
		e[i].value = n.value
		return e
	}
	// Set after a delete, or a reset: the key moves to the end.
	e = append(e[:i], e[i+1:]...)
	return append(e, fmtEntry{n.key, n.value, fmtReset})
}

// fmtOp returns the effect of a formatting item.
func fmtOp(f *formatValue) fmtEntry {
	if f.value == nil {
		return fmtEntry{key: f.key, kind: fmtDelete}
	}
	return fmtEntry{f.key, f.value, fmtSet}
}

// fmtChanged marks the formatting summaries of n and its ancestors stale.
func (n *pnode) fmtChanged() {
	for ; n != nil && n.fmtOK; n = n.parent {
		n.fmtOK = false
	}
}

// fmtSummary returns n's formatting effect, recomputing it if stale.
func (n *pnode) fmtSummary(d *Doc) []fmtEntry {
	if n.fmtOK {
		return n.fmt
	}
	n.fmt = n.fmt[:0]
	if n.leaf {
		for _, r := range n.items {
			it := d.items.at(r)
			if it.kind() == contentFormat && !it.deleted() {
				n.fmt = composeFmtOp(n.fmt, fmtOp(d.vals[it.data].(*formatValue)))
			}
		}
	} else {
		for _, k := range n.kids {
			n.fmt = composeFmt(n.fmt, k.fmtSummary(d))
		}
	}
	n.fmtOK = true
	return n.fmt
}

// attrsThrough returns the attributes in effect after item r in list
// order, in the order a walk from the start adds them (yjs's
// currentAttributes), from O(log n) node summaries.
func (x *posIndex) attrsThrough(d *Doc, r ref) attrMap {
	leaf := d.leafOf(r)
	// The nodes left of the path from the root to the leaf hold what
	// precedes the leaf; compose their effects from the root down.
	var path []*pnode
	for n := leaf; n != nil; n = n.parent {
		path = append(path, n)
	}
	var e []fmtEntry
	for i := len(path) - 1; i > 0; i-- {
		for _, k := range path[i].kids {
			if k == path[i-1] {
				break
			}
			e = composeFmt(e, k.fmtSummary(d))
		}
	}
	for _, o := range leaf.items {
		if it := d.items.at(o); it.kind() == contentFormat && !it.deleted() {
			e = composeFmtOp(e, fmtOp(d.vals[it.data].(*formatValue)))
		}
		if o == r {
			break
		}
	}
	var m attrMap
	for _, en := range e {
		if en.kind != fmtDelete {
			m.keys = append(m.keys, en.key)
			m.vals = append(m.vals, en.value)
		}
	}
	return m
}

const (
	leafMax  = 64
	innerMax = 32
)

// posIndex returns t's index, building it on first use.
func (t *ytype) posIndex() *posIndex {
	if t.index == nil {
		t.index = t.buildIndex()
	}
	return t.index
}

func (t *ytype) buildIndex() *posIndex {
	d := t.doc
	var leaves []*pnode
	cur := &pnode{leaf: true, items: make([]ref, 0, leafMax)}
	for n := t.start; n != 0; {
		it := d.items.at(n)
		if len(cur.items) == leafMax*3/4 {
			leaves = append(leaves, cur)
			cur = &pnode{leaf: true, items: make([]ref, 0, leafMax)}
		}
		cur.items = append(cur.items, n)
		cur.sum += int(it.visible())
		d.setLeaf(n, cur)
		n = it.right
	}
	leaves = append(leaves, cur)
	level := leaves
	for len(level) > 1 {
		var up []*pnode
		for i := 0; i < len(level); i += innerMax * 3 / 4 {
			end := min(i+innerMax*3/4, len(level))
			p := &pnode{kids: append([]*pnode(nil), level[i:end]...)}
			for _, k := range p.kids {
				k.parent = p
				p.sum += k.sum
			}
			up = append(up, p)
		}
		level = up
	}
	return &posIndex{root: level[0]}
}

// leafOf and setLeaf keep, per item, the leaf holding it. The table is
// shaped like the item slab and allocated only while some index exists.
func (d *Doc) leafOf(r ref) *pnode {
	return d.leaves[r>>chunkBits][r&(1<<chunkBits-1)]
}

func (d *Doc) setLeaf(r ref, n *pnode) {
	c := int(r >> chunkBits)
	for len(d.leaves) <= c {
		d.leaves = append(d.leaves, nil)
	}
	if d.leaves[c] == nil {
		d.leaves[c] = make([]*pnode, len(d.items.chunks[c]))
	}
	d.leaves[c][r&(1<<chunkBits-1)] = n
}

// find returns the visible item holding unit i and the offset of i in it.
func (x *posIndex) find(d *Doc, i int) (ref, int) {
	n := x.root
	for !n.leaf {
		for _, k := range n.kids {
			if i < k.sum {
				n = k
				break
			}
			i -= k.sum
		}
	}
	for _, r := range n.items {
		v := int(d.items.at(r).visible())
		if i < v {
			return r, i
		}
		i -= v
	}
	panic("yjs: position index out of sync")
}

// last returns the last item of the list, 0 if it is empty.
func (x *posIndex) last() ref {
	n := x.root
	for !n.leaf {
		if len(n.kids) == 0 {
			return 0
		}
		n = n.kids[len(n.kids)-1]
	}
	if len(n.items) == 0 {
		return 0
	}
	return n.items[len(n.items)-1]
}

// offsetOf returns the number of visible units before item r.
func (x *posIndex) offsetOf(d *Doc, r ref) int {
	leaf := d.leafOf(r)
	pos := 0
	for _, o := range leaf.items {
		if o == r {
			break
		}
		pos += int(d.items.at(o).visible())
	}
	for n := leaf; n.parent != nil; n = n.parent {
		for _, k := range n.parent.kids {
			if k == n {
				break
			}
			pos += k.sum
		}
	}
	return pos
}

func (n *pnode) addSum(delta int) {
	for ; n != nil; n = n.parent {
		n.sum += delta
	}
}

// adjust changes the visible length recorded for item r.
func (x *posIndex) adjust(d *Doc, r ref, delta int) {
	d.leafOf(r).addSum(delta)
}

// insert adds the newly linked item r after its left neighbour.
func (x *posIndex) insert(d *Doc, r ref) {
	it := d.items.at(r)
	vis := int(it.visible())
	if it.left == 0 {
		n := x.root
		for !n.leaf {
			n = n.kids[0]
		}
		x.insertAt(d, n, 0, r, vis)
		return
	}
	x.insertAfter(d, it.left, r, vis)
}

func (x *posIndex) insertAfter(d *Doc, left, r ref, vis int) {
	leaf := d.leafOf(left)
	i := 0
	for leaf.items[i] != left {
		i++
	}
	x.insertAt(d, leaf, i+1, r, vis)
}

func (x *posIndex) insertAt(d *Doc, leaf *pnode, i int, r ref, vis int) {
	if d.items.at(r).kind() == contentFormat {
		leaf.fmtChanged()
	}
	leaf.items = append(leaf.items, 0)
	copy(leaf.items[i+1:], leaf.items[i:])
	leaf.items[i] = r
	d.setLeaf(r, leaf)
	leaf.addSum(vis)
	if len(leaf.items) > leafMax {
		x.splitNode(d, leaf)
	}
}

// splitNode moves the upper half of an overfull node into a new sibling.
func (x *posIndex) splitNode(d *Doc, n *pnode) {
	n.fmtChanged()
	total := n.sum
	sib := &pnode{leaf: n.leaf}
	if n.leaf {
		half := len(n.items) / 2
		sib.items = make([]ref, len(n.items)-half, leafMax+1)
		copy(sib.items, n.items[half:])
		n.items = n.items[:half]
		for _, r := range sib.items {
			d.setLeaf(r, sib)
			sib.sum += int(d.items.at(r).visible())
		}
	} else {
		half := len(n.kids) / 2
		sib.kids = append(make([]*pnode, 0, innerMax+1), n.kids[half:]...)
		n.kids = n.kids[:half]
		for _, k := range sib.kids {
			k.parent = sib
			sib.sum += k.sum
		}
	}
	n.sum = total - sib.sum
	p := n.parent
	if p == nil {
		// A new root; the total below it is unchanged.
		p = &pnode{kids: []*pnode{n}, sum: total}
		n.parent = p
		x.root = p
	}
	sib.parent = p
	i := 0
	for p.kids[i] != n {
		i++
	}
	p.kids = append(p.kids, nil)
	copy(p.kids[i+2:], p.kids[i+1:])
	p.kids[i+1] = sib
	if len(p.kids) > innerMax {
		x.splitNode(d, p)
	}
}

// split records that item left was split and right (holding moved visible
// units of it) follows it.
func (x *posIndex) split(d *Doc, left, right ref, moved uint32) {
	leaf := d.leafOf(left)
	leaf.addSum(-int(moved))
	x.insertAfter(d, left, right, int(moved))
}

// merge records that right (with vis visible units) was appended to left.
func (x *posIndex) merge(d *Doc, left, right ref, vis uint32) {
	x.remove(d, right, int(vis))
	d.leafOf(left).addSum(int(vis))
}

// remove takes item r, holding vis visible units, out of the index.
func (x *posIndex) remove(d *Doc, r ref, vis int) {
	leaf := d.leafOf(r)
	leaf.fmtChanged()
	i := 0
	for leaf.items[i] != r {
		i++
	}
	leaf.items = append(leaf.items[:i], leaf.items[i+1:]...)
	d.setLeaf(r, nil)
	leaf.addSum(-vis)
	// Drop emptied nodes, keeping at least the root.
	n := leaf
	for n.parent != nil && ((n.leaf && len(n.items) == 0) || (!n.leaf && len(n.kids) == 0)) {
		p := n.parent
		j := 0
		for p.kids[j] != n {
			j++
		}
		p.kids = append(p.kids[:j], p.kids[j+1:]...)
		n = p
	}
	if !x.root.leaf && len(x.root.kids) == 0 {
		x.root = &pnode{leaf: true}
	}
	for !x.root.leaf && len(x.root.kids) == 1 {
		x.root = x.root.kids[0]
		x.root.parent = nil
	}
}
