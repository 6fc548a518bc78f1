// Malformed frames from raw sockets while real clients edit: each bad
// socket is closed with a clear code, and the real clients go on and
// converge.
//
// usage: node malformed.mjs '{"url":"ws://.../collab","doc":"d"}'
import WebSocket from 'ws'
import { client, waitFor, snapshot, fail, sleep } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const a = client('yws', cfg.url, cfg.doc, 'alice:rw')
const b = client('hp', cfg.url, cfg.doc, 'bob:rw')
await waitFor('sync', () => a.synced() && b.synced())

const str = (s) => [s.length, ...Buffer.from(s)]
const cases = [
  { name: 'bad var-uint', path: '/' + cfg.doc, data: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], code: 1007 },
  { name: 'truncated update', path: '/' + cfg.doc, data: [0, 2, 40, 1, 1, 9], code: 1007 },
  { name: 'undecodable update', path: '/' + cfg.doc, data: [0, 2, 6, 1, 1, 0xde, 0xad, 0x7f, 0x7f], code: 1007 },
  { name: 'unknown type', path: '/' + cfg.doc, data: [42], code: 1003 },
  { name: 'text frame', path: '/' + cfg.doc, text: 'hello', code: 1003 },
  { name: 'hocuspocus: bad name', path: '', data: [0xff, 0xff, 0xff], code: 1007 },
  { name: 'hocuspocus: before auth', path: '', data: [...str(cfg.doc), 0, 0, 1, 0], code: 4403 }
]
const results = {}
let typing = true
let typed = 0
const typer = (async () => {
  for (let i = 0; typing || i < 20; i++, typed = i) {
    a.ydoc.getText('text').insert(0, 'a' + i + ';')
    b.ydoc.getText('text').insert(0, 'b' + i + ';')
    await sleep(5)
  }
})()
for (const c of cases) {
  const token = 'mallory:rw'
  const sep = c.path === '' ? '' : c.path
  const ws = new WebSocket(cfg.url + sep + (c.path === '' ? '' : '?token=' + token))
  ws.on('error', () => {})
  const code = await new Promise((resolve) => {
    ws.on('open', () => {
      if (c.text) ws.send(c.text)
      else ws.send(Buffer.from(c.data))
    })
    ws.on('close', (code) => resolve(code))
    setTimeout(() => resolve('timeout'), 5000)
  })
  results[c.name] = code
  if (code !== c.code) fail(`${c.name}: close ${code}, want ${c.code}`)
}
typing = false
await typer
await waitFor('convergence', () => a.synced() && b.synced() && snapshot(a.ydoc) === snapshot(b.ydoc))
const n = a.ydoc.getText('text').toString().split(';').length - 1
if (n < 10) fail('the real clients did not keep editing')
a.destroy()
b.destroy()
console.log(JSON.stringify({ results, edits: n }))
process.exit(0)
