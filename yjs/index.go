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
	// in effect (each key's last value, nil for a removal), valid when
	// fmtOK. Only texts with formatting use it.
	fmt   []fmtEntry
	fmtOK bool
}

type fmtEntry struct {
	key   string
	value any
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
	set := func(k string, v any) {
		for i := range n.fmt {
			if n.fmt[i].key == k {
				n.fmt[i].value = v
				return
			}
		}
		n.fmt = append(n.fmt, fmtEntry{k, v})
	}
	if n.leaf {
		for _, r := range n.items {
			it := d.items.at(r)
			if it.kind() == contentFormat && !it.deleted() {
				f := d.vals[it.data].(*formatValue)
				set(f.key, f.value)
			}
		}
	} else {
		for _, k := range n.kids {
			for _, e := range k.fmtSummary(d) {
				set(e.key, e.value)
			}
		}
	}
	n.fmtOK = true
	return n.fmt
}

// attrsThrough returns the attributes in effect after item r in list
// order, from the formatting summaries: O(log n) nodes instead of a walk
// from the start. The order of the keys is not the order yjs's walk would
// give; callers must not depend on it.
func (x *posIndex) attrsThrough(d *Doc, r ref) attrMap {
	var seen []fmtEntry // first found per key wins: we go backwards
	note := func(k string, v any) {
		for _, e := range seen {
			if e.key == k {
				return
			}
		}
		seen = append(seen, fmtEntry{k, v})
	}
	leaf := d.leafOf(r)
	i := 0
	for leaf.items[i] != r {
		i++
	}
	for ; i >= 0; i-- {
		it := d.items.at(leaf.items[i])
		if it.kind() == contentFormat && !it.deleted() {
			f := d.vals[it.data].(*formatValue)
			note(f.key, f.value)
		}
	}
	for n := leaf; n.parent != nil; n = n.parent {
		kids := n.parent.kids
		j := 0
		for kids[j] != n {
			j++
		}
		for j--; j >= 0; j-- {
			s := kids[j].fmtSummary(d)
			for k := len(s) - 1; k >= 0; k-- {
				note(s[k].key, s[k].value)
			}
		}
	}
	var m attrMap
	for _, e := range seen {
		if e.value != nil {
			m.set(e.key, e.value)
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
