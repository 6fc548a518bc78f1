// Several clients of both dialects edit several documents concurrently (a
// Y.Text and a Tiptap-shaped XmlFragment), disconnect and reconnect at
// random, and must converge; then a late joiner must receive everything.
//
// usage: node converge.mjs '{"url":"ws://...","docs":["a","b"],"clients":4,"edits":60,"seed":1,"token":"t"}'
import { client, sharedSocket, rng, sleep, waitFor, snapshot, tiptapParagraph, fail } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const rand = rng(cfg.seed || 1)
// With several servers (urls), clients are spread over them round robin.
const urls = cfg.urls || [cfg.url]
const sockets = [sharedSocket(urls[0]), sharedSocket(urls[1 % urls.length])]
const clients = []
let next = 0
for (const doc of cfg.docs) {
  for (let i = 0; i < cfg.clients; i++) {
    const kind = i % 2 === 0 ? 'yws' : 'hp'
    // One Hocuspocus client per document multiplexes over a shared socket
    // (a socket carries a document name once).
    const s = cfg.docs.indexOf(doc) % 2
    const sock = kind === 'hp' && i === 1 ? sockets[s] : undefined
    const url = sock ? urls[s % urls.length] : urls[next++ % urls.length]
    clients.push(client(kind, url, doc, cfg.token, sock))
  }
}
await waitFor('initial sync', () => clients.every((c) => c.synced()))

const alphabet = 'abcdefghijklmnopqrstuvwxyz  '
const word = () => Array.from({ length: 1 + Math.floor(rand() * 6) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('')

async function edit (c, n) {
  const text = c.ydoc.getText('text')
  for (let k = 0; k < n; k++) {
    const r = rand()
    if (r < 0.55) {
      text.insert(Math.floor(rand() * (text.length + 1)), word())
    } else if (r < 0.7 && text.length > 0) {
      const at = Math.floor(rand() * text.length)
      text.delete(at, Math.min(1 + Math.floor(rand() * 4), text.length - at))
    } else if (r < 0.9) {
      tiptapParagraph(c.ydoc, word(), rand() < 0.3)
    } else if (c.ydoc.getXmlFragment('default').length > 0) {
      const frag = c.ydoc.getXmlFragment('default')
      const el = frag.get(Math.floor(rand() * frag.length))
      const t = el.get(0)
      if (t) t.insert(Math.floor(rand() * (t.length + 1)), word(), rand() < 0.5 ? { italic: true } : undefined)
    }
    if (rand() < 0.03 && cfg.reconnects !== false) {
      // Go offline, keep editing, come back.
      c.disconnect()
      text.insert(0, 'offline-' + word())
      await sleep(5 + rand() * 30)
      c.connect()
    }
    await sleep(rand() * (cfg.pause || 4))
  }
}
await Promise.all(clients.map((c) => edit(c, cfg.edits)))
for (const c of clients) c.connect()

const byDoc = (doc) => clients.filter((c) => c.doc === doc)
try {
  await waitFor('convergence', () => cfg.docs.every((d) => {
    const cs = byDoc(d)
    const s = snapshot(cs[0].ydoc)
    return cs.every((c) => c.synced() && snapshot(c.ydoc) === s)
  }), cfg.convergeMs || 30000)
} catch (e) {
  for (const d of cfg.docs) {
    for (const c of byDoc(d)) console.error(d, c.kind, c.synced(), c.pending(), snapshot(c.ydoc).length)
  }
  fail(e.message)
}

// Late joiners, one of each dialect, must receive everything.
const result = {}
for (const [i, d] of cfg.docs.entries()) {
  const want = snapshot(byDoc(d)[0].ydoc)
  for (const [k, kind] of ['yws', 'hp'].entries()) {
    const late = client(kind, urls[(i + k) % urls.length], d, cfg.token)
    try {
      await waitFor('late joiner sync', () => late.synced() && snapshot(late.ydoc) === want, 15000)
    } catch (e) {
      fail(`late ${kind} joiner of ${d}: ${e.message}: got ${snapshot(late.ydoc).length} bytes, want ${want.length}`)
    }
    late.destroy()
  }
  result[d] = { text: byDoc(d)[0].ydoc.getText('text').length, xml: byDoc(d)[0].ydoc.getXmlFragment('default').length, i }
}
for (const c of clients) c.destroy()
for (const s of sockets) s.destroy()
console.log(JSON.stringify(result))
process.exit(0)
