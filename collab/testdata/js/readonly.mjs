// Read-only and denied clients of both dialects: a read-only client's
// edits are never applied and it is told so; a denied client is refused
// (close 4403 for y-websocket, PermissionDenied for Hocuspocus).
//
// usage: node readonly.mjs '{"url":"ws://...","doc":"d"}'
import { client, waitFor, sleep, fail } from './clients.mjs'

const cfg = JSON.parse(process.argv[2])
const warnings = []
const warn = console.warn
console.warn = (...a) => { warnings.push(a.join(' ')); }

const writer = client('yws', cfg.url, cfg.doc, 'alice:rw')
const roY = client('yws', cfg.url, cfg.doc, 'bob:ro')
const roH = client('hp', cfg.url, cfg.doc, 'bob:ro')
let scope
roH.provider.on('authenticated', ({ scope: s }) => { scope = s })
await waitFor('sync', () => writer.synced() && roY.provider.synced && roH.provider.isSynced)

writer.ydoc.getText('text').insert(0, 'RW-EDIT;')
await waitFor('read-only clients receive edits', () =>
  roY.ydoc.getText('text').toString().includes('RW-EDIT') && roH.ydoc.getText('text').toString().includes('RW-EDIT'))

roY.ydoc.getText('text').insert(0, 'RO-YWS;')
roH.ydoc.getText('text').insert(0, 'RO-HP;')
await sleep(300)

if (scope !== 'readonly') fail(`hocuspocus scope = ${scope}, want readonly`)
if (!roH.provider.hasUnsyncedChanges) fail('hocuspocus read-only client was not told its change is unsaved')
if (!warnings.some((w) => w.includes('read-only'))) fail('y-websocket read-only client was not told: ' + JSON.stringify(warnings))
const wt = writer.ydoc.getText('text').toString()
if (wt.includes('RO-')) fail('a read-only edit reached another client: ' + wt)

// A fresh client sees the server's state: the read-only edits are absent.
const fresh = client('hp', cfg.url, cfg.doc, 'carol:rw')
await waitFor('fresh sync', () => fresh.synced())
const ft = fresh.ydoc.getText('text').toString()
if (ft.includes('RO-') || !ft.includes('RW-EDIT')) fail('server state has read-only edits or lacks the writer\'s: ' + ft)

// Denied clients.
const denied = client('yws', cfg.url, cfg.doc, 'eve:none')
let code
denied.provider.on('connection-close', (ev) => { if (ev && code === undefined) code = ev.code })
await waitFor('y-websocket denial', () => code !== undefined)
if (code !== 4403) fail(`y-websocket denied close code ${code}, want 4403`)
denied.destroy()
const deniedH = client('hp', cfg.url, cfg.doc, 'eve:none')
let reason
deniedH.provider.on('authenticationFailed', ({ reason: r }) => { reason = r })
await waitFor('hocuspocus denial', () => reason !== undefined)
if (deniedH.ydoc.getText('text').length !== 0) fail('a denied client received content')

console.warn = warn
console.log(JSON.stringify({ scope, code, reason, warnings: warnings.length }))
process.exit(0)
