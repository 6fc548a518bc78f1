// A fresh client reads a document and prints its Y.Text as JSON.
// usage: node check.mjs '{"url":"ws://...","doc":"d","token":"t","kind":"yws"}'
import { client, waitFor } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const c = client(cfg.kind || 'yws', cfg.url, cfg.doc, cfg.token)
await waitFor('sync', () => c.synced(), 20000)
console.log(JSON.stringify({ text: c.ydoc.getText('text').toString() }))
c.destroy()
process.exit(0)
