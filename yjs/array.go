package yjs

// Array is a shared list (yjs Y.Array). Values are JSON-like Go values
// ([]byte becomes binary content, Subdoc a subdocument); nested shared
// types are created with the Insert… and Push… methods that return them.
type Array ytype

func (a *Array) t() *ytype { return (*ytype)(a) }

// Doc returns the document of the array.
func (a *Array) Doc() *Doc { return a.doc }

// Len returns the number of elements.
func (a *Array) Len() int { return a.length }

// Insert inserts values at index.
func (a *Array) Insert(index int, values ...any) error {
	t := a.t()
	if index < 0 || index > t.length {
		return ErrIndexOutOfRange
	}
	lv, err := t.doc.prepareValues(values)
	if err != nil {
		return err
	}
	if err := t.doc.checkRoom(uint64(len(lv)), 0); err != nil {
		return err
	}
	t.doc.transact(func(tx *Transaction) { t.listInsert(tx, index, lv) }, nil, true)
	return nil
}

// Push appends values after the last element.
func (a *Array) Push(values ...any) error {
	t := a.t()
	lv, err := t.doc.prepareValues(values)
	if err != nil {
		return err
	}
	if err := t.doc.checkRoom(uint64(len(lv)), 0); err != nil {
		return err
	}
	t.doc.transact(func(tx *Transaction) { t.listPush(tx, lv) }, nil, true)
	return nil
}

// Delete deletes length elements from index.
func (a *Array) Delete(index, length int) error {
	t := a.t()
	if index < 0 || length < 0 || index+length > t.length {
		return ErrIndexOutOfRange
	}
	t.doc.transact(func(tx *Transaction) { t.listDelete(tx, index, length) }, nil, true)
	return nil
}

// Get returns the element at index.
func (a *Array) Get(index int) (any, bool) {
	v, ok := a.t().listGet(index)
	return exportValue(v), ok
}

// Values returns every element; nested types as handles.
func (a *Array) Values() []any {
	vs := a.t().listValues()
	for i, v := range vs {
		vs[i] = exportValue(v)
	}
	return vs
}

// ToJSON returns the elements with nested types rendered too.
func (a *Array) ToJSON() []any { return a.t().arrayJSON() }

// InsertText inserts a new Text at index and returns it.
func (a *Array) InsertText(index int) (*Text, error) {
	t, err := a.t().insertType(index, typeText, "")
	return (*Text)(t), err
}

// InsertMap inserts a new Map at index and returns it.
func (a *Array) InsertMap(index int) (*Map, error) {
	t, err := a.t().insertType(index, typeMap, "")
	return (*Map)(t), err
}

// InsertArray inserts a new Array at index and returns it.
func (a *Array) InsertArray(index int) (*Array, error) {
	t, err := a.t().insertType(index, typeArray, "")
	return (*Array)(t), err
}

// InsertXmlFragment inserts a new XmlFragment at index and returns it.
func (a *Array) InsertXmlFragment(index int) (*XmlFragment, error) {
	t, err := a.t().insertType(index, typeXmlFragment, "")
	return (*XmlFragment)(t), err
}

// InsertXmlElement inserts a new XmlElement at index and returns it.
func (a *Array) InsertXmlElement(index int, name string) (*XmlElement, error) {
	t, err := a.t().insertType(index, typeXmlElement, name)
	return (*XmlElement)(t), err
}

// InsertXmlText inserts a new XmlText at index and returns it.
func (a *Array) InsertXmlText(index int) (*XmlText, error) {
	t, err := a.t().insertType(index, typeXmlText, "")
	return (*XmlText)(t), err
}

// Observe registers fn for changes of the array; see Event.
func (a *Array) Observe(fn func(e *Event)) (unobserve func()) { return a.t().observe(fn) }

// ObserveDeep registers fn for changes of the array and everything in it.
func (a *Array) ObserveDeep(fn func(events []*Event)) (unobserve func()) {
	return a.t().observeDeep(fn)
}

func (d *Doc) prepareValues(values []any) ([]listValue, error) {
	lv := make([]listValue, len(values))
	for i, v := range values {
		var err error
		if lv[i], err = d.prepareValue(v); err != nil {
			return nil, err
		}
	}
	return lv, nil
}

// insertType inserts a new shared type of kind at index of a list.
func (t *ytype) insertType(index int, kind uint8, name string) (*ytype, error) {
	if index < 0 || index > t.length {
		return nil, ErrIndexOutOfRange
	}
	if err := t.doc.checkRoom(1, 0); err != nil {
		return nil, err
	}
	nt := t.doc.newType(kind, name)
	t.doc.transact(func(tx *Transaction) {
		t.listInsert(tx, index, []listValue{{kind: contentType, typ: nt}})
	}, nil, true)
	return nt, nil
}

// Map is a shared map with string keys (yjs Y.Map).
type Map ytype

func (m *Map) t() *ytype { return (*ytype)(m) }

// Doc returns the document of the map.
func (m *Map) Doc() *Doc { return m.doc }

// Set sets key to a JSON-like value ([]byte becomes binary content,
// Subdoc a subdocument).
func (m *Map) Set(key string, value any) error { return m.t().mapSet(key, value) }

// Get returns the value of key; nested types as handles.
func (m *Map) Get(key string) (any, bool) { return m.t().mapGet(key) }

// Has reports whether key is set.
func (m *Map) Has(key string) bool { return m.t().mapHas(key) }

// Delete deletes key.
func (m *Map) Delete(key string) { m.t().mapDelete(key) }

// Len returns the number of keys.
func (m *Map) Len() int { return m.t().mapLen() }

// Keys returns the keys, sorted.
func (m *Map) Keys() []string { return m.t().sortedKeys() }

// Clear deletes every key.
func (m *Map) Clear() {
	t := m.t()
	t.doc.transact(func(tx *Transaction) {
		for _, k := range t.sortedKeys() {
			t.doc.deleteItem(tx, t.entries[k])
		}
	}, nil, true)
}

// ToJSON returns the entries with nested types rendered too.
func (m *Map) ToJSON() map[string]any { return m.t().mapJSON() }

// SetText sets key to a new Text and returns it.
func (m *Map) SetText(key string) (*Text, error) {
	t, err := m.t().mapSetType(typeText, "", key)
	return (*Text)(t), err
}

// SetMap sets key to a new Map and returns it.
func (m *Map) SetMap(key string) (*Map, error) {
	t, err := m.t().mapSetType(typeMap, "", key)
	return (*Map)(t), err
}

// SetArray sets key to a new Array and returns it.
func (m *Map) SetArray(key string) (*Array, error) {
	t, err := m.t().mapSetType(typeArray, "", key)
	return (*Array)(t), err
}

// SetXmlFragment sets key to a new XmlFragment and returns it.
func (m *Map) SetXmlFragment(key string) (*XmlFragment, error) {
	t, err := m.t().mapSetType(typeXmlFragment, "", key)
	return (*XmlFragment)(t), err
}

// SetXmlElement sets key to a new XmlElement and returns it.
func (m *Map) SetXmlElement(key, name string) (*XmlElement, error) {
	t, err := m.t().mapSetType(typeXmlElement, name, key)
	return (*XmlElement)(t), err
}

// SetXmlText sets key to a new XmlText and returns it.
func (m *Map) SetXmlText(key string) (*XmlText, error) {
	t, err := m.t().mapSetType(typeXmlText, "", key)
	return (*XmlText)(t), err
}

// Observe registers fn for changes of the map; see Event.
func (m *Map) Observe(fn func(e *Event)) (unobserve func()) { return m.t().observe(fn) }

// ObserveDeep registers fn for changes of the map and everything in it.
func (m *Map) ObserveDeep(fn func(events []*Event)) (unobserve func()) {
	return m.t().observeDeep(fn)
}
