package yjs

// structList holds one client's structs in clock order. It is a gap
// buffer: splitting and merging items inserts and removes entries where the
// last edit was, and edits cluster, so the gap saves moving the whole tail
// of a long list on every keystroke. Appending (loading, typing at the end
// of the history) fills the end without moving anything.
type structList struct {
	buf    []sref
	gap    int // logical index where the gap starts
	gapLen int
}

func (l *structList) len() int { return len(l.buf) - l.gapLen }

func (l *structList) at(i int) sref {
	if i >= l.gap {
		i += l.gapLen
	}
	return l.buf[i]
}

func (l *structList) last() sref { return l.at(l.len() - 1) }

func (l *structList) append(e sref) {
	if l.gapLen > 0 {
		if l.gap == l.len() {
			l.buf[l.gap] = e
			l.gap++
			l.gapLen--
			return
		}
		// The gap is inside; the logical end is the physical end.
		l.buf = append(l.buf, e)
		return
	}
	l.buf = append(l.buf, e)
	l.gap = len(l.buf)
}

// moveGap moves the gap to start at logical index to.
func (l *structList) moveGap(to int) {
	if l.gapLen == 0 {
		l.gap = to
		return
	}
	switch {
	case to < l.gap:
		copy(l.buf[to+l.gapLen:l.gap+l.gapLen], l.buf[to:l.gap])
	case to > l.gap:
		copy(l.buf[l.gap:to], l.buf[l.gap+l.gapLen:to+l.gapLen])
	}
	l.gap = to
}

// insert inserts e at logical index i.
func (l *structList) insert(i int, e sref) {
	if l.gapLen == 0 {
		n := len(l.buf)
		g := max(8, n/16)
		nb := make([]sref, n+g)
		copy(nb, l.buf[:i])
		copy(nb[i+g:], l.buf[i:])
		l.buf, l.gap, l.gapLen = nb, i, g
	} else {
		l.moveGap(i)
	}
	l.buf[l.gap] = e
	l.gap++
	l.gapLen--
}

// remove removes the k entries from logical index i.
func (l *structList) remove(i, k int) {
	l.moveGap(i)
	l.gapLen += k
}

// reserve makes room to append n entries without reallocating: exactly
// when the list is empty (loading a document), amortized otherwise.
func (l *structList) reserve(n int) {
	if cap(l.buf)-len(l.buf) >= n {
		return
	}
	size := l.len()
	nb := make([]sref, size, size+max(n, size/4))
	for i := 0; i < size; i++ {
		nb[i] = l.at(i)
	}
	l.buf, l.gap, l.gapLen = nb, size, 0
}
