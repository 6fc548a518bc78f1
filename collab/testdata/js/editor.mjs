// Hocuspocus clients that type unique tokens into one document without
// pause and print "ACK <token>" for every update the server acknowledged
// (SyncStatus). A crash test kills the server and this process with
// SIGKILL and then checks that every acknowledged token survived.
//
// usage: node editor.mjs '{"url":"ws://...","doc":"d","clients":3,"token":"t","prefix":"r1"}'
import { client, waitFor, sleep } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const out = []
const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0 } }

async function run (i) {
  const c = client('hp', cfg.url, cfg.doc, cfg.token)
  await waitFor('sync', () => c.synced(), 15000)
  const p = c.provider
  const sent = []
  let live = true
  // Acknowledgements arrive in order, one per update sent after the
  // initial sync completed; count them by wrapping the provider's handler.
  const dec = p.decrementUnsyncedChanges.bind(p)
  p.decrementUnsyncedChanges = () => {
    if (live && sent.length > 0) out.push('ACK ' + sent.shift() + '\n')
    dec()
  }
  // A reconnect resets the count and re-sends through sync; stop then.
  p.on('status', ({ status }) => { if (status !== 'connected') live = false })
  const text = c.ydoc.getText('text')
  for (let n = 0; live; n++) {
    const tok = `${cfg.prefix}c${i}n${n};`
    sent.push(tok)
    text.insert(n % 3 === 0 ? 0 : text.length, tok)
    if (n % 4 === 0) await sleep(1)
    else await new Promise((resolve) => setImmediate(resolve))
  }
}
setInterval(flush, 5)
await Promise.all(Array.from({ length: cfg.clients }, (_, i) => run(i)))
flush()
