package yjs

import (
	"sort"
	"strings"
)

type updateHandler struct {
	fn func(update []byte, origin any)
}

type afterTxHandler struct {
	fn func(tx *Transaction)
}

// OnUpdate registers fn to receive, after each transaction that changed
// the document, the change as a v1 update and the transaction's origin.
// The update is encoded afresh for each transaction and never reused by
// the document, so fn may keep it without copying; every handler receives
// the same bytes, so none may modify them.
func (d *Doc) OnUpdate(fn func(update []byte, origin any)) (unsubscribe func()) {
	h := &updateHandler{fn}
	d.onUpdate = append(d.onUpdate, h)
	return func() { d.onUpdate = removeHandler(d.onUpdate, h) }
}

// OnUpdateV2 is OnUpdate with v2 updates.
func (d *Doc) OnUpdateV2(fn func(update []byte, origin any)) (unsubscribe func()) {
	h := &updateHandler{fn}
	d.onUpdateV2 = append(d.onUpdateV2, h)
	return func() { d.onUpdateV2 = removeHandler(d.onUpdateV2, h) }
}

// OnAfterTransaction registers fn to run after each transaction, after
// the type observers and before garbage collection (yjs
// "afterTransaction").
func (d *Doc) OnAfterTransaction(fn func(tx *Transaction)) (unsubscribe func()) {
	h := &afterTxHandler{fn}
	d.onAfterTx = append(d.onAfterTx, h)
	return func() { d.onAfterTx = removeHandler(d.onAfterTx, h) }
}

func removeHandler[T comparable](hs []T, h T) []T {
	out := make([]T, 0, len(hs))
	for _, x := range hs {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}

// changedContent reports whether a transaction changed anything (yjs
// writeUpdateMessageFromTransaction's test).
func (d *Doc) changedContent(tx *Transaction) bool {
	if !tx.ds.empty() {
		return true
	}
	for _, t := range tx.touched {
		if d.state(t.client) != t.clock {
			return true
		}
	}
	return false
}

func (d *Doc) emitUpdates(tx *Transaction) {
	if len(d.onUpdate) == 0 && len(d.onUpdateV2) == 0 {
		return
	}
	if !d.changedContent(tx) {
		return
	}
	if hs := d.onUpdate; len(hs) > 0 {
		if u, err := d.transactionUpdate(tx, false); err == nil {
			for _, h := range hs {
				h.fn(u, tx.Origin)
			}
		}
	}
	if hs := d.onUpdateV2; len(hs) > 0 {
		if u, err := d.transactionUpdate(tx, true); err == nil {
			for _, h := range hs {
				h.fn(u, tx.Origin)
			}
		}
	}
}

// transactionUpdate encodes what a transaction changed.
func (d *Doc) transactionUpdate(tx *Transaction, v2 bool) ([]byte, error) {
	e := d.scratch.enc
	if e == nil {
		e = newEncoder(v2)
		d.scratch.enc = e
	} else {
		e.reset(v2)
	}
	d.writeTransactionStructs(e, tx)
	tx.ds.write(e)
	return e.bytes()
}

type typeObserver struct {
	fn func(e *Event)
}

type deepObserver struct {
	fn func(events []*Event)
}

// Event describes the changes of one shared type in one transaction (yjs
// YEvent). Its methods compute the changes on demand and may only be
// called while the observer runs.
type Event struct {
	// Target is the changed type: *Text, *Map, *Array, *XmlFragment,
	// *XmlElement, *XmlText or *XmlHook.
	Target any
	// CurrentTarget is the type whose deep observer runs.
	CurrentTarget any
	// Transaction is the transaction that made the changes.
	Transaction *Transaction

	t, current *ytype
	change     *typeChange
	// cache is shared by the copies handed to deep observers, so that the
	// changes are computed once per event, as yjs computes them once (the
	// text delta may delete redundant formatting as a side effect).
	cache *eventCache
}

type eventCache struct {
	keys     map[string]KeyChange
	delta    []Delta
	computed uint8
}

// KeyChange describes how a map key changed.
type KeyChange struct {
	Action   string // "add", "update" or "delete"
	OldValue any
}

const (
	computedKeys = 1 << iota
	computedDelta
)

func (t *ytype) observe(fn func(e *Event)) func() {
	o := &typeObserver{fn}
	t.observers = append(t.observers, o)
	return func() { t.observers = removeHandler(t.observers, o) }
}

func (t *ytype) observeDeep(fn func(events []*Event)) func() {
	o := &deepObserver{fn}
	t.deep = append(t.deep, o)
	return func() { t.deep = removeHandler(t.deep, o) }
}

// Observe registers fn for changes of the text; Event.Delta gives them.
func (t *Text) Observe(fn func(e *Event)) (unobserve func()) { return t.t().observe(fn) }

// ObserveDeep registers fn for changes of the text and its embedded types.
func (t *Text) ObserveDeep(fn func(events []*Event)) (unobserve func()) {
	return t.t().observeDeep(fn)
}

// ChildListChanged reports whether the list (or text) of the target
// changed, as opposed to only its keys.
func (e *Event) ChildListChanged() bool { return e.change.childList }

// KeysChanged returns the changed keys (map entries or attributes).
func (e *Event) KeysChanged() []string { return append([]string(nil), e.change.keys...) }

// Path returns the keys and indices from CurrentTarget to Target.
func (e *Event) Path() []any {
	var path []any
	d := e.t.doc
	child := e.t
	for child.item != 0 && child != e.current {
		it := d.items.at(child.item)
		parent := d.types[it.parent]
		switch {
		case it.hasSub():
			path = append(path, d.keys[it.data2])
		case parent.usesIndex():
			path = append(path, parent.posIndex().offsetOf(d, child.item))
		default:
			i := 0
			for c := parent.start; c != 0 && c != child.item; {
				ci := d.items.at(c)
				i += int(ci.visible())
				c = ci.right
			}
			path = append(path, i)
		}
		child = parent
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

func (e *Event) adds(it *item) bool {
	return it.clock >= e.Transaction.beforeState(it.client())
}

func (e *Event) deletes(it *item) bool {
	d := e.t.doc
	return e.Transaction.ds.isDeleted(ID{d.clients[it.client()], uint64(it.clock)})
}

// Keys returns how each changed key changed (yjs YEvent.keys).
func (e *Event) Keys() map[string]KeyChange {
	if e.cache.computed&computedKeys != 0 {
		return e.cache.keys
	}
	e.cache.computed |= computedKeys
	d := e.t.doc
	keys := map[string]KeyChange{}
	for _, k := range e.change.keys {
		r := e.t.entries[k]
		it := d.items.at(r)
		last := func(x *item) any { return exportValue(d.itemValue(x, int(x.length)-1)) }
		if e.adds(it) {
			prev := it.left
			for prev != 0 && e.adds(d.items.at(prev)) {
				prev = d.items.at(prev).left
			}
			var pi *item
			if prev != 0 {
				pi = d.items.at(prev)
			}
			if e.deletes(it) {
				if pi != nil && e.deletes(pi) {
					keys[k] = KeyChange{"delete", last(pi)}
				}
			} else if pi != nil && e.deletes(pi) {
				keys[k] = KeyChange{"update", last(pi)}
			} else {
				keys[k] = KeyChange{"add", nil}
			}
		} else if e.deletes(it) {
			keys[k] = KeyChange{"delete", last(it)}
		}
	}
	e.cache.keys = keys
	return keys
}

// Delta returns the changes of the target's content: for texts a
// rich-text delta, for lists inserts (of []any), retains and deletes.
func (e *Event) Delta() []Delta {
	c := e.cache
	if c.computed&computedDelta != 0 {
		return c.delta
	}
	c.computed |= computedDelta
	if e.t.kind == typeText || e.t.kind == typeXmlText {
		c.delta = e.textDelta()
	} else {
		c.delta = e.listDelta()
	}
	return c.delta
}

// listDelta is yjs YEvent.changes.delta.
func (e *Event) listDelta() []Delta {
	if !e.change.childList {
		return nil
	}
	d := e.t.doc
	var delta []Delta
	var last *Delta
	for n := e.t.start; n != 0; {
		it := d.items.at(n)
		switch {
		case it.deleted():
			if e.deletes(it) && !e.adds(it) {
				if last == nil || last.Delete == 0 {
					delta = append(delta, Delta{})
					last = &delta[len(delta)-1]
				}
				last.Delete += int(it.length)
			}
		case e.adds(it):
			if last == nil || last.Insert == nil {
				delta = append(delta, Delta{Insert: []any{}})
				last = &delta[len(delta)-1]
			}
			ins := last.Insert.([]any)
			for i := 0; i < int(it.length); i++ {
				ins = append(ins, exportValue(d.itemValue(it, i)))
			}
			last.Insert = ins
		default:
			if last == nil || last.Retain == 0 || last.Insert != nil || last.Delete != 0 {
				delta = append(delta, Delta{})
				last = &delta[len(delta)-1]
			}
			last.Retain += int(it.length)
		}
		n = it.right
	}
	if last != nil && last.Retain != 0 && last.Insert == nil && last.Delete == 0 {
		delta = delta[:len(delta)-1]
	}
	return delta
}

// textDelta is yjs YTextEvent.delta. Like yjs, it deletes formatting
// items that turn out redundant, in a new transaction.
func (e *Event) textDelta() []Delta {
	t := e.t
	d := t.doc
	var delta []Delta
	d.transact(func(tx *Transaction) {
		cur := &attrMap{}
		old := &attrMap{}
		attributes := &attrMap{} // a JavaScript object
		action := ""
		var insert any = ""
		var insertStr strings.Builder
		retain, deleteLen := 0, 0
		addOp := func() {
			if action == "" {
				return
			}
			var op *Delta
			switch action {
			case "delete":
				if deleteLen > 0 {
					op = &Delta{Delete: deleteLen}
				}
				deleteLen = 0
			case "insert":
				var ins any
				if insert != nil {
					ins = insert
				} else {
					ins = insertStr.String()
				}
				// yjs keeps an insert that is an object or a non-empty string.
				if s, isStr := ins.(string); (isStr && len(s) > 0) || (!isStr && jsTypeofObject(ins)) {
					op = &Delta{Insert: exportValue(ins)}
					if cur.len() > 0 {
						op.Attributes = map[string]any{}
						for i, k := range cur.keys {
							if cur.vals[i] != nil {
								op.Attributes[k] = exportAny(cur.vals[i])
							}
						}
					}
				}
				insert = nil
				insertStr.Reset()
			case "retain":
				if retain > 0 {
					op = &Delta{Retain: retain}
					if attributes.len() > 0 {
						op.Attributes = map[string]any{}
						for i, k := range attributes.keys {
							op.Attributes[k] = exportAny(attributes.vals[i])
						}
					}
				}
				retain = 0
			}
			if op != nil {
				delta = append(delta, *op)
			}
			action = ""
		}
		for n := t.start; n != 0; {
			it := d.items.at(n)
			switch it.kind() {
			case contentType, contentEmbed:
				if e.adds(it) {
					if !e.deletes(it) {
						addOp()
						action = "insert"
						insert = d.itemValue(it, 0)
						addOp()
					}
				} else if e.deletes(it) {
					if action != "delete" {
						addOp()
						action = "delete"
					}
					deleteLen++
				} else if !it.deleted() {
					if action != "retain" {
						addOp()
						action = "retain"
					}
					retain++
				}
			case contentString:
				if e.adds(it) {
					if !e.deletes(it) {
						if action != "insert" {
							addOp()
							action = "insert"
							insert = nil
						}
						insertStr.Write(d.itemText(it))
					}
				} else if e.deletes(it) {
					if action != "delete" {
						addOp()
						action = "delete"
					}
					deleteLen += int(it.length)
				} else if !it.deleted() {
					if action != "retain" {
						addOp()
						action = "retain"
					}
					retain += int(it.length)
				}
			case contentFormat:
				f := d.vals[it.data].(*formatValue)
				if e.adds(it) {
					if !e.deletes(it) {
						curVal := cur.getOrNull(f.key)
						if !equalAttrs(curVal, f.value) {
							if action == "retain" {
								addOp()
							}
							if equalAttrs(f.value, old.getOrNull(f.key)) {
								attributes.delete(f.key)
							} else {
								attributes.objSet(f.key, f.value)
							}
						} else if f.value != nil {
							d.deleteItem(tx, n)
						}
					}
				} else if e.deletes(it) {
					old.set(f.key, f.value)
					curVal := cur.getOrNull(f.key)
					if !equalAttrs(curVal, f.value) {
						if action == "retain" {
							addOp()
						}
						attributes.objSet(f.key, curVal)
					}
				} else if !it.deleted() {
					old.set(f.key, f.value)
					if attr, ok := attributes.get(f.key); ok && attr != Undefined {
						if !equalAttrs(attr, f.value) {
							if action == "retain" {
								addOp()
							}
							if f.value == nil {
								attributes.delete(f.key)
							} else {
								attributes.objSet(f.key, f.value)
							}
						} else if attr != nil {
							d.deleteItem(tx, n)
						}
					}
				}
				if !it.deleted() {
					if action == "insert" {
						addOp()
					}
					updateAttrs(cur, f)
				}
			}
			n = it.right
		}
		addOp()
		for len(delta) > 0 {
			last := delta[len(delta)-1]
			if last.Retain != 0 && last.Attributes == nil {
				delta = delta[:len(delta)-1]
			} else {
				break
			}
		}
	}, nil, true)
	return delta
}

// callObservers runs type observers, deep observers and after-transaction
// handlers (yjs cleanupTransactions, before garbage collection).
func (d *Doc) callObservers(tx *Transaction) {
	type parentEvents struct {
		t      *ytype
		events []*Event
	}
	var deep []parentEvents
	for i := 0; i < len(tx.changed); i++ {
		c := tx.changed[i]
		t := c.t
		if t.isDeleted() {
			continue
		}
		if !tx.Local && t.hasFormatting && (t.kind == typeText || t.kind == typeXmlText) {
			tx.needFormattingCleanup = true
		}
		if len(t.observers) == 0 && !t.hasDeepObserverAbove() {
			continue
		}
		ev := &Event{Target: t.view(), CurrentTarget: t.view(), Transaction: tx, t: t, current: t, change: c, cache: &eventCache{}}
		for p := t; p != nil; p = p.parentType() {
			found := false
			for j := range deep {
				if deep[j].t == p {
					deep[j].events = append(deep[j].events, ev)
					found = true
					break
				}
			}
			if !found {
				deep = append(deep, parentEvents{p, []*Event{ev}})
			}
		}
		for _, o := range t.observers {
			o.fn(ev)
		}
	}
	for _, pe := range deep {
		t := pe.t
		if len(t.deep) == 0 || t.isDeleted() {
			continue
		}
		var events []*Event
		for _, ev := range pe.events {
			if !ev.t.isDeleted() {
				// The same event goes to every ancestor; each deep observer
				// gets its own copy with its own current target.
				cp := *ev
				cp.CurrentTarget = t.view()
				cp.current = t
				events = append(events, &cp)
			}
		}
		sort.SliceStable(events, func(i, j int) bool { return len(events[i].Path()) < len(events[j].Path()) })
		for _, o := range t.deep {
			o.fn(events)
		}
	}
	for _, h := range d.onAfterTx {
		h.fn(tx)
	}
}

// hasDeepObserverAbove reports whether t or an ancestor has a deep
// observer.
func (t *ytype) hasDeepObserverAbove() bool {
	for p := t; p != nil; p = p.parentType() {
		if len(p.deep) > 0 {
			return true
		}
	}
	return false
}

// jsTypeofObject reports whether JavaScript's typeof v is "object" (null,
// arrays, objects, binaries and shared types).
func jsTypeofObject(v any) bool {
	switch v.(type) {
	case nil, *object, []any, []byte, *Text, *Map, *Array, *XmlFragment, *XmlElement, *XmlText, *XmlHook, Subdoc:
		return true
	}
	return false
}
