// Hocuspocus clients spread over several servers type unique tokens into
// one document and print "ACK <token>" for every update a server
// acknowledged (SyncStatus). When a client's server goes away (the test
// kills it), the client moves its document, unsynced edits included, to
// the next server, as a load balancer would send its reconnection. It stops
// typing when told on stdin ("STOP"), waits until every client is synced,
// and prints "DONE" with the text.
//
// usage: node failover.mjs '{"urls":["ws://..."],"doc":"d","clients":4,"token":"t"}'
import { Y, sleep, waitFor } from './clients.mjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'

class QuietWebSocket extends WebSocket {
  constructor (...args) { super(...args); this.on('error', () => {}) }
}

const cfg = JSON.parse(process.argv[2])
const out = []
const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0 } }
setInterval(flush, 5)
let stop = false
process.stdin.on('data', (d) => { if (d.toString().includes('STOP')) stop = true })

function connect (c) {
  const url = cfg.urls[c.server % cfg.urls.length]
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: QuietWebSocket, maxAttempts: 1 })
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: cfg.doc, document: c.ydoc, token: cfg.token })
  provider.attach()
  c.provider = provider
  c.socket = socket
  c.live = false
  const dec = provider.decrementUnsyncedChanges.bind(provider)
  provider.decrementUnsyncedChanges = () => {
    // Acknowledgements arrive in order, one per update sent since the
    // initial sync; after a failover the resent updates are acknowledged
    // in bulk by the sync, so only live-typed ones are counted.
    if (c.live && c.sent.length > 0) out.push('ACK ' + c.sent.shift() + '\n')
    dec()
  }
  provider.on('synced', () => { c.sent = []; c.live = true })
  socket.on('disconnect', () => {
    if (c.provider !== provider) return
    c.live = false
    // Move to the next server.
    c.server++
    setTimeout(() => {
      provider.destroy()
      socket.destroy()
      connect(c)
    }, 50)
  })
}

async function run (i) {
  const c = { ydoc: new Y.Doc(), server: i, sent: [], live: false, moved: 0 }
  connect(c)
  await waitFor('sync', () => c.provider.isSynced, 20000)
  const text = c.ydoc.getText('text')
  for (let n = 0; !stop; n++) {
    const tok = `c${i}n${n};`
    if (c.live) c.sent.push(tok)
    text.insert(n % 3 === 0 ? 0 : text.length, tok)
    await sleep(n % 2)
  }
  await waitFor('final sync', () => c.provider.isSynced && !c.provider.hasUnsyncedChanges, 30000)
  return c
}

const cs = await Promise.all(Array.from({ length: cfg.clients }, (_, i) => run(i)))
await waitFor('convergence', () => cs.every((c) => c.ydoc.getText('text').toString() === cs[0].ydoc.getText('text').toString()), 30000)
flush()
console.log('DONE ' + JSON.stringify({ text: cs[0].ydoc.getText('text').toString() }))
process.exit(0)
