package yjs

// jsSort sorts a like V8's Array.prototype.sort (TimSort) sorts it. Any
// stable sort would do for a consistent comparator, but yjs's merge
// comparator is not consistent when a GC and an Item start at the same
// clock; then only the same algorithm gives the same order.
func jsSort[T any](a []T, cmp func(x, y T) int) {
	n := len(a)
	if n < 2 {
		return
	}
	// Newer V8 sorts arrays shorter than 10 by binary insertion alone; the
	// V8 of Node 20, which the tests pin, runs TimSort for every length.
	s := timSort[T]{a: a, cmp: cmp, minGallop: minGallopWins}
	s.sort()
}

const minGallopWins = 7

type timSort[T any] struct {
	a         []T
	cmp       func(x, y T) int
	minGallop int
	runs      [][2]int // base, length
	tmp       []T
}

func (s *timSort[T]) sort() {
	low := 0
	remaining := len(s.a)
	minRun := computeMinRunLength(remaining)
	for remaining != 0 {
		runLen := s.countAndMakeRun(low, low+remaining)
		if runLen < minRun {
			forced := min(minRun, remaining)
			s.binaryInsertionSort(low, low+runLen, low+forced)
			runLen = forced
		}
		s.runs = append(s.runs, [2]int{low, runLen})
		s.mergeCollapse()
		low += runLen
		remaining -= runLen
	}
	s.mergeForceCollapse()
}

func computeMinRunLength(n int) int {
	r := 0
	for n >= 64 {
		r |= n & 1
		n >>= 1
	}
	return n + r
}

func (s *timSort[T]) binaryInsertionSort(low, start, high int) {
	a := s.a
	if low == start {
		start++
	}
	for ; start < high; start++ {
		left, right := low, start
		pivot := a[start]
		for left < right {
			mid := left + (right-left)>>1
			if s.cmp(pivot, a[mid]) < 0 {
				right = mid
			} else {
				left = mid + 1
			}
		}
		copy(a[left+1:start+1], a[left:start])
		a[left] = pivot
	}
}

func (s *timSort[T]) countAndMakeRun(lowArg, high int) int {
	a := s.a
	low := lowArg + 1
	if low == high {
		return 1
	}
	runLen := 2
	descending := s.cmp(a[low], a[low-1]) < 0
	prev := a[low]
	for idx := low + 1; idx < high; idx++ {
		cur := a[idx]
		order := s.cmp(cur, prev)
		if descending {
			if order >= 0 {
				break
			}
		} else if order < 0 {
			break
		}
		prev = cur
		runLen++
	}
	if descending {
		for i, j := lowArg, lowArg+runLen-1; i < j; i, j = i+1, j-1 {
			a[i], a[j] = a[j], a[i]
		}
	}
	return runLen
}

func (s *timSort[T]) runInvariantEstablished(n int) bool {
	if n < 2 {
		return true
	}
	return s.runs[n-2][1] > s.runs[n-1][1]+s.runs[n][1]
}

func (s *timSort[T]) mergeCollapse() {
	for len(s.runs) > 1 {
		n := len(s.runs) - 2
		if !s.runInvariantEstablished(n+1) || !s.runInvariantEstablished(n) {
			if s.runs[n-1][1] < s.runs[n+1][1] {
				n--
			}
			s.mergeAt(n)
		} else if s.runs[n][1] <= s.runs[n+1][1] {
			s.mergeAt(n)
		} else {
			break
		}
	}
}

func (s *timSort[T]) mergeForceCollapse() {
	for len(s.runs) > 1 {
		n := len(s.runs) - 2
		if n > 0 && s.runs[n-1][1] < s.runs[n+1][1] {
			n--
		}
		s.mergeAt(n)
	}
}

func (s *timSort[T]) mergeAt(i int) {
	baseA, lenA := s.runs[i][0], s.runs[i][1]
	baseB, lenB := s.runs[i+1][0], s.runs[i+1][1]
	s.runs[i][1] = lenA + lenB
	if i == len(s.runs)-3 {
		s.runs[i+1] = s.runs[i+2]
	}
	s.runs = s.runs[:len(s.runs)-1]

	k := s.gallopRight(s.a, s.a[baseB], baseA, lenA, 0)
	baseA += k
	lenA -= k
	if lenA == 0 {
		return
	}
	lenB = s.gallopLeft(s.a, s.a[baseA+lenA-1], baseB, lenB, lenB-1)
	if lenB == 0 {
		return
	}
	if lenA <= lenB {
		s.mergeLow(baseA, lenA, baseB, lenB)
	} else {
		s.mergeHigh(baseA, lenA, baseB, lenB)
	}
}

func (s *timSort[T]) gallopLeft(a []T, key T, base, length, hint int) int {
	lastOfs, offset := 0, 1
	if s.cmp(a[base+hint], key) < 0 {
		maxOfs := length - hint
		for offset < maxOfs {
			if s.cmp(a[base+hint+offset], key) >= 0 {
				break
			}
			lastOfs = offset
			offset = offset<<1 + 1
		}
		if offset > maxOfs {
			offset = maxOfs
		}
		lastOfs += hint
		offset += hint
	} else {
		maxOfs := hint + 1
		for offset < maxOfs {
			if s.cmp(a[base+hint-offset], key) < 0 {
				break
			}
			lastOfs = offset
			offset = offset<<1 + 1
		}
		if offset > maxOfs {
			offset = maxOfs
		}
		lastOfs, offset = hint-offset, hint-lastOfs
	}
	lastOfs++
	for lastOfs < offset {
		m := lastOfs + (offset-lastOfs)>>1
		if s.cmp(a[base+m], key) < 0 {
			lastOfs = m + 1
		} else {
			offset = m
		}
	}
	return offset
}

func (s *timSort[T]) gallopRight(a []T, key T, base, length, hint int) int {
	lastOfs, offset := 0, 1
	if s.cmp(key, a[base+hint]) < 0 {
		maxOfs := hint + 1
		for offset < maxOfs {
			if s.cmp(key, a[base+hint-offset]) >= 0 {
				break
			}
			lastOfs = offset
			offset = offset<<1 + 1
		}
		if offset > maxOfs {
			offset = maxOfs
		}
		lastOfs, offset = hint-offset, hint-lastOfs
	} else {
		maxOfs := length - hint
		for offset < maxOfs {
			if s.cmp(key, a[base+hint+offset]) < 0 {
				break
			}
			lastOfs = offset
			offset = offset<<1 + 1
		}
		if offset > maxOfs {
			offset = maxOfs
		}
		lastOfs += hint
		offset += hint
	}
	lastOfs++
	for lastOfs < offset {
		m := lastOfs + (offset-lastOfs)>>1
		if s.cmp(key, a[base+m]) < 0 {
			offset = m
		} else {
			lastOfs = m + 1
		}
	}
	return offset
}

func (s *timSort[T]) tempArray(n int) []T {
	if len(s.tmp) < max(32, n) {
		s.tmp = make([]T, max(32, n))
	}
	return s.tmp
}

// move copies like V8's Copy: backwards when the ranges overlap that way.
func move[T any](src []T, srcPos int, dst []T, dstPos, n int) {
	copy(dst[dstPos:dstPos+n], src[srcPos:srcPos+n])
}

func (s *timSort[T]) mergeLow(baseA, lenA, baseB, lenB int) {
	a := s.a
	tmp := s.tempArray(lenA)
	move(a, baseA, tmp, 0, lenA)
	dest, cursorTemp, cursorB := baseA, 0, baseB
	a[dest] = a[cursorB]
	dest++
	cursorB++
	minGallop := s.minGallop

	lenB--
	if lenB == 0 {
		goto succeed
	}
	if lenA == 1 {
		goto copyB
	}
	for {
		winsA, winsB := 0, 0
		for {
			if s.cmp(a[cursorB], tmp[cursorTemp]) < 0 {
				a[dest] = a[cursorB]
				dest++
				cursorB++
				winsB++
				lenB--
				winsA = 0
				if lenB == 0 {
					goto succeed
				}
				if winsB >= minGallop {
					break
				}
			} else {
				a[dest] = tmp[cursorTemp]
				dest++
				cursorTemp++
				winsA++
				lenA--
				winsB = 0
				if lenA == 1 {
					goto copyB
				}
				if winsA >= minGallop {
					break
				}
			}
		}
		minGallop++
		first := true
		for winsA >= minGallopWins || winsB >= minGallopWins || first {
			first = false
			minGallop = max(1, minGallop-1)
			s.minGallop = minGallop
			winsA = s.gallopRight(tmp, a[cursorB], cursorTemp, lenA, 0)
			if winsA > 0 {
				move(tmp, cursorTemp, a, dest, winsA)
				dest += winsA
				cursorTemp += winsA
				lenA -= winsA
				if lenA == 1 {
					goto copyB
				}
				if lenA == 0 {
					goto succeed
				}
			}
			a[dest] = a[cursorB]
			dest++
			cursorB++
			lenB--
			if lenB == 0 {
				goto succeed
			}
			winsB = s.gallopLeft(a, tmp[cursorTemp], cursorB, lenB, 0)
			if winsB > 0 {
				move(a, cursorB, a, dest, winsB)
				dest += winsB
				cursorB += winsB
				lenB -= winsB
				if lenB == 0 {
					goto succeed
				}
			}
			a[dest] = tmp[cursorTemp]
			dest++
			cursorTemp++
			lenA--
			if lenA == 1 {
				goto copyB
			}
		}
		minGallop++
		s.minGallop = minGallop
	}
succeed:
	if lenA > 0 {
		move(tmp, cursorTemp, a, dest, lenA)
	}
	return
copyB:
	move(a, cursorB, a, dest, lenB)
	a[dest+lenB] = tmp[cursorTemp]
}

func (s *timSort[T]) mergeHigh(baseA, lenA, baseB, lenB int) {
	a := s.a
	tmp := s.tempArray(lenB)
	move(a, baseB, tmp, 0, lenB)
	dest := baseB + lenB - 1
	cursorTemp := lenB - 1
	cursorA := baseA + lenA - 1
	a[dest] = a[cursorA]
	dest--
	cursorA--
	minGallop := s.minGallop

	lenA--
	if lenA == 0 {
		goto succeed
	}
	if lenB == 1 {
		goto copyA
	}
	for {
		winsA, winsB := 0, 0
		for {
			if s.cmp(tmp[cursorTemp], a[cursorA]) < 0 {
				a[dest] = a[cursorA]
				dest--
				cursorA--
				winsA++
				lenA--
				winsB = 0
				if lenA == 0 {
					goto succeed
				}
				if winsA >= minGallop {
					break
				}
			} else {
				a[dest] = tmp[cursorTemp]
				dest--
				cursorTemp--
				winsB++
				lenB--
				winsA = 0
				if lenB == 1 {
					goto copyA
				}
				if winsB >= minGallop {
					break
				}
			}
		}
		minGallop++
		first := true
		for winsA >= minGallopWins || winsB >= minGallopWins || first {
			first = false
			minGallop = max(1, minGallop-1)
			s.minGallop = minGallop
			k := s.gallopRight(a, tmp[cursorTemp], baseA, lenA, lenA-1)
			winsA = lenA - k
			if winsA > 0 {
				dest -= winsA
				cursorA -= winsA
				move(a, cursorA+1, a, dest+1, winsA)
				lenA -= winsA
				if lenA == 0 {
					goto succeed
				}
			}
			a[dest] = tmp[cursorTemp]
			dest--
			cursorTemp--
			lenB--
			if lenB == 1 {
				goto copyA
			}
			k = s.gallopLeft(tmp, a[cursorA], 0, lenB, lenB-1)
			winsB = lenB - k
			if winsB > 0 {
				dest -= winsB
				cursorTemp -= winsB
				move(tmp, cursorTemp+1, a, dest+1, winsB)
				lenB -= winsB
				if lenB == 1 {
					goto copyA
				}
				if lenB == 0 {
					goto succeed
				}
			}
			a[dest] = a[cursorA]
			dest--
			cursorA--
			lenA--
			if lenA == 0 {
				goto succeed
			}
		}
		minGallop++
		s.minGallop = minGallop
	}
succeed:
	if lenB > 0 {
		move(tmp, 0, a, dest-(lenB-1), lenB)
	}
	return
copyA:
	dest -= lenA
	cursorA -= lenA
	move(a, cursorA+1, a, dest+1, lenA)
	a[dest] = tmp[cursorTemp]
}
