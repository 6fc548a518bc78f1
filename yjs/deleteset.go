package yjs

import (
	"slices"
	"sort"
)

// dsRange is a range of deleted clocks of one client.
type dsRange struct {
	clock, len uint64
}

type dsEntry struct {
	client uint64
	ranges []dsRange
}

// deleteSet records deleted ranges per client (yjs DeleteSet). Entries keep
// the order in which clients were first added; encoding sorts them.
type deleteSet struct {
	entries []dsEntry
	index   map[uint64]int // built once there are many clients
	last    int            // entry of the previous add, a cache
}

func (ds *deleteSet) reset() {
	for i := range ds.entries {
		ds.entries[i].ranges = ds.entries[i].ranges[:0]
	}
	ds.entries = ds.entries[:0]
	ds.index = nil
	ds.last = 0
}

func (ds *deleteSet) empty() bool { return len(ds.entries) == 0 }

// entry returns the index of client's entry, creating it when create is
// set; -1 when absent.
func (ds *deleteSet) entry(client uint64, create bool) int {
	if ds.last < len(ds.entries) && ds.entries[ds.last].client == client {
		return ds.last
	}
	if ds.index != nil {
		if i, ok := ds.index[client]; ok {
			ds.last = i
			return i
		}
	} else {
		for i := range ds.entries {
			if ds.entries[i].client == client {
				ds.last = i
				return i
			}
		}
	}
	if !create {
		return -1
	}
	i := len(ds.entries)
	if i < cap(ds.entries) {
		// Reuse the ranges slice left by reset.
		ds.entries = ds.entries[:i+1]
		ds.entries[i].client = client
		ds.entries[i].ranges = ds.entries[i].ranges[:0]
	} else {
		ds.entries = append(ds.entries, dsEntry{client: client})
	}
	if ds.index != nil {
		ds.index[client] = i
	} else if len(ds.entries) > 8 {
		ds.index = make(map[uint64]int, 16)
		for j, e := range ds.entries {
			ds.index[e.client] = j
		}
	}
	ds.last = i
	return i
}

// add adds a range, extending the last one when they touch: sortAndMerge
// would merge them anyway, and loading a document adds thousands in order.
func (ds *deleteSet) add(client, clock, length uint64) {
	i := ds.entry(client, true)
	rs := ds.entries[i].ranges
	if n := len(rs); n > 0 && rs[n-1].clock+rs[n-1].len == clock {
		rs[n-1].len += length
		return
	}
	ds.entries[i].ranges = append(rs, dsRange{clock, length})
}

func (ds *deleteSet) ranges(client uint64) []dsRange {
	i := ds.entry(client, false)
	if i < 0 {
		return nil
	}
	return ds.entries[i].ranges
}

// sortAndMerge sorts each client's ranges and merges overlapping and
// adjacent ones (yjs sortAndMergeDeleteSet).
func (ds *deleteSet) sortAndMerge() {
	for i := range ds.entries {
		ds.entries[i].ranges = sortAndMergeRanges(ds.entries[i].ranges)
	}
}

func sortAndMergeRanges(dels []dsRange) []dsRange {
	if len(dels) < 2 {
		return dels
	}
	sorted := true
	for i := 1; i < len(dels); i++ {
		if dels[i].clock < dels[i-1].clock {
			sorted = false
			break
		}
	}
	if !sorted {
		slices.SortStableFunc(dels, func(a, b dsRange) int {
			switch {
			case a.clock < b.clock:
				return -1
			case a.clock > b.clock:
				return 1
			}
			return 0
		})
	}
	j := 1
	for i := 1; i < len(dels); i++ {
		left := &dels[j-1]
		right := dels[i]
		if left.clock+left.len >= right.clock {
			left.len = max(left.len, right.clock+right.len-left.clock)
		} else {
			dels[j] = right
			j++
		}
	}
	return dels[:j]
}

// isDeleted reports whether id lies in a range. The ranges must be sorted.
func (ds *deleteSet) isDeleted(id ID) bool {
	dis := ds.ranges(id.Client)
	return findRange(dis, id.Clock) >= 0
}

func findRange(dis []dsRange, clock uint64) int {
	lo, hi := 0, len(dis)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		r := dis[mid]
		if r.clock <= clock {
			if clock < r.clock+r.len {
				return mid
			}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	return -1
}

// mergeDeleteSets merges several delete sets into a sorted and merged one.
func mergeDeleteSets(dss []*deleteSet) *deleteSet {
	merged := &deleteSet{}
	for i, ds := range dss {
		for _, e := range ds.entries {
			if merged.entry(e.client, false) >= 0 {
				continue
			}
			dels := slices.Clone(e.ranges)
			for _, later := range dss[i+1:] {
				dels = append(dels, later.ranges(e.client)...)
			}
			j := merged.entry(e.client, true)
			merged.entries[j].ranges = dels
		}
	}
	merged.sortAndMerge()
	return merged
}

// sortedClients returns the entry indices ordered by descending client id,
// the order in which yjs writes them.
func (ds *deleteSet) sortedClients() []int {
	if len(ds.entries) == 0 {
		return nil // the delete set of most transactions: no allocation
	}
	idx := make([]int, len(ds.entries))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) == 1 {
		return idx
	}
	sort.SliceStable(idx, func(a, b int) bool { return ds.entries[idx[a]].client > ds.entries[idx[b]].client })
	return idx
}

// write encodes the delete set (yjs writeDeleteSet).
func (ds *deleteSet) write(e *encoder) {
	e.writeVarUint(uint64(len(ds.entries)))
	for _, i := range ds.sortedClients() {
		en := ds.entries[i]
		e.resetDsCurVal()
		e.writeVarUint(en.client)
		e.writeVarUint(uint64(len(en.ranges)))
		for _, r := range en.ranges {
			e.writeDsClock(r.clock)
			e.writeDsLen(r.len)
		}
	}
}

// readDeleteSet decodes a delete set (yjs readDeleteSet): clients without
// ranges are left out, a client listed twice gets both lists.
func readDeleteSet(d *decoder) *deleteSet {
	ds := &deleteSet{}
	readDeleteSetInto(d, ds)
	return ds
}

// readDeleteSetInto reads a delete set into ds, which must be empty.
func readDeleteSetInto(d *decoder, ds *deleteSet) {
	r := &d.rest
	n := r.count(2)
	for i := 0; i < n && r.err == nil; i++ {
		d.resetDsCurVal()
		client := r.varUint()
		m := r.count(2)
		if m == 0 {
			continue
		}
		j := ds.entry(client, true)
		ranges := ds.entries[j].ranges
		if ranges == nil {
			ranges = make([]dsRange, 0, m)
		}
		for k := 0; k < m && r.err == nil; k++ {
			clock := d.readDsClock()
			length := d.readDsLen()
			if clock+length > maxSafeInteger {
				d.fail(errOverflow)
			}
			ranges = append(ranges, dsRange{clock, length})
		}
		ds.entries[j].ranges = ranges
	}
}
