// The yjs side of the benchmarks in ../../bench_test.go: the same
// operations on the pinned yjs, reported as JSON on stdout.
//   node --expose-gc bench.mjs <traces dir> <runs>
import * as Y from 'yjs'
import fs from 'node:fs'
import zlib from 'node:zlib'
import path from 'node:path'

// node bench.mjs cold <file> v1|v2: the time of the first load in a
// fresh process (before the JIT has seen yjs's decoder), in ms.
if (process.argv[2] === 'cold') {
  const u = fs.readFileSync(process.argv[3])
  const t0 = process.hrtime.bigint()
  const d = new Y.Doc()
  if (process.argv[4] === 'v2') Y.applyUpdateV2(d, u)
  else Y.applyUpdate(d, u)
  console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6 }))
  process.exit(0)
}

const dir = process.argv[2]
const runs = Number(process.argv[3] || 5)
const gc = () => { if (global.gc) global.gc() }
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'automerge-paper.json.gz'))))
const patches = []
for (const txn of trace.txns) for (const p of txn.patches) patches.push(p)

const replay = (sample) => {
  const d = new Y.Doc()
  d.clientID = 1
  const text = d.getText('text')
  for (let i = 0; i < patches.length; i++) {
    const [pos, del, ins] = patches[i]
    if (del > 0) text.delete(pos, del)
    if (ins) text.insert(pos, ins)
    if (sample && i % 1000 === 0) sample()
  }
  return d
}

const time = (f, n = runs) => {
  const ts = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    f()
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return median(ts)
}

const out = {}
// Warm up the JIT once, then measure.
replay()
out.traceMs = time(() => replay())
// Peak heap during one replay, above the heap before it.
for (let i = 0; i < 3; i++) { gc(); await new Promise(resolve => setImmediate(resolve)) }
const base = process.memoryUsage().heapUsed
let peak = 0
replay(() => { peak = Math.max(peak, process.memoryUsage().heapUsed - base) })
out.tracePeakHeapBytes = peak

const final = replay()
const v1 = Y.encodeStateAsUpdate(final)
const v2 = Y.encodeStateAsUpdateV2(final)
out.v1Bytes = v1.length
out.v2Bytes = v2.length
const loadMs = (u, v2) => time(() => { const d = new Y.Doc(); (v2 ? Y.applyUpdateV2 : Y.applyUpdate)(d, u) }, runs * 4)
out.loadV1Ms = loadMs(v1, false)
out.loadV2Ms = loadMs(v2, true)
const s1 = fs.readFileSync(path.join(dir, 'egwalker-paper-yjs-v2', 'S1.yjs'))
const s2 = fs.readFileSync(path.join(dir, 'egwalker-paper-yjs-v2', 'S2.yjs'))
out.loadS1Ms = loadMs(s1, true)
out.loadS2Ms = loadMs(s2, true)
const loaded = new Y.Doc()
Y.applyUpdateV2(loaded, v2)
out.encodeV1Ms = time(() => Y.encodeStateAsUpdate(loaded), runs * 4)
out.encodeV2Ms = time(() => Y.encodeStateAsUpdateV2(loaded), runs * 4)

// Heap held by loaded documents: load 5 copies, divide. Collect garbage
// over several event-loop turns: a single gc() leaves too much behind to
// measure.
const tick = () => new Promise(resolve => setImmediate(resolve))
const fullGC = async () => { for (let i = 0; i < 6; i++) { gc(); await tick() } }
let holder = null
const loadCopies = (u) => {
  const keep = []
  for (let i = 0; i < 5; i++) {
    const d = new Y.Doc()
    Y.applyUpdateV2(d, u)
    keep.push(d)
  }
  return keep
}
const heapOf = async (u) => {
  holder = null
  await fullGC()
  const h0 = process.memoryUsage().heapUsed
  holder = loadCopies(u)
  await fullGC()
  const h1 = process.memoryUsage().heapUsed
  holder = null
  return (h1 - h0) / 5
}
out.heapAutomergeBytes = await heapOf(v2)
out.heapS1Bytes = await heapOf(s1)
out.heapS2Bytes = await heapOf(s2)

// One remote single-character insert into a 100,000-character document.
{
  const src = new Y.Doc()
  src.clientID = 1
  const t = src.getText('text')
  let chunk = ''
  for (let i = 0; i < 1000; i++) chunk += String.fromCharCode(97 + i % 26)
  for (let i = 0; i < 100; i++) t.insert(t.length, chunk)
  const base = Y.encodeStateAsUpdate(src)
  const author = new Y.Doc()
  author.clientID = 2
  Y.applyUpdate(author, base)
  const updates = []
  author.on('update', u => updates.push(u))
  const at = author.getText('text')
  const n = 20000
  for (let i = 0; i < n; i++) at.insert((i * 7919) % at.length, 'x')
  const ts = []
  for (let r = 0; r < runs; r++) {
    const d = new Y.Doc()
    d.clientID = 3
    Y.applyUpdate(d, base)
    d.getText('text')
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) Y.applyUpdate(d, updates[i])
    ts.push(Number(process.hrtime.bigint() - t0) / 1e3 / n)
  }
  out.remoteInsertUs = median(ts)
}
out.node = process.version
out.yjs = JSON.parse(fs.readFileSync(new URL('./node_modules/yjs/package.json', import.meta.url))).version
console.log(JSON.stringify(out))
