// A client that syncs, says so, and waits until its Y.Text contains a
// given string (an edit made by someone else while it is connected).
// usage: node watch.mjs '{"url":"ws://...","doc":"d","token":"t","kind":"yws","want":"x"}'
import { client, waitFor } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const c = client(cfg.kind || 'yws', cfg.url, cfg.doc, cfg.token)
await waitFor('sync', () => c.synced(), 20000)
console.log('SYNCED')
await waitFor('the edit', () => c.ydoc.getText('text').toString().includes(cfg.want), 20000)
console.log(JSON.stringify({ text: c.ydoc.getText('text').toString() }))
c.destroy()
process.exit(0)
