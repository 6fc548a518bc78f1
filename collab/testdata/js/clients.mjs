// Shared helpers for the collab tests: real y-websocket and Hocuspocus
// clients in Node, speaking to the server under test.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'

export { Y }

// The providers detach their 'error' listener before closing a socket that
// is still connecting; browsers stay quiet then, but Node's ws emits an
// 'error' that would be unhandled. Keep a listener on every socket.
class QuietWebSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    this.on('error', () => {})
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// A seeded PRNG (mulberry32) so a failing run can be replayed.
export function rng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// client opens one document with the given dialect. For Hocuspocus a
// shared socket may be passed to multiplex several documents.
export function client (kind, base, doc, token, socket) {
  const ydoc = new Y.Doc()
  if (kind === 'yws') {
    const provider = new WebsocketProvider(base, doc, ydoc, {
      WebSocketPolyfill: QuietWebSocket,
      params: { token },
      disableBc: true
    })
    return {
      kind,
      doc,
      ydoc,
      provider,
      synced: () => provider.synced && provider.wsconnected,
      pending: () => 0,
      disconnect: () => provider.disconnect(),
      connect: () => provider.connect(),
      destroy: () => provider.destroy()
    }
  }
  const own = !socket
  const ws = socket || new HocuspocusProviderWebsocket({ url: base, WebSocketPolyfill: QuietWebSocket })
  const provider = new HocuspocusProvider({ websocketProvider: ws, name: doc, document: ydoc, token })
  provider.attach()
  return {
    kind,
    doc,
    ydoc,
    provider,
    socket: ws,
    synced: () => provider.isSynced && provider.isAuthenticated && !provider.hasUnsyncedChanges,
    pending: () => provider.unsyncedChanges,
    disconnect: () => ws.disconnect(),
    connect: () => ws.connect(),
    destroy: () => { provider.destroy(); if (own) ws.destroy() }
  }
}

export function sharedSocket (base) {
  return new HocuspocusProviderWebsocket({ url: base, WebSocketPolyfill: QuietWebSocket })
}

export async function waitFor (what, cond, ms = 20000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return
    await sleep(20)
  }
  throw new Error('timed out waiting for ' + what)
}

// snapshot is what two converged replicas must agree on.
export function snapshot (ydoc) {
  return JSON.stringify({
    text: ydoc.getText('text').toString(),
    xml: ydoc.getXmlFragment('default').toString()
  })
}

// tiptapParagraph appends a ProseMirror-shaped paragraph (with a bold mark
// on part of its text) to the fragment Tiptap uses.
export function tiptapParagraph (ydoc, words, bold) {
  const frag = ydoc.getXmlFragment('default')
  ydoc.transact(() => {
    const p = new Y.XmlElement(bold ? 'heading' : 'paragraph')
    if (bold) p.setAttribute('level', '2')
    const t = new Y.XmlText()
    p.insert(0, [t])
    frag.insert(frag.length, [p])
    t.insert(0, words)
    if (bold) t.format(0, Math.min(3, words.length), { bold: true })
  })
}

export function fail (msg) {
  console.error('FAIL: ' + msg)
  process.exit(1)
}
