package yjs

import "errors"

// Transaction groups changes to a document. Observers and update handlers
// run once per transaction, after its function returns. A Transaction is
// only valid during the function or callback it was handed to: the
// document reuses it afterwards.
type Transaction struct {
	doc *Doc
	// Origin is the value passed to Transact or ApplyUpdate, for observers
	// to tell where a change came from.
	Origin any
	// Local is false for transactions that apply remote updates.
	Local bool

	ds deleteSet
	// deletedItems counts the items deleteItem deleted. The transaction's
	// other deleted structs (deleted content, GC) need no collecting.
	deletedItems int
	// touched records each client's state before the transaction first
	// added to it; other clients are unchanged.
	touched      []clientClock
	touchedIndex map[uint32]int
	mergeStructs []itemID
	changed      []*typeChange
	changePool   []*typeChange // reused records, changed[i] is changePool[i]
	changedIndex map[*ytype]*typeChange

	needFormattingCleanup bool
	// capture, when set, receives the transaction's update (TransactUpdate).
	capture        *capturedUpdate
	subdocsAdded   []string
	subdocsRemoved []string
	subdocsLoaded  []string
}

type clientClock struct {
	client uint32
	clock  uint32
}

// typeChange records what changed in one type: its list (childList) and
// which keys.
type typeChange struct {
	t         *ytype
	tx        *Transaction
	childList bool
	keys      []string
}

// Doc returns the document of the transaction.
func (tx *Transaction) Doc() *Doc { return tx.doc }

func (tx *Transaction) reset(d *Doc, origin any, local bool) {
	tx.doc = d
	tx.Origin = origin
	tx.Local = local
	tx.ds.reset()
	tx.deletedItems = 0
	tx.touched = tx.touched[:0]
	tx.touchedIndex = nil
	tx.mergeStructs = tx.mergeStructs[:0]
	tx.changed = tx.changed[:0]
	tx.changedIndex = nil
	tx.needFormattingCleanup = false
	tx.capture = nil
	tx.subdocsAdded = tx.subdocsAdded[:0]
	tx.subdocsRemoved = tx.subdocsRemoved[:0]
	tx.subdocsLoaded = tx.subdocsLoaded[:0]
}

// release drops large buffers of a finished transaction kept for reuse, so
// that a big update does not pin its bookkeeping in memory.
func (tx *Transaction) release() {
	const keep = 256
	if cap(tx.mergeStructs) > keep {
		tx.mergeStructs = nil
	}
	if cap(tx.touched) > keep {
		tx.touched = nil
	}
	big := len(tx.ds.entries) > keep
	for _, e := range tx.ds.entries {
		if cap(e.ranges) > keep {
			big = true
		}
	}
	if big {
		tx.ds = deleteSet{}
	}
	tx.changed = tx.changed[:0]
	tx.capture = nil
	tx.Origin = nil
	tx.doc = nil
}

// touch records client c's state before its first change.
func (tx *Transaction) touch(c uint32, d *Doc) {
	if tx.touchedIndex != nil {
		if _, ok := tx.touchedIndex[c]; ok {
			return
		}
	} else {
		for i := range tx.touched {
			if tx.touched[i].client == c {
				return
			}
		}
	}
	tx.touched = append(tx.touched, clientClock{c, d.state(c)})
	if tx.touchedIndex != nil {
		tx.touchedIndex[c] = len(tx.touched) - 1
	} else if len(tx.touched) > 8 {
		tx.touchedIndex = make(map[uint32]int, 16)
		for i, t := range tx.touched {
			tx.touchedIndex[t.client] = i
		}
	}
}

// beforeState returns client c's clock when the transaction started.
func (tx *Transaction) beforeState(c uint32) uint32 {
	if tx.touchedIndex != nil {
		if i, ok := tx.touchedIndex[c]; ok {
			return tx.touched[i].clock
		}
	} else {
		for i := range tx.touched {
			if tx.touched[i].client == c {
				return tx.touched[i].clock
			}
		}
	}
	if int(c) < len(tx.doc.structs) {
		return tx.doc.state(c)
	}
	return 0
}

// addChanged records that type t changed at key sub (or its list when
// sub is nil), unless t was created in this transaction or is deleted
// (yjs addChangedTypeToTransaction).
func (tx *Transaction) addChanged(t *ytype, sub *string) {
	if t.item != 0 {
		it := tx.doc.items.at(t.item)
		if it.clock >= tx.beforeState(it.client()) || it.deleted() {
			return
		}
	}
	c := t.change
	if c == nil || c.tx != tx {
		if n := len(tx.changed); n < len(tx.changePool) {
			c = tx.changePool[n]
			c.keys = c.keys[:0]
			c.childList = false
		} else {
			c = &typeChange{}
			tx.changePool = append(tx.changePool, c)
		}
		c.t = t
		c.tx = tx
		t.change = c
		tx.changed = append(tx.changed, c)
	}
	if sub == nil {
		c.childList = true
		return
	}
	for _, k := range c.keys {
		if k == *sub {
			return
		}
	}
	c.keys = append(c.keys, *sub)
}

// removeChanged forgets the changes of a deleted type.
func (tx *Transaction) removeChanged(t *ytype) {
	c := t.change
	if c == nil || c.tx != tx {
		return
	}
	t.change = nil
	for i, x := range tx.changed {
		if x == c {
			// Keep changed a prefix of changePool: move the record to the
			// end of the used part.
			n := len(tx.changed)
			copy(tx.changed[i:], tx.changed[i+1:])
			copy(tx.changePool[i:n-1], tx.changePool[i+1:n])
			tx.changePool[n-1] = c
			tx.changed = tx.changed[:n-1]
			break
		}
	}
}

// Transact runs fn in a transaction. Nested calls join the outer
// transaction. Observers and update handlers run after the outermost
// transaction ends.
func (d *Doc) Transact(fn func(tx *Transaction), origin any) {
	d.transact(fn, origin, true)
}

// ErrNestedTransaction is returned by TransactUpdate called inside
// another transaction or from an observer, where the update of its
// function alone does not exist yet.
var ErrNestedTransaction = errors.New("yjs: TransactUpdate inside a transaction")

type capturedUpdate struct {
	v2     bool
	update []byte
	err    error
}

// TransactUpdate runs fn in a transaction, like Transact, and returns the
// transaction's changes as a v1 update: the bytes an OnUpdate handler
// receives for it, or nil when it changed nothing. A server applying an
// edit of its own gets the update to store and broadcast without
// subscribing to every update of the document.
//
// It fails with ErrNestedTransaction inside another transaction or an
// observer, before running fn. An error encoding the update (a value
// format v1 cannot hold, such as a BigInt embed) does not undo the
// transaction.
func (d *Doc) TransactUpdate(fn func(tx *Transaction), origin any) ([]byte, error) {
	return d.transactUpdate(fn, origin, false)
}

// TransactUpdateV2 is TransactUpdate with a v2 update.
func (d *Doc) TransactUpdateV2(fn func(tx *Transaction), origin any) ([]byte, error) {
	return d.transactUpdate(fn, origin, true)
}

func (d *Doc) transactUpdate(fn func(tx *Transaction), origin any, v2 bool) ([]byte, error) {
	if d.tx != nil || d.inCleanup {
		return nil, ErrNestedTransaction
	}
	c := &capturedUpdate{v2: v2}
	func() {
		tx, own := d.begin(origin, true)
		defer d.end(tx, own)
		tx.capture = c
		fn(tx)
	}()
	return c.update, c.err
}

func (d *Doc) transact(fn func(tx *Transaction), origin any, local bool) {
	tx, own := d.begin(origin, local)
	defer d.end(tx, own)
	fn(tx)
}

// begin returns the current transaction, or starts one (own is then true
// and the caller must call end). Internal operations use begin and end
// rather than transact to avoid allocating a closure per edit.
func (d *Doc) begin(origin any, local bool) (tx *Transaction, own bool) {
	if d.tx != nil {
		return d.tx, false
	}
	tx = d.txFree
	if tx == nil {
		tx = &Transaction{}
	}
	d.txFree = nil
	tx.reset(d, origin, local)
	d.tx = tx
	d.cleanups = append(d.cleanups, tx)
	return tx, true
}

// end finishes a transaction begun by begin; the first of a queue of
// transactions runs the cleanups of all.
func (d *Doc) end(tx *Transaction, own bool) {
	if !own {
		return
	}
	d.tx = nil
	if len(d.cleanups) > 0 && d.cleanups[0] == tx && !d.inCleanup {
		d.runCleanups()
	}
}

// runCleanups finishes queued transactions one after another: observers
// may start new transactions, which queue behind.
// A panicking observer does not stop the cleanup of its transaction or of
// those queued behind it (yjs uses finally blocks for this); the first
// panic is raised again at the end.
func (d *Doc) runCleanups() {
	d.inCleanup = true
	var failure any
	for i := 0; i < len(d.cleanups); i++ {
		if p := d.cleanupTransaction(d.cleanups[i]); p != nil && failure == nil {
			failure = p
		}
	}
	for _, tx := range d.cleanups {
		if tx != d.tx {
			tx.release()
			d.txFree = tx
		}
	}
	d.cleanups = d.cleanups[:0]
	d.inCleanup = false
	if failure != nil {
		panic(failure)
	}
}

// cleanupTransaction runs observers, collects garbage, merges structs and
// emits updates (yjs cleanupTransactions). It returns what an observer or
// handler panicked with, if one did.
func (d *Doc) cleanupTransaction(tx *Transaction) (failure any) {
	tx.ds.sortAndMerge()
	func() {
		defer func() { failure = recover() }()
		d.callObservers(tx)
		if tx.needFormattingCleanup {
			d.cleanupFormattingAfterTransaction(tx)
		}
	}()

	if d.gc && tx.deletedItems > 0 {
		d.tryGcDeleteSet(&tx.ds)
	}
	// The structs a transaction added are all tried below, each with its
	// left neighbour; the deleted ranges and split points among them need
	// no other try. (Merging is decided pair by pair, so the order of the
	// tries does not change the result.)
	d.tryMergeDeleteSet(tx)
	for _, t := range tx.touched {
		if d.state(t.client) == t.clock {
			continue
		}
		c := t.client
		first := max(d.findIndex(&d.structs[c], t.clock), 1)
		structs := &d.structs[c]
		for i := structs.len() - 1; i >= first; {
			if !d.mayMerge(structs.at(i-1).r, structs.at(i).r) {
				i--
				continue
			}
			i -= 1 + d.tryToMergeWithLefts(c, i)
		}
	}
	for i := len(tx.mergeStructs) - 1; i >= 0; i-- {
		id := tx.mergeStructs[i]
		if b, ok := tx.addedFrom(id.client); ok && id.clock >= b {
			continue
		}
		pos := d.findIndex(&d.structs[id.client], id.clock)
		if pos+1 < d.structs[id.client].len() {
			if d.tryToMergeWithLefts(id.client, pos+1) > 1 {
				continue
			}
		}
		if pos > 0 {
			d.tryToMergeWithLefts(id.client, pos)
		}
	}
	if !tx.Local {
		if c, ok := d.lookupClient(d.clientID); ok && d.state(c) != tx.beforeState(c) {
			// Someone else uses our client id; pick another, as yjs does.
			d.clientID = randomClientID()
		}
	}
	if c := tx.capture; c != nil && d.changedContent(tx) {
		// Before the handlers run: they may edit the document.
		c.update, c.err = d.transactionUpdate(tx, c.v2)
	}
	func() {
		defer func() {
			if p := recover(); p != nil && failure == nil {
				failure = p
			}
		}()
		d.emitUpdates(tx)
	}()
	d.compactText()
	for _, c := range tx.changed {
		if c.t.change == c {
			c.t.change = nil
		}
	}
	return failure
}

// tryGcDeleteSet garbage-collects the deleted items of ds (yjs
// tryGcDeleteSet).
func (d *Doc) tryGcDeleteSet(ds *deleteSet) {
	for _, e := range ds.entries {
		c, ok := d.lookupClient(e.client)
		if !ok {
			continue
		}
		// Collecting items does not move them, so ranges can go forward,
		// each search starting where the last ended.
		hint := -1
		for di := 0; di < len(e.ranges); di++ {
			r := e.ranges[di]
			end := r.clock + r.len
			structs := &d.structs[c]
			if r.clock >= uint64(d.state(c)) {
				break
			}
			si := d.findIndexNear(structs, uint32(r.clock), hint)
			hint = si
			for ; si < structs.len(); si++ {
				e := structs.at(si)
				if uint64(e.clock) >= end {
					break
				}
				it := d.items.at(e.r)
				// Deleted content is what collecting leaves: nothing to do.
				if k := it.kind(); k != contentGC && k != contentDeleted && it.deleted() && it.meta&flagKeep == 0 {
					d.gcItem(e.r, false)
				}
			}
		}
	}
}

// tryMergeDeleteSet merges the structs around the transaction's deleted
// ranges (yjs tryMergeDeleteSet), except those among the structs the
// transaction added, which cleanupTransaction tries anyway.
func (d *Doc) tryMergeDeleteSet(tx *Transaction) {
	for _, e := range tx.ds.entries {
		c, ok := d.lookupClient(e.client)
		if !ok {
			continue
		}
		added, hasAdded := tx.addedFrom(c)
		hint := -1
		for di := len(e.ranges) - 1; di >= 0; di-- {
			r := e.ranges[di]
			if hasAdded && r.clock >= uint64(added) {
				continue
			}
			structs := &d.structs[c]
			found := d.findIndexNear(structs, uint32(r.clock+r.len-1), min(hint, structs.len()-1))
			hint = found
			si := min(structs.len()-1, 1+found)
			for si > 0 && uint64(structs.at(si).clock) >= r.clock {
				si -= 1 + d.tryToMergeWithLefts(c, si)
			}
		}
	}
}

// touchAt records that client c's state before the transaction was clock
// (a fresh load adds the structs before its transaction starts).
func (tx *Transaction) touchAt(c, clock uint32) {
	tx.touch(c, tx.doc)
	for i := range tx.touched {
		if tx.touched[i].client == c {
			tx.touched[i].clock = clock
			return
		}
	}
}

// addedFrom returns the clock from which the transaction added structs of
// client c, if it added any.
func (tx *Transaction) addedFrom(c uint32) (uint32, bool) {
	i := -1
	if tx.touchedIndex != nil {
		if j, ok := tx.touchedIndex[c]; ok {
			i = j
		}
	} else {
		for j := range tx.touched {
			if tx.touched[j].client == c {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return 0, false
	}
	clock := tx.touched[i].clock
	return clock, tx.doc.state(c) != clock
}
