// A yjs peer driven by the Go tests of package yjs. It reads one JSON
// request per line on stdin and answers one JSON line on stdout:
//   {"id": n, "cmd": "...", ...}  ->  {"id": n, "ok": true, "result": ...}
// Binary values travel as base64. The commands run scripts of editing
// steps on yjs documents and apply yjs's update functions, so that Go can
// compare its results with those of the real yjs.
import * as Y from 'yjs'
import * as awareness from 'y-protocols/awareness'
import readline from 'node:readline'
import fs from 'node:fs'
import zlib from 'node:zlib'

const b64 = (u) => Buffer.from(u).toString('base64')
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))

const ctors = {
  text: Y.Text,
  map: Y.Map,
  array: Y.Array,
  xmlfragment: Y.XmlFragment,
  xmlelement: Y.XmlElement,
  xmltext: Y.XmlText
}

// canon renders a value as JSON with sorted keys, so Go can compare.
const canon = (v) => {
  if (v === undefined) return 'null'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (v instanceof Uint8Array) return JSON.stringify({ bin: b64(v) })
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v instanceof Y.AbstractType) return canon(v.toJSON())
  if (v instanceof Y.Doc) return JSON.stringify({ guid: v.guid })
  const keys = Object.keys(v).filter(k => v[k] !== undefined).sort()
  return '{' + keys.map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
}

const root = (doc, kind, name) => doc.get(name, ctors[kind])

// resolve follows a path [kind, name, step...] to a type.
const resolve = (doc, path) => {
  let t = root(doc, path[0], path[1])
  for (let i = 2; i < path.length; i++) {
    const s = path[i]
    t = typeof s === 'string' ? (t instanceof Y.Map ? t.get(s) : t.getAttribute(s)) : t.get(s)
    if (!(t instanceof Y.AbstractType)) throw new Error('path does not lead to a type: ' + JSON.stringify(path))
  }
  return t
}

// value turns the JSON form of a test value into the JavaScript value:
// {"$bin": base64} is a Uint8Array, {"$num": "NaN" | "-0" | "Infinity" |
// "-Infinity"} a special number, {"$undef": 1} undefined and
// {"$bigint": "123"} a bigint, {"$doc": guid} a subdocument. Arrays and
// objects are converted deeply.
const value = (v) => {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(value)
  const keys = Object.keys(v)
  if (keys.length === 1) {
    if (typeof v.$bin === 'string') return unb64(v.$bin)
    if (typeof v.$num === 'string') return Number(v.$num)
    if (v.$undef !== undefined) return undefined
    if (typeof v.$bigint === 'string') return BigInt(v.$bigint)
    if (typeof v.$doc === 'string') return new Y.Doc({ guid: v.$doc })
  }
  const o = {}
  for (const k of keys) o[k] = value(v[k])
  return o
}

const newType = (kind, name) => kind === 'xmlelement' ? new Y.XmlElement(name) : new ctors[kind]()

const runOp = (doc, op) => {
  if (op.t === 'tx') {
    doc.transact(() => { for (const o of op.ops) runOp(doc, o) })
    return
  }
  const t = resolve(doc, op.p)
  switch (op.t) {
    case 'ins':
      if (op.a === undefined) t.insert(op.i, op.s)
      else t.insert(op.i, op.s, op.a)
      break
    case 'emb':
      t.insertEmbed(op.i, op.e, op.a === undefined ? undefined : op.a)
      break
    case 'del':
      t.delete(op.i, op.n)
      break
    case 'fmt':
      t.format(op.i, op.n, op.a)
      break
    case 'delta':
      t.applyDelta(op.d)
      break
    case 'set':
      if (t instanceof Y.Map) t.set(op.k, value(op.v))
      else t.setAttribute(op.k, value(op.v))
      break
    case 'rm':
      if (t instanceof Y.Map) t.delete(op.k)
      else t.removeAttribute(op.k)
      break
    case 'ains':
      t.insert(op.i, op.v.map(value))
      break
    case 'push':
      t.push(op.v.map(value))
      break
    case 'nt': {
      const nt = newType(op.kind, op.name)
      if (op.k !== undefined) t.set(op.k, nt)
      else t.insert(op.i, [nt])
      break
    }
    default:
      throw new Error('unknown op ' + op.t)
  }
}

// describe returns what Go compares: JSON of every root, and the delta of
// every text reachable from the roots (by path).
const describe = (doc, roots) => {
  const json = {}
  const deltas = {}
  const visit = (t, path) => {
    if (t instanceof Y.Text) {
      deltas[JSON.stringify(path)] = canon(t.toDelta())
    }
    if (t instanceof Y.Map) {
      for (const k of [...t.keys()].sort()) {
        const v = t.get(k)
        if (v instanceof Y.AbstractType) visit(v, path.concat([k]))
      }
    } else if (t instanceof Y.Array || t instanceof Y.XmlFragment) {
      t.toArray().forEach((v, i) => { if (v instanceof Y.AbstractType) visit(v, path.concat([i])) })
    }
  }
  for (const [kind, name] of roots) {
    const t = root(doc, kind, name)
    json[name] = t.toJSON()
    visit(t, [kind, name])
  }
  return { json: canon(json), deltas }
}

// typePath returns the path of a type from its root: [name, key|index...].
const typePath = (t) => {
  const path = []
  while (t._item !== null) {
    const item = t._item
    if (item.parentSub !== null) {
      path.unshift(item.parentSub)
    } else {
      let i = 0
      for (let c = item.parent._start; c !== item && c !== null; c = c.right) {
        if (!c.deleted && c.countable) i += c.length
      }
      path.unshift(i)
    }
    t = item.parent
  }
  for (const [k, v] of t.doc.share) if (v === t) path.unshift(k)
  return path
}

const describeEvent = (rootName, e) => {
  const keys = {}
  for (const k of [...e.changes.keys.keys()].sort()) {
    const c = e.changes.keys.get(k)
    keys[k] = { action: c.action, oldValue: c.oldValue }
  }
  const delta = e.target instanceof Y.Text ? e.delta : e.changes.delta
  return { path: [rootName, ...e.path], target: typePath(e.target), delta: canon(delta), keys: canon(keys) }
}

const runScript = (script) => {
  const docs = script.peers.map(p => {
    const d = new Y.Doc({ gc: p.gc })
    d.clientID = p.clientID
    // Like an application, type the roots up front: an untyped root (an
    // AbstractType) would skip the formatting cleanup of remote changes.
    for (const [kind, name] of script.roots) root(d, kind, name)
    return d
  })
  const updates = []
  const updatesV2 = []
  const events = docs.map(() => [])
  const snaps = []
  const relpos = []
  let current = -1
  if (script.observe) {
    docs.forEach((d, i) => {
      for (const [kind, name] of script.roots) {
        root(d, kind, name).observeDeep((evs) => {
          for (const e of evs) events[i].push(describeEvent(name, e))
        })
      }
    })
  }
  docs.forEach((d, i) => {
    d.on('update', (u) => { if (current === i) updates.push(u) })
    d.on('updateV2', (u) => { if (current === i) updatesV2.push(u) })
  })
  for (const step of script.steps) {
    const doc = docs[step.peer]
    if (step.ops) {
      current = step.peer
      for (const op of step.ops) runOp(doc, op)
      current = -1
    } else if (step.snap) {
      snaps.push({ peer: step.peer, snap: Y.snapshot(doc) })
    } else if (step.relpos) {
      const [path, index, assoc] = step.relpos
      const rp = Y.createRelativePositionFromTypeIndex(resolve(doc, path), index, assoc)
      relpos.push(rp)
    } else if (step.apply !== undefined) {
      // With the Go peers' updates given, yjs integrates those bytes: the
      // exchange then goes from Go to yjs (and the Go test feeds yjs's
      // updates to its documents).
      const pick = (k) => script.goUpdates
        ? unb64(step.v2 ? script.goUpdatesV2[k] : script.goUpdates[k])
        : (step.v2 ? updatesV2[k] : updates[k])
      const us = step.apply.map(pick)
      if (us.length === 1) {
        if (step.v2) Y.applyUpdateV2(doc, us[0])
        else Y.applyUpdate(doc, us[0])
      } else if (step.v2) {
        Y.applyUpdateV2(doc, Y.mergeUpdatesV2(us))
      } else {
        Y.applyUpdate(doc, Y.mergeUpdates(us))
      }
    }
  }
  const finals = docs.map(d => ({
    ...describe(d, script.roots),
    v1: b64(Y.encodeStateAsUpdate(d)),
    v2: b64(Y.encodeStateAsUpdateV2(d)),
    sv: b64(Y.encodeStateVector(d))
  }))
  const out = { updates: updates.map(b64), updatesV2: updatesV2.map(b64), finals }
  if (script.observe) out.events = events.map(evs => evs.map(e => JSON.stringify(e)))
  out.snaps = snaps.map(({ peer, snap }) => {
    const d = docs[peer]
    const res = { v1: b64(Y.encodeSnapshot(snap)), v2: b64(Y.encodeSnapshotV2(snap)) }
    if (!d.gc) {
      res.deltas = {}
      const visit = (t, path) => {
        if (t instanceof Y.Text) res.deltas[JSON.stringify(path)] = canon(t.toDelta(snap))
        if (t instanceof Y.Map) for (const k of [...t.keys()].sort()) { const v = t.get(k); if (v instanceof Y.AbstractType) visit(v, path.concat([k])) }
        else if (t instanceof Y.Array || t instanceof Y.XmlFragment) t.toArray().forEach((v, i) => { if (v instanceof Y.AbstractType) visit(v, path.concat([i])) })
      }
      for (const [kind, name] of script.roots) visit(root(d, kind, name), [kind, name])
      const nd = Y.createDocFromSnapshot(d, snap)
      res.doc = describe(nd, script.roots).json
    }
    return res
  })
  out.relpos = relpos.map(rp => ({
    enc: b64(Y.encodeRelativePosition(rp)),
    resolved: docs.map(d => {
      const abs = Y.createAbsolutePositionFromRelativePosition(rp, d)
      return abs === null ? null : JSON.stringify([typePath(abs.type), abs.index, abs.assoc])
    })
  }))
  if (script.checks) out.checks = runChecks(updates, updatesV2, docs, script.checks)
  return out
}

// runChecks applies yjs's document-less update functions to the script's
// updates, for Go to compare bytes.
const runChecks = (updates, updatesV2, docs, checks) => {
  const res = []
  for (const c of checks) {
    // k >= 0 names an update, k < 0 the final state of peer -k-1.
    const pick = (v2) => c.updates.map(k => k >= 0
      ? (v2 ? updatesV2[k] : updates[k])
      : (v2 ? Y.encodeStateAsUpdateV2(docs[-k - 1]) : Y.encodeStateAsUpdate(docs[-k - 1])))
    const sv = c.svPeer !== undefined ? Y.encodeStateVector(docs[c.svPeer]) : new Uint8Array([0])
    const merged = Y.mergeUpdates(pick(false))
    const mergedV2 = Y.mergeUpdatesV2(pick(true))
    res.push({
      merged: b64(merged),
      mergedV2: b64(mergedV2),
      diff: b64(Y.diffUpdate(merged, sv)),
      diffV2: b64(Y.diffUpdateV2(mergedV2, sv)),
      svFrom: b64(Y.encodeStateVectorFromUpdate(merged)),
      svFromV2: b64(Y.encodeStateVectorFromUpdateV2(mergedV2)),
      toV2: b64(Y.convertUpdateFormatV1ToV2(merged)),
      toV1: b64(Y.convertUpdateFormatV2ToV1(mergedV2))
    })
  }
  return res
}

const handlers = {
  ping: () => 'pong',
  run: (req) => req.scripts.map(s => {
    try {
      return { ok: true, result: runScript(s) }
    } catch (e) {
      return { ok: false, error: String(e && e.stack || e) }
    }
  }),
  // update functions on raw bytes
  merge: (req) => b64((req.v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates)(req.updates.map(unb64))),
  diff: (req) => b64((req.v2 ? Y.diffUpdateV2 : Y.diffUpdate)(unb64(req.update), unb64(req.sv))),
  svFromUpdate: (req) => b64((req.v2 ? Y.encodeStateVectorFromUpdateV2 : Y.encodeStateVectorFromUpdate)(unb64(req.update))),
  convert: (req) => b64((req.v2 ? Y.convertUpdateFormatV2ToV1 : Y.convertUpdateFormatV1ToV2)(unb64(req.update))),
  // load an update into a fresh document and describe it
  load: (req) => {
    const d = new Y.Doc({ gc: req.gc !== false })
    if (req.clientID !== undefined) d.clientID = req.clientID
    for (const u of req.updates) {
      if (req.v2) Y.applyUpdateV2(d, unb64(u))
      else Y.applyUpdate(d, unb64(u))
    }
    return {
      ...describe(d, req.roots || []),
      v1: b64(Y.encodeStateAsUpdate(d, req.sv ? unb64(req.sv) : undefined)),
      v2: b64(Y.encodeStateAsUpdateV2(d, req.sv ? unb64(req.sv) : undefined)),
      sv: b64(Y.encodeStateVector(d)),
      snapshot: b64(Y.encodeSnapshot(Y.snapshot(d))),
      snapshotV2: b64(Y.encodeSnapshotV2(Y.snapshot(d)))
    }
  },
  // replay an editing trace as local edits, one call per edit
  trace: (req) => {
    const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(req.file)))
    const d = new Y.Doc({ gc: req.gc !== false })
    d.clientID = req.clientID
    const text = d.getText('text')
    for (const txn of trace.txns) {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins) text.insert(pos, ins)
      }
    }
    return {
      ok: text.toString() === trace.endContent,
      v1: b64(Y.encodeStateAsUpdate(d)),
      v2: b64(Y.encodeStateAsUpdateV2(d))
    }
  },
  // a ProseMirror-shaped document as y-prosemirror stores it
  pmdoc: () => {
    const d = new Y.Doc()
    d.clientID = 42
    const frag = d.getXmlFragment('prosemirror')
    const h = new Y.XmlElement('heading')
    h.setAttribute('level', 2)
    const ht = new Y.XmlText()
    h.insert(0, [ht])
    const p = new Y.XmlElement('paragraph')
    const pt = new Y.XmlText()
    const img = new Y.XmlElement('image')
    img.setAttribute('src', 'a.png')
    const pt2 = new Y.XmlText()
    p.insert(0, [pt, img, pt2])
    const list = new Y.XmlElement('bullet_list')
    const li = new Y.XmlElement('list_item')
    const lp = new Y.XmlElement('paragraph')
    const lt = new Y.XmlText()
    lp.insert(0, [lt])
    li.insert(0, [lp])
    list.insert(0, [li])
    frag.insert(0, [h, p, list])
    ht.insert(0, 'Title')
    pt.insert(0, 'Hello ')
    pt.insert(6, 'bold', { strong: {} })
    pt.insert(10, ' and ', {})
    pt.insert(15, 'link', { link: { href: 'https://x.test' }, em: {} })
    pt2.insert(0, ' after')
    lt.insert(0, 'item')
    return { update: b64(Y.encodeStateAsUpdate(d)), xml: frag.toString() }
  },
  // sort with an inconsistent comparator, to check Go's copy of V8's sort
  sort: (req) => {
    const a = req.values.slice()
    a.sort((x, y) => req.table[x][y])
    return a
  },
  // JavaScript's String(number) for each number
  numberStrings: (req) => req.values.map(v => String(value(v))),
  // JSON.stringify and JSON.parse round trips
  stringify: (req) => req.values.map(v => JSON.stringify(value(v))),
  // lib0 any encoding of JSON values
  encodeAny: (req) => req.values.map(v => b64(encodeAnyValue(value(v)))),
  awareness: (req) => {
    const d = new Y.Doc()
    d.clientID = req.clientID
    const a = new awareness.Awareness(d)
    a.setLocalState(null)
    const events = []
    a.on('change', (c, origin) => events.push(['change', c, origin]))
    a.on('update', (c, origin) => events.push(['update', c, origin]))
    for (const u of req.updates) awareness.applyAwarenessUpdate(a, unb64(u), 'remote')
    const states = {}
    a.getStates().forEach((s, id) => { states[id] = canon(s) })
    clearInterval(a._checkInterval)
    return { events, states }
  }
}

let encodeAnyValue = null

const main = async () => {
  const encoding = await import('lib0/encoding')
  encodeAnyValue = (v) => {
    const e = encoding.createEncoder()
    encoding.writeAny(e, v)
    return encoding.toUint8Array(e)
  }
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (!line) continue
    let req
    try {
      req = JSON.parse(line)
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: -1, ok: false, error: 'bad json' }) + '\n')
      continue
    }
    let resp
    try {
      resp = { id: req.id, ok: true, result: handlers[req.cmd](req) }
    } catch (e) {
      resp = { id: req.id, ok: false, error: String(e && e.stack || e) }
    }
    process.stdout.write(JSON.stringify(resp) + '\n')
  }
}

main()
